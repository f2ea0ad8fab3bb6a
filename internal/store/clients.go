package store

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aigw/aigw/internal/clients"
)

// ErrClientNotFound is wrapped by the errors of ClientByName, UpdateClient
// and DeleteClient for a name no client has.
var ErrClientNotFound = errors.New("no such client")

// ErrClientExists is wrapped by CreateClient's error when the name is taken.
var ErrClientExists = errors.New("a client of that name already exists")

// clientColumns is the column list of every query returning a client, in
// scanClient's order. models is a JSON array of globs (migrations/*/00004).
const clientColumns = "id, name, key_hash, key_hint, models, rpm, tpm, budget, period, expires_at, disabled, created_at, note"

// clientArgs are the values of the columns CreateClient and UpdateClient
// write, in the order key_hash, key_hint, models, rpm, tpm, budget, period,
// expires_at, disabled, note.
func (db *DB) clientArgs(c *clients.Client) ([]any, error) {
	models := c.Models
	if models == nil {
		models = []string{}
	}
	mj, err := json.Marshal(models)
	if err != nil {
		return nil, fmt.Errorf("client %q: encode its models: %w", c.Name, err)
	}
	var expires any
	if c.ExpiresAt != nil {
		// Milliseconds, as SQLite's layout keeps them, so that both
		// dialects read back the same instant (23:59:59.999 for the end
		// of a day).
		expires = db.dbTime(c.ExpiresAt.Truncate(time.Millisecond))
	}
	var disabled any = c.Disabled
	if db.dialect == dialectSQLite {
		disabled = 0
		if c.Disabled {
			disabled = 1
		}
	}
	return []any{c.KeyHash, c.KeyHint, string(mj), c.RPM, c.TPM, costArg(c.Budget), c.Period,
		expires, disabled, c.Note}, nil
}

// CreateClient stores a new client and returns it with its id and
// creation time (now when c.CreatedAt is zero). A taken name is an error
// wrapping ErrClientExists.
func (db *DB) CreateClient(ctx context.Context, c clients.Client) (clients.Client, error) {
	if err := c.Validate(); err != nil {
		return clients.Client{}, fmt.Errorf("create client: %w", err)
	}
	if c.CreatedAt.IsZero() {
		c.CreatedAt = time.Now()
	}
	c.CreatedAt = c.CreatedAt.In(db.loc).Truncate(time.Millisecond) // what SQLite's layout keeps
	args, err := db.clientArgs(&c)
	if err != nil {
		return clients.Client{}, err
	}
	args = append([]any{c.Name}, args...)
	args = append(args, db.dbTime(c.CreatedAt))
	query := db.rebind("INSERT INTO clients (name, key_hash, key_hint, models, rpm, tpm, budget, period, expires_at, disabled, note, created_at) " +
		"VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (name) DO NOTHING RETURNING id")
	err = db.writeSQL.QueryRowContext(ctx, query, args...).Scan(&c.ID)
	if errors.Is(err, sql.ErrNoRows) {
		return clients.Client{}, fmt.Errorf("create client %q: %w (choose another name, or clients update/rotate it)", c.Name, ErrClientExists)
	}
	if err != nil {
		return clients.Client{}, fmt.Errorf("create client %q: %w", c.Name, err)
	}
	if c.ExpiresAt != nil {
		e := c.ExpiresAt.In(db.loc).Truncate(time.Millisecond)
		c.ExpiresAt = &e
	}
	if len(c.Models) == 0 {
		c.Models = nil // as read back
	}
	return c, nil
}

// Clients returns every client, ordered by name.
func (db *DB) Clients(ctx context.Context) ([]clients.Client, error) {
	return db.queryClients(ctx, "SELECT "+clientColumns+" FROM clients ORDER BY name")
}

// ClientByName returns one client, or an error wrapping ErrClientNotFound.
func (db *DB) ClientByName(ctx context.Context, name string) (clients.Client, error) {
	out, err := db.queryClients(ctx, "SELECT "+clientColumns+" FROM clients WHERE name = ?", name)
	if err != nil {
		return clients.Client{}, err
	}
	if len(out) == 0 {
		return clients.Client{}, fmt.Errorf("client %q: %w", name, ErrClientNotFound)
	}
	return out[0], nil
}

// ClientByKeyHash returns the client whose key has this hash
// (clients.HashKey), or an error wrapping ErrClientNotFound.
func (db *DB) ClientByKeyHash(ctx context.Context, hash string) (clients.Client, error) {
	out, err := db.queryClients(ctx, "SELECT "+clientColumns+" FROM clients WHERE key_hash = ?", hash)
	if err != nil {
		return clients.Client{}, err
	}
	if len(out) == 0 {
		return clients.Client{}, fmt.Errorf("client key: %w", ErrClientNotFound)
	}
	return out[0], nil
}

func (db *DB) queryClients(ctx context.Context, query string, args ...any) ([]clients.Client, error) {
	rows, err := db.read.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("read clients: %w", err)
	}
	defer rows.Close()
	var out []clients.Client
	for rows.Next() {
		var (
			c       clients.Client
			models  string
			budget  sql.NullFloat64
			expires time.Time
		)
		err := rows.Scan(&c.ID, &c.Name, &c.KeyHash, &c.KeyHint, &models, &c.RPM, &c.TPM, &budget, &c.Period,
			timeScanner{dst: &expires, loc: db.loc}, &c.Disabled, timeScanner{dst: &c.CreatedAt, loc: db.loc}, &c.Note)
		if err != nil {
			return nil, fmt.Errorf("read clients: %w", err)
		}
		if err := json.Unmarshal([]byte(models), &c.Models); err != nil {
			return nil, fmt.Errorf("read client %q: its models %q are not a JSON array: %w", c.Name, models, err)
		}
		if len(c.Models) == 0 {
			c.Models = nil
		}
		if budget.Valid {
			c.Budget = &budget.Float64
		}
		if !expires.IsZero() { // NULL reads as the zero time
			c.ExpiresAt = &expires
		}
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read clients: %w", err)
	}
	return out, nil
}

// UpdateClient writes every field of the client named c.Name but its name,
// id and creation time (rotate changes KeyHash and KeyHint). An unknown
// name is an error wrapping ErrClientNotFound.
func (db *DB) UpdateClient(ctx context.Context, c clients.Client) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("update client: %w", err)
	}
	args, err := db.clientArgs(&c)
	if err != nil {
		return err
	}
	args = append(args, c.Name)
	query := db.rebind("UPDATE clients SET key_hash = ?, key_hint = ?, models = ?, rpm = ?, tpm = ?, budget = ?, " +
		"period = ?, expires_at = ?, disabled = ?, note = ? WHERE name = ?")
	res, err := db.writeSQL.ExecContext(ctx, query, args...)
	if err != nil {
		return fmt.Errorf("update client %q: %w", c.Name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("update client %q: %w", c.Name, err)
	} else if n == 0 {
		return fmt.Errorf("update client %q: %w", c.Name, ErrClientNotFound)
	}
	return nil
}

// DeleteClient removes a client; its log rows keep its name. An unknown
// name is an error wrapping ErrClientNotFound.
func (db *DB) DeleteClient(ctx context.Context, name string) error {
	res, err := db.writeSQL.ExecContext(ctx, db.rebind("DELETE FROM clients WHERE name = ?"), name)
	if err != nil {
		return fmt.Errorf("remove client %q: %w", name, err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return fmt.Errorf("remove client %q: %w", name, err)
	} else if n == 0 {
		return fmt.Errorf("remove client %q: %w", name, ErrClientNotFound)
	}
	return nil
}

// ClientSpend sums the cost of the client's logged requests since a time
// (the zero time: all of them) and counts them. Rows without a cost (no
// price applied) count as requests but add nothing.
//
// It reads the rollups (rollups.go), not the log: a busy client has
// millions of rows in a month, and the dashboard's Clients page asks for
// every client's period at once (README, "控制台与管理 API"). Only the part
// of a minute before the first whole minute, which no rollup row holds
// alone, is read from the log (periods start on whole minutes: none).
func (db *DB) ClientSpend(ctx context.Context, name string, since time.Time) (cost float64, requests int64, err error) {
	from := int64(0)
	if !since.IsZero() {
		from = since.Unix()
		if from%grainMinute != 0 || since.Nanosecond() != 0 {
			next := floorTo(from, grainMinute) + grainMinute
			query := "SELECT COALESCE(SUM(cost), 0), COUNT(*) FROM request_logs WHERE client = ? AND created_at >= ? AND created_at < ?"
			row := db.read.WithContext(ctx).Raw(query, name, db.dbTime(since), db.dbTime(time.Unix(next, 0))).Row()
			if err := row.Scan(&cost, &requests); err != nil {
				return 0, 0, fmt.Errorf("read the spend of client %q: %w", name, err)
			}
			from = next
		}
	}
	// Up to the end of tomorrow (UTC): rows stamped a little ahead by a
	// clock that runs fast are still counted.
	to := floorTo(time.Now().Unix(), grainDay) + 2*grainDay
	var where []string
	args := []any{name}
	for _, p := range coverRange(from, to) {
		where = append(where, "(grain = ? AND bucket >= ? AND bucket < ?)")
		args = append(args, p.grain, p.from, p.to)
	}
	if len(where) == 0 {
		return cost, requests, nil
	}
	query := "SELECT COALESCE(SUM(cost), 0), CAST(COALESCE(SUM(requests), 0) AS BIGINT) FROM request_rollups WHERE client = ? AND (" +
		strings.Join(where, " OR ") + ")"
	var c float64
	var n int64
	if err := db.read.WithContext(ctx).Raw(query, args...).Row().Scan(&c, &n); err != nil {
		return 0, 0, fmt.Errorf("read the spend of client %q: %w", name, err)
	}
	return cost + c, requests + n, nil
}

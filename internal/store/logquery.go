package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// The dashboard's log pages (README, "控制台"; docs/admin-api.md, "Logs").

// LogQuery selects a page of the request log for the dashboard.
type LogQuery struct {
	// From, To bound created_at ([From, To)); zero means open.
	From, To time.Time
	// Model matches the requested or the upstream model exactly.
	Model, Provider, Client string
	// RequestID matches exactly (X-Request-Id).
	RequestID string
	// StatusLo..StatusHi (inclusive) when StatusHi > 0.
	StatusLo, StatusHi int
	// BeforeID: the rows after that row in the newest-first order, i.e.
	// the next page (see QueryLogs). AfterID: rows with a larger id,
	// oldest first (live follow). At most one is set; neither: the newest
	// rows.
	BeforeID, AfterID int64
	// Limit is the most rows returned (default 50, at most 500).
	Limit int
}

// ErrLogNotFound: no log row has the id asked for.
var ErrLogNotFound = errors.New("no such log row")

const (
	defaultLogLimit = 50
	maxLogLimit     = 500
	// maxStatusBranches bounds the status codes a status range is split
	// into (see statusCodes).
	maxStatusBranches = 16
)

// selectLogColumnsNoBodies is selectLogColumns with the bodies left out
// (read as ”), so scanLog reads both.
var selectLogColumnsNoBodies = strings.NewReplacer(
	"request_body", "'' AS request_body", "response_body", "'' AS response_body").Replace(selectLogColumns)

// QueryLogs returns a page of log rows without their bodies.
//
// Pages are in the order (created_at, id), newest first: a row replayed
// from the spill file gets a new id but keeps the time of its request, and
// shows up where that time puts it. BeforeID is the last row of the
// previous page; the next page is the rows strictly after it in that
// order (its created_at is looked up by id), so paging never skips or
// repeats a row. A BeforeID that no longer exists (pruned) ends the pages.
// Live follow (AfterID) goes by id instead, in the order rows were stored,
// so a replayed row is still seen once, when it arrives.
//
// Every filter is served by an index that also gives the order, so a page
// reads about Limit rows however many match: (created_at),
// (provider, created_at), (client, created_at), (status_code, created_at),
// (requested_model, created_at) and (upstream_model, created_at), from
// migrations 00001 and 00004 (on SQLite each index ends with the rowid,
// which is id). The model filter is two queries, one per model column, and
// a status range one query per status code present (found by a few index
// seeks), merged by a UNION.
func (db *DB) QueryLogs(ctx context.Context, q LogQuery) ([]RequestLog, error) {
	limit := q.Limit
	if limit <= 0 {
		limit = defaultLogLimit
	}
	limit = min(limit, maxLogLimit)
	if q.BeforeID > 0 && q.AfterID > 0 {
		return nil, errors.New("query logs: set before or after, not both")
	}
	if q.StatusHi > 0 && q.StatusLo > q.StatusHi {
		return nil, fmt.Errorf("query logs: status range %d..%d is empty", q.StatusLo, q.StatusHi)
	}

	var conds []string
	var args []any
	where := func(cond string, a ...any) {
		conds = append(conds, cond)
		args = append(args, a...)
	}
	if !q.From.IsZero() {
		where("created_at >= ?", db.dbTime(q.From))
	}
	if !q.To.IsZero() {
		where("created_at < ?", db.dbTime(q.To))
	}
	if q.Provider != "" {
		where("provider = ?", q.Provider)
	}
	if q.Client != "" {
		where("client = ?", q.Client)
	}
	if q.RequestID != "" {
		where("request_id = ?", q.RequestID)
	}

	if q.AfterID > 0 {
		return db.followLogs(ctx, q, conds, args, limit)
	}
	order := " ORDER BY created_at DESC, id DESC"
	if q.BeforeID > 0 {
		var at any
		err := db.read.WithContext(ctx).Raw("SELECT created_at FROM request_logs WHERE id = ?", q.BeforeID).Row().Scan(&at)
		if errors.Is(err, sql.ErrNoRows) {
			return []RequestLog{}, nil
		}
		if err != nil {
			return nil, fmt.Errorf("query logs: read the row before the page: %w", err)
		}
		if b, ok := at.([]byte); ok {
			at = string(b) // compared as text, as stored
		}
		// created_at <= at is the index range; the rest settles ties.
		where("created_at <= ? AND (created_at < ? OR id < ?)", at, at, q.BeforeID)
	}

	// Branches: one query each, so each uses the index that gives the order.
	branches := [][]any{nil}
	var branchConds []string
	if q.Model != "" {
		branches = [][]any{{q.Model}, {q.Model}}
		branchConds = []string{"requested_model = ?", "upstream_model = ?"}
	}
	if q.StatusHi > 0 {
		codes, err := db.statusCodes(ctx, q.StatusLo, q.StatusHi)
		if err != nil {
			return nil, err
		}
		if len(codes) == 0 {
			return []RequestLog{}, nil
		}
		var split [][]any
		var splitConds []string
		for i, b := range branches {
			for _, c := range codes {
				bc := "status_code = ?"
				arg := []any{c}
				if c < 0 { // too many codes: one range
					bc, arg = "status_code BETWEEN ? AND ?", []any{q.StatusLo, q.StatusHi}
				}
				if branchConds != nil {
					bc = branchConds[i] + " AND " + bc
				}
				split = append(split, append(append([]any{}, b...), arg...))
				splitConds = append(splitConds, bc)
			}
		}
		branches, branchConds = split, splitConds
	}

	var query strings.Builder
	var all []any
	one := func(extra string, extraArgs []any) {
		c := append(append([]string{}, conds...), extra)
		if extra == "" {
			c = conds
		}
		query.WriteString("SELECT " + selectLogColumnsNoBodies + " FROM request_logs")
		if len(c) > 0 {
			query.WriteString(" WHERE " + strings.Join(c, " AND "))
		}
		fmt.Fprintf(&query, "%s LIMIT %d", order, limit)
		all = append(append(all, args...), extraArgs...)
	}
	if len(branches) == 1 {
		extra := ""
		if branchConds != nil {
			extra = branchConds[0]
		}
		one(extra, branches[0])
	} else {
		query.WriteString("SELECT * FROM (")
		for i, b := range branches {
			if i > 0 {
				query.WriteString(" UNION ")
			}
			fmt.Fprintf(&query, "SELECT * FROM (")
			one(branchConds[i], b)
			fmt.Fprintf(&query, ") AS b%d", i)
		}
		fmt.Fprintf(&query, ") AS u%s LIMIT %d", order, limit)
	}
	return db.readLogs(ctx, query.String(), all, limit)
}

// followLogs is QueryLogs with AfterID: the rows stored after that one, by
// id. They are few (the head of the log), so the primary key is walked and
// every other filter checked on the way; SQLite is told not to pick a
// filter's index, which would sort every matching row.
func (db *DB) followLogs(ctx context.Context, q LogQuery, conds []string, args []any, limit int) ([]RequestLog, error) {
	conds = append(conds, "id > ?")
	args = append(args, q.AfterID)
	if q.Model != "" {
		conds = append(conds, "(requested_model = ? OR upstream_model = ?)")
		args = append(args, q.Model, q.Model)
	}
	if q.StatusHi > 0 {
		conds = append(conds, "status_code BETWEEN ? AND ?")
		args = append(args, q.StatusLo, q.StatusHi)
	}
	from := "request_logs"
	if db.dialect == dialectSQLite {
		from += " NOT INDEXED" // the rowid range is still used
	}
	query := fmt.Sprintf("SELECT %s FROM %s WHERE %s ORDER BY id LIMIT %d",
		selectLogColumnsNoBodies, from, strings.Join(conds, " AND "), limit)
	return db.readLogs(ctx, query, args, limit)
}

// statusCodes lists the status codes in lo..hi that some row has, by
// index seeks (one per code found), so that each gets a query that reads
// its rows in order. More than maxStatusBranches: {-1}, one range query.
func (db *DB) statusCodes(ctx context.Context, lo, hi int) ([]int, error) {
	if lo == hi {
		return []int{lo}, nil
	}
	var codes []int
	for last := lo - 1; ; {
		var next sql.NullInt64
		err := db.read.WithContext(ctx).
			Raw("SELECT MIN(status_code) FROM request_logs WHERE status_code > ? AND status_code <= ?", last, hi).
			Row().Scan(&next)
		if err != nil {
			return nil, fmt.Errorf("query logs: find the status codes in %d..%d: %w", lo, hi, err)
		}
		if !next.Valid {
			return codes, nil
		}
		if len(codes) == maxStatusBranches {
			return []int{-1}, nil
		}
		last = int(next.Int64)
		codes = append(codes, last)
	}
}

// readLogs runs a query selecting log rows.
func (db *DB) readLogs(ctx context.Context, query string, args []any, limit int) ([]RequestLog, error) {
	rows, err := db.read.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, fmt.Errorf("query logs: %w", err)
	}
	return db.scanLogs(rows, limit)
}

// LogByID returns one row with its bodies; an error wrapping ErrLogNotFound when none.
func (db *DB) LogByID(ctx context.Context, id int64) (RequestLog, error) {
	rows, err := db.readLogs(ctx, "SELECT "+selectLogColumns+" FROM request_logs WHERE id = ?", []any{id}, 1)
	if err != nil {
		return RequestLog{}, err
	}
	if len(rows) == 0 {
		return RequestLog{}, fmt.Errorf("log row %d: %w", id, ErrLogNotFound)
	}
	return rows[0], nil
}

// Overview is DB.Overview once the database is connected.
func (c *Connection) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	db, err := c.DB()
	if err != nil {
		return Overview{}, err
	}
	return db.Overview(ctx, q)
}

// QueryLogs is DB.QueryLogs once the database is connected.
func (c *Connection) QueryLogs(ctx context.Context, q LogQuery) ([]RequestLog, error) {
	db, err := c.DB()
	if err != nil {
		return nil, err
	}
	return db.QueryLogs(ctx, q)
}

// LogByID is DB.LogByID once the database is connected.
func (c *Connection) LogByID(ctx context.Context, id int64) (RequestLog, error) {
	db, err := c.DB()
	if err != nil {
		return RequestLog{}, err
	}
	return db.LogByID(ctx, id)
}

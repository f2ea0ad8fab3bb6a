package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxRowsPerStatement keeps a multi-row INSERT under PostgreSQL's limit of
// 65535 bound parameters.
const maxRowsPerStatement = 500

// sqliteRowsPerStatement is small on purpose: the pure-Go SQLite driver
// compiles the statement on every execution and binds parameters in time
// quadratic in their number (see sqliteChunk), so neither one row per
// statement nor hundreds are fast (bench/sqlite_test.go).
const sqliteRowsPerStatement = 16

// logInsert is PostgreSQL's prepared multi-row INSERT of a full chunk of
// log rows. It is prepared on first use, after the migrations have made the
// table: PostgreSQL checks the table when it prepares.
type logInsert struct {
	mu   sync.Mutex
	stmt *sql.Stmt
}

// preparedInsert returns the full-chunk statement (PostgreSQL), preparing
// it once.
func (db *DB) preparedInsert(ctx context.Context) (*sql.Stmt, error) {
	li := &db.logInsert
	li.mu.Lock()
	defer li.mu.Unlock()
	if li.stmt == nil {
		stmt, err := db.writeSQL.PrepareContext(ctx, db.insertLogsSQL(maxRowsPerStatement))
		if err != nil {
			return nil, fmt.Errorf("prepare the log insert: %w", err)
		}
		li.stmt = stmt
	}
	return li.stmt, nil
}

// closeInsert releases the prepared statement.
func (db *DB) closeInsert() error {
	li := &db.logInsert
	li.mu.Lock()
	defer li.mu.Unlock()
	if li.stmt == nil {
		return nil
	}
	err := li.stmt.Close()
	li.stmt = nil
	return err
}

// insertLogs writes rows in one transaction, a multi-row INSERT per chunk,
// adds them to the rollups (rollups.go) and returns how many were new (rows
// whose request_id is already stored are skipped, not duplicated). It is
// atomic: all rows or none.
//
// The rollups must count exactly the rows stored. As a rule every row is
// new, which the INSERTs' counts show, and nothing more is asked. When a
// count falls short (a replay of rows partly stored before), the
// transaction is rolled back and done again with the stored request ids
// looked up first and left out. RETURNING would name the rows stored at
// once, but costs a quarter more on SQLite's hot path
// (BenchmarkInsertBatchSQLite).
func (db *DB) insertLogs(ctx context.Context, rows []*RequestLog) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	n, err := db.insertLogsTx(ctx, rows, false)
	if errors.Is(err, errSomeStored) {
		n, err = db.insertLogsTx(ctx, rows, true)
	}
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
	}
	return n, nil
}

// errSomeStored: an INSERT skipped rows already stored.
var errSomeStored = errors.New("some rows were already stored")

// insertLogsTx is one attempt of insertLogs; with onlyNew, rows already
// stored are left out first.
func (db *DB) insertLogsTx(ctx context.Context, rows []*RequestLog, onlyNew bool) (int64, error) {
	exec := db.postgresChunk
	per := maxRowsPerStatement
	if db.dialect == dialectSQLite {
		exec, per = db.sqliteChunk, sqliteRowsPerStatement
	}
	tx, err := db.writeSQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("begin: %w", err)
	}
	defer func() { _ = tx.Rollback() }()

	if onlyNew {
		if rows, err = db.newRows(ctx, tx, rows); err != nil {
			return 0, err
		}
	}
	args := make([]any, 0, min(len(rows), per)*len(logColumns))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		n, err := exec(ctx, tx, chunk, args[:0])
		if err != nil {
			return 0, err
		}
		if n != int64(len(chunk)) {
			// Without onlyNew: some were stored before. With it: another
			// writer stored some meanwhile; the writer tries again.
			return 0, errSomeStored
		}
	}
	clear(args[:cap(args)]) // no row's strings stay reachable
	// The rollups change in the same transaction, by the rows stored.
	if err := db.upsertRollups(ctx, tx, rollupDeltas(rows)); err != nil {
		return 0, err
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("commit: %w", err)
	}
	return int64(len(rows)), nil
}

// newRows returns the rows whose request id is not stored yet, each id
// once.
func (db *DB) newRows(ctx context.Context, tx *sql.Tx, rows []*RequestLog) ([]*RequestLog, error) {
	seen := make(map[string]bool, len(rows))
	for start := 0; start < len(rows); start += maxRowsPerStatement {
		chunk := rows[start:min(start+maxRowsPerStatement, len(rows))]
		var q strings.Builder
		q.WriteString("SELECT request_id FROM request_logs WHERE request_id IN (")
		args := make([]any, len(chunk))
		for i, r := range chunk {
			if i > 0 {
				q.WriteByte(',')
			}
			if db.dialect == dialectPostgres {
				fmt.Fprintf(&q, "$%d", i+1)
			} else {
				q.WriteByte('?')
			}
			args[i] = r.RequestID
		}
		q.WriteByte(')')
		if db.dialect == dialectPostgres {
			sanitizeForPostgres(args)
		}
		res, err := tx.QueryContext(ctx, q.String(), args...)
		if err != nil {
			return nil, fmt.Errorf("look up stored request ids: %w", err)
		}
		for res.Next() {
			var id string
			if err := res.Scan(&id); err != nil {
				res.Close()
				return nil, fmt.Errorf("look up stored request ids: %w", err)
			}
			seen[id] = true
		}
		err = res.Err()
		res.Close()
		if err != nil {
			return nil, fmt.Errorf("look up stored request ids: %w", err)
		}
	}
	out := make([]*RequestLog, 0, len(rows))
	for _, r := range rows {
		if !seen[r.RequestID] {
			seen[r.RequestID] = true
			out = append(out, r)
		}
	}
	return out, nil
}

// postgresChunk inserts one chunk with every value bound, through the
// prepared statement when the chunk is full.
func (db *DB) postgresChunk(ctx context.Context, tx *sql.Tx, chunk []*RequestLog, args []any) (int64, error) {
	for _, r := range chunk {
		args = db.appendInsertArgs(args, r)
	}
	sanitizeForPostgres(args)
	var res sql.Result
	var err error
	if len(chunk) == maxRowsPerStatement {
		full, perr := db.preparedInsert(ctx)
		if perr != nil {
			return 0, perr
		}
		res, err = tx.StmtContext(ctx, full).ExecContext(ctx, args...)
	} else {
		// The rest of a batch: one statement of its own size.
		res, err = tx.ExecContext(ctx, db.insertLogsSQL(len(chunk)), args...)
	}
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// sqliteChunk inserts one chunk with the numbers written into the
// statement as literals and only the text bound. The pure-Go driver
// compiles a statement on every execution, prepared or not, and finds each
// bound parameter by a linear search over all arguments, so binding costs
// time quadratic in the number of parameters; a number's literal is
// cheaper than its parameter (BenchmarkLogWriterSQLite in bench/ measures
// the writer). Numbers are formatted by strconv: nothing from a request is
// ever part of the statement's text.
func (db *DB) sqliteChunk(ctx context.Context, tx *sql.Tx, chunk []*RequestLog, args []any) (int64, error) {
	var b strings.Builder
	b.Grow(len(sqliteInsertHead) + len(chunk)*(len(logColumns)*4+64))
	b.WriteString(sqliteInsertHead)
	var num [20]byte
	lit := func(v int64) {
		b.WriteByte(',')
		b.Write(strconv.AppendInt(num[:0], v, 10))
	}
	for i, r := range chunk {
		if i > 0 {
			b.WriteByte(',')
		}
		// The order is logColumns'.
		b.WriteString("(?,?,?,?,?,?,?,?,?")
		args = append(args, r.RequestID, db.dbTime(r.CreatedAt), r.Method, r.Path, r.InboundFormat,
			r.RequestedModel, r.UpstreamModel, r.Provider, r.KeyHint)
		stream := int64(0)
		if r.Stream {
			stream = 1
		}
		lit(stream)
		lit(int64(r.StatusCode))
		b.WriteString(",?")
		args = append(args, r.Error)
		for _, v := range [...]int64{r.LatencyMs, r.TTFTMs, r.PromptTokens, r.CompletionTokens,
			r.TotalTokens, int64(r.Attempts), r.RequestBytes, r.ResponseBytes} {
			lit(v)
		}
		b.WriteString(",?,?,?,")
		args = append(args, r.ClientIP, r.RequestBody, r.ResponseBody)
		b.WriteString(costLiteral(num[:0], r.Cost))
		for _, v := range [...]int64{r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens} {
			lit(v)
		}
		b.WriteString(",?,?,?,?)")
		args = append(args, r.Route, r.Tried, r.Client, r.ClientKeyHint)
	}
	b.WriteString(insertConflict)
	res, err := tx.ExecContext(ctx, b.String(), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}

// costLiteral is a cost as an SQL literal: NULL when unknown, else the
// shortest decimal that reads back as the same float64. A cost is finite
// (pricing never divides by a count); anything else is stored as NULL
// rather than as text SQLite would not read as a number.
func costLiteral(buf []byte, c *float64) string {
	if c == nil || math.IsNaN(*c) || math.IsInf(*c, 0) {
		return "NULL"
	}
	return string(strconv.AppendFloat(buf, *c, 'g', -1, 64))
}

// sanitizeForPostgres makes every text value storable: PostgreSQL rejects
// NUL bytes and invalid UTF-8 in text columns, and one such body (binary
// garbage from an upstream) would otherwise fail its whole batch forever.
func sanitizeForPostgres(args []any) {
	for i, a := range args {
		s, ok := a.(string)
		if !ok {
			continue
		}
		if !utf8.ValidString(s) {
			s = strings.ToValidUTF8(s, "\uFFFD")
		}
		if strings.IndexByte(s, 0) >= 0 {
			s = strings.ReplaceAll(s, "\x00", "\uFFFD")
		}
		args[i] = s
	}
}

// newRowID gives a row without a request id a unique one, so that the
// unique index (which makes replays idempotent) never merges two rows.
func newRowID() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "log_" + hex.EncodeToString(b[:])
}

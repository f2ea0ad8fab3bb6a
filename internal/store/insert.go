package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
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
func (db *DB) insertLogs(ctx context.Context, rows []*RequestLog) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	exec := db.postgresChunk
	per := maxRowsPerStatement
	if db.dialect == dialectSQLite {
		exec, per = db.sqliteChunk, sqliteRowsPerStatement
	}
	tx, err := db.writeSQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: begin: %w", len(rows), err)
	}
	defer func() { _ = tx.Rollback() }()

	args := make([]any, 0, min(len(rows), per)*len(logColumns))
	stored := make([]*RequestLog, 0, len(rows))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		stored, err = exec(ctx, tx, chunk, args[:0], stored)
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
	}
	clear(args[:cap(args)]) // no row's strings stay reachable
	// The rollups change in the same transaction: they count exactly the
	// rows stored, and a replayed row that was already there adds nothing.
	if err := db.upsertRollups(ctx, tx, rollupDeltas(stored)); err != nil {
		return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
	}
	total := int64(len(stored))
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("insert %d log rows: commit: %w", len(rows), err)
	}
	return total, nil
}

// postgresChunk inserts one chunk with every value bound, through the
// prepared statement when the chunk is full, and appends the rows stored
// to stored.
func (db *DB) postgresChunk(ctx context.Context, tx *sql.Tx, chunk []*RequestLog, args []any, stored []*RequestLog) ([]*RequestLog, error) {
	for _, r := range chunk {
		args = db.appendInsertArgs(args, r)
	}
	sanitizeForPostgres(args)
	var res *sql.Rows
	var err error
	if len(chunk) == maxRowsPerStatement {
		full, perr := db.preparedInsert(ctx)
		if perr != nil {
			return stored, perr
		}
		res, err = tx.StmtContext(ctx, full).QueryContext(ctx, args...)
	} else {
		// The rest of a batch: one statement of its own size.
		res, err = tx.QueryContext(ctx, db.insertLogsSQL(len(chunk)), args...)
	}
	if err != nil {
		return stored, err
	}
	return storedRows(res, chunk, stored)
}

// storedRows reads the request ids an INSERT ... RETURNING gave back and
// appends the chunk's rows that were stored: all of them as a rule, only
// those returned when some were already in the table (a replay) or the
// chunk named one request id twice.
func storedRows(res *sql.Rows, chunk, stored []*RequestLog) ([]*RequestLog, error) {
	defer res.Close()
	ids := make([]string, 0, len(chunk))
	for res.Next() {
		var id string
		if err := res.Scan(&id); err != nil {
			return stored, err
		}
		ids = append(ids, id)
	}
	if err := res.Err(); err != nil {
		return stored, err
	}
	if len(ids) == len(chunk) {
		return append(stored, chunk...), nil
	}
	left := make(map[string]int, len(ids))
	for _, id := range ids {
		left[id]++
	}
	for _, r := range chunk {
		if left[r.RequestID] > 0 {
			left[r.RequestID]--
			stored = append(stored, r)
		}
	}
	return stored, nil
}

// sqliteChunk inserts one chunk with the numbers written into the
// statement as literals and only the text bound. The pure-Go driver
// compiles a statement on every execution, prepared or not, and finds each
// bound parameter by a linear search over all arguments, so binding costs
// time quadratic in the number of parameters; a number's literal is
// cheaper than its parameter (BenchmarkLogWriterSQLite in bench/ measures
// the writer). Numbers are formatted by strconv: nothing from a request is
// ever part of the statement's text. The rows stored are appended to
// stored.
func (db *DB) sqliteChunk(ctx context.Context, tx *sql.Tx, chunk []*RequestLog, args []any, stored []*RequestLog) ([]*RequestLog, error) {
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
	res, err := tx.QueryContext(ctx, b.String(), args...)
	if err != nil {
		return stored, err
	}
	return storedRows(res, chunk, stored)
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

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"unicode/utf8"
)

// maxRowsPerStatement keeps a multi-row INSERT under PostgreSQL's limit of
// 65535 bound parameters.
const maxRowsPerStatement = 500

// sqliteRowsPerStatement is small on purpose: the pure-Go SQLite driver
// compiles the statement on every execution and binds parameters in time
// quadratic in their number, so neither one row per statement nor hundreds
// are fast. 16 rows (368 parameters) measured best (bench/sqlite_test.go).
const sqliteRowsPerStatement = 16

// logInsert is the prepared multi-row INSERT of a full chunk of log rows.
// It is prepared on first use, after the migrations have made the table:
// PostgreSQL checks the table when it prepares.
type logInsert struct {
	mu   sync.Mutex
	per  int // rows per statement
	stmt *sql.Stmt
}

// preparedInsert returns the full-chunk statement, preparing it once.
func (db *DB) preparedInsert(ctx context.Context) (*sql.Stmt, int, error) {
	li := &db.logInsert
	li.mu.Lock()
	defer li.mu.Unlock()
	if li.stmt == nil {
		li.per = maxRowsPerStatement
		if db.dialect == dialectSQLite {
			li.per = sqliteRowsPerStatement
		}
		stmt, err := db.writeSQL.PrepareContext(ctx, db.insertLogsSQL(li.per))
		if err != nil {
			return nil, 0, fmt.Errorf("prepare the log insert: %w", err)
		}
		li.stmt = stmt
	}
	return li.stmt, li.per, nil
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
// and returns how many were new (rows whose request_id is already stored
// are skipped, not duplicated). It is atomic: all rows or none.
func (db *DB) insertLogs(ctx context.Context, rows []*RequestLog) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	full, per, err := db.preparedInsert(ctx)
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
	}
	tx, err := db.writeSQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: begin: %w", len(rows), err)
	}
	defer func() { _ = tx.Rollback() }()

	var total int64
	args := make([]any, 0, min(len(rows), per)*len(logColumns))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = db.appendInsertArgs(args, r)
		}
		if db.dialect == dialectPostgres {
			sanitizeForPostgres(args)
		}
		var res sql.Result
		if len(chunk) == per {
			res, err = tx.StmtContext(ctx, full).ExecContext(ctx, args...)
		} else {
			// The rest of a batch: one statement of its own size.
			res, err = tx.ExecContext(ctx, db.insertLogsSQL(len(chunk)), args...)
		}
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
		total += n
	}
	clear(args) // no row's strings stay reachable
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("insert %d log rows: commit: %w", len(rows), err)
	}
	return total, nil
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

package store

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxRowsPerStatement keeps a multi-row INSERT under PostgreSQL's limit of
// 65535 bound parameters.
const maxRowsPerStatement = 500

// sqliteRowsPerStatement is small on purpose: the pure-Go SQLite driver
// re-parses the statement on every execution and binds parameters in time
// quadratic in their number, so neither one row per statement nor hundreds
// are fast. 16 rows (368 parameters) measured best, about 2.5x one row.
const sqliteRowsPerStatement = 16

// insertLogs writes rows and returns how many were new (rows whose
// request_id is already stored are skipped, not duplicated). It is atomic:
// all rows or none.
func (db *DB) insertLogs(ctx context.Context, rows []*RequestLog) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	if db.logInsert != nil {
		n, err := db.logInsert.insert(ctx, db, rows)
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
		return n, nil
	}
	tx, err := db.writeSQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: begin: %w", len(rows), err)
	}
	defer func() { _ = tx.Rollback() }()

	var total int64
	if db.dialect == dialectSQLite {
		total, err = db.insertLogsSQLite(ctx, tx, rows)
	} else {
		total, err = db.insertLogsPostgres(ctx, tx, rows)
	}
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
	}
	if err := tx.Commit(); err != nil {
		return 0, fmt.Errorf("insert %d log rows: commit: %w", len(rows), err)
	}
	return total, nil
}

// insertLogsSQLite writes rows 16 at a time (see sqliteRowsPerStatement).
func (db *DB) insertLogsSQLite(ctx context.Context, tx *sql.Tx, rows []*RequestLog) (int64, error) {
	return db.insertLogsChunked(ctx, tx, rows, sqliteRowsPerStatement)
}

// insertLogsPostgres sends multi-row INSERTs: one round trip per chunk.
func (db *DB) insertLogsPostgres(ctx context.Context, tx *sql.Tx, rows []*RequestLog) (int64, error) {
	return db.insertLogsChunked(ctx, tx, rows, maxRowsPerStatement)
}

// insertLogsChunked runs one multi-row INSERT per chunk of rows.
func (db *DB) insertLogsChunked(ctx context.Context, tx *sql.Tx, rows []*RequestLog, per int) (int64, error) {
	var total int64
	args := make([]any, 0, min(len(rows), per)*len(logColumns))
	fullSQL := db.insertLogsSQL(min(len(rows), per))
	for start := 0; start < len(rows); start += per {
		chunk := rows[start:min(start+per, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = db.appendInsertArgs(args, r)
		}
		if db.dialect == dialectPostgres {
			sanitizeForPostgres(args)
		}
		query := fullSQL
		if len(chunk) != min(len(rows), per) {
			query = db.insertLogsSQL(len(chunk))
		}
		res, err := tx.ExecContext(ctx, query, args...)
		if err != nil {
			return 0, err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, err
		}
		total += n
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

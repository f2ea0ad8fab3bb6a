package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"
)

// maxRowsPerStatement keeps a multi-row INSERT under both SQLite's (32766)
// and PostgreSQL's (65535) limits on bound parameters.
const maxRowsPerStatement = 500

// insertLogs writes rows and returns how many were new (rows whose
// request_id is already stored are skipped, not duplicated). It is atomic:
// all rows or none.
func (db *DB) insertLogs(ctx context.Context, rows []*RequestLog) (int64, error) {
	if len(rows) == 0 {
		return 0, nil
	}
	tx, err := db.writeSQL.BeginTx(ctx, nil)
	if err != nil {
		return 0, fmt.Errorf("insert %d log rows: begin: %w", len(rows), err)
	}
	defer func() { _ = tx.Rollback() }()

	var total int64
	args := make([]any, 0, min(len(rows), maxRowsPerStatement)*len(logColumns))
	for start := 0; start < len(rows); start += maxRowsPerStatement {
		chunk := rows[start:min(start+maxRowsPerStatement, len(rows))]
		args = args[:0]
		for _, r := range chunk {
			args = db.appendInsertArgs(args, r)
		}
		if db.dialect == dialectPostgres {
			sanitizeForPostgres(args)
		}
		res, err := tx.ExecContext(ctx, db.insertLogsSQL(len(chunk)), args...)
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
		total += n
	}
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

package store

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/aigw/aigw/pkg/store/sqliteraw"
)

// sqliteInsert is the log writer's own connection to the SQLite file, with
// the one-row INSERT compiled once. Through database/sql the driver
// compiled a 16-row INSERT again for every batch and matched its 368
// placeholders to arguments one by one, about half of the writer's CPU
// (docs/benchmark.md). It opens on first use, after migrations have made
// the table.
type sqliteInsert struct {
	path  string
	query string // the one-row INSERT (insertLogsSQL(1))

	mu   sync.Mutex
	conn *sqliteraw.Conn
	stmt *sqliteraw.Stmt
	args []any
}

// open connects with the same settings as the database/sql write pool.
func (s *sqliteInsert) open() error {
	if s.conn != nil {
		return nil
	}
	conn, err := sqliteraw.Open(s.path, busyTimeoutMs*time.Millisecond,
		"PRAGMA synchronous=NORMAL", "PRAGMA temp_store=MEMORY")
	if err != nil {
		return fmt.Errorf("open the SQLite database %s for the log writer: %w", s.path, err)
	}
	stmt, err := conn.Prepare(s.query)
	if err != nil {
		_ = conn.Close()
		return fmt.Errorf("prepare the log insert on %s: %w", s.path, err)
	}
	s.conn, s.stmt = conn, stmt
	return nil
}

// insert writes rows in one transaction and returns how many were new.
func (s *sqliteInsert) insert(ctx context.Context, db *DB, rows []*RequestLog) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := s.open(); err != nil {
		return 0, err
	}
	var total int64
	err := s.conn.Tx(ctx, func(tx *sqliteraw.Tx) error {
		total = 0
		for _, r := range rows {
			s.args = db.appendInsertArgs(s.args[:0], r)
			n, err := tx.Exec(s.stmt, s.args...)
			if err != nil {
				return err
			}
			total += n
		}
		return nil
	})
	clear(s.args) // no row's strings stay reachable
	if err != nil {
		return 0, err
	}
	return total, nil
}

func (s *sqliteInsert) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.conn == nil {
		return nil
	}
	err := s.conn.Close()
	s.conn, s.stmt = nil, nil
	return err
}

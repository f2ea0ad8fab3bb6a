package store

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/glebarez/sqlite" // pure Go; registers database/sql driver "sqlite"
	"gorm.io/gorm"

	"github.com/aigw/aigw/internal/config"
)

// busyTimeoutMs is how long a connection waits for another process's write
// lock (e.g. `aigw models fetch --add` while serve writes logs).
const busyTimeoutMs = 5000

// sqliteDSN splits a SQLite dsn into the file path (for creating its folder)
// and reports whether it is an in-memory database.
func sqliteDSN(dsn string) (path string, memory bool) {
	path, query, _ := strings.Cut(dsn, "?")
	path = strings.TrimPrefix(path, "file:")
	q, _ := url.ParseQuery(query)
	memory = path == ":memory:" || path == "" || q.Get("mode") == "memory"
	return path, memory
}

// withParams appends driver query parameters to a dsn that may already
// have some.
func withParams(dsn string, params ...string) string {
	sep := "?"
	if strings.Contains(dsn, "?") {
		sep = "&"
	}
	return dsn + sep + strings.Join(params, "&")
}

// sqliteDSNOrDefault is the dsn, or the default file when it is empty.
func sqliteDSNOrDefault(dsn string) string {
	if dsn == "" {
		return "data/aigw.db"
	}
	return dsn
}

func (db *DB) openSQLite(ctx context.Context, dsn string) error {
	db.dialect = dialectSQLite
	dsn = sqliteDSNOrDefault(dsn)
	path, memory := sqliteDSN(dsn)
	db.dataDir = dataDir(config.Database{Driver: dialectSQLite, DSN: dsn})
	if !memory {
		// The dsn is relative to the working directory, so data/ appears
		// where aigw was started.
		if err := os.MkdirAll(db.dataDir, 0o755); err != nil {
			return fmt.Errorf("create the folder %s for the SQLite database %s: %w", db.dataDir, path, err)
		}
	}

	busy := fmt.Sprintf("_pragma=busy_timeout(%d)", busyTimeoutMs)
	// _txlock=immediate: a write transaction takes the write lock at BEGIN,
	// so busy_timeout applies instead of failing on a lock upgrade.
	writeDSN := withParams(dsn, busy, "_pragma=journal_mode(WAL)", "_pragma=synchronous(NORMAL)",
		"_pragma=temp_store(MEMORY)", "_txlock=immediate")
	w, err := db.openSQLitePool(ctx, writeDSN, 1, path)
	if err != nil {
		return err
	}
	db.write = w
	if db.writeSQL, err = w.DB(); err != nil {
		return fmt.Errorf("open the SQLite database %s: %w", path, err)
	}
	if memory {
		// Each connection to :memory: is its own database: one pool only.
		db.read = w
		return nil
	}
	r, err := db.openSQLitePool(ctx, withParams(dsn, busy, "_pragma=query_only(1)"), 4, path)
	if err != nil {
		return err
	}
	db.read = r
	return nil
}

func (db *DB) openSQLitePool(ctx context.Context, dsn string, conns int, path string) (*gorm.DB, error) {
	sqlDB, err := sql.Open(sqlite.DriverName, dsn)
	if err != nil {
		return nil, fmt.Errorf("open the SQLite database %s: %w", path, err)
	}
	db.pools = append(db.pools, sqlDB)
	sqlDB.SetMaxOpenConns(conns)
	sqlDB.SetMaxIdleConns(conns)
	sqlDB.SetConnMaxIdleTime(0)
	if err := pingSQLite(ctx, sqlDB); err != nil {
		return nil, fmt.Errorf("open the SQLite database %s (check that its folder is writable): %w", path, err)
	}
	g, err := gorm.Open(sqlite.Dialector{Conn: sqlDB}, gormConfig(db.log))
	if err != nil {
		return nil, fmt.Errorf("open the SQLite database %s: %w", path, err)
	}
	return g, nil
}

// pingSQLite opens the first connection. Switching a new file to WAL needs
// an exclusive lock and SQLite may answer SQLITE_BUSY at once, without
// waiting busy_timeout, when another process opens the file at the same
// moment (serve and a CLI command started together): retry for a while.
func pingSQLite(ctx context.Context, sqlDB *sql.DB) error {
	deadline := time.Now().Add(busyTimeoutMs * time.Millisecond)
	for wait := 10 * time.Millisecond; ; wait = min(2*wait, 250*time.Millisecond) {
		err := sqlDB.PingContext(ctx)
		if err == nil || !isBusy(err) || time.Now().After(deadline) {
			return err
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(wait):
		}
	}
}

// isBusy reports a SQLite lock conflict (SQLITE_BUSY or SQLITE_LOCKED).
func isBusy(err error) bool {
	msg := err.Error()
	return strings.Contains(msg, "SQLITE_BUSY") || strings.Contains(msg, "SQLITE_LOCKED") || strings.Contains(msg, "database is locked")
}

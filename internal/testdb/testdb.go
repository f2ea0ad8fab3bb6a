// Package testdb gives tests a fresh database: a SQLite file in a temp
// folder or a fresh schema on the test PostgreSQL server, dropped at the
// end. It is for tests only.
package testdb

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for schema setup

	"github.com/aigw/aigw/internal/config"
)

// DefaultPostgresDSN is used when AIGW_TEST_POSTGRES_DSN is unset.
const DefaultPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

// SQLite is a SQLite database at data/aigw.db in a fresh temp folder.
func SQLite(t testing.TB) config.Database {
	return config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "data", "aigw.db"), Timezone: "Asia/Shanghai"}
}

// PostgresAdminDSN is the test server: $AIGW_TEST_POSTGRES_DSN or the local
// default. An unreachable server fails the test when CI is set (.ci/run
// starts one) and skips it elsewhere.
func PostgresAdminDSN(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv("AIGW_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = DefaultPostgresDSN
	}
	db, err := sql.Open("pgx", dsn)
	if err == nil {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		err = db.PingContext(ctx)
		cancel()
		db.Close()
	}
	if err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("PostgreSQL at %s is unreachable (CI must start it; set AIGW_TEST_POSTGRES_DSN): %v", dsn, err)
		}
		t.Skipf("PostgreSQL at %s is unreachable, skipping (start it or set AIGW_TEST_POSTGRES_DSN): %v", dsn, err)
	}
	return dsn
}

// Postgres is a fresh schema on the test server, dropped when the test
// ends, so parallel runs never see each other's tables.
func Postgres(t testing.TB) config.Database {
	t.Helper()
	admin := PostgresAdminDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "aigw_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if _, err := db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE"); err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		db.Close()
	})
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	return config.Database{Driver: "postgres", DSN: WithSearchPath(admin, schema), Timezone: "Asia/Shanghai"}
}

// WithSearchPath adds search_path to a URL or key=value DSN.
func WithSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	return dsn + " search_path=" + schema
}

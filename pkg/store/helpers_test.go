package store

import (
	"bufio"
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the schema setup

	"github.com/aigw/aigw/pkg/config"
)

const defaultTestPostgresDSN = "postgres://postgres@127.0.0.1:5432/test?sslmode=disable"

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sqliteConfig is a SQLite database in a fresh temporary folder.
func sqliteConfig(t testing.TB) config.Database {
	return config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "data", "aigw.db"), Timezone: "Asia/Shanghai"}
}

// postgresAdminDSN is the server the tests use: $AIGW_TEST_POSTGRES_DSN or
// the local default. An unreachable server fails the test under CI (where
// .ci/run starts one) and skips it elsewhere.
func postgresAdminDSN(t testing.TB) string {
	dsn := os.Getenv("AIGW_TEST_POSTGRES_DSN")
	if dsn == "" {
		dsn = defaultTestPostgresDSN
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

// postgresConfig is a fresh schema on the test server, dropped at the end,
// so parallel runs and tests never see each other's tables.
func postgresConfig(t testing.TB) config.Database {
	admin := postgresAdminDSN(t)
	var b [6]byte
	_, _ = rand.Read(b[:])
	schema := "aigw_test_" + hex.EncodeToString(b[:])
	db, err := sql.Open("pgx", admin)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_, err := db.Exec("DROP SCHEMA IF EXISTS " + schema + " CASCADE")
		if err != nil {
			t.Errorf("drop test schema %s: %v", schema, err)
		}
		db.Close()
	})
	if _, err := db.Exec("CREATE SCHEMA " + schema); err != nil {
		t.Fatalf("create test schema: %v", err)
	}
	return config.Database{Driver: "postgres", DSN: withSearchPath(admin, schema), Timezone: "Asia/Shanghai"}
}

// withSearchPath adds search_path to a URL or key=value DSN.
func withSearchPath(dsn, schema string) string {
	if strings.Contains(dsn, "://") {
		sep := "?"
		if strings.Contains(dsn, "?") {
			sep = "&"
		}
		return dsn + sep + "search_path=" + schema
	}
	return dsn + " search_path=" + schema
}

type dialectCase struct {
	name string
	cfg  func(testing.TB) config.Database
}

var dialects = []dialectCase{
	{"sqlite", sqliteConfig},
	{"postgres", postgresConfig},
}

// forEachDialect runs fn against a fresh SQLite file and a fresh
// PostgreSQL schema.
func forEachDialect(t *testing.T, fn func(t *testing.T, cfg config.Database)) {
	for _, d := range dialects {
		t.Run(d.name, func(t *testing.T) { fn(t, d.cfg(t)) })
	}
}

func mustOpen(t testing.TB, cfg config.Database) *DB {
	t.Helper()
	db, err := Open(context.Background(), cfg, WithLogger(discardLogger()))
	if err != nil {
		t.Fatalf("Open(%s): %v", cfg.Driver, err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// sampleRow has every column set to a distinct non-zero value.
func sampleRow(i int) *RequestLog {
	return &RequestLog{
		RequestID:        fmt.Sprintf("req_%06d", i),
		CreatedAt:        time.Date(2025, 9, 26, 7, 10, 50, 235_000_000, time.UTC).Add(time.Duration(i) * time.Second),
		Method:           "POST",
		Path:             "/v1/chat/completions",
		InboundFormat:    "openai",
		RequestedModel:   "gpt-fast",
		UpstreamModel:    "gpt-4o-mini",
		Provider:         "openai",
		KeyHint:          "sk-...c3f9",
		Stream:           true,
		StatusCode:       200,
		Error:            "none: 日本語 ok",
		LatencyMs:        1234,
		TTFTMs:           56,
		PromptTokens:     11,
		CompletionTokens: 22,
		TotalTokens:      33,
		Attempts:         2,
		RequestBytes:     345,
		ResponseBytes:    678,
		ClientIP:         "192.0.2.7",
		RequestBody:      `{"model":"gpt-fast","messages":[{"role":"user","content":"hi"}]}`,
		ResponseBody:     `{"id":"x","choices":[]}`,
	}
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func countRows(t testing.TB, db *DB) int64 {
	t.Helper()
	n, err := db.CountLogs(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func mustLoc(t testing.TB, name string) *time.Location {
	loc, err := time.LoadLocation(name)
	if err != nil {
		t.Fatal(err)
	}
	return loc
}

func discardLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newReader(f *os.File) *bufio.Reader { return bufio.NewReader(f) }

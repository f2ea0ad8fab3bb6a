package store

import (
	"bufio"
	"context"
	"fmt"
	"log/slog"
	"os"
	"testing"
	"time"

	_ "github.com/jackc/pgx/v5/stdlib" // "pgx" driver for the schema setup

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/testdb"
)

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

// sqliteConfig and postgresConfig give each test a fresh database.
func sqliteConfig(t testing.TB) config.Database { return testdb.SQLite(t) }

func postgresConfig(t testing.TB) config.Database { return testdb.Postgres(t) }

func postgresAdminDSN(t testing.TB) string { return testdb.PostgresAdminDSN(t) }

func withSearchPath(dsn, schema string) string { return testdb.WithSearchPath(dsn, schema) }

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
		CacheReadTokens:  4,
		CacheWriteTokens: 3,
		ReasoningTokens:  7,
		Cost:             ptr(0.000123456789),
		Route:            "smart",
		Tried:            "anthropic/claude-sonnet-4-5 503; openai/gpt-4o 200",
		Attempts:         2,
		Client:           "alice",
		ClientKeyHint:    "sk-aigw-...AbC9",
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

func ptr[T any](v T) *T { return &v }

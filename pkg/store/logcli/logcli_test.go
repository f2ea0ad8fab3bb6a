package logcli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/pkg/config"
	"github.com/aigw/aigw/pkg/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(),
		config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "aigw.db"), Timezone: "Asia/Shanghai"},
		store.WithLogger(discard()))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// seed writes rows through the real writer, as the gateway does.
func seed(t *testing.T, db *store.DB, rows ...*store.RequestLog) {
	t.Helper()
	w := db.NewWriter(store.WriterOptions{Logger: discard(), SpillPath: filepath.Join(t.TempDir(), "spill.jsonl")})
	for _, r := range rows {
		w.Enqueue(r)
	}
	require.NoError(t, w.Close(context.Background()))
}

var base = time.Date(2025, 9, 26, 7, 10, 50, 235_000_000, time.UTC)

func row(id string, sec int, requested, upstream, provider string, status int) *store.RequestLog {
	return &store.RequestLog{RequestID: id, CreatedAt: base.Add(time.Duration(sec) * time.Second),
		Method: "POST", Path: "/v1/chat/completions", RequestedModel: requested, UpstreamModel: upstream,
		Provider: provider, KeyHint: "sk-...c3f9", StatusCode: status, LatencyMs: int64(100 + sec),
		PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}
}

func decodeLines(t *testing.T, out string) []store.RequestLog {
	t.Helper()
	var rows []store.RequestLog
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		if line == "" {
			continue
		}
		var r store.RequestLog
		require.NoError(t, json.Unmarshal([]byte(line), &r), "each line is one JSON object: %q", line)
		rows = append(rows, r)
	}
	return rows
}

func reqIDs(rows []store.RequestLog) []string {
	var out []string
	for _, r := range rows {
		out = append(out, r.RequestID)
	}
	return out
}

func TestTailTableIsReadable(t *testing.T) {
	db := openDB(t)
	seed(t, db, row("a", 0, "gpt-fast", "gpt-4o-mini", "openai", 200), row("b", 1, "claude", "claude", "anthropic", 529))
	var out bytes.Buffer
	require.NoError(t, Tail(context.Background(), &out, db, TailOptions{}))
	s := out.String()
	assert.Contains(t, s, "2025-09-26 15:10:50.235 +08:00", "time in the configured zone")
	assert.Contains(t, s, "gpt-fast -> gpt-4o-mini")
	assert.Contains(t, s, "10/5")
	assert.Contains(t, s, "/v1/chat/completions")
	assert.Less(t, strings.Index(s, "gpt-fast"), strings.Index(s, "claude"), "newest at the bottom")
	assert.NotContains(t, s, "c3f9", "the table shows no key hint column")

	out.Reset()
	require.NoError(t, Tail(context.Background(), &out, db, TailOptions{Provider: "nobody"}))
	assert.Contains(t, out.String(), "no request logs match")
}

func TestTailJSONAndFilters(t *testing.T) {
	db := openDB(t)
	seed(t, db,
		row("a", 0, "gpt-fast", "gpt-4o-mini", "openai", 200),
		row("b", 1, "claude", "claude-sonnet-4-5", "anthropic", 429),
		row("c", 2, "gpt-4o-mini", "gpt-4o-mini", "azure", 502),
		row("d", 3, "gpt-fast", "gpt-4o-mini", "openai", 401),
	)
	tail := func(o TailOptions) []string {
		t.Helper()
		o.JSON = true
		var out bytes.Buffer
		require.NoError(t, Tail(context.Background(), &out, db, o))
		return reqIDs(decodeLines(t, out.String()))
	}
	assert.Equal(t, []string{"a", "b", "c", "d"}, tail(TailOptions{}))
	assert.Equal(t, []string{"c", "d"}, tail(TailOptions{Limit: 2}))
	assert.Equal(t, []string{"a", "c", "d"}, tail(TailOptions{Model: "gpt-4o-mini"}))
	assert.Equal(t, []string{"a", "d"}, tail(TailOptions{Provider: "openai"}))
	assert.Equal(t, []string{"b", "d"}, tail(TailOptions{Status: "4xx"}))
	assert.Equal(t, []string{"c"}, tail(TailOptions{Status: "5xx"}))
	assert.Equal(t, []string{"a"}, tail(TailOptions{Status: "200"}))

	var out bytes.Buffer
	err := Tail(context.Background(), &out, db, TailOptions{Status: "bad"})
	assert.ErrorContains(t, err, "2xx, 4xx, 5xx")

	out.Reset()
	require.NoError(t, Tail(context.Background(), &out, db, TailOptions{JSON: true, Limit: 1}))
	var m map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &m))
	assert.Equal(t, "2025-09-26T15:10:53.235+08:00", m["created_at"], "JSON time in the configured zone")
	assert.Equal(t, "sk-...c3f9", m["key_hint"])
}

// syncBuffer lets the test read what a following Tail writes meanwhile.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestTailFollowPrintsNewRowsUntilCancelled(t *testing.T) {
	db := openDB(t)
	seed(t, db, row("old", 0, "m", "m", "p", 200))
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() {
		done <- Tail(ctx, out, db, TailOptions{Follow: true, JSON: true, Provider: "p", Interval: 10 * time.Millisecond})
	}()
	waitUntil(t, func() bool { return strings.Contains(out.String(), `"old"`) })

	seed(t, db, row("new1", 1, "m", "m", "p", 200), row("other", 2, "m", "m", "q", 200))
	seed(t, db, row("new2", 3, "m", "m", "p", 500))
	waitUntil(t, func() bool { return strings.Contains(out.String(), `"new2"`) })
	cancel()
	require.NoError(t, <-done, "Ctrl-C ends follow mode without an error")
	assert.Equal(t, []string{"old", "new1", "new2"}, reqIDs(decodeLines(t, out.String())), "each row once, filters applied")
}

func TestTailFollowTableLines(t *testing.T) {
	db := openDB(t)
	ctx, cancel := context.WithCancel(context.Background())
	out := &syncBuffer{}
	done := make(chan error, 1)
	go func() { done <- Tail(ctx, out, db, TailOptions{Follow: true, Interval: 10 * time.Millisecond}) }()
	waitUntil(t, func() bool { return strings.Contains(out.String(), "latency ms") })
	seed(t, db, row("x", 0, "gpt-fast", "gpt-4o", "openai", 200))
	waitUntil(t, func() bool { return strings.Contains(out.String(), "gpt-fast -> gpt-4o") })
	cancel()
	require.NoError(t, <-done)
}

func waitUntil(t *testing.T, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatal("timed out")
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func TestStatsTableAndJSON(t *testing.T) {
	db := openDB(t)
	now := base.Add(time.Hour)
	var rows []*store.RequestLog
	for i := range 10 {
		status := 200
		if i == 9 {
			status = 500
		}
		r := row(fmt.Sprintf("g%d", i), i, "gpt-fast", "gpt-4o-mini", "openai", status)
		r.LatencyMs = int64(i+1) * 100
		rows = append(rows, r)
	}
	rows = append(rows, row("c", 0, "claude", "claude", "anthropic", 429))
	seed(t, db, rows...)

	var out bytes.Buffer
	require.NoError(t, Stats(context.Background(), &out, db, StatsOptions{Since: 24 * time.Hour, By: "model", JSON: true, Now: now}))
	var got []store.StatsRow
	require.NoError(t, json.Unmarshal(out.Bytes(), &got), out.String())
	require.Len(t, got, 2)
	assert.Equal(t, store.StatsRow{Group: "gpt-fast", Requests: 10, Errors: 1, ErrorRate: 0.1, P50LatencyMs: 500,
		P95LatencyMs: 1000, PromptTokens: 100, CompletionTokens: 50, TotalTokens: 150}, got[0])
	assert.Equal(t, 1.0, got[1].ErrorRate)

	out.Reset()
	require.NoError(t, Stats(context.Background(), &out, db, StatsOptions{By: "provider", Now: now}))
	s := out.String()
	assert.Contains(t, s, "by provider")
	assert.Contains(t, s, "openai")
	assert.Contains(t, s, "10.0%")
	assert.Contains(t, s, "18.2%", "total error rate 2/11")

	out.Reset()
	require.NoError(t, Stats(context.Background(), &out, db, StatsOptions{Since: time.Minute, Now: now.Add(48 * time.Hour)}))
	assert.Contains(t, out.String(), "try a longer --since")
	out.Reset()
	require.NoError(t, Stats(context.Background(), &out, db, StatsOptions{Since: time.Minute, JSON: true, Now: now.Add(48 * time.Hour)}))
	assert.JSONEq(t, "[]", out.String())

	assert.ErrorContains(t, Stats(context.Background(), &out, db, StatsOptions{By: "user"}), "model, provider or key")
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute, " 7d ": 7 * 24 * time.Hour,
	} {
		got, err := ParseAge(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "d", "30", "-1d", "0d", "1w", "xd"} {
		_, err := ParseAge(bad)
		assert.Error(t, err, bad)
	}
}

func TestPruneCommand(t *testing.T) {
	db := openDB(t)
	now := base.Add(40 * 24 * time.Hour)
	seed(t, db, row("old", 0, "m", "m", "p", 200), row("new", 0, "m", "m", "p", 200))
	// make "new" recent
	seed(t, db, &store.RequestLog{RequestID: "recent", CreatedAt: now.Add(-time.Hour)})
	var out bytes.Buffer
	require.NoError(t, Prune(context.Background(), &out, db, PruneOptions{OlderThan: 30 * 24 * time.Hour, Now: now}))
	assert.Contains(t, out.String(), "deleted 2 request log rows older than 2025-10-06 15:10:50.235 +08:00")
	n, err := db.CountLogs(context.Background())
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	assert.Error(t, Prune(context.Background(), &out, db, PruneOptions{}))
}

func TestMigrateCommand(t *testing.T) {
	cfg := config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "aigw.db"), Timezone: "UTC"}
	db, err := store.Open(context.Background(), cfg, store.WithoutMigrations(), store.WithLogger(discard()))
	require.NoError(t, err)
	defer db.Close()
	var out bytes.Buffer
	require.NoError(t, Migrate(context.Background(), &out, db))
	assert.Contains(t, out.String(), "applied 00001 00001_init.sql")
	out.Reset()
	require.NoError(t, Migrate(context.Background(), &out, db))
	assert.Equal(t, "sqlite database is up to date\n", out.String())
}

func TestShortDuration(t *testing.T) {
	assert.Equal(t, "1d", shortDuration(24*time.Hour))
	assert.Equal(t, "12h", shortDuration(12*time.Hour))
	assert.Equal(t, "1h30m", shortDuration(90*time.Minute))
	assert.Equal(t, "30s", shortDuration(30*time.Second))
}

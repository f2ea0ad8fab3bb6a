package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/store"
)

// at is a fixed instant the rows below are written around.
var at = time.Date(2025, 9, 26, 7, 10, 50, 235_000_000, time.UTC)

func rowAt(id string, sec int, requested, upstream, provider string, status int) *store.RequestLog {
	return &store.RequestLog{RequestID: id, CreatedAt: at.Add(time.Duration(sec) * time.Second),
		Method: "POST", Path: "/v1/chat/completions", RequestedModel: requested, UpstreamModel: upstream,
		Provider: provider, KeyHint: "sk-...c3f9", StatusCode: status, LatencyMs: int64(100 + sec),
		PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15}
}

func tailOpts(t *testing.T, e *logsEnv) (*logsTailOptions, *bytes.Buffer) {
	t.Helper()
	f, out, _ := testFactory(t, e.cfgPath)
	return &logsTailOptions{dbDeps: f.dbDeps(), out: out, interval: 10 * time.Millisecond, limit: 20}, out
}

func TestLogsTailTableIsReadable(t *testing.T) {
	e := newLogsEnv(t)
	priced := rowAt("a", 0, "gpt-fast", "gpt-4o-mini", "openai", 200)
	cost := 0.0001234
	priced.Cost = &cost
	e.seed(t, priced, rowAt("b", 1, "claude", "claude", "anthropic", 529))
	opts, out := tailOpts(t, e)
	require.NoError(t, runLogsTail(context.Background(), opts))
	s := out.String()
	assert.Contains(t, s, "0.000123", "the cost column")
	lines := strings.Split(s, "\n")
	for _, l := range lines {
		if strings.Contains(l, "claude") {
			assert.Regexp(t, `\s-\s`, l, "an unknown cost shows -, not 0")
			assert.NotContains(t, l, "0.000000")
		}
	}
	assert.Contains(t, s, "2025-09-26 15:10:50.235 +08:00", "time in the configured zone")
	assert.Contains(t, s, "gpt-fast -> gpt-4o-mini")
	assert.Contains(t, s, "10/5")
	assert.Contains(t, s, "/v1/chat/completions")
	assert.Less(t, strings.Index(s, "gpt-fast"), strings.Index(s, "claude"), "newest at the bottom")
	assert.NotContains(t, s, "c3f9", "the table shows no key hint column")

	out.Reset()
	opts.provider = "nobody"
	require.NoError(t, runLogsTail(context.Background(), opts))
	assert.Contains(t, out.String(), "no request logs match")
}

func TestLogsTailJSONLines(t *testing.T) {
	e := newLogsEnv(t)
	e.seed(t, rowAt("a", 0, "m", "m", "p", 200), rowAt("b", 3, "m", "m", "p", 200))
	opts, out := tailOpts(t, e)
	opts.json, opts.limit = true, 1
	require.NoError(t, runLogsTail(context.Background(), opts))
	var m map[string]any
	require.NoError(t, json.Unmarshal(out.Bytes(), &m))
	assert.Equal(t, "b", m["request_id"])
	assert.Equal(t, "2025-09-26T15:10:53.235+08:00", m["created_at"], "JSON time in the configured zone")
	assert.Equal(t, "sk-...c3f9", m["key_hint"])
}

// syncBuffer lets the test read what a following tail writes meanwhile.
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

func TestLogsTailFollowPrintsNewRowsUntilCancelled(t *testing.T) {
	e := newLogsEnv(t)
	e.seed(t, rowAt("old", 0, "m", "m", "p", 200))
	opts, _ := tailOpts(t, e)
	out := &syncBuffer{}
	opts.out, opts.follow, opts.json, opts.provider = out, true, true, "p"
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runLogsTail(ctx, opts) }()
	waitUntil(t, func() bool { return strings.Contains(out.String(), `"old"`) })

	e.seed(t, rowAt("new1", 1, "m", "m", "p", 200), rowAt("other", 2, "m", "m", "q", 200))
	e.seed(t, rowAt("new2", 3, "m", "m", "p", 500))
	waitUntil(t, func() bool { return strings.Contains(out.String(), `"new2"`) })
	cancel()
	require.NoError(t, <-done, "Ctrl-C ends follow mode without an error")
	var got []string
	for _, line := range strings.Split(strings.TrimSpace(out.String()), "\n") {
		var r store.RequestLog
		require.NoError(t, json.Unmarshal([]byte(line), &r), line)
		got = append(got, r.RequestID)
	}
	assert.Equal(t, []string{"old", "new1", "new2"}, got, "each row once, filters applied")
}

func TestLogsTailFollowTableLines(t *testing.T) {
	e := newLogsEnv(t)
	opts, _ := tailOpts(t, e)
	out := &syncBuffer{}
	opts.out, opts.follow = out, true
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- runLogsTail(ctx, opts) }()
	waitUntil(t, func() bool { return strings.Contains(out.String(), "latency ms") })
	e.seed(t, rowAt("x", 0, "gpt-fast", "gpt-4o", "openai", 200))
	waitUntil(t, func() bool { return strings.Contains(out.String(), "gpt-fast -> gpt-4o") })
	cancel()
	require.NoError(t, <-done)
}

func TestLogsStatsTableAndJSON(t *testing.T) {
	e := newLogsEnv(t)
	now := at.Add(time.Hour)
	var rows []*store.RequestLog
	for i := range 10 {
		status := 200
		if i == 9 {
			status = 500
		}
		r := rowAt(fmt.Sprintf("g%d", i), i, "gpt-fast", "gpt-4o-mini", "openai", status)
		r.LatencyMs = int64(i+1) * 100
		if i < 9 {
			c := 0.25 // the 500 has no price: the sum is a lower bound
			r.Cost = &c
		}
		rows = append(rows, r)
	}
	rows = append(rows, rowAt("c", 0, "claude", "claude", "anthropic", 429))
	e.seed(t, rows...)

	f, out, _ := testFactory(t, e.cfgPath)
	f.now = func() time.Time { return now }
	stats := func(since time.Duration, by string, asJSON bool) string {
		t.Helper()
		out.Reset()
		require.NoError(t, runLogsStats(context.Background(),
			&logsStatsOptions{dbDeps: f.dbDeps(), out: out, now: f.now, since: since, by: by, json: asJSON}))
		return out.String()
	}

	var got []store.StatsRow
	require.NoError(t, json.Unmarshal([]byte(stats(24*time.Hour, "model", true)), &got))
	require.Len(t, got, 2)
	cost := 2.25
	assert.Equal(t, store.StatsRow{Group: "gpt-fast", Requests: 10, Errors: 1, ErrorRate: 0.1, P50LatencyMs: 500,
		P95LatencyMs: 1000, PromptTokens: 100, CompletionTokens: 50, TotalTokens: 150, Cost: &cost, Unpriced: 1}, got[0])
	assert.Equal(t, 1.0, got[1].ErrorRate)
	assert.Nil(t, got[1].Cost, "claude has no price: unknown, not 0")

	s := stats(24*time.Hour, "model", false)
	assert.Contains(t, s, "2.250000+", "a sum with unpriced rows is marked as a lower bound")
	assert.Contains(t, s, "used tokens of models without a price")
	s = stats(24*time.Hour, "day", false)
	assert.Contains(t, s, "2025-09-25", "days in the configured zone")
	assert.Contains(t, s, "by day")

	s = stats(24*time.Hour, "provider", false)
	assert.Contains(t, s, "requests since 2025-09-25 16:10:50.235 +08:00 (last 1d), by provider")
	assert.Contains(t, s, "openai")
	assert.Contains(t, s, "10.0%")
	assert.Contains(t, s, "18.2%", "total error rate 2/11")

	f.now = func() time.Time { return now.Add(48 * time.Hour) }
	assert.Contains(t, stats(time.Minute, "model", false), "try a longer --since")
	assert.JSONEq(t, "[]", stats(time.Minute, "model", true))
}

func TestLogsPruneWithPinnedClock(t *testing.T) {
	e := newLogsEnv(t)
	now := at.Add(40 * 24 * time.Hour)
	e.seed(t, rowAt("old", 0, "m", "m", "p", 200), rowAt("old2", 1, "m", "m", "p", 200),
		&store.RequestLog{RequestID: "recent", CreatedAt: now.Add(-time.Hour)})
	f, out, _ := testFactory(t, e.cfgPath)
	f.now = func() time.Time { return now }
	require.NoError(t, runLogsPrune(context.Background(),
		&logsPruneOptions{dbDeps: f.dbDeps(), out: out, now: f.now, olderThan: 30 * 24 * time.Hour, batch: 1}))
	assert.Equal(t, "deleted 2 request log rows older than 2025-10-06 15:10:50.235 +08:00\n", out.String())
}

func TestParseAge(t *testing.T) {
	for in, want := range map[string]time.Duration{
		"30d": 30 * 24 * time.Hour, "1d12h": 36 * time.Hour, "12h": 12 * time.Hour, "90m": 90 * time.Minute, " 7d ": 7 * 24 * time.Hour,
	} {
		got, err := parseAge(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "d", "30", "-1d", "0d", "1w", "xd"} {
		_, err := parseAge(bad)
		assert.Error(t, err, bad)
	}
}

func TestShortDuration(t *testing.T) {
	for d, want := range map[time.Duration]string{
		24 * time.Hour: "1d", 12 * time.Hour: "12h", 90 * time.Minute: "1h30m", 30 * time.Second: "30s",
	} {
		assert.Equal(t, want, shortDuration(d))
	}
}

// TestLogsFlagsReachTheOptions checks the flag wiring through runF,
// without a database.
func TestLogsFlagsReachTheOptions(t *testing.T) {
	f, _, _ := testFactory(t, "unused.toml")
	var tail *logsTailOptions
	c := newCmdLogsTail(f, func(o *logsTailOptions) error { tail = o; return nil })
	c.SetArgs([]string{"-n", "5", "--status", "5xx", "--model", "m", "--provider", "p", "-f", "--json"})
	require.NoError(t, c.Execute())
	assert.Equal(t, 5, tail.limit)
	assert.Equal(t, "5xx", tail.status)
	assert.True(t, tail.follow && tail.json)
	assert.Equal(t, "m", tail.model)
	assert.Equal(t, "p", tail.provider)

	var stats *logsStatsOptions
	c = newCmdLogsStats(f, func(o *logsStatsOptions) error { stats = o; return nil })
	c.SetArgs([]string{"--since", "1d12h", "--by", "key"})
	require.NoError(t, c.Execute())
	assert.Equal(t, 36*time.Hour, stats.since)
	assert.Equal(t, "key", stats.by)

	var prune *logsPruneOptions
	c = newCmdLogsPrune(f, func(o *logsPruneOptions) error { prune = o; return nil })
	c.SetArgs([]string{"--older-than", "30d", "--batch", "50"})
	require.NoError(t, c.Execute())
	assert.Equal(t, 30*24*time.Hour, prune.olderThan)
	assert.Equal(t, 50, prune.batch)
}

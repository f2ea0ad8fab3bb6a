package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
)

// logsEnv is a config file whose SQLite database lives in a temp folder.
type logsEnv struct {
	cfgPath string
	db      config.Database
}

func newLogsEnv(t *testing.T) *logsEnv {
	t.Helper()
	dir := t.TempDir()
	e := &logsEnv{
		cfgPath: filepath.Join(dir, "custom-config.toml"),
		db:      config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "data", "aigw.db"), Timezone: "Asia/Shanghai"},
	}
	toml := fmt.Sprintf(`[database]
driver = "sqlite"
dsn = %q
timezone = "Asia/Shanghai"

[[providers]]
name = "openai"
type = "openai"
base_url = "http://127.0.0.1:9/v1"
api_keys = "sk-logs-test-key-0000"
`, e.db.DSN)
	require.NoError(t, os.WriteFile(e.cfgPath, []byte(toml), 0o600))
	return e
}

func (e *logsEnv) run(t *testing.T, args ...string) (string, error) {
	t.Helper()
	out, _, err := execCLI(context.Background(), e.cfgPath, args...)
	return out, err
}

// seed writes rows with the real writer, as serve does.
func (e *logsEnv) seed(t *testing.T, rows ...*store.RequestLog) {
	t.Helper()
	db, err := store.Open(context.Background(), e.db, store.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	defer db.Close()
	w := db.NewWriter(store.WriterOptions{Logger: slog.New(slog.DiscardHandler)})
	for _, r := range rows {
		w.Enqueue(r)
	}
	require.NoError(t, w.Close(context.Background()))
}

func logsRow(id string, age time.Duration, model, provider string, status int, latency int64) *store.RequestLog {
	return &store.RequestLog{RequestID: id, CreatedAt: time.Now().Add(-age), Method: "POST", Path: "/v1/chat/completions",
		RequestedModel: model, UpstreamModel: model + "-up", Provider: provider, KeyHint: "sk-...0000",
		StatusCode: status, LatencyMs: latency, PromptTokens: 3, CompletionTokens: 4, TotalTokens: 7}
}

func TestMigrateCommand(t *testing.T) {
	e := newLogsEnv(t)
	out, err := e.run(t, "migrate")
	require.NoError(t, err)
	assert.Contains(t, out, "applied 00001 00001_init.sql")
	_, err = os.Stat(e.db.DSN)
	require.NoError(t, err, "the database file was created")

	out, err = e.run(t, "migrate")
	require.NoError(t, err)
	assert.Equal(t, "sqlite database is up to date\n", out)
}

func TestLogsTailCommand(t *testing.T) {
	e := newLogsEnv(t)
	e.seed(t,
		logsRow("r1", 3*time.Minute, "gpt-4o", "openai", 200, 120),
		logsRow("r2", 2*time.Minute, "claude", "anthropic", 529, 900),
		logsRow("r3", time.Minute, "gpt-4o", "openai", 429, 15),
	)
	out, err := e.run(t, "logs", "tail", "--json")
	require.NoError(t, err)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	require.Len(t, lines, 3, out)
	var first store.RequestLog
	require.NoError(t, json.Unmarshal([]byte(lines[0]), &first))
	assert.Equal(t, "r1", first.RequestID)
	assert.Equal(t, "gpt-4o-up", first.UpstreamModel)
	assert.EqualValues(t, 120, first.LatencyMs)

	ids := func(out string) []string {
		var got []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			var r store.RequestLog
			require.NoError(t, json.Unmarshal([]byte(l), &r), l)
			got = append(got, r.RequestID)
		}
		return got
	}
	out, err = e.run(t, "logs", "tail", "--json", "--model", "gpt-4o-up", "--status", "4xx")
	require.NoError(t, err)
	assert.Equal(t, []string{"r3"}, ids(out))
	out, err = e.run(t, "logs", "tail", "--json", "--provider", "anthropic")
	require.NoError(t, err)
	assert.Equal(t, []string{"r2"}, ids(out))
	out, err = e.run(t, "logs", "tail", "--json", "-n", "1")
	require.NoError(t, err)
	assert.Equal(t, []string{"r3"}, ids(out))

	out, err = e.run(t, "logs", "tail")
	require.NoError(t, err)
	assert.Contains(t, out, "gpt-4o -> gpt-4o-up")
	assert.Contains(t, out, "+08:00")

	_, err = e.run(t, "logs", "tail", "--status", "2x")
	assert.ErrorContains(t, err, "4xx")
	_, err = e.run(t, "logs", "tail", "-n", "0")
	assert.ErrorContains(t, err, "positive")
}

func TestLogsTailFollowStopsOnCancel(t *testing.T) {
	e := newLogsEnv(t)
	e.seed(t, logsRow("r1", time.Minute, "m", "p", 200, 1))
	ctx, cancel := context.WithTimeout(context.Background(), 700*time.Millisecond) // as Ctrl-C would
	defer cancel()
	out, _, err := execCLI(ctx, e.cfgPath, "logs", "tail", "-f", "--json")
	require.NoError(t, err)
	assert.Contains(t, out, `"request_id":"r1"`)
}

func TestLogsStatsCommand(t *testing.T) {
	e := newLogsEnv(t)
	e.seed(t,
		logsRow("a", time.Minute, "gpt-4o", "openai", 200, 100),
		logsRow("b", time.Minute, "gpt-4o", "openai", 500, 300),
		logsRow("c", time.Minute, "gpt-4o", "openai", 200, 200),
		logsRow("d", time.Minute, "claude", "anthropic", 200, 50),
		logsRow("old", 3*24*time.Hour, "gpt-4o", "openai", 500, 9999),
	)
	out, err := e.run(t, "logs", "stats", "--json")
	require.NoError(t, err)
	var rows []store.StatsRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Len(t, rows, 2)
	assert.Equal(t, store.StatsRow{Group: "gpt-4o", Requests: 3, Errors: 1, ErrorRate: 1.0 / 3, P50LatencyMs: 200, P95LatencyMs: 300,
		PromptTokens: 9, CompletionTokens: 12, TotalTokens: 21, Unpriced: 3}, rows[0])

	out, err = e.run(t, "logs", "stats", "--since", "7d", "--by", "provider", "--json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	assert.EqualValues(t, 4, rows[0].Requests, "the 3-day-old row is inside 7d")

	out, err = e.run(t, "logs", "stats", "--by", "key")
	require.NoError(t, err)
	assert.Contains(t, out, "openai sk-...0000")
	assert.Contains(t, out, "by key")

	_, err = e.run(t, "logs", "stats", "--by", "user")
	assert.ErrorContains(t, err, "model, provider, key, client or day")
	_, err = e.run(t, "logs", "stats", "--since", "yesterday")
	assert.ErrorContains(t, err, "30d")
}

func TestLogsPruneCommand(t *testing.T) {
	e := newLogsEnv(t)
	e.seed(t, logsRow("old", 40*24*time.Hour, "m", "p", 200, 1), logsRow("new", time.Hour, "m", "p", 200, 1))
	out, err := e.run(t, "logs", "prune", "--older-than", "30d")
	require.NoError(t, err)
	assert.Contains(t, out, "deleted 1 request log rows older than")
	out, err = e.run(t, "logs", "tail", "--json")
	require.NoError(t, err)
	assert.Contains(t, out, `"new"`)
	assert.NotContains(t, out, `"old"`)

	_, err = e.run(t, "logs", "prune")
	assert.ErrorContains(t, err, "--older-than is required")
	_, err = e.run(t, "logs", "prune", "--older-than", "soon")
	assert.ErrorContains(t, err, "not an age")
}

package store

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/migrations"
)

// dashTarget is a (requested model, upstream model, provider) a seeded row
// uses; "fast" is an alias of gpt-4o-mini, the empty one a rejected request.
type dashTarget struct{ requested, upstream, provider string }

var dashTargets = []dashTarget{
	{"gpt-4o", "gpt-4o", "openai"},
	{"gpt-4o", "gpt-4o", "azure"},
	{"fast", "gpt-4o-mini", "openai"},
	{"claude-sonnet-4-5", "claude-sonnet-4-5", "anthropic"},
	{"deepseek-chat", "deepseek-chat", "deepseek"}, // no price: unpriced
	{"", "", ""},
}

var (
	dashClients  = []string{"", "alice", "bob", "carol"}
	dashStatuses = []int{200, 200, 200, 200, 200, 200, 400, 401, 429, 499, 500, 502, 503}
)

// dashBase is the seeded log's "now": the rows lie in the 36 h before it
// and the 12 h after, with no row in [dashBase-10h, dashBase-7h).
func dashBase(loc *time.Location) time.Time { return time.Date(2025, 9, 26, 0, 0, 0, 0, loc) }

// dashRows makes n rows from [from, to), skipping the gap; every tenth row
// has the same created_at as the one before (ties for the paging).
func dashRows(rng *rand.Rand, prefix string, n int, from, to time.Time) []*RequestLog {
	gapFrom, gapTo := dashBase(from.Location()).Add(-10*time.Hour), dashBase(from.Location()).Add(-7*time.Hour)
	rows := make([]*RequestLog, 0, n)
	for i := range n {
		at := from.Add(time.Duration(rng.Int64N(int64(to.Sub(from))))).Truncate(time.Millisecond)
		if !at.Before(gapFrom) && at.Before(gapTo) {
			at = at.Add(-4 * time.Hour)
		}
		if i%10 == 9 {
			at = rows[i-1].CreatedAt
		}
		tg := dashTargets[rng.IntN(len(dashTargets))]
		r := &RequestLog{
			RequestID:      fmt.Sprintf("%s_%05d", prefix, i),
			CreatedAt:      at,
			Method:         "POST",
			Path:           "/v1/chat/completions",
			RequestedModel: tg.requested,
			UpstreamModel:  tg.upstream,
			Provider:       tg.provider,
			Client:         dashClients[rng.IntN(len(dashClients))],
			StatusCode:     dashStatuses[rng.IntN(len(dashStatuses))],
			Stream:         rng.IntN(2) == 0,
			LatencyMs:      int64(math.Exp(rng.Float64() * 14)), // 1 ms .. 20 min
			RequestBody:    `{"n":` + fmt.Sprint(i) + `}`,
			ResponseBody:   "answer " + prefix,
		}
		if tg.provider == "" {
			r.StatusCode = 401
		}
		if r.Stream && rng.IntN(5) > 0 {
			r.TTFTMs = r.LatencyMs * rng.Int64N(100) / 100
		}
		if r.StatusCode == 200 {
			r.PromptTokens, r.CompletionTokens = 1+rng.Int64N(3000), rng.Int64N(800)
			r.TotalTokens = r.PromptTokens + r.CompletionTokens
			if tg.provider != "deepseek" {
				r.Cost = ptr(float64(r.PromptTokens)*2.5e-6 + float64(r.CompletionTokens)*1e-5)
			}
		}
		rows = append(rows, r)
	}
	return rows
}

// seedDashboard writes rows the three ways a row reaches the log: a direct
// batch insert, the Writer, and a spill file replayed by a new Writer (those
// rows are older than the Writer's, with newer ids, and the spill file also
// repeats rows already stored, which must count once).
func seedDashboard(t *testing.T, db *DB) {
	t.Helper()
	ctx := testCtx(t)
	loc := db.Location()
	base := dashBase(loc)
	rng := rand.New(rand.NewPCG(7, 11))
	direct := dashRows(rng, "direct", 500, base.Add(-36*time.Hour), base.Add(12*time.Hour))
	viaWriter := dashRows(rng, "writer", 400, base.Add(-2*time.Hour), base.Add(12*time.Hour))
	spilled := dashRows(rng, "spill", 300, base.Add(-36*time.Hour), base.Add(-20*time.Hour))

	_, err := db.insertLogs(ctx, direct)
	require.NoError(t, err)

	spillPath := filepath.Join(t.TempDir(), "spill.jsonl")
	w := db.NewWriter(WriterOptions{Logger: discardLogger(), SpillPath: spillPath, BatchSize: 64})
	for _, r := range viaWriter {
		w.Enqueue(r)
	}
	require.NoError(t, w.Close(ctx))

	// The database is down: the rows go to the spill file.
	down := db.newWriter(WriterOptions{Logger: discardLogger(), SpillPath: spillPath, ShutdownRetry: time.Millisecond},
		func(context.Context, []*RequestLog) (int64, error) { return 0, errors.New("database down") })
	for _, r := range spilled {
		down.Enqueue(r)
	}
	require.NoError(t, down.Close(ctx))
	// A replay cut short earlier: rows already stored are in the file too.
	require.NoError(t, down.spill.append(direct[:40], true))
	require.EqualValues(t, len(spilled)+40, down.Spilled())

	up := db.NewWriter(WriterOptions{Logger: discardLogger(), SpillPath: spillPath, FlushInterval: 10 * time.Millisecond})
	waitFor(t, 30*time.Second, "the spill file replayed", func() bool { return up.Spilled() == 0 })
	require.NoError(t, up.Close(ctx))
	require.EqualValues(t, len(direct)+len(viaWriter)+len(spilled), countRows(t, db))
}

// allLogs reads every log row, bodies included.
func allLogs(t *testing.T, db *DB) []RequestLog {
	t.Helper()
	rows, err := db.readLogs(testCtx(t), "SELECT "+selectLogColumns+" FROM request_logs ORDER BY id", nil, 0)
	require.NoError(t, err)
	return rows
}

// backfillStatements are the INSERTs of migration 00005, which fill the
// rollups from the rows already logged.
func backfillStatements(t testing.TB, dialect string) []string {
	t.Helper()
	fsys, err := migrations.For(dialect)
	require.NoError(t, err)
	text, err := fs.ReadFile(fsys, "00005_rollups.sql")
	require.NoError(t, err)
	up := strings.Split(strings.Split(string(text), "-- +goose Down")[0], "-- +goose Up")[1]
	var out []string
	for _, stmt := range strings.Split(up, ";") {
		var lines []string
		for _, l := range strings.Split(stmt, "\n") {
			if !strings.HasPrefix(strings.TrimSpace(l), "--") {
				lines = append(lines, l)
			}
		}
		if s := strings.TrimSpace(strings.Join(lines, "\n")); strings.HasPrefix(s, "INSERT INTO request_rollup") {
			out = append(out, s)
		}
	}
	require.Len(t, out, 5, "backfill statements of 00005")
	return out
}

// rollupSnapshot reads both rollup tables, keyed by their key columns.
func rollupSnapshot(t *testing.T, db *DB) map[string]rollupFigures {
	t.Helper()
	out := map[string]rollupFigures{}
	for _, q := range []string{
		"SELECT 'd', grain, bucket, provider, requested_model, client, " + strings.Join(rollupMetricColumns, ", ") + " FROM request_rollups",
		"SELECT 't', grain, bucket, '', '', '', " + strings.Join(rollupMetricColumns, ", ") + " FROM request_rollup_totals",
	} {
		rows, err := db.read.WithContext(testCtx(t)).Raw(q).Rows()
		require.NoError(t, err)
		for rows.Next() {
			var kind, p, m, c string
			var g, b int64
			var f rollupFigures
			require.NoError(t, rows.Scan(f.scanDest([]any{&kind, &g, &b, &p, &m, &c})...))
			out[fmt.Sprintf("%s %d %d %q %q %q", kind, g, b, p, m, c)] = f
		}
		require.NoError(t, rows.Err())
		rows.Close()
	}
	return out
}

package store

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

// logsAt builds a row with the fields the queries look at.
func logAt(id string, at time.Time, requested, upstream, provider, key string, status int, latency, pt, ct int64) *RequestLog {
	return &RequestLog{
		RequestID: id, CreatedAt: at, Method: "POST", Path: "/v1/chat/completions", InboundFormat: "openai",
		RequestedModel: requested, UpstreamModel: upstream, Provider: provider, KeyHint: key,
		StatusCode: status, LatencyMs: latency, PromptTokens: pt, CompletionTokens: ct, TotalTokens: pt + ct, Attempts: 1,
	}
}

func ids(rows []RequestLog) []string {
	out := make([]string, len(rows))
	for i, r := range rows {
		out[i] = r.RequestID
	}
	return out
}

func TestTailFiltersAndOrder(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		t0 := time.Date(2025, 9, 26, 0, 0, 0, 0, time.UTC)
		rows := []*RequestLog{
			logAt("a", t0.Add(1*time.Second), "gpt-fast", "gpt-4o-mini", "openai", "sk-...0001", 200, 100, 1, 1),
			logAt("b", t0.Add(2*time.Second), "claude", "claude-sonnet-4-5", "anthropic", "sk-...0002", 429, 10, 0, 0),
			logAt("c", t0.Add(3*time.Second), "gpt-4o-mini", "gpt-4o-mini", "azure", "sk-...0003", 500, 30, 0, 0),
			logAt("d", t0.Add(4*time.Second), "nope", "", "", "", 404, 1, 0, 0),
			logAt("e", t0.Add(5*time.Second), "gpt-fast", "gpt-4o-mini", "openai", "sk-...0001", 200, 90, 2, 2),
			// replayed from a spill file: inserted last, but made earliest
			logAt("z", t0, "gpt-fast", "gpt-4o-mini", "openai", "sk-...0001", 502, 5, 0, 0),
		}
		_, err := db.insertLogs(ctx, rows)
		require.NoError(t, err)

		tail := func(f TailFilter) []string {
			t.Helper()
			got, err := db.Tail(ctx, f)
			require.NoError(t, err)
			return ids(got)
		}
		assert.Equal(t, []string{"e", "d", "c", "b", "a", "z"}, tail(TailFilter{}), "newest first, by request time")
		assert.Equal(t, []string{"e", "d"}, tail(TailFilter{Limit: 2}))
		assert.Equal(t, []string{"e", "c", "a", "z"}, tail(TailFilter{Model: "gpt-4o-mini"}), "requested or upstream model")
		assert.Equal(t, []string{"e", "a", "z"}, tail(TailFilter{Model: "gpt-fast"}))
		assert.Equal(t, []string{"e", "a", "z"}, tail(TailFilter{Provider: "openai"}))
		assert.Equal(t, []string{"e", "a"}, tail(TailFilter{Status: "200"}))
		assert.Equal(t, []string{"d", "b"}, tail(TailFilter{Status: "4xx"}))
		assert.Equal(t, []string{"c", "z"}, tail(TailFilter{Status: "5xx"}))
		assert.Equal(t, []string{"z"}, tail(TailFilter{Status: "5xx", Provider: "openai", Model: "gpt-fast"}))
		assert.Empty(t, tail(TailFilter{Provider: "nobody"}))

		// Follow mode: rows after an id, in insertion order.
		all, err := db.Tail(ctx, TailFilter{})
		require.NoError(t, err)
		idOf := map[string]int64{}
		for _, r := range all {
			idOf[r.RequestID] = r.ID
		}
		assert.Equal(t, []string{"c", "d", "e", "z"}, tail(TailFilter{AfterID: idOf["b"]}))
		assert.Equal(t, []string{"c", "d"}, tail(TailFilter{AfterID: idOf["b"], Limit: 2}))
		assert.Equal(t, []string{"e", "z"}, tail(TailFilter{AfterID: idOf["b"], Provider: "openai"}))
		last, err := db.LastID(ctx)
		require.NoError(t, err)
		assert.Equal(t, idOf["z"], last)
		assert.Empty(t, tail(TailFilter{AfterID: last}))

		_, err = db.Tail(ctx, TailFilter{Status: "2x"})
		assert.ErrorContains(t, err, "4xx")
	})
}

func TestParseStatus(t *testing.T) {
	for in, want := range map[string][2]int{"200": {200, 200}, "4xx": {400, 499}, "5XX": {500, 599}, "429": {429, 429}} {
		lo, hi, err := ParseStatus(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, [2]int{lo, hi}, in)
	}
	for _, bad := range []string{"", "ok", "6xx", "99", "2000", "x4x"} {
		_, _, err := ParseStatus(bad)
		assert.Error(t, err, bad)
	}
}

func TestStatsOnAKnownDataSet(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		now := time.Date(2025, 9, 26, 12, 0, 0, 0, time.UTC)
		var rows []*RequestLog
		// gpt-fast on openai: 20 requests in the last hour, latencies
		// 10, 20, ..., 200 ms; 3 errors (429, 500, 401); 10+5 tokens each.
		for i := 1; i <= 20; i++ {
			status := 200
			switch i {
			case 3:
				status = 429
			case 7:
				status = 500
			case 11:
				status = 401
			}
			key := "sk-...aaaa"
			if i%2 == 0 {
				key = "sk-...bbbb"
			}
			rows = append(rows, logAt(fmt.Sprintf("g%d", i), now.Add(-time.Duration(i)*time.Minute),
				"gpt-fast", "gpt-4o-mini", "openai", key, status, int64(21-i)*10, 10, 5))
		}
		// claude on anthropic: 4 requests, latencies 1000, 2000, 3000, 4000;
		// one 529.
		for i := 1; i <= 4; i++ {
			status := 200
			if i == 4 {
				status = 529
			}
			rows = append(rows, logAt(fmt.Sprintf("c%d", i), now.Add(-time.Duration(i)*time.Hour),
				"claude", "claude-sonnet-4-5", "anthropic", "sk-...cccc", status, int64(i)*1000, 100, 50))
		}
		// Outside a 24h window.
		rows = append(rows, logAt("old", now.Add(-25*time.Hour), "gpt-fast", "gpt-4o-mini", "openai", "sk-...aaaa", 500, 99999, 1000, 1000))
		_, err := db.insertLogs(ctx, rows)
		require.NoError(t, err)

		got, err := db.Stats(ctx, StatsFilter{Since: 24 * time.Hour, By: "model", Now: now})
		require.NoError(t, err)
		assert.Equal(t, []StatsRow{
			{Group: "gpt-fast", Requests: 20, Errors: 3, ErrorRate: 0.15, P50LatencyMs: 100, P95LatencyMs: 190,
				PromptTokens: 200, CompletionTokens: 100, TotalTokens: 300, Unpriced: 20},
			{Group: "claude", Requests: 4, Errors: 1, ErrorRate: 0.25, P50LatencyMs: 2000, P95LatencyMs: 4000,
				PromptTokens: 400, CompletionTokens: 200, TotalTokens: 600, Unpriced: 4},
		}, got)

		got, err = db.Stats(ctx, StatsFilter{Since: 2*time.Hour + time.Minute, By: "provider", Now: now})
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "openai", got[0].Group)
		assert.Equal(t, StatsRow{Group: "anthropic", Requests: 2, P50LatencyMs: 1000, P95LatencyMs: 2000,
			PromptTokens: 200, CompletionTokens: 100, TotalTokens: 300, Unpriced: 2}, got[1])

		got, err = db.Stats(ctx, StatsFilter{By: "key", Now: now})
		require.NoError(t, err)
		require.Len(t, got, 3)
		assert.Equal(t, "anthropic sk-...cccc", got[2].Group)
		// odd i (aaaa): latencies 200,180,...,20 → 10 values; i=3,7,11 errors
		assert.Equal(t, StatsRow{Group: "openai sk-...aaaa", Requests: 10, Errors: 3, ErrorRate: 0.3,
			P50LatencyMs: 100, P95LatencyMs: 200, PromptTokens: 100, CompletionTokens: 50, TotalTokens: 150, Unpriced: 10}, got[0])

		got, err = db.Stats(ctx, StatsFilter{All: true, By: "provider", Now: now})
		require.NoError(t, err)
		assert.EqualValues(t, 21, got[0].Requests, "All includes the old row")
		assert.EqualValues(t, 200, got[0].P95LatencyMs, "rank ceil(0.95*21) = 20 of 21: not the 99999 outlier")
		assert.EqualValues(t, 2000+300, got[0].TotalTokens)

		_, err = db.Stats(ctx, StatsFilter{By: "color"})
		assert.ErrorContains(t, err, "model, provider, key, client or day")
	})
}

// TestStatsSumsCostAndGroupsByDay: cost sums only known costs (NULL is
// unknown, counted as unpriced, never as 0), and --by day takes the day in
// the configured zone (Asia/Shanghai: 16:30 UTC is the next day).
func TestStatsSumsCostAndGroupsByDay(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		now := time.Date(2025, 9, 28, 12, 0, 0, 0, time.UTC)
		priced := func(id string, at time.Time, model string, cost *float64, cr, cw, reasoning int64) *RequestLog {
			r := logAt(id, at, model, model, "openai", "sk-...aaaa", 200, 100, 1000, 500)
			r.Cost, r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens = cost, cr, cw, reasoning
			return r
		}
		day1 := time.Date(2025, 9, 26, 15, 59, 0, 0, time.UTC) // 23:59 on the 26th in Beijing
		day2 := time.Date(2025, 9, 26, 16, 30, 0, 0, time.UTC) // 00:30 on the 27th
		rows := []*RequestLog{
			priced("a", day1, "gpt-4o", ptr(0.0075), 200, 0, 0),
			priced("b", day1.Add(-time.Hour), "gpt-4o", ptr(0.0025), 0, 0, 0),
			priced("c", day2, "gpt-4o", nil, 0, 0, 0), // no price: unknown
			priced("d", day2.Add(time.Hour), "o3", ptr(0.012), 0, 100, 300),
			priced("e", day2.Add(2*time.Hour), "mystery", nil, 0, 0, 0), // never priced
		}
		rejected := logAt("f", day2, "gpt-4o", "", "", "", 401, 1, 0, 0) // no tokens: not unpriced
		rows = append(rows, rejected)
		_, err := db.insertLogs(ctx, rows)
		require.NoError(t, err)

		got, err := db.Stats(ctx, StatsFilter{All: true, By: "day", Now: now})
		require.NoError(t, err)
		require.Len(t, got, 2)
		assert.Equal(t, "2025-09-26", got[0].Group, "days oldest first")
		assert.Equal(t, "2025-09-27", got[1].Group)
		require.NotNil(t, got[0].Cost)
		assert.InDelta(t, 0.01, *got[0].Cost, 1e-12)
		assert.EqualValues(t, 0, got[0].Unpriced)
		assert.EqualValues(t, 200, got[0].CacheReadTokens)
		require.NotNil(t, got[1].Cost)
		assert.InDelta(t, 0.012, *got[1].Cost, 1e-12)
		assert.EqualValues(t, 2, got[1].Unpriced, "c and e used tokens without a price; the 401 used none")
		assert.EqualValues(t, 100, got[1].CacheWriteTokens)
		assert.EqualValues(t, 300, got[1].ReasoningTokens)

		got, err = db.Stats(ctx, StatsFilter{All: true, By: "model", Now: now})
		require.NoError(t, err)
		byGroup := map[string]StatsRow{}
		for _, r := range got {
			byGroup[r.Group] = r
		}
		require.NotNil(t, byGroup["gpt-4o"].Cost)
		assert.InDelta(t, 0.01, *byGroup["gpt-4o"].Cost, 1e-12)
		assert.EqualValues(t, 1, byGroup["gpt-4o"].Unpriced)
		assert.Nil(t, byGroup["mystery"].Cost, "a model never priced has no cost, not 0")
	})
}

func TestPercentileNearestRank(t *testing.T) {
	assert.EqualValues(t, 0, percentile(nil, 50))
	assert.EqualValues(t, 7, percentile([]int64{7}, 95))
	assert.EqualValues(t, 2, percentile([]int64{1, 2, 3, 4}, 50))
	assert.EqualValues(t, 4, percentile([]int64{1, 2, 3, 4}, 95))
	assert.EqualValues(t, 1, percentile([]int64{1, 2, 3, 4}, 1))
}

func TestPruneDeletesOldRowsInBatches(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		cutoff := time.Now().Add(-30 * 24 * time.Hour)
		var rows []*RequestLog
		for i := range 2345 {
			rows = append(rows, logAt(fmt.Sprintf("old%d", i), cutoff.Add(-time.Duration(i+1)*time.Minute), "m", "m", "p", "k", 200, 1, 0, 0))
		}
		for i := range 7 {
			rows = append(rows, logAt(fmt.Sprintf("new%d", i), cutoff.Add(time.Duration(i+1)*time.Second), "m", "m", "p", "k", 200, 1, 0, 0))
		}
		_, err := db.insertLogs(ctx, rows)
		require.NoError(t, err)

		n, err := db.Prune(ctx, cutoff, 500) // five batches of 500 or fewer
		require.NoError(t, err)
		assert.EqualValues(t, 2345, n)
		assert.EqualValues(t, 7, countRows(t, db))
		n, err = db.Prune(ctx, cutoff, 500)
		require.NoError(t, err)
		assert.Zero(t, n)
	})
}

func TestRetentionRunsUntilCancelled(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	ctx := testCtx(t)
	_, err := db.insertLogs(ctx, []*RequestLog{
		logAt("old", time.Now().Add(-50*time.Hour), "m", "m", "p", "k", 200, 1, 0, 0),
		logAt("new", time.Now().Add(-time.Hour), "m", "m", "p", "k", 200, 1, 0, 0),
	})
	require.NoError(t, err)
	rctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() { db.RunRetention(rctx, 2, 10*time.Millisecond); close(done) }()
	waitFor(t, 30*time.Second, "the old row pruned", func() bool { return countRows(t, db) == 1 })
	cancel()
	<-done
	rows, err := db.Tail(ctx, TailFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"new"}, ids(rows))

	db.RunRetention(ctx, 0, time.Millisecond) // off: returns at once
}

func TestCachedModels(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		v0, err := db.CatalogVersion(ctx)
		require.NoError(t, err)

		at := time.Date(2025, 9, 26, 7, 0, 0, 0, time.UTC)
		added, existing, err := db.AddCachedModels(ctx, "openai", []CachedModel{
			{ModelID: "gpt-4o", OwnedBy: "openai", Created: 1715367049, CachedAt: at},
			{ModelID: "GPT-4.1-Fast", OwnedBy: "system"},
		})
		require.NoError(t, err)
		assert.Equal(t, []string{"gpt-4o", "GPT-4.1-Fast"}, added)
		assert.Empty(t, existing)
		v1, err := db.CatalogVersion(ctx)
		require.NoError(t, err)
		assert.NotEqual(t, v0, v1)

		added, existing, err = db.AddCachedModels(ctx, "openai", []CachedModel{{ModelID: "gpt-4o"}, {ModelID: "o3"}})
		require.NoError(t, err)
		assert.Equal(t, []string{"o3"}, added)
		assert.Equal(t, []string{"gpt-4o"}, existing)
		_, _, err = db.AddCachedModels(ctx, "anthropic", []CachedModel{{ModelID: "gpt-4o"}}) // same id, other provider
		require.NoError(t, err)

		all, err := db.ListCachedModels(ctx, "")
		require.NoError(t, err)
		var names []string
		for _, m := range all {
			names = append(names, m.Provider+"/"+m.ModelID)
		}
		assert.Equal(t, []string{"anthropic/gpt-4o", "openai/GPT-4.1-Fast", "openai/gpt-4o", "openai/o3"}, names)

		oa, err := db.ListCachedModels(ctx, "openai")
		require.NoError(t, err)
		require.Len(t, oa, 3)
		assert.Equal(t, "gpt-4o", oa[1].ModelID)
		assert.Equal(t, "openai", oa[1].OwnedBy)
		assert.EqualValues(t, 1715367049, oa[1].Created)
		assert.True(t, at.Equal(oa[1].CachedAt), "cached_at round-trips: %s", oa[1].CachedAt)

		v2, _ := db.CatalogVersion(ctx)
		ok, err := db.RemoveCachedModel(ctx, "openai", "o3")
		require.NoError(t, err)
		assert.True(t, ok)
		ok, err = db.RemoveCachedModel(ctx, "openai", "o3")
		require.NoError(t, err)
		assert.False(t, ok)
		v3, _ := db.CatalogVersion(ctx)
		assert.NotEqual(t, v2, v3, "a removal changes the version")

		// remove one and add another: same count, still a new version
		_, err = db.RemoveCachedModel(ctx, "openai", "gpt-4o")
		require.NoError(t, err)
		_, _, err = db.AddCachedModels(ctx, "openai", []CachedModel{{ModelID: "o4"}})
		require.NoError(t, err)
		v4, _ := db.CatalogVersion(ctx)
		assert.NotEqual(t, v3, v4)
	})
}

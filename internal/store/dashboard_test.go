package store

import (
	"cmp"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

// expectOverview aggregates log rows directly, the slow way the rollups
// replace: buckets by the wall clock of loc (for steps that divide a day),
// exact percentiles.
func expectOverview(rows []RequestLog, loc *time.Location, q OverviewQuery) Overview {
	align := func(t time.Time) time.Time {
		t = t.In(loc)
		midnight := time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
		return midnight.Add(t.Sub(midnight) / q.Step * q.Step)
	}
	origin := align(q.From)
	end := origin
	for end.Before(q.To) {
		end = end.Add(q.Step)
	}
	type acc struct {
		OverviewStats
		lat, ttft []int64
	}
	n := int(end.Sub(origin) / q.Step)
	buckets := make([]acc, n)
	var total acc
	tops := [3]map[string]*OverviewTop{{}, {}, {}}
	for _, r := range rows {
		if r.CreatedAt.Before(origin) || !r.CreatedAt.Before(end) {
			continue
		}
		i := int(align(r.CreatedAt).Sub(origin) / q.Step)
		for _, a := range []*acc{&buckets[i], &total} {
			a.Requests++
			if r.StatusCode >= 400 {
				a.Errors++
			}
			a.PromptTokens += r.PromptTokens
			a.CompletionTokens += r.CompletionTokens
			if r.Cost != nil {
				a.Cost += *r.Cost
			} else if r.PromptTokens+r.CompletionTokens > 0 {
				a.Unpriced++
			}
			a.lat = append(a.lat, r.LatencyMs)
			if r.Stream && r.TTFTMs > 0 {
				a.ttft = append(a.ttft, r.TTFTMs)
			}
		}
		for k, name := range []string{r.RequestedModel, r.Provider, r.Client} {
			t := tops[k][name]
			if t == nil {
				t = &OverviewTop{Name: name}
				tops[k][name] = t
			}
			t.Requests++
			if r.StatusCode >= 400 {
				t.Errors++
			}
			t.Tokens += r.PromptTokens + r.CompletionTokens
			if r.Cost != nil {
				t.Cost += *r.Cost
			}
		}
	}
	finish := func(a *acc) OverviewStats {
		s := a.OverviewStats
		slices.Sort(a.lat)
		slices.Sort(a.ttft)
		// The exact percentiles; the test checks the reported bound holds them.
		s.LatencyP50, s.LatencyP95 = percentile(a.lat, 50), percentile(a.lat, 95)
		s.TTFTP50, s.TTFTP95 = percentile(a.ttft, 50), percentile(a.ttft, 95)
		return s
	}
	out := Overview{From: origin, To: end, Totals: finish(&total)}
	for i := range buckets {
		s := finish(&buckets[i])
		s.Time = origin.Add(time.Duration(i) * q.Step)
		out.Series = append(out.Series, s)
	}
	top := cmp.Or(q.Top, defaultOverviewTop)
	for k, dst := range []*[]OverviewTop{&out.TopModels, &out.TopProviders, &out.TopClients} {
		*dst = rankTops(tops[k], top)
	}
	return out
}

// assertBound checks that a reported percentile is the histogram bound of
// the exact one: exact lies in (previous bound, reported].
func assertBound(t *testing.T, what string, exact, reported int64, n int) {
	t.Helper()
	if n == 0 {
		assert.Zero(t, reported, what)
		return
	}
	b := histBucket(exact)
	want := histBounds[min(b, len(histBounds)-1)]
	assert.Equal(t, want, reported, "%s: exact %d ms", what, exact)
	if b > 0 && b < len(histBounds) {
		assert.Greater(t, exact, histBounds[b-1], what)
		assert.LessOrEqual(t, exact, reported, what)
	}
}

func assertStats(t *testing.T, what string, want, got OverviewStats) {
	t.Helper()
	assert.True(t, want.Time.Equal(got.Time), "%s: bucket %s, got %s", what, want.Time, got.Time)
	assert.Equal(t, want.Requests, got.Requests, what)
	assert.Equal(t, want.Errors, got.Errors, what)
	assert.Equal(t, want.PromptTokens, got.PromptTokens, what)
	assert.Equal(t, want.CompletionTokens, got.CompletionTokens, what)
	assert.InDelta(t, want.Cost, got.Cost, 1e-9, what)
	assert.Equal(t, want.Unpriced, got.Unpriced, what)
	assertBound(t, what+" latency p50", want.LatencyP50, got.LatencyP50, int(want.Requests))
	assertBound(t, what+" latency p95", want.LatencyP95, got.LatencyP95, int(want.Requests))
	nTTFT := 0
	if want.TTFTP50 > 0 {
		nTTFT = 1
	}
	assertBound(t, what+" ttft p50", want.TTFTP50, got.TTFTP50, nTTFT)
	assertBound(t, what+" ttft p95", want.TTFTP95, got.TTFTP95, nTTFT)
}

func TestOverviewMatchesTheLog(t *testing.T) {
	for _, zone := range []string{"Asia/Shanghai", "Asia/Kolkata"} { // +08:00, and +05:30 (no UTC hour grid)
		t.Run(zone, func(t *testing.T) {
			forEachDialect(t, func(t *testing.T, cfg config.Database) {
				cfg.Timezone = zone
				db := mustOpen(t, cfg)
				seedDashboard(t, db)
				rows := allLogs(t, db)
				loc := db.Location()
				now := dashBase(loc).Add(12 * time.Hour)
				cases := []struct {
					name string
					q    OverviewQuery
				}{
					{"1h by minute", OverviewQuery{From: now.Add(-time.Hour), To: now, Step: time.Minute}},
					{"24h by 15 min", OverviewQuery{From: now.Add(-24 * time.Hour), To: now, Step: 15 * time.Minute, Top: 2}},
					{"7d by 2h", OverviewQuery{From: now.Add(-7 * 24 * time.Hour), To: now, Step: 2 * time.Hour, Top: 3}},
					{"30d by 6h", OverviewQuery{From: now.Add(-30 * 24 * time.Hour), To: now, Step: 6 * time.Hour}},
					{"odd edges", OverviewQuery{From: dashBase(loc).Add(-31*time.Hour - 7*time.Minute - 30*time.Second),
						To: dashBase(loc).Add(5*time.Hour + 20*time.Second + time.Millisecond), Step: 15 * time.Minute, Top: 10}},
					{"the gap", OverviewQuery{From: dashBase(loc).Add(-11 * time.Hour), To: dashBase(loc).Add(-6 * time.Hour), Step: time.Hour}},
				}
				for _, c := range cases {
					t.Run(c.name, func(t *testing.T) {
						got, err := db.Overview(testCtx(t), c.q)
						require.NoError(t, err)
						want := expectOverview(rows, loc, c.q)
						require.NotZero(t, want.Totals.Requests)
						assert.True(t, want.From.Equal(got.From) && want.To.Equal(got.To), "range %s..%s, got %s..%s", want.From, want.To, got.From, got.To)
						require.Len(t, got.Series, len(want.Series))
						for i := range want.Series {
							assertStats(t, got.Series[i].Time.Format(time.RFC3339), want.Series[i], got.Series[i])
							// Aligned on the zone's wall clock.
							local := got.Series[i].Time.In(loc)
							day := time.Date(local.Year(), local.Month(), local.Day(), 0, 0, 0, 0, loc)
							assert.Zero(t, local.Sub(day)%c.q.Step, "bucket %s not aligned", local)
						}
						want.Totals.Time = time.Time{}
						assertStats(t, "totals", want.Totals, got.Totals)
						assertTops(t, "models", want.TopModels, got.TopModels)
						assertTops(t, "providers", want.TopProviders, got.TopProviders)
						assertTops(t, "clients", want.TopClients, got.TopClients)
					})
				}
				// The gap has empty buckets, present and zero.
				got, err := db.Overview(testCtx(t), cases[5].q)
				require.NoError(t, err)
				require.Len(t, got.Series, 5)
				for _, s := range got.Series[1:3] {
					assert.Zero(t, s.Requests, s.Time)
					assert.Zero(t, s.LatencyP95, s.Time)
				}
			})
		})
	}
}

func assertTops(t *testing.T, what string, want, got []OverviewTop) {
	t.Helper()
	require.Len(t, got, len(want), what)
	for i := range want {
		assert.Equal(t, want[i].Name, got[i].Name, what)
		assert.Equal(t, want[i].Requests, got[i].Requests, what)
		assert.Equal(t, want[i].Errors, got[i].Errors, what)
		assert.Equal(t, want[i].Tokens, got[i].Tokens, what)
		assert.InDelta(t, want[i].Cost, got[i].Cost, 1e-9, what)
	}
}

// The migration's backfill (SQL) and the writer's upserts (Go) bucket and
// count rows the same way.
func TestRollupBackfillMatchesTheWriter(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		db := mustOpen(t, cfg)
		seedDashboard(t, db)
		written := rollupSnapshot(t, db)
		require.NotEmpty(t, written)
		ctx := testCtx(t)
		require.NoError(t, db.write.WithContext(ctx).Exec("DELETE FROM request_rollups").Error)
		require.NoError(t, db.write.WithContext(ctx).Exec("DELETE FROM request_rollup_totals").Error)
		for _, stmt := range backfillStatements(t, db.Dialect()) {
			require.NoError(t, db.write.WithContext(ctx).Exec(stmt).Error, stmt[:60])
		}
		backfilled := rollupSnapshot(t, db)
		require.Len(t, backfilled, len(written))
		for k, w := range written {
			b, ok := backfilled[k]
			require.True(t, ok, k)
			assert.InDelta(t, w.cost, b.cost, 1e-9, k)
			w.cost, b.cost = 0, 0
			assert.Equal(t, w, b, k)
		}
	})
}

func TestPruneRollups(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		db := mustOpen(t, cfg)
		seedDashboard(t, db)
		cut := dashBase(db.Location()).Add(-20*time.Hour + 30*time.Minute + 7*time.Second)
		_, err := db.Prune(testCtx(t), cut, 100)
		require.NoError(t, err)
		kept := map[int64]int{}
		for k := range rollupSnapshot(t, db) {
			var kind string
			var g, b int64
			_, err := fmt.Sscan(k, &kind, &g, &b)
			require.NoError(t, err)
			assert.Greater(t, b+g, cut.Unix(), "bucket %s of grain %d is older than the cut", time.Unix(b, 0), g)
			if b < cut.Unix() {
				kept[g]++
			}
		}
		// The buckets holding the cut stay (day and hour; the minute has no row).
		assert.Positive(t, kept[grainDay])
		assert.Positive(t, kept[grainHour])
		// The log itself: nothing older than the cut.
		for _, r := range allLogs(t, db) {
			assert.False(t, r.CreatedAt.Before(cut), r.RequestID)
		}
	})
}

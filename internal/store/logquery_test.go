package store

import (
	"cmp"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

// matchLog is LogQuery's filter, written plainly.
func matchLog(q LogQuery, r RequestLog) bool {
	switch {
	case !q.From.IsZero() && r.CreatedAt.Before(q.From),
		!q.To.IsZero() && !r.CreatedAt.Before(q.To),
		q.Model != "" && r.RequestedModel != q.Model && r.UpstreamModel != q.Model,
		q.Provider != "" && r.Provider != q.Provider,
		q.Client != "" && r.Client != q.Client,
		q.RequestID != "" && r.RequestID != q.RequestID,
		q.StatusHi > 0 && (r.StatusCode < q.StatusLo || r.StatusCode > q.StatusHi):
		return false
	}
	return true
}

func rowIDs(rows []RequestLog) []int64 {
	out := make([]int64, len(rows))
	for i, r := range rows {
		out[i] = r.ID
	}
	return out
}

func TestQueryLogs(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		db := mustOpen(t, cfg)
		seedDashboard(t, db)
		ctx := testCtx(t)
		all := allLogs(t, db)
		base := dashBase(db.Location())

		// Newest first by (created_at, id); replayed rows (newer ids, older
		// times) sit among the rows of their time.
		newest := slices.Clone(all)
		slices.SortFunc(newest, func(a, b RequestLog) int {
			return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
		})
		byID := rowIDs(all[len(all)-50:])
		slices.Reverse(byID)
		require.NotEqual(t, rowIDs(newest[:50]), byID, "the seed must have rows out of id order")

		cases := []struct {
			name string
			q    LogQuery
		}{
			{"all", LogQuery{}},
			{"model, requested or upstream", LogQuery{Model: "gpt-4o"}},
			{"model alias", LogQuery{Model: "fast"}},
			{"upstream model", LogQuery{Model: "gpt-4o-mini"}},
			{"provider", LogQuery{Provider: "azure"}},
			{"client", LogQuery{Client: "bob"}},
			{"5xx", LogQuery{StatusLo: 500, StatusHi: 599}},
			{"429", LogQuery{StatusLo: 429, StatusHi: 429}},
			{"no such status", LogQuery{StatusLo: 300, StatusHi: 399}},
			{"model and 4xx", LogQuery{Model: "gpt-4o", StatusLo: 400, StatusHi: 499}},
			{"time range", LogQuery{From: base.Add(-30 * time.Hour), To: base.Add(-3 * time.Hour)}},
			{"range, client, 5xx", LogQuery{From: base.Add(-30 * time.Hour), To: base, Client: "alice", StatusLo: 500, StatusHi: 599}},
			{"request id", LogQuery{RequestID: "spill_00007"}},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var want []int64
				for _, r := range newest {
					if matchLog(c.q, r) {
						want = append(want, r.ID)
					}
				}
				if c.name != "no such status" {
					require.NotEmpty(t, want)
				}
				for _, limit := range []int{7, 50} {
					q := c.q
					q.Limit = limit
					var got []int64
					for page := 0; ; page++ {
						rows, err := db.QueryLogs(ctx, q)
						require.NoError(t, err)
						require.LessOrEqual(t, len(rows), limit)
						if len(rows) == 0 {
							break
						}
						for _, r := range rows {
							assert.Empty(t, r.RequestBody+r.ResponseBody, "no bodies in a page")
						}
						got = append(got, rowIDs(rows)...)
						q.BeforeID = rows[len(rows)-1].ID
						require.Less(t, page, len(all), "paging does not end")
					}
					assert.Equal(t, want, got, "limit %d: every row once, in order", limit)
				}

				// Live follow from a row in the middle: by id, oldest first.
				after := all[len(all)/3].ID
				var wantAfter, gotAfter []int64
				for _, r := range all {
					if r.ID > after && matchLog(c.q, r) {
						wantAfter = append(wantAfter, r.ID)
					}
				}
				q := c.q
				q.AfterID, q.Limit = after, 9
				for {
					rows, err := db.QueryLogs(ctx, q)
					require.NoError(t, err)
					if len(rows) == 0 {
						break
					}
					gotAfter = append(gotAfter, rowIDs(rows)...)
					q.AfterID = rows[len(rows)-1].ID
				}
				assert.Equal(t, wantAfter, gotAfter, "follow")
			})
		}

		t.Run("limits", func(t *testing.T) {
			rows, err := db.QueryLogs(ctx, LogQuery{})
			require.NoError(t, err)
			assert.Len(t, rows, defaultLogLimit)
			require.Greater(t, len(all), maxLogLimit)
			rows, err = db.QueryLogs(ctx, LogQuery{Limit: 10000})
			require.NoError(t, err)
			assert.Len(t, rows, maxLogLimit)
			_, err = db.QueryLogs(ctx, LogQuery{BeforeID: 5, AfterID: 3})
			assert.Error(t, err)
			_, err = db.QueryLogs(ctx, LogQuery{StatusLo: 500, StatusHi: 400})
			assert.Error(t, err)
			rows, err = db.QueryLogs(ctx, LogQuery{BeforeID: all[len(all)-1].ID + 100})
			require.NoError(t, err)
			assert.Empty(t, rows, "a row that is gone ends the pages")
		})

		t.Run("by id", func(t *testing.T) {
			want := all[len(all)/2]
			got, err := db.LogByID(ctx, want.ID)
			require.NoError(t, err)
			assert.Equal(t, want, got)
			assert.NotEmpty(t, got.RequestBody)
			assert.True(t, strings.HasPrefix(got.ResponseBody, "answer "))
			_, err = db.LogByID(ctx, all[len(all)-1].ID+1)
			assert.True(t, errors.Is(err, ErrLogNotFound), err)
		})
	})
}

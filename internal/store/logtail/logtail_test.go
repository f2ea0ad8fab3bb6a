package logtail

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
)

func openDB(t *testing.T) *store.DB {
	t.Helper()
	db, err := store.Open(context.Background(),
		config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "aigw.db"), Timezone: "UTC"},
		store.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	t.Cleanup(func() { db.Close() })
	return db
}

// seed writes rows through the real writer, as the gateway does.
func seed(t *testing.T, db *store.DB, rows ...*store.RequestLog) {
	t.Helper()
	w := db.NewWriter(store.WriterOptions{Logger: slog.New(slog.DiscardHandler), SpillPath: filepath.Join(t.TempDir(), "spill.jsonl")})
	for _, r := range rows {
		w.Enqueue(r)
	}
	require.NoError(t, w.Close(context.Background()))
}

var base = time.Date(2025, 9, 26, 7, 10, 50, 0, time.UTC)

func row(id string, sec int, requested, upstream, provider string, status int) *store.RequestLog {
	return &store.RequestLog{RequestID: id, CreatedAt: base.Add(time.Duration(sec) * time.Second),
		Method: "POST", Path: "/v1/chat/completions", RequestedModel: requested, UpstreamModel: upstream,
		Provider: provider, StatusCode: status}
}

func ids(rows []store.RequestLog) []string {
	out := []string{}
	for _, r := range rows {
		out = append(out, r.RequestID)
	}
	return out
}

func TestStartFiltersAndOrdersOldestFirst(t *testing.T) {
	db := openDB(t)
	seed(t, db,
		row("a", 0, "gpt-fast", "gpt-4o-mini", "openai", 200),
		row("b", 1, "claude", "claude-sonnet-4-5", "anthropic", 429),
		row("c", 2, "gpt-4o-mini", "gpt-4o-mini", "azure", 502),
		row("d", 3, "gpt-fast", "gpt-4o-mini", "openai", 401),
	)
	cases := []struct {
		name   string
		filter store.TailFilter
		want   []string
	}{
		{"all", store.TailFilter{}, []string{"a", "b", "c", "d"}},
		{"limit keeps the newest", store.TailFilter{Limit: 2}, []string{"c", "d"}},
		{"model matches requested or upstream", store.TailFilter{Model: "gpt-4o-mini"}, []string{"a", "c", "d"}},
		{"provider", store.TailFilter{Provider: "openai"}, []string{"a", "d"}},
		{"status class", store.TailFilter{Status: "4xx"}, []string{"b", "d"}},
		{"status code", store.TailFilter{Status: "200"}, []string{"a"}},
		{"nothing", store.TailFilter{Provider: "nobody"}, []string{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rows, _, err := Start(context.Background(), db, tc.filter)
			require.NoError(t, err)
			assert.Equal(t, tc.want, ids(rows))
		})
	}
	_, _, err := Start(context.Background(), db, store.TailFilter{Status: "bad"})
	assert.ErrorContains(t, err, "2xx, 4xx, 5xx")
}

func TestNextReturnsEachNewMatchingRowOnce(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	seed(t, db, row("old", 0, "m", "m", "p", 200))
	rows, f, err := Start(ctx, db, store.TailFilter{Provider: "p"})
	require.NoError(t, err)
	assert.Equal(t, []string{"old"}, ids(rows))

	next, err := f.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, next, "nothing new yet")

	seed(t, db, row("new1", 1, "m", "m", "p", 200), row("other", 2, "m", "m", "q", 200))
	seed(t, db, row("new2", 3, "m", "m", "p", 500))
	next, err = f.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"new1", "new2"}, ids(next), "filters applied, oldest first")
	next, err = f.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, next, "rows already returned are not returned again")
}

func TestNextFromAnEmptyTableIsOldestFirst(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	rows, f, err := Start(ctx, db, store.TailFilter{})
	require.NoError(t, err)
	assert.Empty(t, rows)
	seed(t, db, row("one", 0, "m", "m", "p", 200), row("two", 1, "m", "m", "p", 200), row("three", 2, "m", "m", "p", 200))
	next, err := f.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"one", "two", "three"}, ids(next))
	seed(t, db, row("four", 3, "m", "m", "p", 200))
	next, err = f.Next(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{"four"}, ids(next))
}

func TestNextPagesThroughABurst(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	seed(t, db, row("before", 0, "m", "m", "p", 200))
	_, f, err := Start(ctx, db, store.TailFilter{})
	require.NoError(t, err)
	burst := make([]*store.RequestLog, followPage+5)
	for i := range burst {
		burst[i] = row(fmt.Sprintf("r%d", i), i+1, "m", "m", "p", 200)
	}
	seed(t, db, burst...)
	next, err := f.Next(ctx)
	require.NoError(t, err)
	require.Len(t, next, followPage+5, "more rows than one page all come back")
	assert.Equal(t, "r0", next[0].RequestID)
	assert.Equal(t, fmt.Sprintf("r%d", followPage+4), next[len(next)-1].RequestID)
}

// racySource inserts a row between reading the position and the first
// page, as a busy gateway can: the row is in the page and after the
// position, and must be returned once.
type racySource struct {
	*store.DB
	t    *testing.T
	once bool
}

func (s *racySource) LastID(ctx context.Context) (int64, error) {
	id, err := s.DB.LastID(ctx)
	if !s.once {
		s.once = true
		seed(s.t, s.DB, row("between", 9, "m", "m", "p", 200))
	}
	return id, err
}

func TestRowInsertedDuringStartIsShownOnce(t *testing.T) {
	db := openDB(t)
	ctx := context.Background()
	seed(t, db, row("first", 0, "m", "m", "p", 200))
	rows, f, err := Start(ctx, &racySource{DB: db, t: t}, store.TailFilter{})
	require.NoError(t, err)
	assert.Equal(t, []string{"first", "between"}, ids(rows))
	next, err := f.Next(ctx)
	require.NoError(t, err)
	assert.Empty(t, next)
}

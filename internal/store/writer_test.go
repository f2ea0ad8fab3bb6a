package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

// fastWriter keeps the writer's timings short for tests.
func fastWriter(t testing.TB, spill string) WriterOptions {
	return WriterOptions{
		Logger:        discardLogger(),
		FlushInterval: 20 * time.Millisecond,
		RetryMin:      5 * time.Millisecond,
		RetryMax:      40 * time.Millisecond,
		ShutdownRetry: 200 * time.Millisecond,
		SpillPath:     spill,
	}
}

func TestEveryColumnRoundTrips(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		w := db.NewWriter(fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl")))
		want := *sampleRow(1)
		in := want
		w.Enqueue(&in)
		require.NoError(t, w.Close(ctx))
		assert.EqualValues(t, 1, w.Written())

		got, err := db.Tail(ctx, TailFilter{Limit: 10})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Positive(t, got[0].ID)
		assert.True(t, want.CreatedAt.Equal(got[0].CreatedAt), "instant: want %s got %s", want.CreatedAt, got[0].CreatedAt)
		assert.Equal(t, "Asia/Shanghai", got[0].CreatedAt.Location().String(), "read back in the configured zone")
		want.ID, want.CreatedAt = got[0].ID, got[0].CreatedAt
		assert.Equal(t, want, got[0])
	})
}

// TestABatchOfUnusualRowsRoundTrips writes more rows than one statement
// holds, with extreme numbers and text that looks like SQL, and reads
// every value back unchanged: SQLite's insert writes numbers as literals
// (sqliteChunk), so a column out of order or text reaching the statement
// would show here.
func TestABatchOfUnusualRowsRoundTrips(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		w := db.NewWriter(fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl")))
		const n = sqliteRowsPerStatement*2 + 3
		want := make([]RequestLog, n)
		for i := range want {
			r := sampleRow(i)
			r.Stream = i%2 == 0
			r.StatusCode = 100 + i
			r.LatencyMs, r.TTFTMs = math.MaxInt64-int64(i), -int64(i)
			r.PromptTokens, r.CompletionTokens, r.TotalTokens = int64(i)*3, int64(i)*5, math.MinInt64+int64(i)
			r.Attempts, r.RequestBytes, r.ResponseBytes = i, int64(i)<<40, 0
			r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens = int64(i)+1000, int64(i)+2000, math.MaxInt64-int64(i)
			switch i % 3 {
			case 0:
				r.Cost = nil // no price: NULL, not 0
			case 1:
				r.Cost = ptr(0.0)
			default:
				r.Cost = ptr(float64(i) * 1.234567890123e-7)
			}
			r.Error = fmt.Sprintf("'); DELETE FROM request_logs; -- ? $1 %d", i)
			r.Path = "/v1/chat/completions?x='1'"
			r.Client = fmt.Sprintf("team '%d'; --", i)
			r.ClientKeyHint = fmt.Sprintf("sk-aigw-...%04d", i)
			want[i] = *r
			in := *r
			w.Enqueue(&in)
		}
		require.NoError(t, w.Close(ctx))
		require.EqualValues(t, n, w.Written())

		got, err := db.Tail(ctx, TailFilter{Limit: n + 10})
		require.NoError(t, err)
		require.Len(t, got, n)
		byID := map[string]RequestLog{}
		for _, g := range got {
			byID[g.RequestID] = g
		}
		for _, r := range want {
			g, ok := byID[r.RequestID]
			require.True(t, ok, "row %s missing", r.RequestID)
			r.ID, r.CreatedAt = g.ID, g.CreatedAt
			assert.Equal(t, r, g)
		}
	})
}

func TestSQLiteStoresReadableLocalTime(t *testing.T) {
	cfg := sqliteConfig(t)
	db := mustOpen(t, cfg)
	ctx := testCtx(t)
	r := sampleRow(0) // 2025-09-26 07:10:50.235 UTC
	r.CreatedAt = r.CreatedAt.Add(720 * time.Microsecond)
	_, err := db.insertLogs(ctx, []*RequestLog{r})
	require.NoError(t, err)

	raw, err := sql.Open("sqlite", cfg.DSN)
	require.NoError(t, err)
	defer raw.Close()
	var text string
	require.NoError(t, raw.QueryRow("SELECT created_at FROM request_logs").Scan(&text))
	assert.Equal(t, "2025-09-26 15:10:50.235+08:00", text, "Beijing time, milliseconds, not the driver default")
}

func TestPostgresStoresTheInstantAsTimestamptz(t *testing.T) {
	cfg := postgresConfig(t)
	db := mustOpen(t, cfg)
	ctx := testCtx(t)
	r := sampleRow(0)
	_, err := db.insertLogs(ctx, []*RequestLog{r})
	require.NoError(t, err)

	var text string
	var typ string
	require.NoError(t, db.writeSQL.QueryRowContext(ctx,
		"SELECT created_at::text, pg_typeof(created_at)::text FROM request_logs").Scan(&text, &typ))
	assert.Equal(t, "timestamp with time zone", typ)
	assert.Equal(t, "2025-09-26 15:10:50.235+08", text, "shown in the session zone")
	var utc time.Time
	require.NoError(t, db.writeSQL.QueryRowContext(ctx, "SELECT created_at FROM request_logs").Scan(&utc))
	assert.True(t, utc.Equal(r.CreatedAt), "same instant: %s vs %s", utc, r.CreatedAt)
}

func TestCloseDrainsTheQueue(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		db := mustOpen(t, cfg)
		opts := fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl"))
		opts.FlushInterval = time.Hour // only size and Close flush
		const n = 5000
		// Room for every row: what overflows the queue is the next test's
		// case; here a slow machine must not turn the queue into a spill.
		opts.QueueSize = n
		w := db.NewWriter(opts)
		for i := range n {
			w.Enqueue(sampleRow(i))
		}
		require.NoError(t, w.Close(testCtx(t)))
		assert.EqualValues(t, n, countRows(t, db))
		assert.EqualValues(t, n, w.Written())
		assert.Zero(t, w.Spilled())
		assert.Zero(t, w.QueueDepth())
	})
}

func TestCloseDrainsABurstThatOverflowedTheQueue(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	opts := fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl"))
	opts.QueueSize = 16 // a burst far larger than the queue spills from Enqueue
	w := db.NewWriter(opts)
	const n = 3000
	for i := range n {
		w.Enqueue(sampleRow(i))
	}
	require.NoError(t, w.Close(testCtx(t)))
	assert.EqualValues(t, n, countRows(t, db), "spilled rows replayed at Close while the database works")
	assert.Zero(t, w.Spilled())
}

func TestEnqueueFillsMissingIDAndTime(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	w := db.NewWriter(fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl")))
	before := time.Now()
	w.Enqueue(&RequestLog{Path: "/v1/x", StatusCode: 401})
	w.Enqueue(&RequestLog{Path: "/v1/x", StatusCode: 401})
	w.Enqueue(nil)
	require.NoError(t, w.Close(testCtx(t)))
	rows, err := db.Tail(testCtx(t), TailFilter{})
	require.NoError(t, err)
	require.Len(t, rows, 2, "two rows without a request id are not merged")
	assert.NotEqual(t, rows[0].RequestID, rows[1].RequestID)
	assert.WithinDuration(t, before, rows[0].CreatedAt, 5*time.Second)
}

// flakyInsert wraps the real insert with a switch that makes the database
// fail, like an unwritable file or a server that is gone.
type flakyInsert struct {
	down  atomic.Bool
	calls atomic.Int64
	real  insertFunc
}

func (f *flakyInsert) insert(ctx context.Context, rows []*RequestLog) (int64, error) {
	f.calls.Add(1)
	if f.down.Load() {
		return 0, errors.New("simulated outage: database is locked")
	}
	return f.real(ctx, rows)
}

func TestOutageLosesNothingAndReplaysTheSpillOnce(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	spill := filepath.Join(t.TempDir(), "spill.jsonl")
	opts := fastWriter(t, spill)
	opts.QueueSize = 64
	opts.BatchSize = 50
	fi := &flakyInsert{real: db.insertLogs}
	fi.down.Store(true)
	w := db.newWriter(opts, fi.insert)

	const n = 2000
	var wg sync.WaitGroup
	for g := range 4 { // from several request goroutines, as the gateway does
		wg.Go(func() {
			for i := g; i < n; i += 4 {
				w.Enqueue(sampleRow(i))
				if i%100 == 0 {
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
	wg.Wait()
	waitFor(t, 30*time.Second, "every row in the spill file while the database is down", func() bool {
		return w.Spilled() == n && w.QueueDepth() == 0
	})
	assert.Zero(t, countRows(t, db), "nothing was written while the database was down")
	assert.Greater(t, fi.calls.Load(), int64(1), "the writer kept retrying")
	// Spilled counts the rows in the spill file and in the replay file it
	// is rotated to (failed replays are the writer's probe of the database).
	onDisk := func() int64 {
		a, err := countLines(spill)
		require.NoError(t, err)
		b, err := countLines(w.spill.replayPath)
		require.NoError(t, err)
		return a + b
	}
	waitFor(t, 30*time.Second, "Spilled to match the files", func() bool { return w.Spilled() == onDisk() })

	fi.down.Store(false) // the database is back
	waitFor(t, 30*time.Second, "every row in the database", func() bool { return countRows(t, db) == n })
	waitFor(t, 30*time.Second, "the spill file to be emptied", func() bool { return w.Spilled() == 0 })
	require.NoError(t, w.Close(testCtx(t)))

	assert.EqualValues(t, n, countRows(t, db), "each row exactly once")
	assert.EqualValues(t, n, w.Written())
	assertDistinctRequestIDs(t, db, n)
	for _, p := range []string{spill, w.spill.replayPath} {
		lines, err := countLines(p)
		require.NoError(t, err)
		assert.Zero(t, lines, "%s is empty after the replay", p)
	}
}

func assertDistinctRequestIDs(t *testing.T, db *DB, want int) {
	t.Helper()
	var distinct int
	require.NoError(t, db.read.Raw("SELECT COUNT(DISTINCT request_id) FROM request_logs").Scan(&distinct).Error)
	assert.Equal(t, want, distinct)
}

func TestShutdownWhileDownSpillsAndTheNextStartReplays(t *testing.T) {
	cfg := sqliteConfig(t)
	db := mustOpen(t, cfg)
	spill := filepath.Join(t.TempDir(), "spill.jsonl")
	fi := &flakyInsert{real: db.insertLogs}
	fi.down.Store(true)
	w := db.newWriter(fastWriter(t, spill), fi.insert)
	for i := range 50 {
		w.Enqueue(sampleRow(i))
	}
	start := time.Now()
	require.NoError(t, w.Close(testCtx(t)), "rows that reach the spill file are not an error")
	assert.Less(t, time.Since(start), 3*time.Second, "Close gives up on the database after ShutdownRetry")
	lines, err := countLines(spill)
	require.NoError(t, err)
	assert.EqualValues(t, 50, lines)
	assert.Zero(t, countRows(t, db))

	// Rows enqueued after Close are not lost either.
	w.Enqueue(sampleRow(50))
	lines, _ = countLines(spill)
	assert.EqualValues(t, 51, lines)

	// Next start, database healthy: the spill file is replayed.
	w2 := db.NewWriter(fastWriter(t, spill))
	assert.EqualValues(t, 51, w2.Spilled(), "rows found at start")
	waitFor(t, 30*time.Second, "the replay", func() bool { return countRows(t, db) == 51 && w2.Spilled() == 0 })
	require.NoError(t, w2.Close(testCtx(t)))
	assertDistinctRequestIDs(t, db, 51)
}

func TestReplayInterruptedByACrashInsertsEachRowOnce(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	ctx := testCtx(t)
	dir := t.TempDir()
	spill := filepath.Join(dir, "spill.jsonl")
	// A crash after rows 0..59 of the replay file were inserted, before the
	// file was removed; meanwhile rows 100..109 were spilled anew, and the
	// crash tore the last line of the spill file in half.
	var rotated, fresh []*RequestLog
	for i := range 100 {
		rotated = append(rotated, sampleRow(i))
	}
	for i := 100; i < 110; i++ {
		fresh = append(fresh, sampleRow(i))
	}
	_, err := db.insertLogs(ctx, rotated[:60])
	require.NoError(t, err)
	writeSpill(t, filepath.Join(dir, "spill.replay.jsonl"), rotated)
	writeSpill(t, spill, fresh)
	f, err := os.OpenFile(spill, os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString(`{"request_id":"req_torn","crea`)
	require.NoError(t, err)
	require.NoError(t, f.Close())

	w := db.NewWriter(fastWriter(t, spill))
	assert.EqualValues(t, 111, w.Spilled())
	w.Enqueue(sampleRow(200)) // a live row arriving during the replay
	waitFor(t, 30*time.Second, "both files replayed", func() bool { return w.Spilled() == 0 && countRows(t, db) == 111 })
	require.NoError(t, w.Close(ctx))
	assert.EqualValues(t, 111, countRows(t, db), "100 + 10 + 1 live, none twice, the torn line skipped")
	assertDistinctRequestIDs(t, db, 111)
	assert.EqualValues(t, 51, w.Written(), "only the 40 + 10 + 1 missing rows were new")
}

func writeSpill(t *testing.T, path string, rows []*RequestLog) {
	t.Helper()
	s, err := newSpillFile(path)
	require.NoError(t, err)
	if strings.HasSuffix(path, ".replay.jsonl") {
		// newSpillFile derives the replay path; write this file directly.
		s.path = path
	}
	require.NoError(t, s.append(rows, true))
	require.NoError(t, s.close())
}

func TestSpillAppendAfterATornLineKeepsTheNextRowReadable(t *testing.T) {
	path := filepath.Join(t.TempDir(), "spill.jsonl")
	require.NoError(t, os.WriteFile(path, []byte(`{"request_id":"a"}`+"\n"+`{"request_id":"to`), 0o600))
	s, err := newSpillFile(path)
	require.NoError(t, err)
	assert.EqualValues(t, 2, s.rows())
	require.NoError(t, s.append([]*RequestLog{{RequestID: "b"}}, true))
	require.NoError(t, s.close())

	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	sr := &spillReader{r: newReader(f)}
	var ids []string
	for {
		r, err := sr.next()
		if err != nil {
			break
		}
		ids = append(ids, r.RequestID)
	}
	assert.Equal(t, []string{"a", "b"}, ids)
	assert.Equal(t, 1, sr.bad)
}

func TestWriterGaugesDuringAnOutage(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	fi := &flakyInsert{real: db.insertLogs}
	fi.down.Store(true)
	w := db.newWriter(fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl")), fi.insert)
	require.NoError(t, w.Health(), "healthy before any write")
	for i := range 300 {
		w.Enqueue(sampleRow(i))
	}
	waitFor(t, 30*time.Second, "rows in the spill file", func() bool { return w.Spilled() == 300 && w.QueueDepth() == 0 })
	require.ErrorContains(t, w.Health(), "simulated outage")
	fi.down.Store(false)
	waitFor(t, 30*time.Second, "rows written", func() bool { return w.Spilled() == 0 && w.Written() == 300 })
	require.NoError(t, w.Health(), "healthy again after a write worked")
	require.NoError(t, w.Close(testCtx(t)))
}

func ExampleWriter() {
	ctx := context.Background()
	dir, _ := os.MkdirTemp("", "aigw-example")
	defer os.RemoveAll(dir)
	db, err := Open(ctx, config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "aigw.db"), Timezone: "Asia/Shanghai"})
	if err != nil {
		panic(err)
	}
	defer db.Close()
	w := db.NewWriter(WriterOptions{})
	w.Enqueue(&RequestLog{RequestID: "req_1", Path: "/v1/chat/completions", StatusCode: 200})
	if err := w.Close(ctx); err != nil { // on shutdown: drains the queue
		panic(err)
	}
	n, _ := db.CountLogs(ctx)
	fmt.Println(n)
	// Output: 1
}

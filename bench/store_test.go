package bench

import (
	"context"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
)

// openSQLite opens a fresh SQLite log store in a temporary folder, as
// `aigw serve` does with the default [database] section.
func openSQLite(tb testing.TB) *store.DB {
	tb.Helper()
	db, err := store.Open(context.Background(), config.Database{
		Driver: "sqlite", DSN: filepath.Join(tb.TempDir(), "aigw.db"), Timezone: "Asia/Shanghai",
	})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { _ = db.Close() })
	return db
}

// TestMain silences the default logger: the store logs its migrations on
// every open, which would bury the benchmark lines.
func TestMain(m *testing.M) {
	slog.SetDefault(quietLogger())
	os.Exit(m.Run())
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

// rowSeq keeps request ids unique: the writer skips a row whose id is
// already stored, which would make the benchmark wait for it forever.
var rowSeq atomic.Uint64

// logRow is a row as the gateway fills it for a non-stream chat request.
func logRow(i int) *store.RequestLog {
	return &store.RequestLog{
		RequestID: "req_bench_" + strconv.FormatUint(rowSeq.Add(1), 10), CreatedAt: time.Now(),
		Method: "POST", Path: "/v1/chat/completions", InboundFormat: "openai",
		RequestedModel: "mock-openai/mock-gpt-4o", UpstreamModel: "mock-gpt-4o", Provider: "mock-openai",
		KeyHint: "moc...ey-1", StatusCode: 200, LatencyMs: 1, TTFTMs: 1, PromptTokens: 40, CompletionTokens: 30,
		TotalTokens: 70, Attempts: 1, RequestBytes: 330, ResponseBytes: int64(400 + i%7), ClientIP: "127.0.0.1",
	}
}

// BenchmarkLogEnqueue is what the request path pays to hand its row to the
// async SQLite writer. One op enqueues a batch of rows while the writer
// inserts into SQLite on the other core, as in a running gateway; then,
// off the clock, the benchmark waits until the batch is committed, so the
// queue never fills and nothing takes the spill-file path. ns/row is the
// request path's cost (timed around Enqueue alone); rows/s is how fast
// SQLite took the rows, the rate of log rows the gateway can sustain.
// ns/op includes the wait, so the run stays near one second.
func BenchmarkLogEnqueue(b *testing.B) {
	const batch = 4096
	db := openSQLite(b)
	w := db.NewWriter(store.WriterOptions{Logger: quietLogger(), QueueSize: 2 * batch,
		SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")})
	rows := make([]store.RequestLog, batch)
	var enqueue, drain time.Duration
	b.ReportAllocs()
	for b.Loop() {
		for i := range rows {
			rows[i] = *logRow(i) // a fresh row: the writer owns what it is given
		}
		start := time.Now()
		for i := range rows {
			w.Enqueue(&rows[i])
		}
		enqueue += time.Since(start)
		target := w.Written() + batch
		for w.Written() < target && w.Spilled() == 0 {
			time.Sleep(time.Millisecond)
		}
		drain += time.Since(start)
	}
	b.ReportMetric(float64(enqueue.Nanoseconds())/float64(b.N*batch), "ns/row")
	b.ReportMetric(float64(b.N*batch)/drain.Seconds(), "rows/s")
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
	if s := w.Spilled(); s > 0 {
		b.Errorf("%d rows spilled to the file: the writer fell behind", s)
	}
}

// BenchmarkLogWriterSQLite is the writer at saturation: rows already
// queued, from Enqueue to committed in SQLite through Close, which drains
// the queue (the target is at least 20,000 rows/s). rows/s is wall time;
// rows/cpu-s divides by the CPU the process used instead, the writer's
// rate on a core of its own, steadier on a shared machine.
func BenchmarkLogWriterSQLite(b *testing.B) {
	const rowsPerOp = 10000
	db := openSQLite(b)
	rows := make([]store.RequestLog, rowsPerOp)
	var wall, cpu time.Duration
	for b.Loop() {
		for i := range rows {
			rows[i] = *logRow(i)
		}
		w := db.NewWriter(store.WriterOptions{Logger: quietLogger(), QueueSize: rowsPerOp,
			SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")})
		start, cpu0 := time.Now(), processCPU()
		for i := range rows {
			w.Enqueue(&rows[i])
		}
		if err := w.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		wall += time.Since(start)
		cpu += processCPU() - cpu0
		if w.Written() != rowsPerOp {
			b.Fatalf("written %d of %d", w.Written(), rowsPerOp)
		}
	}
	b.ReportMetric(float64(b.N*rowsPerOp)/wall.Seconds(), "rows/s")
	b.ReportMetric(float64(b.N*rowsPerOp)/cpu.Seconds(), "rows/cpu-s")
}

package store

import (
	"context"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// BenchmarkEnqueue is what the request path pays per log row while the
// queue has room: a row built and handed over, nothing else. The insert is
// a no-op and the queue holds b.N rows, so the number is the hand-over's,
// not SQLite's (BenchmarkWriterThroughputSQLite) nor the spill file's
// (BenchmarkEnqueueSQLiteOverload): a benchmark loop produces rows far
// faster than any gateway and would otherwise overflow any queue.
func BenchmarkEnqueue(b *testing.B) {
	db := mustOpen(b, sqliteConfig(b))
	w := db.newWriter(WriterOptions{Logger: discardLogger(), QueueSize: b.N + 1, SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")},
		func(_ context.Context, rows []*RequestLog) (int64, error) { return int64(len(rows)), nil })
	tmpl := *sampleRow(0)
	tmpl.RequestBody, tmpl.ResponseBody = "", ""
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		r := tmpl // the gateway builds one row per request
		w.Enqueue(&r)
	}
	b.StopTimer()
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(w.Spilled()), "spilled")
}

// BenchmarkEnqueueSQLiteOverload is the worst case: the real SQLite writer
// with the default queue, fed far faster than SQLite writes, so most rows
// take the spill-file path. Still microseconds, and nothing is dropped.
func BenchmarkEnqueueSQLiteOverload(b *testing.B) {
	db := mustOpen(b, sqliteConfig(b))
	w := db.NewWriter(WriterOptions{Logger: discardLogger(), SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")})
	tmpl := *sampleRow(0)
	tmpl.RequestBody, tmpl.ResponseBody = "", ""
	b.ReportAllocs()
	for b.Loop() {
		r := tmpl
		r.RequestID = "" // a fresh id each, as unique as the gateway's
		w.Enqueue(&r)
	}
	b.StopTimer()
	// Not timed, and not waited for: what is queued goes to the spill file.
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := w.Close(ctx); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkWriterThroughputSQLite is rows per second from Enqueue to
// committed in SQLite (target: at least 20,000 rows/s; bench's
// BenchmarkLogWriterSQLite also reports it per CPU second).
func BenchmarkWriterThroughputSQLite(b *testing.B) {
	db := mustOpen(b, sqliteConfig(b))
	const rowsPerOp = 10000
	rows := make([]RequestLog, rowsPerOp)
	b.ResetTimer()
	start := time.Now()
	for op := range b.N {
		w := db.NewWriter(WriterOptions{Logger: discardLogger(), QueueSize: rowsPerOp, SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")})
		for i := range rows {
			rows[i] = *sampleRow(op*rowsPerOp + i)
			rows[i].RequestBody, rows[i].ResponseBody = "", "" // store_bodies = false, the default
			w.Enqueue(&rows[i])
		}
		if err := w.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
		if w.Written() != rowsPerOp {
			b.Fatalf("written %d of %d", w.Written(), rowsPerOp)
		}
	}
	b.ReportMetric(float64(b.N*rowsPerOp)/time.Since(start).Seconds(), "rows/s")
}

// BenchmarkInsertBatchSQLite is one writer batch (256 rows, no bodies)
// inserted with its rollups, per row: "same-key" rows share a model,
// provider and client (one rollup row per minute), "varied" rows spread
// over 6 models, 3 providers and 8 clients (dozens of rollup rows a batch).
func BenchmarkInsertBatchSQLite(b *testing.B) {
	for _, varied := range []bool{false, true} {
		name := "same-key"
		if varied {
			name = "varied"
		}
		b.Run(name, func(b *testing.B) {
			db := mustOpen(b, sqliteConfig(b))
			ctx := context.Background()
			const batch = 256
			rows := make([]*RequestLog, batch)
			b.ResetTimer()
			cpu0 := processCPU(b)
			for op := range b.N {
				for i := range rows {
					n := op*batch + i
					r := sampleRow(n)
					r.RequestBody, r.ResponseBody = "", ""
					r.CreatedAt = r.CreatedAt.Add(-time.Duration(n) * time.Second).Add(time.Duration(n) * 50 * time.Millisecond)
					if varied {
						r.RequestedModel = []string{"gpt-4o", "gpt-4o-mini", "claude-sonnet-4-5", "deepseek-chat", "qwen-max", "o3"}[n%6]
						r.Provider = []string{"openai", "azure", "anthropic"}[n%3]
						r.Client = []string{"", "alice", "bob", "carol", "dave", "erin", "frank", "grace"}[(n/7)%8]
					}
					rows[i] = r
				}
				if _, err := db.insertLogs(ctx, rows); err != nil {
					b.Fatal(err)
				}
			}
			// CPU time, not wall time: on a busy machine it is the steadier figure.
			b.ReportMetric(float64(processCPU(b)-cpu0)/float64(b.N*batch), "cpu-ns/row")
		})
	}
}

// processCPU is the CPU time the process used so far (user and system).
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

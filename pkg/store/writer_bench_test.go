package store

import (
	"context"
	"path/filepath"
	"testing"
	"time"
)

// BenchmarkEnqueue is the cost the request path pays per log row: it must
// be microseconds, whatever the database does. The writer drains into
// SQLite meanwhile; a huge queue keeps the benchmark off the spill path.
func BenchmarkEnqueue(b *testing.B) {
	db := mustOpen(b, sqliteConfig(b))
	opts := WriterOptions{Logger: discardLogger(), QueueSize: b.N + 1, SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")}
	w := db.NewWriter(opts)
	rows := make([]*RequestLog, b.N)
	for i := range rows {
		rows[i] = sampleRow(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		w.Enqueue(rows[i])
	}
	b.StopTimer()
	if err := w.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
}

// BenchmarkEnqueueParallel is Enqueue from many request goroutines at once.
func BenchmarkEnqueueParallel(b *testing.B) {
	db := mustOpen(b, sqliteConfig(b))
	w := db.newWriter(WriterOptions{Logger: discardLogger(), QueueSize: 1 << 16, SpillPath: filepath.Join(b.TempDir(), "spill.jsonl")},
		func(context.Context, []*RequestLog) (int64, error) { return 0, nil }) // measure the queue, not SQLite
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Enqueue(&RequestLog{RequestID: "x", CreatedAt: time.Now()})
		}
	})
	b.StopTimer()
	_ = w.Close(context.Background())
}

// BenchmarkWriterThroughputSQLite is rows per second from Enqueue to
// committed in SQLite (target: at least 10,000 rows/s).
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

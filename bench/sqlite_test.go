package bench

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"
)

// logCols mirrors internal/store's request_logs columns (23 besides id).
var logCols = []string{
	"request_id", "created_at", "method", "path", "inbound_format",
	"requested_model", "upstream_model", "provider", "key_hint", "stream",
	"status_code", "error", "latency_ms", "ttft_ms", "prompt_tokens",
	"completion_tokens", "total_tokens", "attempts", "request_bytes",
	"response_bytes", "client_ip", "request_body", "response_body",
}

// BenchmarkSQLiteInsert measures what one log row costs the SQLite writer,
// on the real schema (store.Open runs the migrations: a unique index and
// five secondary indexes), by rows per INSERT statement and settings:
//
// (What the writer does end to end, queue included, is BenchmarkLogEnqueue.)
//
//   - The driver binds parameter i by scanning the whole argument list, so
//     a statement of n parameters costs O(n^2): 256 rows per statement (as
//     the writer once sent) against 16 (what internal/store sends now).
//   - temp_store=MEMORY keeps SQLite's statement journal (opened for every
//     multi-row INSERT ... ON CONFLICT) in memory instead of a temp file.
//   - fewer-indexes drops the four secondary indexes that only serve
//     filtered log queries, leaving request_id (for idempotent replays) and
//     created_at.
//
// The writer runs on the gateway's cores, so its CPU per row is part of the
// gateway's CPU per request.
func BenchmarkSQLiteInsert(b *testing.B) {
	const rows = 2048
	for _, c := range []struct {
		name   string
		per    int
		pragma string
		drop   bool
	}{
		{"256-per-stmt", 256, "", false},
		{"16-per-stmt", 16, "", false},
		{"8-per-stmt/temp_store=MEMORY", 8, "PRAGMA temp_store=MEMORY", false},
		{"16-per-stmt/temp_store=MEMORY", 16, "PRAGMA temp_store=MEMORY", false},
		{"32-per-stmt/temp_store=MEMORY", 32, "PRAGMA temp_store=MEMORY", false},
		{"16-per-stmt/temp_store=MEMORY/fewer-indexes", 16, "PRAGMA temp_store=MEMORY", true},
	} {
		b.Run(c.name, func(b *testing.B) {
			sqlDB, err := openSQLite(b).Gorm().DB()
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			if c.pragma != "" {
				if _, err := sqlDB.ExecContext(ctx, c.pragma); err != nil {
					b.Fatal(err)
				}
			}
			if c.drop {
				for _, ix := range []string{"ix_request_logs_provider_created_at", "ix_request_logs_requested_model",
					"ix_request_logs_upstream_model", "ix_request_logs_status_code"} {
					if _, err := sqlDB.ExecContext(ctx, "DROP INDEX IF EXISTS "+ix); err != nil {
						b.Fatal(err)
					}
				}
			}
			ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(logCols)), ",") + ")"
			stmt := "INSERT INTO request_logs (" + strings.Join(logCols, ", ") + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(ph+",", c.per), ",") + " ON CONFLICT (request_id) DO NOTHING"
			args := make([]any, 0, c.per*len(logCols))
			cpu0 := processCPU()
			for b.Loop() {
				tx, err := sqlDB.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				for done := 0; done < rows; done += c.per {
					args = args[:0]
					for range c.per {
						r := logRow(done)
						args = append(args, r.RequestID+fmt.Sprintf("%x", time.Now().UnixNano()), r.CreatedAt.Format("2006-01-02 15:04:05.000-07:00"),
							r.Method, r.Path, r.InboundFormat, r.RequestedModel, r.UpstreamModel, r.Provider,
							r.KeyHint, r.Stream, r.StatusCode, r.Error, r.LatencyMs, r.TTFTMs, r.PromptTokens,
							r.CompletionTokens, r.TotalTokens, r.Attempts, r.RequestBytes, r.ResponseBytes,
							r.ClientIP, r.RequestBody, r.ResponseBody)
					}
					if _, err := tx.ExecContext(ctx, stmt, args...); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((processCPU()-cpu0).Nanoseconds())/1e3/float64(b.N*rows), "cpu-us/row")
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

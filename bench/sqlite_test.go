package bench

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	_ "github.com/glebarez/go-sqlite" // the driver pkg/store uses (registers "sqlite")
)

// logCols mirrors pkg/store's request_logs columns (23 besides id).
var logCols = []string{
	"request_id", "created_at", "method", "path", "inbound_format",
	"requested_model", "upstream_model", "provider", "key_hint", "stream",
	"status_code", "error", "latency_ms", "ttft_ms", "prompt_tokens",
	"completion_tokens", "total_tokens", "attempts", "request_bytes",
	"response_bytes", "client_ip", "request_body", "response_body",
}

// BenchmarkSQLiteRowsPerStatement measures what the log writer's
// multi-row INSERT costs per row, by rows per statement. The driver
// (glebarez/go-sqlite, like modernc's) binds parameter i by scanning the
// whole argument list, so one statement of n parameters costs O(n^2):
// pkg/store sends up to 500 rows (11,500 parameters) per statement, and
// the writer flushes batches of 256. Fewer rows per statement in the same
// transaction keeps the batching and drops the quadratic term.
func BenchmarkSQLiteRowsPerStatement(b *testing.B) {
	const rows = 4096
	for _, c := range []struct {
		per      int
		prepared bool
	}{{256, false}, {64, false}, {16, false}, {1, false}, {16, true}, {1, true}} {
		per := c.per
		name := strconv.Itoa(per)
		if c.prepared {
			name += "-prepared"
		}
		b.Run(name, func(b *testing.B) {
			db, err := sql.Open("sqlite", filepath.Join(b.TempDir(), "t.db")+
				"?_pragma=journal_mode(WAL)&_pragma=synchronous(NORMAL)&_txlock=immediate")
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			db.SetMaxOpenConns(1)
			ddl := "CREATE TABLE request_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, " +
				strings.Join(logCols, " TEXT, ") + " TEXT); CREATE UNIQUE INDEX ux ON request_logs(request_id)"
			if _, err := db.Exec(ddl); err != nil {
				b.Fatal(err)
			}
			ph := "(" + strings.TrimSuffix(strings.Repeat("?,", len(logCols)), ",") + ")"
			stmt := "INSERT INTO request_logs (" + strings.Join(logCols, ", ") + ") VALUES " +
				strings.TrimSuffix(strings.Repeat(ph+",", per), ",") + " ON CONFLICT (request_id) DO NOTHING"
			args := make([]any, 0, per*len(logCols))
			seq := 0
			ctx := context.Background()
			for b.Loop() {
				tx, err := db.BeginTx(ctx, nil)
				if err != nil {
					b.Fatal(err)
				}
				exec := func(args ...any) error { _, err := tx.ExecContext(ctx, stmt, args...); return err }
				if c.prepared {
					// Parsed once per transaction instead of once per statement.
					ps, err := tx.PrepareContext(ctx, stmt)
					if err != nil {
						b.Fatal(err)
					}
					exec = func(args ...any) error { _, err := ps.ExecContext(ctx, args...); return err }
				}
				for done := 0; done < rows; done += per {
					args = args[:0]
					for range per {
						seq++
						args = append(args, fmt.Sprintf("req_%d", seq), time.Now().Format("2006-01-02 15:04:05.000-07:00"),
							"POST", "/v1/chat/completions", "openai", "mock-openai/mock-gpt-4o", "mock-gpt-4o", "mock-openai",
							"moc...ey-1", false, 200, "", 1, 1, 40, 30, 70, 1, 330, 400, "127.0.0.1", "", "")
					}
					if err := exec(args...); err != nil {
						b.Fatal(err)
					}
				}
				if err := tx.Commit(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*rows)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*rows), "ns/row")
		})
	}
}

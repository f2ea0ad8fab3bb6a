package store

import (
	"context"
	"database/sql"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/testdb"
	"github.com/aigw/aigw/migrations"
)

// The dashboard's budget (README, "控制台"): with five million log rows,
// every query behind a page answers in under 300 ms.
const (
	dashBenchRows   = 5_000_000
	dashBenchBudget = 300 * time.Millisecond
	// dashBenchSeed changes whenever the seeded rows do, so a cached file
	// of an older seed is not reused.
	dashBenchSeed = 1
)

// dashBenchEnd is the seeded log's "now": its rows cover the 31 days
// before.
var dashBenchEnd = time.Date(2026, 1, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

// BenchmarkDashboard5M times every query behind a dashboard page on a
// SQLite log of five million rows, and fails if one takes 300 ms or more.
// The file is seeded once (a few minutes) and kept in the temp folder,
// keyed by the schema and seed versions, so later runs start at once:
//
//	go test ./internal/store/ -run XXX -bench Dashboard5M -benchtime 20x
//
// The rows: 31 days, 12 models, 30 clients plus the static keys (a
// skewed mix: each client uses three models), 2.5% 5xx, one row in a
// thousand replayed from a spill file (a newer id, an hour older), no
// bodies but on one row in a thousand. docs/benchmark.md has the numbers.
func BenchmarkDashboard5M(b *testing.B) {
	runDashBench(b, mustOpen(b, config.Database{Driver: "sqlite", DSN: dashBenchFile(b), Timezone: "Asia/Shanghai"}))
}

// BenchmarkDashboard5MPostgres is the same on PostgreSQL, the database of
// a team's several instances (README, "多实例"). The rows are seeded once
// into a schema of the test server that is kept, named by the schema and
// seed versions (DROP SCHEMA aigw_dash5m_... CASCADE frees it).
func BenchmarkDashboard5MPostgres(b *testing.B) {
	runDashBench(b, mustOpen(b, dashBenchPostgres(b)))
}

// runDashBench times every query behind a page on db's seeded log.
func runDashBench(b *testing.B, db *DB) {
	ctx := context.Background()
	end := dashBenchEnd
	overview := func(rng, step time.Duration) func() (int, error) {
		return func() (int, error) {
			o, err := db.Overview(ctx, OverviewQuery{From: end.Add(-rng), To: end, Step: step})
			if err == nil && o.Totals.Requests == 0 {
				err = fmt.Errorf("no requests in the last %s", rng)
			}
			return len(o.Series), err
		}
	}
	logs := func(q LogQuery) func() (int, error) {
		return func() (int, error) {
			rows, err := db.QueryLogs(ctx, q)
			if err == nil && len(rows) == 0 {
				err = fmt.Errorf("no rows for %+v", q)
			}
			return len(rows), err
		}
	}
	middle := int64(dashBenchRows / 2)
	cases := []struct {
		name string
		run  func() (int, error)
	}{
		{"overview/1h", overview(time.Hour, time.Minute)},
		{"overview/24h", overview(24*time.Hour, 15*time.Minute)},
		{"overview/7d", overview(7*24*time.Hour, 2*time.Hour)},
		{"overview/30d", overview(30*24*time.Hour, 6*time.Hour)},
		{"logs/first-page", logs(LogQuery{})},
		{"logs/model", logs(LogQuery{Model: "claude-sonnet-4-5"})},
		{"logs/upstream-model", logs(LogQuery{Model: "gpt-4o-mini"})},
		{"logs/rare-model", logs(LogQuery{Model: "local-llama"})},
		{"logs/client", logs(LogQuery{Client: "client-17"})},
		{"logs/status-5xx", logs(LogQuery{StatusLo: 500, StatusHi: 599})},
		{"logs/model-5xx", logs(LogQuery{Model: "gpt-4o", StatusLo: 500, StatusHi: 599})},
		{"logs/last-week-client", logs(LogQuery{From: end.Add(-8 * 24 * time.Hour), To: end.Add(-7 * 24 * time.Hour), Client: "client-5"})},
		{"logs/deep-page", logs(LogQuery{BeforeID: middle})},
		{"logs/deep-page-model", logs(LogQuery{BeforeID: middle, Model: "deepseek-chat"})},
		{"logs/follow", logs(LogQuery{AfterID: dashBenchRows - 30})},
		// The clients page: every client's spend and requests in its
		// period (a month here), the static keys' group included.
		{"clients/month-usage", func() (int, error) {
			monthStart := time.Date(2025, 12, 1, 0, 0, 0, 0, end.Location())
			var n int64
			for i := -1; i < 30; i++ { // client-0 ... client-29 and the static keys
				name := ""
				if i >= 0 {
					name = fmt.Sprintf("client-%d", i)
				}
				_, c, err := db.ClientSpend(ctx, name, monthStart)
				if err != nil {
					return 0, err
				}
				n += c
			}
			if n == 0 {
				return 0, fmt.Errorf("no requests by clients since %s", monthStart)
			}
			return int(n), nil
		}},
		{"log-by-id", func() (int, error) {
			r, err := db.LogByID(ctx, middle+1) // a row with a body
			if err == nil && r.RequestBody == "" {
				err = fmt.Errorf("row %d has no body", r.ID)
			}
			return len(r.RequestBody), err
		}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			var slowest time.Duration
			for b.Loop() {
				start := time.Now()
				if _, err := c.run(); err != nil {
					b.Fatal(err)
				}
				slowest = max(slowest, time.Since(start))
			}
			b.ReportMetric(float64(slowest.Microseconds())/1000, "max-ms")
			if mean := b.Elapsed() / time.Duration(b.N); mean >= dashBenchBudget {
				b.Fatalf("%s takes %s on %d rows, over the budget of %s", c.name, mean, dashBenchRows, dashBenchBudget)
			}
		})
	}
}

// dashBenchFile is the seeded SQLite file, made on first use.
func dashBenchFile(b *testing.B) string {
	b.Helper()
	fsys, err := migrations.For(dialectSQLite)
	if err != nil {
		b.Fatal(err)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		b.Fatal(err)
	}
	schema := strings.SplitN(files[len(files)-1], "_", 2)[0] // the newest migration
	dir := filepath.Join(os.TempDir(), fmt.Sprintf("aigw-dashboard-5m-schema%s-seed%d", schema, dashBenchSeed))
	path := filepath.Join(dir, "aigw.db")
	if _, err := os.Stat(path); err == nil {
		return path
	}
	b.Logf("seeding %d log rows into %s (once)", dashBenchRows, path)
	tmp := dir + ".tmp"
	if err := os.RemoveAll(tmp); err != nil {
		b.Fatal(err)
	}
	start := time.Now()
	seedDashBench(b, filepath.Join(tmp, "aigw.db"))
	if err := os.Rename(tmp, dir); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	return path
}

// seedDashBench fills a new file: the rows are made by SQLite itself (a
// recursive CTE, a quarter million rows per transaction), then the rollups
// by the backfill of migration 00005, as an upgrade would.
func seedDashBench(b *testing.B, path string) {
	ctx := context.Background()
	db, err := Open(ctx, config.Database{Driver: "sqlite", DSN: path, Timezone: "Asia/Shanghai"}, WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const per = 250_000
	startMs := dashBenchEnd.Add(-31 * 24 * time.Hour).UnixMilli()
	for from := 0; from < dashBenchRows; from += per {
		q := strings.NewReplacer("$FROM", fmt.Sprint(from), "$TO", fmt.Sprint(from+per-1),
			"$START", fmt.Sprint(startMs), "$SPAN", fmt.Sprint(int64(31*24*time.Hour/time.Millisecond)),
			"$N", fmt.Sprint(dashBenchRows)).Replace(dashBenchInsert)
		if err := db.write.WithContext(ctx).Exec(q).Error; err != nil {
			b.Fatalf("seed rows %d..: %v", from, err)
		}
	}
	for _, stmt := range backfillStatements(b, dialectSQLite) {
		if err := db.write.WithContext(ctx).Exec(stmt).Error; err != nil {
			b.Fatalf("backfill the rollups: %v", err)
		}
	}
}

// dashBenchInsert makes rows $FROM..$TO. h1..h4 are independent
// pseudo-random numbers of the row's index. The rows are the same in both
// dialects: only the sequence and a few functions of the select differ.
const dashBenchInsert = "\nWITH RECURSIVE seq(i) AS (SELECT $FROM UNION ALL SELECT i + 1 FROM seq WHERE i < $TO),\n" +
	dashBenchRowsHead + "seq" + dashBenchRowsDerived + dashBenchSelectSQLite

// dashBenchInsertPostgres is dashBenchInsert in PostgreSQL's dialect,
// made by generate_series.
const dashBenchInsertPostgres = "\nWITH " + dashBenchRowsHead + "generate_series($FROM::bigint, $TO::bigint) AS i" +
	dashBenchRowsDerived + dashBenchSelectPostgres

// dashBenchRowsHead is the start of the CTE of a row's numbers, up to its
// source of indexes.
const dashBenchRowsHead = `r AS (
  SELECT i,
    $START + i * $SPAN / $N - CASE WHEN i % 1000 = 999 THEN 3600000 ELSE 0 END AS ms,
    (i * 2654435761) % 1000 AS h1,
    ((i * 2246822519) / 7) % 1000 AS h2,
    (i * 3266489917) % 1000 AS h3,
    ((i * 668265263) / 13) % 100000 AS h4
  FROM `

// dashBenchRowsDerived derives a row's client, model and status, and names
// the columns inserted.
const dashBenchRowsDerived = `),
c AS (
  SELECT *, CASE WHEN h1 < 100 THEN -1 ELSE ((h1 - 100) * (h1 - 100)) / 26700 END AS ci FROM r),
m AS (
  SELECT *, CASE WHEN ci < 0 THEN h2 % 12 ELSE (ci * 5 + h2 % 3) % 12 END AS mi FROM c),
v AS (
  SELECT *,
    CASE mi WHEN 0 THEN 'gpt-4o' WHEN 1 THEN 'fast' WHEN 2 THEN 'claude-sonnet-4-5' WHEN 3 THEN 'smart'
      WHEN 4 THEN 'deepseek-chat' WHEN 5 THEN 'qwen-max' WHEN 6 THEN 'gemini-2.5-pro' WHEN 7 THEN 'glm-4.6'
      WHEN 8 THEN 'kimi-k2' WHEN 9 THEN 'mistral-large' WHEN 10 THEN 'o3' ELSE 'local-llama' END AS model,
    CASE WHEN h3 < 935 THEN 200 WHEN h3 < 955 THEN 429 WHEN h3 < 965 THEN 400 WHEN h3 < 970 THEN 401
      WHEN h3 < 975 THEN 499 WHEN h3 < 985 THEN 502 WHEN h3 < 995 THEN 500 ELSE 503 END AS status
  FROM m)
INSERT INTO request_logs (request_id, created_at, method, path, inbound_format, requested_model, upstream_model,
  provider, key_hint, stream, status_code, error, latency_ms, ttft_ms, prompt_tokens, completion_tokens,
  total_tokens, attempts, request_bytes, response_bytes, client_ip, request_body, response_body, cost,
  cache_read_tokens, cache_write_tokens, reasoning_tokens, route, tried, client, client_key_hint)
`

const dashBenchSelectSQLite = `SELECT 'bench-' || i,
  strftime('%Y-%m-%d %H:%M:%S', ms / 1000 + 28800, 'unixepoch') || printf('.%03d', ms % 1000) || '+08:00',
  'POST', '/v1/chat/completions', 'openai', model,
  CASE model WHEN 'fast' THEN 'gpt-4o-mini' WHEN 'smart' THEN 'claude-sonnet-4-5' ELSE model END,
  CASE WHEN model IN ('gpt-4o', 'fast') THEN CASE WHEN h4 % 2 = 0 THEN 'openai' ELSE 'azure' END
    WHEN model IN ('claude-sonnet-4-5', 'smart') THEN 'anthropic' WHEN model = 'o3' THEN 'openai'
    WHEN model = 'local-llama' THEN 'ollama' ELSE substr(model, 1, instr(model || '-', '-') - 1) END,
  'sk-...c3f9', (i / 3) % 2, status, CASE WHEN status >= 400 THEN 'upstream error' ELSE '' END,
  80 + h4 % 4000 + CASE WHEN h4 % 50 = 0 THEN 30000 ELSE 0 END,
  CASE WHEN (i / 3) % 2 = 1 THEN 40 + h4 % 900 ELSE 0 END,
  CASE WHEN status = 200 THEN 200 + h4 % 3000 ELSE 0 END,
  CASE WHEN status = 200 THEN 50 + h2 % 800 ELSE 0 END,
  CASE WHEN status = 200 THEN 250 + h4 % 3000 + h2 % 800 ELSE 0 END,
  1, 1200, 3400, '10.0.0.7',
  CASE WHEN i % 1000 = 0 THEN printf('{"model":"%s","messages":[{"role":"user","content":"%s"}]}', model, hex(randomblob(400))) ELSE '' END,
  CASE WHEN i % 1000 = 0 THEN '{"choices":[]}' ELSE '' END,
  CASE WHEN status <> 200 OR model = 'local-llama' THEN NULL ELSE ((200 + h4 % 3000) * 2.5 + (50 + h2 % 800) * 10) / 1e6 END,
  0, 0, 0, '', '', CASE WHEN ci < 0 THEN '' ELSE 'client-' || ci END,
  CASE WHEN ci < 0 THEN '' ELSE 'sk-aigw-...' || ci END
FROM v`

const dashBenchSelectPostgres = `SELECT 'bench-' || i, to_timestamp(ms / 1000.0),
  'POST', '/v1/chat/completions', 'openai', model,
  CASE model WHEN 'fast' THEN 'gpt-4o-mini' WHEN 'smart' THEN 'claude-sonnet-4-5' ELSE model END,
  CASE WHEN model IN ('gpt-4o', 'fast') THEN CASE WHEN h4 % 2 = 0 THEN 'openai' ELSE 'azure' END
    WHEN model IN ('claude-sonnet-4-5', 'smart') THEN 'anthropic' WHEN model = 'o3' THEN 'openai'
    WHEN model = 'local-llama' THEN 'ollama' ELSE split_part(model, '-', 1) END,
  'sk-...c3f9', (i / 3) % 2 = 1, status, CASE WHEN status >= 400 THEN 'upstream error' ELSE '' END,
  80 + h4 % 4000 + CASE WHEN h4 % 50 = 0 THEN 30000 ELSE 0 END,
  CASE WHEN (i / 3) % 2 = 1 THEN 40 + h4 % 900 ELSE 0 END,
  CASE WHEN status = 200 THEN 200 + h4 % 3000 ELSE 0 END,
  CASE WHEN status = 200 THEN 50 + h2 % 800 ELSE 0 END,
  CASE WHEN status = 200 THEN 250 + h4 % 3000 + h2 % 800 ELSE 0 END,
  1, 1200, 3400, '10.0.0.7',
  CASE WHEN i % 1000 = 0 THEN format('{"model":"%s","messages":[{"role":"user","content":"%s"}]}', model, repeat(md5(i::text), 25)) ELSE '' END,
  CASE WHEN i % 1000 = 0 THEN '{"choices":[]}' ELSE '' END,
  CASE WHEN status <> 200 OR model = 'local-llama' THEN NULL ELSE ((200 + h4 % 3000) * 2.5 + (50 + h2 % 800) * 10) / 1e6 END,
  0, 0, 0, '', '', CASE WHEN ci < 0 THEN '' ELSE 'client-' || ci END,
  CASE WHEN ci < 0 THEN '' ELSE 'sk-aigw-...' || ci END
FROM v`

// dashBenchPostgres is the seeded PostgreSQL schema, made on first use.
func dashBenchPostgres(b *testing.B) config.Database {
	b.Helper()
	fsys, err := migrations.For(dialectPostgres)
	if err != nil {
		b.Fatal(err)
	}
	files, err := fs.Glob(fsys, "*.sql")
	if err != nil {
		b.Fatal(err)
	}
	version := strings.SplitN(files[len(files)-1], "_", 2)[0]
	schema := fmt.Sprintf("aigw_dash5m_%s_s%d", version, dashBenchSeed)
	admin := testdb.PostgresAdminDSN(b)
	cfg := config.Database{Driver: "postgres", DSN: testdb.WithSearchPath(admin, schema), Timezone: "Asia/Shanghai"}
	raw, err := sql.Open("pgx", admin)
	if err != nil {
		b.Fatal(err)
	}
	defer raw.Close()
	var done bool
	if err := raw.QueryRow(`SELECT EXISTS (SELECT 1 FROM information_schema.tables WHERE table_schema = $1 AND table_name = 'dash_bench_seeded')`,
		schema).Scan(&done); err != nil {
		b.Fatal(err)
	}
	if done {
		return cfg
	}
	b.Logf("seeding %d log rows into PostgreSQL schema %s (once)", dashBenchRows, schema)
	start := time.Now()
	for _, stmt := range []string{"DROP SCHEMA IF EXISTS " + schema + " CASCADE", "CREATE SCHEMA " + schema} {
		if _, err := raw.Exec(stmt); err != nil {
			b.Fatal(err)
		}
	}
	ctx := context.Background()
	db, err := Open(ctx, cfg, WithLogger(discardLogger()))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	const per = 500_000
	startMs := dashBenchEnd.Add(-31 * 24 * time.Hour).UnixMilli()
	for from := 0; from < dashBenchRows; from += per {
		q := strings.NewReplacer("$FROM", fmt.Sprint(from), "$TO", fmt.Sprint(from+per-1),
			"$START", fmt.Sprint(startMs), "$SPAN", fmt.Sprint(int64(31*24*time.Hour/time.Millisecond)),
			"$N", fmt.Sprint(dashBenchRows)).Replace(dashBenchInsertPostgres)
		if err := db.write.WithContext(ctx).Exec(q).Error; err != nil {
			b.Fatalf("seed rows %d..: %v", from, err)
		}
	}
	for _, stmt := range append(backfillStatements(b, dialectPostgres), "ANALYZE", "CREATE TABLE dash_bench_seeded (at timestamptz)") {
		if err := db.write.WithContext(ctx).Exec(stmt).Error; err != nil {
			b.Fatalf("finish the seeded schema: %v", err)
		}
	}
	b.Logf("seeded in %s", time.Since(start).Round(time.Second))
	return cfg
}

package store

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/migrations"
)

func TestOpenSQLiteCreatesFolderAndFileRelativeToWorkingDir(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	db := mustOpen(t, config.Database{Driver: "sqlite", DSN: "data/aigw.db", Timezone: "Asia/Shanghai"})

	_, err := os.Stat(filepath.Join(dir, "data", "aigw.db"))
	require.NoError(t, err, "data/aigw.db is created under the working directory")
	assert.Equal(t, "data", db.DataDir())

	var mode string
	require.NoError(t, db.read.Raw("PRAGMA journal_mode").Scan(&mode).Error)
	assert.Equal(t, "wal", mode)
	var busy int
	require.NoError(t, db.write.Raw("PRAGMA busy_timeout").Scan(&busy).Error)
	assert.Equal(t, busyTimeoutMs, busy)
	assert.Equal(t, 1, db.writeSQL.Stats().MaxOpenConnections, "a single writer connection")
	require.NoError(t, db.Ping(context.Background()))
}

func TestOpenRejectsBadConfig(t *testing.T) {
	ctx := context.Background()
	_, err := Open(ctx, config.Database{Driver: "mysql", DSN: "x"})
	assert.ErrorContains(t, err, "use sqlite or postgres")
	_, err = Open(ctx, config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "a.db"), Timezone: "Mars/Olympus"})
	assert.ErrorContains(t, err, "database.timezone")
	_, err = Open(ctx, config.Database{Driver: "postgres", DSN: "postgres://nobody@127.0.0.1:1/x?sslmode=disable&connect_timeout=2", Timezone: "UTC"})
	assert.ErrorContains(t, err, "is it running")
}

func TestMigrationsTwiceAreANoop(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		applied, err := db.Migrate(ctx)
		require.NoError(t, err)
		assert.Empty(t, applied, "Open already applied everything")
		db.Close()

		db2 := mustOpen(t, cfg) // a restart
		applied, err = db2.Migrate(ctx)
		require.NoError(t, err)
		assert.Empty(t, applied)
		var versions int
		require.NoError(t, db2.read.Raw("SELECT COUNT(*) FROM goose_db_version WHERE version_id > 0").Scan(&versions).Error)
		assert.Equal(t, migrationCount(t, db2.dialect), versions, "each migration recorded once")
	})
}

func TestMigrateReportsWhatItApplied(t *testing.T) {
	cfg := sqliteConfig(t)
	// A database with no schema, opened as `aigw migrate` does.
	db, err := Open(context.Background(), cfg, WithoutMigrations(), WithLogger(discardLogger()))
	require.NoError(t, err)
	defer db.Close()
	applied, err := db.Migrate(context.Background())
	require.NoError(t, err)
	require.Len(t, applied, migrationCount(t, dialectSQLite))
	assert.Equal(t, int64(1), applied[0].Version)
	assert.Equal(t, "00001_init.sql", applied[0].Source)
	assert.Equal(t, "00002_cost.sql", applied[1].Source)
	assert.Equal(t, "00003_routes.sql", applied[2].Source)
	assert.Equal(t, "00004_clients.sql", applied[3].Source)
}

// migrationCount is how many migrations the binary embeds for a dialect.
func migrationCount(t *testing.T, dialect string) int {
	t.Helper()
	fsys, err := migrations.For(dialect)
	require.NoError(t, err)
	files, err := fs.Glob(fsys, "*.sql")
	require.NoError(t, err)
	return len(files)
}

// TestUpgradeKeepsOldRowsWithUnknownCost starts from a database at the
// first schema version with a row in it, as an aigw before cost
// accounting left it, and opens it with this binary: the row stays, its
// cost is NULL (unknown, not 0) and its new token counts are 0.
func TestUpgradeKeepsOldRowsWithUnknownCost(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		old, err := Open(ctx, cfg, WithoutMigrations(), WithLogger(discardLogger()))
		require.NoError(t, err)
		sqlDB, err := old.write.DB()
		require.NoError(t, err)
		fsys, err := migrations.For(old.dialect)
		require.NoError(t, err)
		dialect := database.DialectSQLite3
		if old.dialect == dialectPostgres {
			dialect = database.DialectPostgres
		}
		p, err := goose.NewProvider(dialect, sqlDB, fsys)
		require.NoError(t, err)
		_, err = p.UpTo(ctx, 1)
		require.NoError(t, err)
		created := any("2025-09-26 15:10:50.235+08:00")
		if old.dialect == dialectPostgres {
			created = time.Date(2025, 9, 26, 7, 10, 50, 0, time.UTC)
		}
		_, err = sqlDB.ExecContext(ctx, old.rebind("INSERT INTO request_logs (request_id, created_at, provider, status_code, prompt_tokens) VALUES (?, ?, ?, ?, ?)"),
			"req_old", created, "openai", 200, 42)
		require.NoError(t, err)
		old.Close()

		db := mustOpen(t, cfg) // migrates to the current version
		got, err := db.Tail(ctx, TailFilter{Limit: 10})
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, "req_old", got[0].RequestID)
		assert.EqualValues(t, 42, got[0].PromptTokens)
		assert.Nil(t, got[0].Cost, "a row from before cost accounting has no known cost")
		assert.Zero(t, got[0].CacheReadTokens+got[0].CacheWriteTokens+got[0].ReasoningTokens)
	})
}

func TestConcurrentOpenOnOnePostgres(t *testing.T) {
	cfg := postgresConfig(t)
	// Several instances starting at once on one database: the advisory
	// lock serialises the migrations; every Open succeeds.
	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	dbs := make([]*DB, instances)
	for i := range instances {
		wg.Go(func() { dbs[i], errs[i] = Open(context.Background(), cfg) })
	}
	wg.Wait()
	for i := range instances {
		require.NoError(t, errs[i], "instance %d", i)
		defer dbs[i].Close()
	}
	var versions int
	require.NoError(t, dbs[0].read.Raw("SELECT COUNT(*) FROM goose_db_version WHERE version_id = 1").Scan(&versions).Error)
	assert.Equal(t, 1, versions, "migration 1 applied exactly once")

	// And they all write into the same table.
	for i, db := range dbs {
		_, err := db.insertLogs(context.Background(), []*RequestLog{sampleRow(i)})
		require.NoError(t, err)
	}
	assert.EqualValues(t, instances, countRows(t, dbs[0]))
}

func TestPostgresSessionTimeZoneOnEveryConnection(t *testing.T) {
	cfg := postgresConfig(t)
	db := mustOpen(t, cfg)
	ctx := context.Background()
	// Hold several connections at once so the pool has to open new ones.
	conns := make([]*sql.Conn, 5)
	for i := range conns {
		c, err := db.writeSQL.Conn(ctx)
		require.NoError(t, err)
		defer c.Close()
		conns[i] = c
	}
	for _, c := range conns {
		var tz string
		require.NoError(t, c.QueryRowContext(ctx, "SHOW TIME ZONE").Scan(&tz))
		assert.Equal(t, "Asia/Shanghai", tz)
	}
}

// serve and a CLI command may start together on a fresh SQLite file (two
// processes; here two independent pools): both must come up.
func TestConcurrentOpenOnOneSQLiteFile(t *testing.T) {
	cfg := sqliteConfig(t)
	const instances = 4
	var wg sync.WaitGroup
	errs := make([]error, instances)
	for i := range instances {
		wg.Go(func() {
			db, err := Open(context.Background(), cfg, WithLogger(discardLogger()))
			if err == nil {
				db.Close()
			}
			errs[i] = err
		})
	}
	wg.Wait()
	for i, err := range errs {
		require.NoError(t, err, "instance %d", i)
	}
	db := mustOpen(t, cfg)
	var versions int
	require.NoError(t, db.read.Raw("SELECT COUNT(*) FROM goose_db_version WHERE version_id = 1").Scan(&versions).Error)
	assert.Equal(t, 1, versions)
}

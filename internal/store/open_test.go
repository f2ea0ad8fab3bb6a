package store

import (
	"context"
	"database/sql"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
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
		assert.Equal(t, 1, versions, "each migration recorded once")
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
	require.Len(t, applied, 1)
	assert.Equal(t, int64(1), applied[0].Version)
	assert.Equal(t, "00001_init.sql", applied[0].Source)
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

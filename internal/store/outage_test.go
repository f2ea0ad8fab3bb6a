package store

import (
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/aigw/aigw/internal/testdb"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPostgresOutageLosesNothing(t *testing.T) {
	cfg := postgresConfig(t)
	proxy := testdb.NewPostgresProxy(t, cfg.DSN)
	direct := mustOpen(t, cfg) // counts rows, around the proxy
	viaCfg := cfg
	viaCfg.DSN = proxy.DSN
	db := mustOpen(t, viaCfg)

	opts := fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl"))
	opts.QueueSize, opts.BatchSize = 64, 50
	opts.InsertTimeout = 2 * time.Second
	w := db.NewWriter(opts)
	for i := range 100 {
		w.Enqueue(sampleRow(i))
	}
	waitFor(t, 30*time.Second, "the first rows", func() bool { return countRows(t, direct) == 100 })

	proxy.Down() // PostgreSQL is gone
	const total = 1100
	for i := 100; i < total; i++ {
		w.Enqueue(sampleRow(i))
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond) // traffic goes on while it is down
		}
	}
	waitFor(t, 30*time.Second, "rows spilled during the outage", func() bool { return w.Spilled() > 0 })
	assert.EqualValues(t, 100, countRows(t, direct))

	proxy.Up() // and back
	waitFor(t, 60*time.Second, "every row once the database is back", func() bool {
		return countRows(t, direct) == total && w.Spilled() == 0
	})
	require.NoError(t, w.Close(testCtx(t)))
	assert.EqualValues(t, total, countRows(t, direct))
	assertDistinctRequestIDs(t, direct, total)
}

// TestSQLiteLockedByAnotherProcessLosesNothing holds SQLite's write lock
// from another connection (as another tool or process might) for longer
// than busy_timeout: the writer's inserts fail for real, rows wait and
// spill, and all arrive once the lock is released.
func TestSQLiteLockedByAnotherProcessLosesNothing(t *testing.T) {
	if testing.Short() {
		t.Skip("holds a lock for several seconds")
	}
	cfg := sqliteConfig(t)
	db := mustOpen(t, cfg)
	opts := fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl"))
	opts.QueueSize, opts.BatchSize = 32, 20
	opts.InsertTimeout = 500 * time.Millisecond
	w := db.NewWriter(opts)

	other, err := sql.Open("sqlite", cfg.DSN)
	require.NoError(t, err)
	defer other.Close()
	ctx := testCtx(t)
	conn, err := other.Conn(ctx)
	require.NoError(t, err)
	defer conn.Close()
	_, err = conn.ExecContext(ctx, "BEGIN EXCLUSIVE")
	require.NoError(t, err)

	const n = 500
	for i := range n {
		w.Enqueue(sampleRow(i))
		if i%25 == 0 {
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitFor(t, 30*time.Second, "rows spilled while the file is locked", func() bool { return w.Spilled() > 0 })

	_, err = conn.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	waitFor(t, 60*time.Second, "every row after the lock is released", func() bool {
		return countRows(t, db) == n && w.Spilled() == 0
	})
	require.NoError(t, w.Close(ctx))
	assertDistinctRequestIDs(t, db, n)
}

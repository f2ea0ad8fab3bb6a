package store

import (
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/testdb"
)

func TestConnectRejectsWhatNoRetryFixes(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  config.Database
		want string
	}{
		{"unknown driver", config.Database{Driver: "mysql"}, `unknown database.driver "mysql"`},
		{"unknown zone", config.Database{Driver: "sqlite", DSN: filepath.Join(t.TempDir(), "a.db"), Timezone: "Mars/Olympus"}, "database.timezone"},
		{"empty postgres dsn", config.Database{Driver: "postgres"}, "database.dsn is empty"},
		{"malformed postgres dsn", config.Database{Driver: "postgres", DSN: "postgres://u@h:notaport/db"}, "not a valid PostgreSQL URL"},
	} {
		t.Run(c.name, func(t *testing.T) {
			conn, err := Connect(testCtx(t), c.cfg, WithLogger(discardLogger()))
			require.ErrorContains(t, err, c.want)
			assert.Nil(t, conn)
		})
	}
}

// TestConnectWhileTheDatabaseIsDown: a server starts with PostgreSQL down;
// rows spill, the Connection opens the database when it is back, and every
// row arrives.
func TestConnectWhileTheDatabaseIsDown(t *testing.T) {
	cfg := postgresConfig(t)
	proxy := testdb.NewPostgresProxy(t, cfg.DSN)
	proxy.Down()
	via := cfg
	via.DSN = proxy.DSN

	ctx := testCtx(t)
	conn, err := Connect(ctx, via, WithLogger(discardLogger()), WithReconnect(50*time.Millisecond))
	require.NoError(t, err, "an unreachable database does not stop the server")
	t.Cleanup(func() { _ = conn.Close() })
	require.Error(t, conn.Health())
	_, err = conn.DB()
	require.ErrorIs(t, err, ErrNotConnected)
	_, err = conn.ListCachedModels(ctx, "")
	require.ErrorIs(t, err, ErrNotConnected)

	w := conn.NewWriter(fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl")))
	for i := range 30 {
		w.Enqueue(sampleRow(i))
	}
	waitFor(t, 10*time.Second, "the rows in the spill file", func() bool { return w.Spilled() == 30 })

	proxy.Up()
	direct := mustOpen(t, cfg) // counts around the proxy; the schema is the Connection's to make
	waitFor(t, 30*time.Second, "every row once the database is back", func() bool {
		n, err := direct.CountLogs(ctx)
		return err == nil && n == 30 && w.Spilled() == 0
	})
	require.NoError(t, conn.Health())
	require.NoError(t, w.Health())
	_, err = conn.ListCachedModels(ctx, "")
	require.NoError(t, err)
	require.NoError(t, w.Close(ctx))
	assertDistinctRequestIDs(t, direct, 30)
}

// TestConnectionHealthFollowsTheDatabase: an open database that goes away
// is seen by the health ping, without any write.
func TestConnectionHealthFollowsTheDatabase(t *testing.T) {
	cfg := postgresConfig(t)
	proxy := testdb.NewPostgresProxy(t, cfg.DSN)
	via := cfg
	via.DSN = proxy.DSN
	conn, err := Connect(testCtx(t), via, WithLogger(discardLogger()), WithReconnect(10*time.Millisecond))
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close() })
	require.NoError(t, conn.Health())
	_, err = conn.DB()
	require.NoError(t, err)

	proxy.Down()
	waitFor(t, 15*time.Second, "the ping to fail", func() bool { return conn.Health() != nil })
	proxy.Up()
	waitFor(t, 15*time.Second, "the ping to work again", func() bool { return conn.Health() == nil })
}

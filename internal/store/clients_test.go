package store

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/config"
)

func TestClientsCRUD(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		sh := mustLoc(t, "Asia/Shanghai")
		key, hash, hint, err := clients.NewKey()
		require.NoError(t, err)
		exp, err := clients.ExpiryFromDate("2026-12-31", sh)
		require.NoError(t, err)
		created := time.Date(2026, 3, 4, 5, 6, 7, 890_000_000, time.UTC)
		in := clients.Client{
			Name: "alice", KeyHash: hash, KeyHint: hint, Models: []string{"gpt-4o*", "openai/*"},
			RPM: 60, TPM: 100000, Budget: ptr(12.5), Period: "month", ExpiresAt: &exp,
			CreatedAt: created, Note: "团队 A; it's fine",
		}
		got, err := db.CreateClient(ctx, in)
		require.NoError(t, err)
		assert.Positive(t, got.ID)

		_, err = db.CreateClient(ctx, clients.Client{Name: "alice", KeyHash: clients.HashKey("other")})
		require.ErrorIs(t, err, ErrClientExists)
		assert.ErrorContains(t, err, `"alice"`)
		_, err = db.CreateClient(ctx, clients.Client{Name: "bob", KeyHash: hash})
		require.Error(t, err, "two clients with one key hash")
		_, err = db.CreateClient(ctx, clients.Client{Name: "", KeyHash: "x"})
		require.Error(t, err, "validated")

		b, err := db.CreateClient(ctx, clients.Client{Name: "bob", KeyHash: clients.HashKey("k2"), KeyHint: "sk-aigw-...k2k2"})
		require.NoError(t, err)
		assert.False(t, b.CreatedAt.IsZero(), "created now")

		read, err := db.ClientByName(ctx, "alice")
		require.NoError(t, err)
		assert.True(t, read.ExpiresAt.Equal(exp.Truncate(time.Millisecond)), "expiry %s, want %s", read.ExpiresAt, exp)
		assert.True(t, read.CreatedAt.Equal(created), "created %s", read.CreatedAt)
		assert.Equal(t, sh.String(), read.CreatedAt.Location().String())
		want := in
		want.ID, want.ExpiresAt, want.CreatedAt = got.ID, read.ExpiresAt, read.CreatedAt
		assert.Equal(t, want, read)
		assert.NotContains(t, read.KeyHint, key[8:30])

		byHash, err := db.ClientByKeyHash(ctx, hash)
		require.NoError(t, err)
		assert.Equal(t, "alice", byHash.Name)
		_, err = db.ClientByKeyHash(ctx, clients.HashKey("nope"))
		require.ErrorIs(t, err, ErrClientNotFound)

		bobRead, err := db.ClientByName(ctx, "bob")
		require.NoError(t, err)
		assert.Nil(t, bobRead.Models)
		assert.Nil(t, bobRead.Budget)
		assert.Nil(t, bobRead.ExpiresAt)
		assert.Empty(t, bobRead.Period)

		all, err := db.Clients(ctx)
		require.NoError(t, err)
		require.Len(t, all, 2)
		assert.Equal(t, "alice", all[0].Name)
		assert.Equal(t, "bob", all[1].Name)

		// Update: everything but the name and the creation time.
		read.Models, read.RPM, read.TPM, read.Budget, read.Period, read.ExpiresAt = nil, 0, 5, nil, "", nil
		read.Disabled, read.Note, read.KeyHash, read.KeyHint = true, "", clients.HashKey("k3"), "sk-aigw-...k3k3"
		read.CreatedAt = time.Now()
		require.NoError(t, db.UpdateClient(ctx, read))
		again, err := db.ClientByName(ctx, "alice")
		require.NoError(t, err)
		assert.True(t, again.CreatedAt.Equal(created), "created_at kept")
		read.CreatedAt = again.CreatedAt
		assert.Equal(t, read, again)

		require.ErrorIs(t, db.UpdateClient(ctx, clients.Client{Name: "carol", KeyHash: "x"}), ErrClientNotFound)
		_, err = db.ClientByName(ctx, "carol")
		require.ErrorIs(t, err, ErrClientNotFound)
		assert.ErrorContains(t, err, "carol")

		require.NoError(t, db.DeleteClient(ctx, "alice"))
		require.ErrorIs(t, db.DeleteClient(ctx, "alice"), ErrClientNotFound)
		all, err = db.Clients(ctx)
		require.NoError(t, err)
		require.Len(t, all, 1)
	})
}

func TestClientSpend(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		ctx := testCtx(t)
		db := mustOpen(t, cfg)
		base := time.Date(2026, 3, 4, 0, 0, 0, 0, mustLoc(t, "Asia/Shanghai"))
		row := func(id, client string, at time.Duration, cost *float64) *RequestLog {
			r := sampleRow(0)
			r.RequestID, r.Client, r.CreatedAt, r.Cost = id, client, base.Add(at), cost
			return r
		}
		_, err := db.insertLogs(ctx, []*RequestLog{
			row("a1", "alice", -time.Minute, ptr(100.0)), // the day before
			row("a2", "alice", 0, ptr(1.5)),              // at the start: counts
			row("a3", "alice", time.Hour, nil),           // no price: counted, adds nothing
			row("a4", "alice", 2*time.Hour, ptr(0.25)),
			row("b1", "bob", time.Hour, ptr(7.0)),
			row("s1", "", time.Hour, ptr(9.0)),
		})
		require.NoError(t, err)

		cost, n, err := db.ClientSpend(ctx, "alice", base)
		require.NoError(t, err)
		assert.InDelta(t, 1.75, cost, 1e-12)
		assert.EqualValues(t, 3, n)
		cost, n, err = db.ClientSpend(ctx, "alice", time.Time{})
		require.NoError(t, err)
		assert.InDelta(t, 101.75, cost, 1e-12)
		assert.EqualValues(t, 4, n)
		// A start inside a minute: that minute's part comes from the log,
		// the rest from the rollups (hour and day rows included).
		_, err = db.insertLogs(ctx, []*RequestLog{
			row("a5", "alice", 26*time.Hour+10*time.Second, ptr(2.0)), // before the start below
			row("a6", "alice", 26*time.Hour+40*time.Second, ptr(3.0)),
			row("a7", "alice", 26*time.Hour+90*time.Second, ptr(4.0)),
			row("a8", "alice", 30*24*time.Hour, ptr(5.0)), // weeks later: day rows
		})
		require.NoError(t, err)
		cost, n, err = db.ClientSpend(ctx, "alice", base.Add(26*time.Hour+30*time.Second))
		require.NoError(t, err)
		assert.InDelta(t, 12.0, cost, 1e-12)
		assert.EqualValues(t, 3, n)
		cost, n, err = db.ClientSpend(ctx, "nobody", time.Time{})
		require.NoError(t, err)
		assert.Zero(t, cost)
		assert.Zero(t, n)

		// Only unpriced rows: 0, not an error.
		_, err = db.insertLogs(ctx, []*RequestLog{row("c1", "carol", 0, nil)})
		require.NoError(t, err)
		cost, n, err = db.ClientSpend(ctx, "carol", base)
		require.NoError(t, err)
		assert.Zero(t, cost)
		assert.EqualValues(t, 1, n)

		tail, err := db.Tail(ctx, TailFilter{Client: "bob"})
		require.NoError(t, err)
		require.Len(t, tail, 1)
		assert.Equal(t, "b1", tail[0].RequestID)

		stats, err := db.Stats(ctx, StatsFilter{By: "client", All: true})
		require.NoError(t, err)
		groups := map[string]int64{}
		for _, s := range stats {
			groups[s.Group] = s.Requests
		}
		assert.Equal(t, map[string]int64{"alice": 8, "bob": 1, "carol": 1, StaticKeyGroup: 1}, groups)
	})
}

// TestTheKeyIsNotInTheDatabaseFile stores a client and looks for its key
// in every byte of the SQLite files.
func TestTheKeyIsNotInTheDatabaseFile(t *testing.T) {
	cfg := sqliteConfig(t)
	db := mustOpen(t, cfg)
	key, hash, hint, err := clients.NewKey()
	require.NoError(t, err)
	_, err = db.CreateClient(testCtx(t), clients.Client{Name: "alice", KeyHash: hash, KeyHint: hint})
	require.NoError(t, err)
	require.NoError(t, db.Close())
	for _, suffix := range []string{"", "-wal", "-shm"} {
		data, err := os.ReadFile(cfg.DSN + suffix)
		if os.IsNotExist(err) {
			continue
		}
		require.NoError(t, err)
		assert.False(t, bytes.Contains(data, []byte(key[len(clients.KeyPrefix):])), "the key is in %s", cfg.DSN+suffix)
		if suffix == "" {
			assert.True(t, bytes.Contains(data, []byte(hash)), "the hash is stored (the file was read)")
		}
	}
}

package sqliteraw

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	_ "github.com/glebarez/sqlite" // registers database/sql driver "sqlite", to check what Conn wrote
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// newDB creates a database file with table t through database/sql and
// opens a Conn on it.
func newDB(t *testing.T, busy time.Duration) (*Conn, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "t.db")
	sdb, err := sql.Open("sqlite", path+"?_pragma=journal_mode(WAL)")
	require.NoError(t, err)
	t.Cleanup(func() { sdb.Close() })
	_, err = sdb.Exec(`CREATE TABLE t (k TEXT UNIQUE, s TEXT, b BLOB, i INTEGER, f REAL, flag INTEGER, n TEXT)`)
	require.NoError(t, err)
	c, err := Open(path, busy, "PRAGMA synchronous=NORMAL")
	require.NoError(t, err)
	t.Cleanup(func() { c.Close() })
	return c, sdb
}

const insertSQL = `INSERT INTO t (k, s, b, i, f, flag, n) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (k) DO NOTHING`

func count(t *testing.T, sdb *sql.DB) int {
	t.Helper()
	var n int
	require.NoError(t, sdb.QueryRow(`SELECT count(*) FROM t`).Scan(&n))
	return n
}

func TestExecBindsEveryType(t *testing.T) {
	c, sdb := newDB(t, time.Second)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	big := strings.Repeat("长文本 with NUL \x00 and bytes ", 40000) // > 1 MiB: the text buffer grows
	rows := []struct {
		k, s string
		b    []byte
		i    any
		f    float64
		flag bool
		n    any
	}{
		{"a", "", []byte{}, 0, 0, false, nil},
		{"b", "你好, \"quoted\" 'single'", []byte{0, 1, 2, 255}, int64(-9007199254740993), 2.5, true, "x"},
		{"c", big, []byte(big), 42, -1e300, true, nil},
		{"d", "after a big row, short again", nil, 7, 0.1, false, "y"},
	}
	for _, r := range rows {
		n, err := st.Exec(r.k, r.s, r.b, r.i, r.f, r.flag, r.n)
		require.NoError(t, err, r.k)
		assert.EqualValues(t, 1, n, r.k)
	}
	for _, r := range rows {
		var s string
		var b []byte
		var i int64
		var f float64
		var flag int
		var n sql.NullString
		require.NoError(t, sdb.QueryRow(`SELECT s, b, i, f, flag, n FROM t WHERE k = ?`, r.k).Scan(&s, &b, &i, &f, &flag, &n))
		assert.Equal(t, r.s, s, r.k)
		assert.Equal(t, len(r.b), len(b), r.k)
		assert.Equal(t, string(r.b), string(b), r.k)
		switch v := r.i.(type) {
		case int:
			assert.EqualValues(t, v, i, r.k)
		case int64:
			assert.Equal(t, v, i, r.k)
		}
		assert.Equal(t, r.f, f, r.k)
		assert.Equal(t, r.flag, flag == 1, r.k)
		assert.Equal(t, r.n != nil, n.Valid, "%s: nil is NULL, a string is not", r.k)
	}
	var typ string
	require.NoError(t, sdb.QueryRow(`SELECT typeof(s) FROM t WHERE k = 'a'`).Scan(&typ))
	assert.Equal(t, "text", typ, "an empty string is text, not NULL")
}

func TestExecReportsChanges(t *testing.T) {
	c, _ := newDB(t, time.Second)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	n, err := st.Exec("k", "s", nil, 1, 1.0, true, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 1, n)
	n, err = st.Exec("k", "other", nil, 2, 2.0, false, nil)
	require.NoError(t, err)
	assert.EqualValues(t, 0, n, "a conflicting row is skipped and not counted")
}

func TestExecBadArguments(t *testing.T) {
	c, sdb := newDB(t, time.Second)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	_, err = st.Exec("only one")
	assert.ErrorContains(t, err, "1 arguments for 7 placeholders")
	_, err = st.Exec("k", "s", nil, uint8(1), 1.0, true, nil)
	assert.ErrorContains(t, err, "argument 4 has unsupported type uint8")
	_, err = st.Exec("k", "s", nil, 1, 1.0, true, nil)
	require.NoError(t, err, "the statement is usable after a refused call")
	assert.Equal(t, 1, count(t, sdb))

	_, err = c.Prepare("INSERT INTO missing VALUES (?)")
	var se *Error
	require.ErrorAs(t, err, &se)
	assert.Contains(t, se.Msg, "no such table: missing")
	_, err = c.Prepare("  ")
	assert.ErrorContains(t, err, "no statement")
}

func TestTxCommitsOrRollsBack(t *testing.T) {
	c, sdb := newDB(t, time.Second)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	require.NoError(t, c.Tx(context.Background(), func(tx *Tx) error {
		for _, k := range []string{"1", "2", "3"} {
			if _, err := tx.Exec(st, k, "", nil, 0, 0.0, false, nil); err != nil {
				return err
			}
		}
		assert.Equal(t, 0, count(t, sdb), "uncommitted rows are not visible to other connections")
		return nil
	}))
	assert.Equal(t, 3, count(t, sdb))

	boom := errors.New("boom")
	err = c.Tx(context.Background(), func(tx *Tx) error {
		_, err := tx.Exec(st, "4", "", nil, 0, 0.0, false, nil)
		require.NoError(t, err)
		return boom
	})
	assert.ErrorIs(t, err, boom)
	assert.Equal(t, 3, count(t, sdb), "a failed transaction leaves nothing")
	require.NoError(t, c.Tx(context.Background(), func(*Tx) error { return nil }), "the connection is usable after a rollback")
}

func TestTxInterruptedByContext(t *testing.T) {
	c, sdb := newDB(t, time.Second)
	ins, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	// Runs for minutes unless interrupted.
	slow, err := c.Prepare(`WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n) SELECT count(*) FROM n WHERE x < 0`)
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	start := time.Now()
	err = c.Tx(ctx, func(tx *Tx) error {
		if _, err := tx.Exec(ins, "gone", "", nil, 0, 0.0, false, nil); err != nil {
			return err
		}
		_, err := tx.Exec(slow)
		return err
	})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "interrupt")
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Equal(t, 0, count(t, sdb), "the interrupted transaction is rolled back")

	_, err = ins.Exec("kept", "", nil, 0, 0.0, false, nil)
	require.NoError(t, err, "a later statement is not hit by the old interrupt")
	assert.Equal(t, 1, count(t, sdb))

	done, cancelDone := context.WithCancel(context.Background())
	cancelDone()
	called := false
	err = c.Tx(done, func(*Tx) error { called = true; return nil })
	assert.ErrorIs(t, err, context.Canceled)
	assert.False(t, called, "no transaction starts on an ended context")
}

func TestTxWaitsForAnotherWriter(t *testing.T) {
	c, sdb := newDB(t, 200*time.Millisecond)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	ctx := context.Background()
	other, err := sdb.Conn(ctx)
	require.NoError(t, err)
	defer other.Close()
	_, err = other.ExecContext(ctx, "BEGIN IMMEDIATE")
	require.NoError(t, err)

	start := time.Now()
	err = c.Tx(ctx, func(tx *Tx) error { _, err := tx.Exec(st, "k", "", nil, 0, 0.0, false, nil); return err })
	require.Error(t, err)
	assert.Contains(t, err.Error(), "database is locked")
	assert.GreaterOrEqual(t, time.Since(start), 150*time.Millisecond, "busy_timeout is applied")

	_, err = other.ExecContext(ctx, "COMMIT")
	require.NoError(t, err)
	require.NoError(t, c.Tx(ctx, func(tx *Tx) error { _, err := tx.Exec(st, "k", "", nil, 0, 0.0, false, nil); return err }))
	assert.Equal(t, 1, count(t, sdb))
}

func TestConcurrentUse(t *testing.T) {
	c, sdb := newDB(t, time.Second)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	var wg sync.WaitGroup
	for g := range 8 {
		wg.Go(func() {
			for i := range 50 {
				k := string(rune('a'+g)) + strings.Repeat("x", i)
				if i%2 == 0 {
					_, err := st.Exec(k, k, []byte(k), i, float64(i), true, k)
					assert.NoError(t, err)
					continue
				}
				assert.NoError(t, c.Tx(context.Background(), func(tx *Tx) error {
					_, err := tx.Exec(st, k, k, []byte(k), i, float64(i), false, nil)
					return err
				}))
			}
		})
	}
	wg.Wait()
	assert.Equal(t, 400, count(t, sdb))
	var bad int
	require.NoError(t, sdb.QueryRow(`SELECT count(*) FROM t WHERE s <> k OR b <> CAST(k AS BLOB)`).Scan(&bad))
	assert.Zero(t, bad, "every row has its own values: no buffer shared between calls")
}

func TestClose(t *testing.T) {
	c, _ := newDB(t, time.Second)
	st, err := c.Prepare(insertSQL)
	require.NoError(t, err)
	require.NoError(t, c.Close())
	require.NoError(t, c.Close(), "closing twice is harmless")
	_, err = st.Exec("k", "", nil, 0, 0.0, false, nil)
	assert.ErrorContains(t, err, "closed")
	assert.ErrorContains(t, c.Tx(context.Background(), func(*Tx) error { return nil }), "closed")
	_, err = c.Prepare(insertSQL)
	assert.ErrorContains(t, err, "closed")
}

func TestOpenMissingFile(t *testing.T) {
	_, err := Open(filepath.Join(t.TempDir(), "nope", "x.db"), time.Second)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unable to open")
}

package store

import (
	"database/sql"
	"io"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tcpProxy stands between aigw and PostgreSQL so a test can take the
// database away for real: down closes the listener and every connection
// (clients see resets, then connection refused), up listens again.
type tcpProxy struct {
	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

func startProxy(t testing.TB, target string) *tcpProxy {
	p := &tcpProxy{t: t, target: target, conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *tcpProxy) serve(ln net.Listener) {
	p.mu.Lock()
	p.ln = ln
	p.mu.Unlock()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go p.pipe(c)
		}
	}()
}

func (p *tcpProxy) pipe(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil { // went down meanwhile
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = struct{}{}, struct{}{}
	p.mu.Unlock()
	go func() { _, _ = io.Copy(server, client); server.Close() }()
	_, _ = io.Copy(client, server)
	client.Close()
}

func (p *tcpProxy) down() {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.ln != nil {
		p.ln.Close()
		p.ln = nil
	}
	for c := range p.conns {
		c.Close()
		delete(p.conns, c)
	}
}

func (p *tcpProxy) up() {
	var ln net.Listener
	var err error
	for range 50 { // the port was ours a moment ago; retry briefly
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(p.t, err, "listen again on %s", p.addr)
	p.serve(ln)
}

// viaProxy rewrites a postgres DSN to connect through addr.
func viaProxy(t testing.TB, dsn, addr string) string {
	host, port, err := net.SplitHostPort(addr)
	require.NoError(t, err)
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		u.Host = addr
		return u.String()
	}
	return dsn + " host=" + host + " port=" + port // later keys win
}

func TestPostgresOutageLosesNothing(t *testing.T) {
	cfg := postgresConfig(t)
	pc, err := pgx.ParseConfig(cfg.DSN)
	require.NoError(t, err)
	proxy := startProxy(t, net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))))
	direct := mustOpen(t, cfg) // counts rows, around the proxy
	viaCfg := cfg
	viaCfg.DSN = viaProxy(t, cfg.DSN, proxy.addr)
	db := mustOpen(t, viaCfg)

	opts := fastWriter(t, filepath.Join(t.TempDir(), "spill.jsonl"))
	opts.QueueSize, opts.MaxBuffered, opts.BatchSize = 64, 200, 50
	opts.InsertTimeout = 2 * time.Second
	w := db.NewWriter(opts)
	for i := range 100 {
		w.Enqueue(sampleRow(i))
	}
	waitFor(t, 30*time.Second, "the first rows", func() bool { return countRows(t, direct) == 100 })

	proxy.down() // PostgreSQL is gone
	const total = 1100
	for i := 100; i < total; i++ {
		w.Enqueue(sampleRow(i))
		if i%50 == 0 {
			time.Sleep(5 * time.Millisecond) // traffic goes on while it is down
		}
	}
	waitFor(t, 30*time.Second, "rows spilled during the outage", func() bool { return w.Spilled() > 0 })
	assert.EqualValues(t, 100, countRows(t, direct))

	proxy.up() // and back
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
	opts.QueueSize, opts.MaxBuffered, opts.BatchSize = 32, 100, 20
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

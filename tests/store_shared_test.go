package tests

import (
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/testdb"
)

const storeChatBody = `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`

// Several aigw instances behind a load balancer share one PostgreSQL
// database: both start (migrations under the advisory lock), both log, and
// rows sent just before each stops are all there.
func TestStoreTwoServersShareOnePostgres(t *testing.T) {
	up := newFakeUpstream(t, chatOrError)
	db := testdb.Postgres(t)
	a := serveWith(t, oneProviderConfig(up.URL, ""), db)
	b := serveWith(t, oneProviderConfig(up.URL, ""), db)

	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for _, srv := range []*servedGateway{a, b} {
		for range 4 {
			wg.Go(func() {
				for range 10 {
					status, id, _ := storeSend(srv.URL, storeChatBody)
					if status == http.StatusOK {
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	require.Len(t, ids, 80, "every request answered")
	require.NoError(t, a.Stop(t))
	require.NoError(t, b.Stop(t))

	rows := rowsIn(t, db)
	assert.Len(t, rows, 80, "one row per request from both servers")
	for _, id := range ids {
		r := rowByRequestID(t, rows, id)
		assert.Equal(t, 200, r.StatusCode)
		assert.Equal(t, "gpt-4o", r.UpstreamModel)
	}
}

// PostgreSQL goes away while the gateway serves: requests are answered as
// fast as before, /readyz says the database is unreachable, and once it is
// back every row arrives, none twice.
func TestStorePostgresOutageLosesNoRow(t *testing.T) {
	t.Chdir(t.TempDir()) // a spill file, if any, goes to ./data
	up := newFakeUpstream(t, chatOrError)
	db := testdb.Postgres(t)
	proxy := newStoreProxy(t, db.DSN)
	viaProxy := db
	viaProxy.DSN = proxy.dsn
	srv := serveWith(t, oneProviderConfig(up.URL, ""), viaProxy)

	var ids []string
	send := func(n int) {
		for range n {
			start := time.Now()
			status, id, _ := storeSend(srv.URL, storeChatBody)
			require.Equal(t, http.StatusOK, status)
			require.Less(t, time.Since(start), 2*time.Second, "logging never holds a request")
			ids = append(ids, id)
		}
	}
	send(10)
	proxy.down()
	send(30)
	resp, err := http.Get(srv.URL + "/readyz")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "/readyz: database unreachable")
	time.Sleep(500 * time.Millisecond) // the writer retries meanwhile
	proxy.up()
	send(10)
	catEventually(t, 30*time.Second, "/readyz again", func() bool {
		resp, err := http.Get(srv.URL + "/readyz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	require.NoError(t, srv.Stop(t))

	logs := srv.Logs.String()
	assert.Contains(t, logs, "log database write failed", "the outage was real")
	assert.Contains(t, logs, "log database writable again")
	rows := rowsIn(t, db)
	assert.Len(t, rows, len(ids), "no row lost, none twice")
	for _, id := range ids {
		rowByRequestID(t, rows, id)
	}
}

func storeSend(base, body string) (int, string, string) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return 0, "", err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Request-Id"), string(b)
}

// storeProxy is a TCP proxy in front of PostgreSQL: down closes it and
// every connection through it, so the database is really unreachable for
// aigw; up listens again on the same port.
type storeProxy struct {
	t      *testing.T
	target string
	addr   string
	dsn    string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]bool
}

func newStoreProxy(t *testing.T, dsn string) *storeProxy {
	pc, err := pgx.ParseConfig(dsn)
	require.NoError(t, err)
	p := &storeProxy{t: t, target: net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))), conns: map[net.Conn]bool{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	p.addr = ln.Addr().String()
	if strings.Contains(dsn, "://") {
		u, err := url.Parse(dsn)
		require.NoError(t, err)
		u.Host = p.addr
		p.dsn = u.String()
	} else {
		host, port, _ := net.SplitHostPort(p.addr)
		p.dsn = dsn + " host=" + host + " port=" + port
	}
	p.serve(ln)
	t.Cleanup(p.down)
	return p
}

func (p *storeProxy) serve(ln net.Listener) {
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

func (p *storeProxy) pipe(client net.Conn) {
	server, err := net.Dial("tcp", p.target)
	if err != nil {
		client.Close()
		return
	}
	p.mu.Lock()
	if p.ln == nil {
		p.mu.Unlock()
		client.Close()
		server.Close()
		return
	}
	p.conns[client], p.conns[server] = true, true
	p.mu.Unlock()
	go func() { _, _ = io.Copy(server, client); server.Close() }()
	_, _ = io.Copy(client, server)
	client.Close()
}

func (p *storeProxy) down() {
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

func (p *storeProxy) up() {
	var ln net.Listener
	var err error
	for range 50 {
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	require.NoError(p.t, err)
	p.serve(ln)
}

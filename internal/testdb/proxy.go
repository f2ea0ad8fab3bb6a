package testdb

import (
	"io"
	"net"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
)

// PostgresProxy is a TCP proxy in front of the test PostgreSQL server, so
// a test can take the database away for real: Down closes the listener and
// every connection through it (clients see resets, then connection
// refused), Up listens again on the same port. DSN connects through it.
type PostgresProxy struct {
	DSN string

	t      testing.TB
	target string
	addr   string

	mu    sync.Mutex
	ln    net.Listener
	conns map[net.Conn]struct{}
}

// NewPostgresProxy starts a proxy to the server dsn names.
func NewPostgresProxy(t testing.TB, dsn string) *PostgresProxy {
	t.Helper()
	pc, err := pgx.ParseConfig(dsn)
	if err != nil {
		t.Fatalf("parse postgres dsn: %v", err)
	}
	p := &PostgresProxy{t: t, target: net.JoinHostPort(pc.Host, strconv.Itoa(int(pc.Port))), conns: map[net.Conn]struct{}{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p.addr = ln.Addr().String()
	p.DSN = viaAddr(dsn, p.addr)
	p.serve(ln)
	t.Cleanup(p.Down)
	return p
}

// viaAddr rewrites a URL or key=value DSN to connect to addr.
func viaAddr(dsn, addr string) string {
	if strings.Contains(dsn, "://") {
		if u, err := url.Parse(dsn); err == nil {
			u.Host = addr
			return u.String()
		}
	}
	host, port, _ := net.SplitHostPort(addr)
	return dsn + " host=" + host + " port=" + port // later keys win
}

func (p *PostgresProxy) serve(ln net.Listener) {
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

func (p *PostgresProxy) pipe(client net.Conn) {
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

// Down makes the database unreachable through the proxy.
func (p *PostgresProxy) Down() {
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

// Up makes it reachable again, on the same address.
func (p *PostgresProxy) Up() {
	var ln net.Listener
	var err error
	for range 50 { // the port was ours a moment ago; retry briefly
		if ln, err = net.Listen("tcp", p.addr); err == nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("listen again on %s: %v", p.addr, err)
	}
	p.serve(ln)
}

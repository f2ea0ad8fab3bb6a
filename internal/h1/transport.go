// Package h1 is an HTTP/1.1 client transport that runs each exchange on the
// caller's goroutine.
//
// net/http's Transport hands every request to two goroutines per connection
// (a writer and a reader) and back through channels. On a small machine
// those hand-offs cost more than the rest of a gateway request together:
// measured on two cores against a local upstream, a plain
// httputil.ReverseProxy spent about 70 µs of CPU per request, and the same
// proxy with this transport about 29 µs (docs/benchmark.md). This transport
// writes the request and reads the response where RoundTrip is called,
// parses with net/http's own ReadResponse, keeps idle connections in a
// per-host stack, and cancels through the request context by expiring the
// connection's deadline, so a client that goes away still stops the upstream
// request at once.
//
// It speaks HTTP/1.1 only, over TCP or TLS (ALPN "http/1.1"). Requests that
// go through a proxy (Proxy returns a URL) are handed to Fallback, which is
// usually a net/http Transport: proxies are remote and slow anyway, and
// net/http already knows every proxy kind.
package h1

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"golang.org/x/net/http/httpguts"
)

// Transport is an http.RoundTripper. The zero value is not usable; set at
// least DialContext or rely on New's defaults.
type Transport struct {
	// DialContext opens TCP connections; the context carries the request's
	// deadline and cancellation.
	DialContext func(ctx context.Context, network, addr string) (net.Conn, error)
	// TLSClientConfig is cloned per host; ServerName and NextProtos are set
	// by the transport.
	TLSClientConfig     *tls.Config
	TLSHandshakeTimeout time.Duration
	// MaxIdleConnsPerHost bounds the idle pool of each host; further
	// connections are closed when their response ends.
	MaxIdleConnsPerHost int
	// IdleConnTimeout closes connections idle for longer.
	IdleConnTimeout time.Duration
	ReadBufferSize  int
	WriteBufferSize int
	// UserAgent is sent when the request has none.
	UserAgent string
	// Proxy picks a proxy per request, like http.Transport.Proxy. Requests
	// with a proxy go to Fallback.
	Proxy    func(*http.Request) (*url.URL, error)
	Fallback http.RoundTripper

	mu      sync.Mutex
	idle    map[connKey][]*conn
	tlsConf map[string]*tls.Config
	sweeper *time.Timer
}

// New returns a Transport with sizes fit for a gateway: hundreds of
// concurrent requests per upstream, 90 s idle timeout, 10 s TLS handshake.
// Proxied requests go to fallback when proxy names one.
func New(dial func(ctx context.Context, network, addr string) (net.Conn, error),
	proxy func(*http.Request) (*url.URL, error), fallback http.RoundTripper) *Transport {
	return &Transport{
		DialContext:         dial,
		TLSHandshakeTimeout: 10 * time.Second,
		MaxIdleConnsPerHost: 512,
		IdleConnTimeout:     90 * time.Second,
		ReadBufferSize:      16 << 10,
		WriteBufferSize:     16 << 10,
		Proxy:               proxy,
		Fallback:            fallback,
	}
}

type connKey struct {
	tls  bool
	addr string // host:port
}

// conn is one upstream connection with its buffers.
type conn struct {
	key      connKey
	nc       net.Conn // what the HTTP bytes go through (TLS or TCP)
	peek     *peeker  // looks at the TCP connection under nc while idle
	br       *bufio.Reader
	bw       *bufio.Writer
	read     int64 // bytes read from nc since the current request began
	written  int64 // bytes of the current request nc accepted
	src      bodyReader
	limit    int64 // while reading headers, the most bytes they may take
	idleFrom time.Time
}

// maxHeaderBytes bounds a response's header block, as net/http's
// Transport does (10 MB there), so a broken upstream cannot grow memory
// without end; maxInterim bounds 1xx responses before the final one.
const (
	maxHeaderBytes = 1 << 20
	maxInterim     = 5
)

var errHeaderTooLarge = errors.New("response headers larger than 1 MiB")

func (c *conn) Read(p []byte) (int, error) {
	if c.limit > 0 && c.read >= c.limit {
		return 0, errHeaderTooLarge
	}
	n, err := c.nc.Read(p)
	c.read += int64(n)
	return n, err
}

// Write counts what the connection accepts below the bufio.Writer, so that
// RoundTrip knows whether any byte of a request reached the upstream.
func (c *conn) Write(p []byte) (int, error) {
	n, err := c.nc.Write(p)
	c.written += int64(n)
	return n, err
}

// aLongTimeAgo is a deadline in the past: setting it makes any blocked or
// future Read/Write on the connection fail at once.
var aLongTimeAgo = time.Unix(1, 0)

func (c *conn) abort() { _ = c.nc.SetDeadline(aLongTimeAgo) }

func (c *conn) close() { _ = c.nc.Close() }

// RoundTrip sends req and returns the response with its headers; the body
// is read from the connection as the caller reads it.
//
// Each request reaches the upstream at most once per call, as with
// net/http's Transport: when a reused connection fails, the request is sent
// again on a new connection only if the old one accepted none of its
// bytes, or if it is a GET, HEAD, OPTIONS or TRACE whose connection closed
// before any response byte. A connection on which the upstream sent bytes
// nobody asked for (an extra response) is closed, never reused.
func (t *Transport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL == nil {
		closeBody(req)
		return nil, errors.New("h1: request has no URL")
	}
	if t.Proxy != nil {
		p, err := t.Proxy(req)
		if err != nil {
			closeBody(req)
			return nil, fmt.Errorf("h1: choose a proxy for %s: %w", req.URL.Host, err)
		}
		if p != nil {
			if t.Fallback == nil {
				closeBody(req)
				return nil, fmt.Errorf("h1: %s is to be reached through proxy %s, and this transport has no fallback for proxies", req.URL.Host, p.Redacted())
			}
			return t.Fallback.RoundTrip(req)
		}
	}
	key, err := keyOf(req.URL)
	if err != nil {
		closeBody(req)
		return nil, err
	}
	if err := validRequest(req); err != nil {
		closeBody(req)
		return nil, err
	}
	ctx := req.Context()
	if err := ctx.Err(); err != nil {
		// Not sent; an idle connection taken now would be lost to the abort.
		closeBody(req)
		return nil, err
	}
	for retried := false; ; retried = true {
		var c *conn
		var reused bool
		if retried {
			// Connections idle beside the stale one may be stale too.
			c, err = t.dial(ctx, key, req.URL.Hostname())
		} else {
			c, reused, err = t.getConn(ctx, key, req.URL.Hostname())
		}
		if err != nil {
			closeBody(req)
			return nil, err
		}
		resp, err := t.exchange(ctx, c, req)
		if err == nil {
			return resp, nil
		}
		// A reused connection can turn out dead only once the request is
		// on its way; mayResend says when sending it again on a new
		// connection cannot make the upstream act on it twice. reused is
		// false on the retry, which always dials: one retry at most.
		if reused && ctx.Err() == nil && mayResend(req, c, err) {
			closeBody(req)
			if body, gerr := rewind(req); gerr == nil {
				req = body
				continue
			}
		}
		closeBody(req)
		return nil, err
	}
}

// exchange writes req on c and reads the response headers. On error the
// connection is closed.
func (t *Transport) exchange(ctx context.Context, c *conn, req *http.Request) (*http.Response, error) {
	c.read, c.written, c.limit = 0, 0, maxHeaderBytes
	stop := context.AfterFunc(ctx, c.abort)
	fail := func(err error) (*http.Response, error) {
		stop()
		c.close()
		if ctxErr := ctx.Err(); ctxErr != nil {
			return nil, ctxErr
		}
		return nil, err
	}
	if err := t.writeRequest(c, req); err != nil {
		return fail(fmt.Errorf("h1: write request to %s: %w", c.key.addr, err))
	}
	var resp *http.Response
	for interim := 0; ; interim++ {
		if interim > maxInterim {
			return fail(fmt.Errorf("h1: %s sent more than %d informational (1xx) responses", c.key.addr, maxInterim))
		}
		r, err := http.ReadResponse(c.br, req)
		if err != nil {
			return fail(fmt.Errorf("h1: read response from %s: %w", c.key.addr, err))
		}
		if r.StatusCode >= 200 || r.StatusCode < 100 {
			resp = r
			break
		}
		if r.StatusCode == http.StatusSwitchingProtocols {
			return fail(fmt.Errorf("h1: %s switched protocols, which this transport does not support", c.key.addr))
		}
		// 100 Continue, 103 Early Hints: informational, the answer follows.
	}
	c.limit = 0 // the body is bounded by its reader, not here
	b := &body{ctx: ctx, t: t, c: c, stop: stop, keep: !resp.Close && !req.Close}
	if resp.Body == http.NoBody || resp.Body == nil {
		resp.Body = http.NoBody
		b.release(true)
		return resp, nil
	}
	b.rc = resp.Body
	resp.Body = b
	return resp, nil
}

// writeRequest writes the request line, headers and body, then flushes.
// Content-Length is sent when known; otherwise the body is chunked.
func (t *Transport) writeRequest(c *conn, req *http.Request) error {
	bw := c.bw
	method := req.Method
	if method == "" {
		method = http.MethodGet
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	_, _ = bw.WriteString(method)
	_ = bw.WriteByte(' ')
	_, _ = bw.WriteString(req.URL.RequestURI())
	_, _ = bw.WriteString(" HTTP/1.1\r\nHost: ")
	_, _ = bw.WriteString(host)
	_, _ = bw.WriteString("\r\n")
	for k, vs := range req.Header {
		switch k {
		case "Host", "Content-Length", "Transfer-Encoding", "Connection", "Keep-Alive", "Te", "Upgrade", "Trailer", "Proxy-Connection":
			continue
		}
		for _, v := range vs {
			if v == "" && k == "User-Agent" {
				continue // an empty User-Agent means none, as in net/http
			}
			_, _ = bw.WriteString(k)
			_, _ = bw.WriteString(": ")
			_, _ = bw.WriteString(v)
			_, _ = bw.WriteString("\r\n")
		}
	}
	if _, ok := req.Header["User-Agent"]; !ok && t.UserAgent != "" {
		_, _ = bw.WriteString("User-Agent: ")
		_, _ = bw.WriteString(t.UserAgent)
		_, _ = bw.WriteString("\r\n")
	}
	if req.Close {
		_, _ = bw.WriteString("Connection: close\r\n")
	}
	hasBody := req.Body != nil && req.Body != http.NoBody
	switch {
	case hasBody && req.ContentLength > 0, !hasBody && bodyMethod(method):
		_, _ = bw.WriteString("Content-Length: ")
		_, _ = bw.WriteString(strconv.FormatInt(max(req.ContentLength, 0), 10))
		_, _ = bw.WriteString("\r\n\r\n")
		if hasBody && req.ContentLength > 0 {
			src := c.body(req.Body, req.ContentLength)
			n, err := io.Copy(bw, src)
			src.r = nil
			if src.err != nil {
				return &bodyReadError{fmt.Errorf("read request body: %w", src.err)}
			}
			if err != nil {
				return err
			}
			if n != req.ContentLength {
				return &bodyReadError{fmt.Errorf("request body is %d bytes, not the %d of its ContentLength", n, req.ContentLength)}
			}
		}
	case hasBody:
		_, _ = bw.WriteString("Transfer-Encoding: chunked\r\n\r\n")
		cw := httputil.NewChunkedWriter(bw)
		src := c.body(req.Body, -1)
		_, err := io.Copy(cw, src)
		src.r = nil
		if err != nil {
			if src.err != nil {
				return &bodyReadError{fmt.Errorf("read request body: %w", src.err)}
			}
			return err
		}
		if err := cw.Close(); err != nil {
			return err
		}
		_, _ = bw.WriteString("\r\n")
	default:
		_, _ = bw.WriteString("\r\n")
	}
	if hasBody {
		_ = req.Body.Close()
	}
	return bw.Flush()
}

func bodyMethod(m string) bool {
	return m == http.MethodPost || m == http.MethodPut || m == http.MethodPatch
}

// body is a response body; it gives its connection back to the idle pool
// once read to the end, or closes it when abandoned earlier.
type body struct {
	ctx  context.Context
	rc   io.ReadCloser
	t    *Transport
	c    *conn
	stop func() bool
	keep bool

	mu   sync.Mutex
	done bool
}

func (b *body) Read(p []byte) (int, error) {
	n, err := b.rc.Read(p)
	if err == io.EOF {
		b.release(true)
	} else if err != nil {
		// A cancelled request reads as cancelled, not as the expired
		// deadline that stopped the read.
		if ctxErr := b.ctx.Err(); ctxErr != nil {
			err = ctxErr
		}
	}
	return n, err
}

// Buffered is how many bytes of the connection are already read and not
// yet returned: a Read would not wait for the network. Zero once the
// exchange is over (the connection may serve another by then).
func (b *body) Buffered() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.done {
		return 0
	}
	return b.c.br.Buffered()
}

// Close may run while another goroutine is in Read: closing the connection
// is what unblocks that Read.
func (b *body) Close() error {
	b.release(false)
	return nil
}

// release ends the exchange once: a connection read to the end of its
// response, not asked to close and not aborted goes back to the pool.
func (b *body) release(atEOF bool) {
	b.mu.Lock()
	if b.done {
		b.mu.Unlock()
		return
	}
	b.done = true
	b.mu.Unlock()
	// Bytes already read past the end of the response are an answer to no
	// request; on a reused connection they would be taken for the next
	// request's answer. net/http's Transport closes such a connection too.
	if atEOF && b.stop() && b.keep && b.c.br.Buffered() == 0 {
		b.t.putIdle(b.c)
		return
	}
	b.stop()
	b.c.close()
}

// getConn takes the most recently used idle connection to key, or dials.
func (t *Transport) getConn(ctx context.Context, key connKey, serverName string) (*conn, bool, error) {
	now := time.Now()
	for {
		t.mu.Lock()
		stack := t.idle[key]
		if len(stack) == 0 {
			t.mu.Unlock()
			break
		}
		c := stack[len(stack)-1]
		stack[len(stack)-1] = nil
		t.idle[key] = stack[:len(stack)-1]
		t.mu.Unlock()
		if t.IdleConnTimeout > 0 && now.Sub(c.idleFrom) > t.IdleConnTimeout {
			c.close()
			continue
		}
		// The upstream may have closed the connection while it was idle,
		// or written to it unasked; either way it cannot carry this
		// request. Checked on every reuse: without a reader goroutine per
		// connection, this is when the transport can see it.
		if !c.reusable() {
			c.close()
			continue
		}
		return c, true, nil
	}
	c, err := t.dial(ctx, key, serverName)
	return c, false, err
}

func (t *Transport) dial(ctx context.Context, key connKey, serverName string) (*conn, error) {
	dial := t.DialContext
	if dial == nil {
		dial = (&net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}).DialContext
	}
	raw, err := dial(ctx, "tcp", key.addr)
	if err != nil {
		return nil, err
	}
	nc := raw
	if key.tls {
		tc := tls.Client(raw, t.tlsConfig(serverName))
		hctx := ctx
		if t.TLSHandshakeTimeout > 0 {
			var cancel context.CancelFunc
			hctx, cancel = context.WithTimeout(ctx, t.TLSHandshakeTimeout)
			defer cancel()
		}
		if err := tc.HandshakeContext(hctx); err != nil {
			_ = raw.Close()
			return nil, fmt.Errorf("h1: TLS handshake with %s: %w", key.addr, err)
		}
		if p := tc.ConnectionState().NegotiatedProtocol; p != "" && p != "http/1.1" {
			_ = tc.Close()
			return nil, fmt.Errorf("h1: %s negotiated %q instead of http/1.1", key.addr, p)
		}
		nc = tc
	}
	c := &conn{key: key, nc: nc, peek: newPeeker(raw)}
	c.br = bufio.NewReaderSize(c, max(t.ReadBufferSize, 4096))
	c.bw = bufio.NewWriterSize(c, max(t.WriteBufferSize, 4096))
	return c, nil
}

// tlsConfig returns the per-host TLS config, built once: a shared session
// cache makes reconnections cheap.
func (t *Transport) tlsConfig(serverName string) *tls.Config {
	t.mu.Lock()
	defer t.mu.Unlock()
	if cfg, ok := t.tlsConf[serverName]; ok {
		return cfg
	}
	var cfg *tls.Config
	if t.TLSClientConfig != nil {
		cfg = t.TLSClientConfig.Clone()
	} else {
		cfg = &tls.Config{MinVersion: tls.VersionTLS12}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = serverName
	}
	cfg.NextProtos = []string{"http/1.1"}
	if cfg.ClientSessionCache == nil {
		cfg.ClientSessionCache = tls.NewLRUClientSessionCache(64)
	}
	if t.tlsConf == nil {
		t.tlsConf = make(map[string]*tls.Config)
	}
	t.tlsConf[serverName] = cfg
	return cfg
}

// putIdle keeps c for the next request to its host, within the per-host
// bound, and makes sure a sweep will close it if it stays idle too long.
func (t *Transport) putIdle(c *conn) {
	c.idleFrom = time.Now()
	t.mu.Lock()
	if t.MaxIdleConnsPerHost > 0 && len(t.idle[c.key]) >= t.MaxIdleConnsPerHost {
		t.mu.Unlock()
		c.close()
		return
	}
	if t.idle == nil {
		t.idle = make(map[connKey][]*conn)
	}
	t.idle[c.key] = append(t.idle[c.key], c)
	if t.sweeper == nil && t.IdleConnTimeout > 0 {
		t.sweeper = time.AfterFunc(t.IdleConnTimeout, t.sweep)
	}
	t.mu.Unlock()
}

// sweep closes connections idle past IdleConnTimeout and re-arms itself
// while any remain.
func (t *Transport) sweep() {
	now := time.Now()
	var expired []*conn
	t.mu.Lock()
	for k, stack := range t.idle {
		// The stack is oldest first; keep the tail that is still fresh.
		i := 0
		for i < len(stack) && now.Sub(stack[i].idleFrom) > t.IdleConnTimeout {
			i++
		}
		expired = append(expired, stack[:i]...)
		if i == len(stack) {
			delete(t.idle, k)
			continue
		}
		t.idle[k] = append(stack[:0], stack[i:]...)
	}
	if len(t.idle) > 0 {
		t.sweeper.Reset(t.IdleConnTimeout / 2)
	} else {
		t.sweeper = nil
	}
	t.mu.Unlock()
	for _, c := range expired {
		c.close()
	}
}

// CloseIdleConnections closes every idle connection (http.Client calls it).
func (t *Transport) CloseIdleConnections() {
	t.mu.Lock()
	idle := t.idle
	t.idle = nil
	t.mu.Unlock()
	for _, stack := range idle {
		for _, c := range stack {
			c.close()
		}
	}
	if f, ok := t.Fallback.(interface{ CloseIdleConnections() }); ok {
		f.CloseIdleConnections()
	}
}

// IdleConns reports how many idle connections the pool holds.
func (t *Transport) IdleConns() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	n := 0
	for _, s := range t.idle {
		n += len(s)
	}
	return n
}

func keyOf(u *url.URL) (connKey, error) {
	host := u.Host
	if host == "" {
		return connKey{}, fmt.Errorf("h1: URL %q has no host", u.Redacted())
	}
	var useTLS bool
	var port string
	switch u.Scheme {
	case "http":
		port = "80"
	case "https":
		useTLS, port = true, "443"
	default:
		return connKey{}, fmt.Errorf("h1: unsupported URL scheme %q (want http or https)", u.Scheme)
	}
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), port)
	}
	return connKey{tls: useTLS, addr: host}, nil
}

// validRequest refuses what would break out of the request line or a
// header line, as net/http's Request.Write does.
func validRequest(req *http.Request) error {
	if m := req.Method; m != "" && strings.IndexFunc(m, func(r rune) bool { return !httpguts.IsTokenRune(r) }) >= 0 {
		return fmt.Errorf("h1: invalid method %q", m)
	}
	host := req.Host
	if host == "" {
		host = req.URL.Host
	}
	if !httpguts.ValidHostHeader(host) {
		return fmt.Errorf("h1: invalid Host %q", host)
	}
	if strings.ContainsFunc(req.URL.RequestURI(), func(r rune) bool { return r < ' ' || r == 0x7f }) {
		return errors.New("h1: control character in request URL")
	}
	return validHeaders(req.Header)
}

func validHeaders(h http.Header) error {
	for k, vs := range h {
		if !httpguts.ValidHeaderFieldName(k) {
			return fmt.Errorf("h1: invalid header name %q", k)
		}
		for _, v := range vs {
			if !httpguts.ValidHeaderFieldValue(v) {
				return fmt.Errorf("h1: invalid value for header %q (control characters)", k)
			}
		}
	}
	return nil
}

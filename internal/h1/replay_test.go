package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// receipts counts the requests a test server read, by body.
type receipts struct {
	mu sync.Mutex
	n  map[string]int
}

func (r *receipts) add(body []byte) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.n == nil {
		r.n = map[string]int{}
	}
	r.n[string(body)]++
}

func (r *receipts) of(body string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.n[body]
}

// waitFor fails the test when ch says nothing within 2 s.
func waitFor(t *testing.T, ch <-chan struct{}, what string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(2 * time.Second):
		t.Fatal(what)
	}
}

// ---- requests are never sent twice once written ----------------------------

// TestNoReplayAfterRequestWritten: the upstream reads the whole request on
// a reused connection and hangs up without answering. A POST may already be
// acted on (and billed), so it is not sent again: RoundTrip fails and the
// upstream got it once. GET is replayable by net/http's rules and is sent
// once more on a new connection.
func TestNoReplayAfterRequestWritten(t *testing.T) {
	cases := []struct {
		method   string
		body     string
		wantErr  bool
		receipts int
	}{
		{http.MethodPost, "payload", true, 1},
		{http.MethodPut, "payload", true, 1},
		{http.MethodPatch, "payload", true, 1},
		{http.MethodDelete, "", true, 1},
		{http.MethodGet, "", false, 2},
	}
	for _, tc := range cases {
		t.Run(tc.method, func(t *testing.T) {
			var got receipts
			srv := startRaw(t, func(_ int, c net.Conn) {
				nth := 0
				serveHTTP(c, func(req *http.Request, body []byte) (string, bool) {
					got.add([]byte(req.Method + " " + string(body)))
					nth++
					if nth == 1 {
						return okResp, true
					}
					return "", false // the second request on a connection: read, then hang up
				})
			})
			tr := newTransport(t)
			_, first := roundTrip(t, tr, newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("first")))
			require.Equal(t, "ok", first)
			require.Equal(t, 1, tr.IdleConns())

			var body io.Reader
			if tc.body != "" {
				body = strings.NewReader(tc.body) // rewindable: GetBody is set
			}
			req := newRequest(t, tc.method, srv.url("/"), body)
			resp, err := tr.RoundTrip(req)
			if tc.wantErr {
				require.Error(t, err, "the request was written and the connection closed: an error, not a silent resend")
				require.ErrorIs(t, err, io.ErrUnexpectedEOF)
				require.EqualValues(t, 1, srv.accepted.Load(), "no new connection for a resend")
			} else {
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				require.Equal(t, "ok", string(b))
			}
			require.Equal(t, tc.receipts, got.of(tc.method+" "+tc.body), "receipts of the request")
		})
	}
}

// TestIdleConnClosedBeforeWrite: the upstream ends a kept-alive connection
// while it is idle, within the second before the next request. The request
// must go out once, on a new connection, and succeed; nothing of it may be
// written to the dead one, which a half-closing upstream would still read.
func TestIdleConnClosedBeforeWrite(t *testing.T) {
	cases := []struct {
		name      string
		halfClose bool
	}{
		{"upstream closes", false},
		{"upstream half-closes and keeps reading", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got receipts
			ended := make(chan struct{}, 4)
			srv := startRaw(t, func(idx int, c net.Conn) {
				br := bufio.NewReader(c)
				for nth := 0; ; nth++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					body, err := io.ReadAll(req.Body)
					if err != nil {
						return
					}
					got.add(body)
					if idx > 0 || nth > 0 {
						_, _ = io.WriteString(c, okResp)
						continue
					}
					// The first connection answers once, then ends.
					_, _ = io.WriteString(c, okResp)
					if !tc.halfClose {
						_ = c.Close()
						ended <- struct{}{}
						return
					}
					_ = c.(*net.TCPConn).CloseWrite()
					ended <- struct{}{}
				}
			})
			d := &countingDialer{}
			tr := newTransport(t)
			tr.DialContext = d.dial
			_, first := roundTrip(t, tr, newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("first")))
			require.Equal(t, "ok", first)
			waitFor(t, ended, "the upstream did not end the connection")
			time.Sleep(20 * time.Millisecond) // the FIN reaches the client

			_, body := roundTrip(t, tr, newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("payload")))
			require.Equal(t, "ok", body)
			require.Equal(t, 1, got.of("payload"), "sent once")
			require.Equal(t, 2, d.dials())
			require.EqualValues(t, 1, d.writesOn(0), "nothing written to the dead connection")
			require.EqualValues(t, 1, d.writesOn(1))
		})
	}
}

// failingConn fails every Write after the first okWrites, after passing on
// accept bytes of it: a connection that dies while the request is written.
type failingConn struct {
	net.Conn
	okWrites int
	accept   int
}

func (c *failingConn) Write(p []byte) (int, error) {
	if c.okWrites > 0 {
		c.okWrites--
		return c.Conn.Write(p)
	}
	n := 0
	if c.accept > 0 {
		n, _ = c.Conn.Write(p[:min(c.accept, len(p))])
	}
	return n, &net.OpError{Op: "write", Net: "tcp", Err: os.NewSyscallError("write", syscall.EPIPE)}
}

// TestResendOnlyWhenNothingWritten: the reused connection fails while the
// next POST is written. With no byte of it accepted, the POST is sent on a
// new connection (the upstream cannot have seen it); with some bytes
// accepted it is not, as the upstream may have begun to act on it.
func TestResendOnlyWhenNothingWritten(t *testing.T) {
	cases := []struct {
		name     string
		accept   int
		wantErr  bool
		receipts int
		dials    int
	}{
		{"nothing written", 0, false, 1, 2},
		{"part written", 10, true, 0, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var got receipts
			srv := startRaw(t, func(_ int, c net.Conn) {
				serveHTTP(c, func(_ *http.Request, body []byte) (string, bool) {
					got.add(body)
					return okResp, true
				})
			})
			var dials atomic.Int32
			tr := newTransport(t)
			tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
				c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
				if err != nil || dials.Add(1) > 1 {
					return c, err
				}
				return &failingConn{Conn: c, okWrites: 1, accept: tc.accept}, nil
			}
			_, first := roundTrip(t, tr, newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("first")))
			require.Equal(t, "ok", first)

			resp, err := tr.RoundTrip(newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("payload")))
			if tc.wantErr {
				require.ErrorIs(t, err, syscall.EPIPE)
			} else {
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.NoError(t, resp.Body.Close())
				require.Equal(t, "ok", string(b))
			}
			require.EqualValues(t, tc.dials, dials.Load())
			// The server may still be reading the cut-off request; give
			// a wrongly resent one time to arrive before counting.
			time.Sleep(20 * time.Millisecond)
			require.Equal(t, tc.receipts, got.of("payload"))
		})
	}
}

// ---- unsolicited responses never reach the next request --------------------

const smuggled = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"id\":\"SMUGGLED\"}"

// idResp answers with the request's path as its id.
func idResp(req *http.Request) string {
	body := fmt.Sprintf(`{"id":%q}`, req.URL.Path)
	return fmt.Sprintf("HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
}

// heldConn holds what is written to it while hold is set, so that several
// writes (TLS records) leave in one TCP segment.
type heldConn struct {
	net.Conn
	hold bool
	buf  bytes.Buffer
}

func (c *heldConn) Write(p []byte) (int, error) {
	if c.hold {
		return c.buf.Write(p)
	}
	return c.Conn.Write(p)
}

func (c *heldConn) release() error {
	c.hold = false
	_, err := c.Conn.Write(c.buf.Bytes())
	c.buf.Reset()
	return err
}

// testTLS returns a server config with httptest's certificate and a
// client config that trusts it.
func testTLS(t *testing.T) (server, client *tls.Config) {
	t.Helper()
	s := httptest.NewUnstartedServer(http.NotFoundHandler())
	s.StartTLS()
	server = s.TLS.Clone()
	pool := x509.NewCertPool()
	pool.AddCert(s.Certificate())
	s.Close()
	return server, &tls.Config{RootCAs: pool}
}

// TestUnsolicitedResponseNeverDelivered: the upstream answers the first
// request on each connection twice, the second answer being
// {"id":"SMUGGLED"}; it comes in the same write, or later while the
// connection is idle. The next requests must each get their own answer.
// Over TLS, "same segment" puts the extra answer in its own record in the
// same TCP segment, where the TLS layer reads it from the socket but the
// response reader has not asked for it yet.
func TestUnsolicitedResponseNeverDelivered(t *testing.T) {
	cases := []struct {
		name  string
		tls   bool
		later bool
	}{
		{"same write", false, false},
		{"later write", false, true},
		{"TLS same segment", true, false},
		{"TLS later write", true, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			serverTLS, clientTLS := testTLS(t)
			sent := make(chan struct{}, 8)
			srv := startRaw(t, func(_ int, c net.Conn) {
				hc := &heldConn{Conn: c}
				var rw net.Conn = hc
				if tc.tls {
					sc := tls.Server(hc, serverTLS)
					if err := sc.Handshake(); err != nil {
						return
					}
					rw = sc
				}
				nth := 0
				serveHTTP(rw, func(req *http.Request, _ []byte) (string, bool) {
					nth++
					if nth > 1 {
						return idResp(req), true
					}
					if !tc.later {
						hc.hold = true
						_, _ = io.WriteString(rw, idResp(req))
						_, _ = io.WriteString(rw, smuggled)
						_ = hc.release()
					} else {
						_, _ = io.WriteString(rw, idResp(req))
						time.Sleep(30 * time.Millisecond)
						_, _ = io.WriteString(rw, smuggled)
					}
					sent <- struct{}{}
					return "", true
				})
			})
			tr := newTransport(t)
			tr.TLSClientConfig = clientTLS
			scheme := "http"
			if tc.tls {
				scheme = "https"
			}
			base := scheme + "://" + srv.addr
			for i := 1; i <= 3; i++ {
				path := fmt.Sprintf("/%d", i)
				require.Equal(t, fmt.Sprintf(`{"id":%q}`, path), get(t, tr, base+path), "request %d", i)
				waitFor(t, sent, "the upstream did not answer")
				time.Sleep(20 * time.Millisecond) // the extra answer reaches the client
			}
			require.EqualValues(t, 3, srv.accepted.Load(), "a connection with unsolicited bytes is never reused")
		})
	}
}

// TestIdleTLSConnReused: a TLS connection with nothing unsolicited on it
// passes the reuse check (no false alarm from the TLS layer).
func TestIdleTLSConnReused(t *testing.T) {
	serverTLS, clientTLS := testTLS(t)
	srv := startRaw(t, func(_ int, c net.Conn) {
		serveHTTP(tls.Server(c, serverTLS), func(req *http.Request, _ []byte) (string, bool) { return idResp(req), true })
	})
	tr := newTransport(t)
	tr.TLSClientConfig = clientTLS
	for i := range 5 {
		path := fmt.Sprintf("/%d", i)
		require.Equal(t, fmt.Sprintf(`{"id":%q}`, path), get(t, tr, "https://"+srv.addr+path))
		time.Sleep(5 * time.Millisecond)
	}
	require.EqualValues(t, 1, srv.accepted.Load())
}

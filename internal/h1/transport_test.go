package h1

import (
	"bufio"
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// ---- helpers ---------------------------------------------------------------

// server is an httptest server that counts the TCP connections it accepts
// and the ones that end.
type server struct {
	*httptest.Server
	opened atomic.Int32
	closed atomic.Int32
}

func startServer(t *testing.T, h http.HandlerFunc, useTLS bool) *server {
	t.Helper()
	s := &server{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		switch st {
		case http.StateNew:
			s.opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			s.closed.Add(1)
		}
	}
	// Failed TLS handshakes are expected in some tests; keep them quiet.
	s.Config.ErrorLog = log.New(io.Discard, "", 0)
	if useTLS {
		s.StartTLS()
	} else {
		s.Start()
	}
	t.Cleanup(s.Close)
	return s
}

func newServer(t *testing.T, h http.HandlerFunc) *server { return startServer(t, h, false) }

// newTransport returns New's defaults; its idle connections are closed
// before the test's servers shut down (cleanups run last in, first out).
func newTransport(t *testing.T) *Transport {
	tr := New(nil, nil, nil)
	t.Cleanup(tr.CloseIdleConnections)
	return tr
}

// newRequest builds a request with a 5 s deadline, so that a framing bug
// which leaves both ends waiting fails the test instead of hanging it.
func newRequest(t *testing.T, method, u string, body io.Reader) *http.Request {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, method, u, body)
	require.NoError(t, err)
	return req
}

// roundTrip sends req, reads the whole body and closes it.
func roundTrip(t *testing.T, rt http.RoundTripper, req *http.Request) (*http.Response, string) {
	t.Helper()
	resp, err := rt.RoundTrip(req)
	require.NoError(t, err)
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	return resp, string(b)
}

func get(t *testing.T, rt http.RoundTripper, u string) string {
	t.Helper()
	_, body := roundTrip(t, rt, newRequest(t, http.MethodGet, u, nil))
	return body
}

// rawServer is a TCP server on 127.0.0.1 for byte-level control: serve runs
// on each accepted connection in its own goroutine. Cleanup closes the
// listener and every connection and waits for the goroutines.
type rawServer struct {
	addr     string
	accepted atomic.Int32

	wg    sync.WaitGroup
	mu    sync.Mutex
	conns []net.Conn
	done  bool
}

func startRaw(t *testing.T, serve func(idx int, c net.Conn)) *rawServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s := &rawServer{addr: ln.Addr().String()}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s.mu.Lock()
			if s.done {
				s.mu.Unlock()
				_ = c.Close()
				return
			}
			s.conns = append(s.conns, c)
			s.wg.Add(1)
			s.mu.Unlock()
			idx := int(s.accepted.Add(1)) - 1
			go func() {
				defer s.wg.Done()
				defer c.Close()
				serve(idx, c)
			}()
		}
	}()
	t.Cleanup(func() {
		_ = ln.Close()
		s.mu.Lock()
		s.done = true
		for _, c := range s.conns {
			_ = c.Close()
		}
		s.mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) url(path string) string { return "http://" + s.addr + path }

// serveHTTP reads requests on c one after another and writes what reply
// returns for each; it stops after a reply that does not keep the
// connection open, or when reading fails.
func serveHTTP(c net.Conn, reply func(req *http.Request, body []byte) (raw string, keepOpen bool)) {
	br := bufio.NewReader(c)
	for {
		req, err := http.ReadRequest(br)
		if err != nil {
			return
		}
		body, err := io.ReadAll(req.Body)
		if err != nil {
			return
		}
		raw, keep := reply(req, body)
		if raw != "" {
			if _, err := io.WriteString(c, raw); err != nil {
				return
			}
		}
		if !keep {
			return
		}
	}
}

const okResp = "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"

// countingDialer dials TCP and counts Write calls on each connection. The
// connection it returns embeds *net.TCPConn, so it is still a syscall.Conn
// and the transport's liveness peek works on it.
type countingDialer struct {
	mu     sync.Mutex
	writes []*atomic.Int32
}

type writeCounter struct {
	*net.TCPConn
	writes *atomic.Int32
}

func (c writeCounter) Write(p []byte) (int, error) {
	c.writes.Add(1)
	return c.TCPConn.Write(p)
}

func (d *countingDialer) dial(ctx context.Context, network, addr string) (net.Conn, error) {
	c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
	if err != nil {
		return nil, err
	}
	w := new(atomic.Int32)
	d.mu.Lock()
	d.writes = append(d.writes, w)
	d.mu.Unlock()
	return writeCounter{TCPConn: c.(*net.TCPConn), writes: w}, nil
}

func (d *countingDialer) dials() int {
	d.mu.Lock()
	defer d.mu.Unlock()
	return len(d.writes)
}

func (d *countingDialer) writesOn(i int) int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.writes[i].Load()
}

// closeRecorder is a request body that remembers being closed.
type closeRecorder struct {
	io.Reader
	closed atomic.Bool
}

func (c *closeRecorder) Close() error {
	c.closed.Store(true)
	return nil
}

// noDial is a DialContext that counts calls and always fails.
func noDial(n *atomic.Int32) func(context.Context, string, string) (net.Conn, error) {
	return func(context.Context, string, string) (net.Conn, error) {
		n.Add(1)
		return nil, errors.New("test: dial not expected")
	}
}

// ---- keep-alive and response framing ---------------------------------------

// getTwiceAtOnce sends two GETs to u concurrently and reads both bodies.
func getTwiceAtOnce(t *testing.T, tr *Transport, u string) {
	t.Helper()
	errs := make(chan error, 2)
	var wg sync.WaitGroup
	for _, req := range []*http.Request{newRequest(t, http.MethodGet, u, nil), newRequest(t, http.MethodGet, u, nil)} {
		wg.Go(func() {
			resp, err := tr.RoundTrip(req)
			if err == nil {
				_, err = io.ReadAll(resp.Body)
				_ = resp.Body.Close()
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

func TestKeepAliveReuse(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "pong "+r.URL.Query().Get("i"))
	})
	tr := newTransport(t)
	for i := range 50 {
		n := strconv.Itoa(i)
		require.Equal(t, "pong "+n, get(t, tr, srv.URL+"/?i="+n))
	}
	require.EqualValues(t, 1, srv.opened.Load(), "50 sequential requests should share one connection")
	require.Equal(t, 1, tr.IdleConns())
}

func TestResponseFraming(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-Kind", strings.TrimPrefix(r.URL.Path, "/"))
		switch r.URL.Path {
		case "/length", "/head":
			w.Header().Set("Content-Length", "11")
			_, _ = io.WriteString(w, "hello world")
		case "/chunked":
			for _, p := range []string{"one ", "two ", "three"} {
				_, _ = io.WriteString(w, p)
				w.(http.Flusher).Flush()
			}
		case "/nocontent":
			w.WriteHeader(http.StatusNoContent)
		case "/notmodified":
			w.Header().Set("ETag", `"v1"`)
			w.WriteHeader(http.StatusNotModified)
		}
	})
	tr := newTransport(t)
	cases := []struct {
		name, method, path string
		status             int
		body               string
		contentLength      int64
		chunked            bool
	}{
		{"content-length", http.MethodGet, "/length", 200, "hello world", 11, false},
		{"chunked", http.MethodGet, "/chunked", 200, "one two three", -1, true},
		{"204 No Content", http.MethodGet, "/nocontent", 204, "", 0, false},
		{"304 Not Modified", http.MethodGet, "/notmodified", 304, "", 0, false},
		{"HEAD", http.MethodHead, "/head", 200, "", 11, false},
		{"content-length after HEAD", http.MethodGet, "/length", 200, "hello world", 11, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := roundTrip(t, tr, newRequest(t, tc.method, srv.URL+tc.path, nil))
			require.Equal(t, tc.status, resp.StatusCode)
			require.Equal(t, strings.TrimPrefix(tc.path, "/"), resp.Header.Get("X-Kind"))
			require.Equal(t, tc.body, body)
			require.Equal(t, tc.contentLength, resp.ContentLength)
			if tc.chunked {
				require.Equal(t, []string{"chunked"}, resp.TransferEncoding)
			} else {
				require.Empty(t, resp.TransferEncoding)
			}
			require.Equal(t, 1, tr.IdleConns(), "connection should be back in the pool")
			require.EqualValues(t, 1, srv.opened.Load(), "connection should be reused")
		})
	}
}

// TestKeepAliveRules checks when an exchange lets the connection be reused:
// the server keeps its end open (except where the body ends at close), so
// only the client's reading of the exchange decides.
func TestKeepAliveRules(t *testing.T) {
	cases := []struct {
		name      string
		resp      string
		keepOpen  bool
		reqClose  bool
		wantConns int32
	}{
		{"HTTP/1.1 with Content-Length", okResp, true, false, 1},
		{"HTTP/1.0 without keep-alive", "HTTP/1.0 200 OK\r\nContent-Length: 2\r\n\r\nok", true, false, 2},
		{"HTTP/1.0 with keep-alive", "HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 2\r\n\r\nok", true, false, 1},
		{"body delimited by close", "HTTP/1.1 200 OK\r\n\r\nok", false, false, 2},
		{"request Close, server does not echo it", okResp, true, true, 2},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRaw(t, func(_ int, c net.Conn) {
				serveHTTP(c, func(*http.Request, []byte) (string, bool) { return tc.resp, tc.keepOpen })
			})
			tr := newTransport(t)
			for range 2 {
				req := newRequest(t, http.MethodGet, srv.url("/"), nil)
				req.Close = tc.reqClose
				_, body := roundTrip(t, tr, req)
				require.Equal(t, "ok", body)
			}
			require.Equal(t, tc.wantConns, srv.accepted.Load())
			if tc.wantConns == 2 {
				require.Equal(t, 0, tr.IdleConns())
			} else {
				require.Equal(t, 1, tr.IdleConns())
			}
		})
	}
}

// ---- request writing -------------------------------------------------------

type captured struct {
	head string // request line and header lines, without the blank line
	body []byte
}

// startCapture answers every request with an empty 200 and reports the
// bytes of its head and its decoded body.
func startCapture(t *testing.T) (*rawServer, chan captured) {
	ch := make(chan captured, 64)
	s := startRaw(t, func(_ int, c net.Conn) {
		var raw bytes.Buffer
		br := bufio.NewReader(io.TeeReader(c, &raw))
		for {
			req, err := http.ReadRequest(br)
			if err != nil {
				return
			}
			body, err := io.ReadAll(req.Body)
			if err != nil {
				return
			}
			head, _, _ := strings.Cut(raw.String(), "\r\n\r\n")
			raw.Reset()
			ch <- captured{head: head, body: body}
			if _, err := io.WriteString(c, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"); err != nil {
				return
			}
		}
	})
	return s, ch
}

func TestRequestWriting(t *testing.T) {
	srv, got := startCapture(t)
	base := srv.url("")
	hopByHop := []string{"Connection", "Keep-Alive", "Te", "Upgrade", "Trailer", "Proxy-Connection"}
	cases := []struct {
		name        string
		build       func() *http.Request
		requestLine string
		want        []string // header lines that must be present
		absent      []string // header names that must not be sent
		body        string
	}{
		{
			name: "GET with query, Host override, repeated headers, hop-by-hop dropped",
			build: func() *http.Request {
				r := newRequest(t, http.MethodGet, base+"/v1/models?limit=5&q=a%20b", nil)
				r.Host = "api.example.test"
				r.Header["X-Multi"] = []string{"one", "two"}
				r.Header.Set("Authorization", "Bearer k")
				r.Header.Set("Content-Length", "999")
				r.Header.Set("Transfer-Encoding", "gzip")
				for _, h := range hopByHop {
					r.Header.Set(h, "x")
				}
				return r
			},
			requestLine: "GET /v1/models?limit=5&q=a%20b HTTP/1.1",
			want:        []string{"Host: api.example.test", "X-Multi: one", "X-Multi: two", "Authorization: Bearer k"},
			absent:      append([]string{"Content-Length", "Transfer-Encoding"}, hopByHop...),
		},
		{
			name:        "default Host is the URL's",
			build:       func() *http.Request { return newRequest(t, http.MethodGet, base+"/x", nil) },
			requestLine: "GET /x HTTP/1.1",
			want:        []string{"Host: " + srv.addr},
			absent:      []string{"Content-Length", "Transfer-Encoding"},
		},
		{
			name: "empty method is GET",
			build: func() *http.Request {
				r := newRequest(t, http.MethodGet, base+"/", nil)
				r.Method = ""
				return r
			},
			requestLine: "GET / HTTP/1.1",
		},
		{
			name:        "POST with known length",
			build:       func() *http.Request { return newRequest(t, http.MethodPost, base+"/p", strings.NewReader("hello")) },
			requestLine: "POST /p HTTP/1.1",
			want:        []string{"Content-Length: 5"},
			absent:      []string{"Transfer-Encoding"},
			body:        "hello",
		},
		{
			name:        "POST with nil body sends Content-Length: 0",
			build:       func() *http.Request { return newRequest(t, http.MethodPost, base+"/p", nil) },
			requestLine: "POST /p HTTP/1.1",
			want:        []string{"Content-Length: 0"},
			absent:      []string{"Transfer-Encoding"},
		},
		{
			name:        "PUT with NoBody sends Content-Length: 0",
			build:       func() *http.Request { return newRequest(t, http.MethodPut, base+"/p", http.NoBody) },
			requestLine: "PUT /p HTTP/1.1",
			want:        []string{"Content-Length: 0"},
			absent:      []string{"Transfer-Encoding"},
		},
		{
			name:        "DELETE with nil body sends no length",
			build:       func() *http.Request { return newRequest(t, http.MethodDelete, base+"/p", nil) },
			requestLine: "DELETE /p HTTP/1.1",
			absent:      []string{"Content-Length", "Transfer-Encoding"},
		},
		{
			name: "POST with ContentLength -1 is chunked",
			build: func() *http.Request {
				r := newRequest(t, http.MethodPost, base+"/p", nil)
				r.Body = io.NopCloser(strings.NewReader("streamed body"))
				r.ContentLength = -1
				return r
			},
			requestLine: "POST /p HTTP/1.1",
			want:        []string{"Transfer-Encoding: chunked"},
			absent:      []string{"Content-Length"},
			body:        "streamed body",
		},
		{
			name: "POST with ContentLength 0 and a body is chunked",
			build: func() *http.Request {
				// NewRequest cannot size a MultiReader: ContentLength stays 0.
				r := newRequest(t, http.MethodPost, base+"/p", io.MultiReader(strings.NewReader("multi "), strings.NewReader("part")))
				require.Zero(t, r.ContentLength)
				return r
			},
			requestLine: "POST /p HTTP/1.1",
			want:        []string{"Transfer-Encoding: chunked"},
			absent:      []string{"Content-Length"},
			body:        "multi part",
		},
		{
			name: "GET with a body of unknown length is chunked",
			build: func() *http.Request {
				return newRequest(t, http.MethodGet, base+"/g", io.MultiReader(strings.NewReader("q")))
			},
			requestLine: "GET /g HTTP/1.1",
			want:        []string{"Transfer-Encoding: chunked"},
			absent:      []string{"Content-Length"},
			body:        "q",
		},
	}
	tr := newTransport(t)
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, body := roundTrip(t, tr, tc.build())
			require.Empty(t, body)
			var c captured
			select {
			case c = <-got:
			case <-time.After(2 * time.Second):
				t.Fatal("server got no request")
			}
			lines := strings.Split(c.head, "\r\n")
			require.Equal(t, tc.requestLine, lines[0])
			headers := lines[1:]
			for _, w := range tc.want {
				require.Contains(t, headers, w)
			}
			hosts := 0
			for _, h := range headers {
				name, _, ok := strings.Cut(h, ":")
				require.True(t, ok, "malformed header line %q", h)
				if strings.EqualFold(name, "Host") {
					hosts++
				}
				for _, a := range tc.absent {
					require.False(t, strings.EqualFold(name, a), "header %q should not be sent: %q", a, h)
				}
			}
			require.Equal(t, 1, hosts, "exactly one Host header")
			if i, j := indexOf(headers, "X-Multi: one"), indexOf(headers, "X-Multi: two"); i >= 0 || j >= 0 {
				require.Less(t, i, j, "repeated header values keep their order")
			}
			require.Equal(t, tc.body, string(c.body))
		})
	}
	require.EqualValues(t, 1, srv.accepted.Load(), "every request framed right, so one connection carried all")
}

func indexOf(s []string, v string) int {
	for i, x := range s {
		if x == v {
			return i
		}
	}
	return -1
}

func TestLargeBodyRoundTrip(t *testing.T) {
	payload := make([]byte, 1<<20)
	_, _ = rand.Read(payload)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		w.Header().Set("X-Got-Len", strconv.Itoa(len(b)))
		w.Header().Set("X-Got-Equal", strconv.FormatBool(bytes.Equal(b, payload)))
		w.Header().Set("X-Got-TE", strings.Join(r.TransferEncoding, ","))
		_, _ = w.Write(b)
	})
	tr := newTransport(t)
	cases := []struct {
		name   string
		body   func() (io.Reader, int64)
		wantTE string
	}{
		{"known length", func() (io.Reader, int64) { return bytes.NewReader(payload), int64(len(payload)) }, ""},
		{"unknown length", func() (io.Reader, int64) { return io.NopCloser(bytes.NewReader(payload)), -1 }, "chunked"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r, n := tc.body()
			req := newRequest(t, http.MethodPost, srv.URL+"/echo", r)
			req.ContentLength = n
			resp, body := roundTrip(t, tr, req)
			require.Equal(t, http.StatusOK, resp.StatusCode)
			require.Equal(t, strconv.Itoa(len(payload)), resp.Header.Get("X-Got-Len"))
			require.Equal(t, "true", resp.Header.Get("X-Got-Equal"), "server received the body byte-exact")
			require.Equal(t, tc.wantTE, resp.Header.Get("X-Got-TE"))
			require.True(t, body == string(payload), "echoed body differs")
		})
	}
	require.EqualValues(t, 1, srv.opened.Load())
}

func TestRequestBodyShorterThanContentLength(t *testing.T) {
	srv, _ := startCapture(t)
	tr := newTransport(t)
	body := &closeRecorder{Reader: strings.NewReader("short")}
	req := newRequest(t, http.MethodPost, srv.url("/"), nil)
	req.Body, req.ContentLength = body, 10
	_, err := tr.RoundTrip(req)
	require.ErrorContains(t, err, "not the 10 of its ContentLength")
	require.True(t, body.closed.Load(), "request body closed")
	require.Equal(t, 0, tr.IdleConns(), "a half-written connection is not pooled")
}

func TestRejectsUnsafeRequest(t *testing.T) {
	cases := []struct {
		name string
		edit func(*http.Request)
	}{
		{"CRLF in header value", func(r *http.Request) { r.Header.Set("X-Note", "a\r\nX-Injected: 1") }},
		{"LF in header value", func(r *http.Request) { r.Header["X-Note"] = []string{"a\nb"} }},
		{"NUL in header value", func(r *http.Request) { r.Header["X-Note"] = []string{"a\x00b"} }},
		{"space in header name", func(r *http.Request) { r.Header["Bad Name"] = []string{"v"} }},
		{"colon in header name", func(r *http.Request) { r.Header["X:Y"] = []string{"v"} }},
		{"CRLF in Host", func(r *http.Request) { r.Host = "api.example\r\nX-Injected: 1" }},
		{"CRLF in method", func(r *http.Request) { r.Method = "GET / HTTP/1.1\r\nX-Injected: 1\r\n\r\nGET" }},
		{"space in method", func(r *http.Request) { r.Method = "GET /admin" }},
		{"CRLF in URL", func(r *http.Request) { r.URL.Opaque = "/x\r\nX-Injected: 1" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dials atomic.Int32
			tr := New(noDial(&dials), nil, nil)
			body := &closeRecorder{Reader: strings.NewReader("b")}
			req := newRequest(t, http.MethodPost, "http://127.0.0.1:1/ok", body)
			tc.edit(req)
			_, err := tr.RoundTrip(req)
			require.Error(t, err)
			require.NotContains(t, err.Error(), "dial not expected")
			require.Zero(t, dials.Load(), "nothing may be sent")
			require.True(t, body.closed.Load(), "request body closed on error")
		})
	}
}

func TestUserAgent(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("X-UA-Count", strconv.Itoa(len(r.Header.Values("User-Agent"))))
		_, _ = io.WriteString(w, r.UserAgent())
	})
	cases := []struct {
		name, transportUA, requestUA string
		setRequestUA                 bool
		want                         string
		wantCount                    int
	}{
		{"default when the request has none", "aigw/1", "", false, "aigw/1", 1},
		{"request's own is kept", "aigw/1", "client/2", true, "client/2", 1},
		{"none at all", "", "", false, "", 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tr := newTransport(t)
			tr.UserAgent = tc.transportUA
			req := newRequest(t, http.MethodGet, srv.URL, nil)
			if tc.setRequestUA {
				req.Header.Set("User-Agent", tc.requestUA)
			}
			resp, body := roundTrip(t, tr, req)
			require.Equal(t, tc.want, body)
			require.Equal(t, strconv.Itoa(tc.wantCount), resp.Header.Get("X-UA-Count"))
		})
	}
}

// ---- streaming and cancellation --------------------------------------------

func TestStreamingBody(t *testing.T) {
	readFirst := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "chunk-1;")
		w.(http.Flusher).Flush()
		select {
		case <-readFirst:
		case <-r.Context().Done():
			return
		case <-time.After(5 * time.Second):
			return
		}
		_, _ = io.WriteString(w, "chunk-2")
	})
	tr := newTransport(t)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.URL, nil).WithContext(ctx))
	require.NoError(t, err, "headers must arrive before the body is complete")
	defer resp.Body.Close()
	buf := make([]byte, len("chunk-1;"))
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	require.Equal(t, "chunk-1;", string(buf))
	close(readFirst)
	rest, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, "chunk-2", string(rest))
	require.Equal(t, 1, tr.IdleConns())
}

func TestCancelWhileWaitingForHeaders(t *testing.T) {
	cases := []struct {
		name    string
		timeout time.Duration // 0: cancel once the server has the request
		want    error
	}{
		{"cancel", 0, context.Canceled},
		{"deadline", 200 * time.Millisecond, context.DeadlineExceeded},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var ctx context.Context
			var cancel context.CancelFunc
			if tc.timeout > 0 {
				ctx, cancel = context.WithTimeout(context.Background(), tc.timeout)
			} else {
				ctx, cancel = context.WithCancel(context.Background())
			}
			defer cancel()
			sawClose := make(chan struct{}, 1)
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if tc.timeout == 0 {
					cancel()
				}
				select {
				case <-r.Context().Done():
					sawClose <- struct{}{}
				case <-time.After(5 * time.Second):
					_, _ = io.WriteString(w, "late")
				}
			})
			tr := newTransport(t)
			start := time.Now()
			resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.URL, nil).WithContext(ctx))
			elapsed := time.Since(start)
			require.Nil(t, resp)
			require.ErrorIs(t, err, tc.want)
			require.Less(t, elapsed, 2*time.Second, "RoundTrip must return long before the server's 5 s delay")
			select {
			case <-sawClose:
			case <-time.After(2 * time.Second):
				t.Fatal("server did not see its connection closed")
			}
			require.Equal(t, 0, tr.IdleConns())
		})
	}
}

func TestCancelWhileReadingBody(t *testing.T) {
	sawClose := make(chan struct{}, 1)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, "first")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			sawClose <- struct{}{}
		case <-time.After(5 * time.Second):
		}
	})
	tr := newTransport(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.URL, nil).WithContext(ctx))
	require.NoError(t, err)
	buf := make([]byte, len("first"))
	_, err = io.ReadFull(resp.Body, buf)
	require.NoError(t, err)
	require.Equal(t, "first", string(buf))

	time.AfterFunc(50*time.Millisecond, cancel)
	start := time.Now()
	rest, err := io.ReadAll(resp.Body)
	require.ErrorIs(t, err, context.Canceled, "a cancelled body read fails as cancelled, not with the deadline that stopped it")
	require.Empty(t, rest)
	require.Less(t, time.Since(start), 2*time.Second)
	require.Equal(t, 0, tr.IdleConns(), "an aborted connection is not pooled")
	require.NoError(t, resp.Body.Close())
	require.Equal(t, 0, tr.IdleConns())
	select {
	case <-sawClose:
	case <-time.After(2 * time.Second):
		t.Fatal("server did not see its connection closed")
	}
}

// A context cancelled after the response was read must not reach the
// connection, which by then serves other requests from the pool.
func TestCancelAfterCompletionKeepsConn(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	tr := newTransport(t)
	for range 3 {
		ctx, cancel := context.WithCancel(context.Background())
		_, body := roundTrip(t, tr, newRequest(t, http.MethodGet, srv.URL, nil).WithContext(ctx))
		require.Equal(t, "ok", body)
		cancel()
		time.Sleep(10 * time.Millisecond) // let any stray AfterFunc run
	}
	require.Equal(t, "ok", get(t, tr, srv.URL))
	require.EqualValues(t, 1, srv.opened.Load())
}

// A request whose context is already done is not sent, and does not cost
// the pool its idle connection.
func TestAlreadyCancelledContext(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTransport(t)
	require.Equal(t, "ok", get(t, tr, srv.URL))
	require.Equal(t, 1, tr.IdleConns())

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	body := &closeRecorder{Reader: strings.NewReader("x")}
	_, err := tr.RoundTrip(newRequest(t, http.MethodPost, srv.URL, body).WithContext(ctx))
	require.ErrorIs(t, err, context.Canceled)
	require.True(t, body.closed.Load())
	require.Equal(t, 1, tr.IdleConns(), "the idle connection stays pooled")
	require.Equal(t, "ok", get(t, tr, srv.URL))
	require.EqualValues(t, 2, hits.Load(), "the cancelled request never reached the server")
	require.EqualValues(t, 1, srv.opened.Load())
}

// ---- body end and connection reuse -----------------------------------------

func TestBodyCloseBeforeEOFDiscardsConn(t *testing.T) {
	big := strings.Repeat("x", 256<<10)
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, big) })
	tr := newTransport(t)
	resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.URL, nil))
	require.NoError(t, err)
	_, err = io.ReadFull(resp.Body, make([]byte, 10))
	require.NoError(t, err)
	require.NoError(t, resp.Body.Close())
	require.NoError(t, resp.Body.Close(), "second Close is harmless")
	require.Equal(t, 0, tr.IdleConns())
	require.Eventually(t, func() bool { return srv.closed.Load() == 1 }, 2*time.Second, 5*time.Millisecond,
		"server should see the abandoned connection closed")

	require.Equal(t, big, get(t, tr, srv.URL))
	require.EqualValues(t, 2, srv.opened.Load(), "next request needs a new connection")
}

func TestBodyEOFReturnsConnBeforeClose(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			_, _ = io.WriteString(w, "a")
			w.(http.Flusher).Flush()
			_, _ = io.WriteString(w, "b")
			return
		}
		_, _ = io.WriteString(w, "ab")
	})
	tr := newTransport(t)
	for _, path := range []string{"/length", "/chunked"} {
		t.Run(path, func(t *testing.T) {
			resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.URL+path, nil))
			require.NoError(t, err)
			require.Equal(t, 0, tr.IdleConns(), "busy connection is not idle")
			b, err := io.ReadAll(resp.Body)
			require.NoError(t, err)
			require.Equal(t, "ab", string(b))
			require.Equal(t, 1, tr.IdleConns(), "EOF alone returns the connection")
			n, err := resp.Body.Read(make([]byte, 8))
			require.Zero(t, n)
			require.ErrorIs(t, err, io.EOF, "reads after EOF keep saying EOF")
			require.NoError(t, resp.Body.Close())
			require.Equal(t, 1, tr.IdleConns(), "Close after EOF must not close the pooled connection")
		})
	}
	require.Equal(t, "ab", get(t, tr, srv.URL+"/length"))
	require.EqualValues(t, 1, srv.opened.Load())
}

func TestConnectionClose(t *testing.T) {
	cases := []struct {
		name     string
		path     string
		reqClose bool
	}{
		{"response says Connection: close", "/close", false},
		{"request sets Close", "/", true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path == "/close" {
					w.Header().Set("Connection", "close")
				}
				w.Header().Set("X-Req-Connection", r.Header.Get("Connection"))
				_, _ = io.WriteString(w, "ok")
			})
			tr := newTransport(t)
			req := newRequest(t, http.MethodGet, srv.URL+tc.path, nil)
			req.Close = tc.reqClose
			resp, body := roundTrip(t, tr, req)
			require.Equal(t, "ok", body)
			if tc.reqClose {
				require.Equal(t, "close", resp.Header.Get("X-Req-Connection"), `req.Close must send "Connection: close"`)
			}
			require.Equal(t, 0, tr.IdleConns())
			require.Eventually(t, func() bool { return srv.closed.Load() == 1 }, 2*time.Second, 5*time.Millisecond)
			require.Equal(t, "ok", get(t, tr, srv.URL+"/keep"))
			require.EqualValues(t, 2, srv.opened.Load())
			require.Equal(t, 1, tr.IdleConns())
		})
	}
}

// ---- stale idle connections and the retry ----------------------------------

// TestStaleIdleConn: the upstream closes a kept-alive connection while it
// is idle. The next request must succeed and reach the upstream once; the
// peek finds the connection dead before anything is written on it, however
// short or long it was idle.
func TestStaleIdleConn(t *testing.T) {
	cases := []struct {
		name        string
		idle        time.Duration
		staleWrites int32
	}{
		{"idle under a second", 50 * time.Millisecond, 1},
		{"idle over a second", 1100 * time.Millisecond, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var arrivals atomic.Int32
			closed := make(chan int, 4)
			srv := startRaw(t, func(idx int, c net.Conn) {
				serveHTTP(c, func(*http.Request, []byte) (string, bool) {
					arrivals.Add(1)
					return okResp, false // keep-alive framing, then hang up
				})
				_ = c.Close()
				closed <- idx
			})
			d := &countingDialer{}
			tr := newTransport(t)
			tr.DialContext = d.dial
			require.Equal(t, "ok", get(t, tr, srv.url("/1")))
			require.Equal(t, 1, tr.IdleConns())
			select {
			case <-closed:
			case <-time.After(2 * time.Second):
				t.Fatal("server did not close")
			}
			time.Sleep(tc.idle)

			require.Equal(t, "ok", get(t, tr, srv.url("/2")))
			require.EqualValues(t, 2, arrivals.Load(), "no duplicate request")
			require.Equal(t, 2, d.dials())
			require.Equal(t, tc.staleWrites, d.writesOn(0), "writes on the stale connection")
			require.EqualValues(t, 1, d.writesOn(1))
		})
	}
}

// TestStaleRetryReplaysBody: the reused connection fails before it accepts
// any byte of a POST. The POST is sent again on a new connection when its
// body can be had again (GetBody); otherwise RoundTrip fails and closes
// the body.
func TestStaleRetryReplaysBody(t *testing.T) {
	cases := []struct {
		name      string
		replay    bool
		wantErr   bool
		wantBodys []string
	}{
		{"replayable body is sent again", true, false, []string{"first", "payload"}},
		{"body without GetBody is not retried", false, true, []string{"first"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			var bodies []string
			srv := startRaw(t, func(_ int, c net.Conn) {
				serveHTTP(c, func(_ *http.Request, b []byte) (string, bool) {
					mu.Lock()
					bodies = append(bodies, string(b))
					mu.Unlock()
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
				return &failingConn{Conn: c, okWrites: 1}, nil // then dies, accepting nothing
			}
			_, body := roundTrip(t, tr, newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("first")))
			require.Equal(t, "ok", body)

			rec := &closeRecorder{Reader: strings.NewReader("payload")}
			req := newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("payload"))
			if !tc.replay {
				req.Body, req.GetBody = rec, nil
			}
			resp, err := tr.RoundTrip(req)
			if tc.wantErr {
				require.ErrorIs(t, err, syscall.EPIPE)
				require.True(t, rec.closed.Load())
			} else {
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.Equal(t, "ok", string(b))
				require.NoError(t, resp.Body.Close())
			}
			mu.Lock()
			defer mu.Unlock()
			require.Equal(t, tc.wantBodys, bodies)
		})
	}
}

// TestRetryAtMostOnce: the upstream reads a request on a reused connection
// and hangs up without answering. The request is sent once more on a new
// connection, never a third time.
func TestRetryAtMostOnce(t *testing.T) {
	cases := []struct {
		name    string
		answer  func(conn, nth int) bool // answer the nth request on connection conn?
		wantErr bool
	}{
		{"new connection answers", func(_, nth int) bool { return nth == 0 }, false},
		{"upstream never answers again", func(conn, nth int) bool { return conn == 0 && nth == 0 }, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var arrivals atomic.Int32
			srv := startRaw(t, func(idx int, c net.Conn) {
				nth := 0
				serveHTTP(c, func(*http.Request, []byte) (string, bool) {
					arrivals.Add(1)
					defer func() { nth++ }()
					if tc.answer(idx, nth) {
						return okResp, true
					}
					return "", false
				})
			})
			tr := newTransport(t)
			require.Equal(t, "ok", get(t, tr, srv.url("/1")))
			require.EqualValues(t, 1, arrivals.Load())

			resp, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.url("/2"), nil))
			require.EqualValues(t, 3, arrivals.Load(), "sent on the reused connection, then once more")
			require.EqualValues(t, 2, srv.accepted.Load())
			if !tc.wantErr {
				require.NoError(t, err)
				b, err := io.ReadAll(resp.Body)
				require.NoError(t, err)
				require.Equal(t, "ok", string(b))
				require.NoError(t, resp.Body.Close())
				return
			}
			require.Error(t, err)
			require.ErrorIs(t, err, io.ErrUnexpectedEOF)

			// A fresh connection that fails is not retried.
			_, err = tr.RoundTrip(newRequest(t, http.MethodGet, srv.url("/3"), nil))
			require.Error(t, err)
			require.EqualValues(t, 4, arrivals.Load())
			require.EqualValues(t, 3, srv.accepted.Load())
		})
	}
}

// opaqueConn hides the TCP connection under it from the liveness peek, as
// on systems where alive cannot peek.
type opaqueConn struct{ net.Conn }

// TestRetryUsesFreshConnection: every idle connection goes stale at once
// (an upstream restart) and the peek cannot tell. The GET written on the
// first of them is sent again, and the retry must dial, not take the next
// stale one from the pool.
func TestRetryUsesFreshConnection(t *testing.T) {
	var arrivals atomic.Int32
	both := make(chan struct{})
	closed := make(chan struct{}, 4)
	srv := startRaw(t, func(idx int, c net.Conn) {
		serveHTTP(c, func(*http.Request, []byte) (string, bool) {
			if arrivals.Add(1) == 2 {
				close(both)
			}
			if idx < 2 { // hold both answers until both requests are in flight
				select {
				case <-both:
				case <-time.After(5 * time.Second):
				}
			}
			return okResp, false
		})
		_ = c.Close()
		closed <- struct{}{}
	})
	tr := newTransport(t)
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return opaqueConn{c}, nil
	}
	getTwiceAtOnce(t, tr, srv.url("/"))
	require.Equal(t, 2, tr.IdleConns())
	for range 2 {
		select {
		case <-closed:
		case <-time.After(2 * time.Second):
			t.Fatal("server did not close")
		}
	}
	time.Sleep(20 * time.Millisecond)

	require.Equal(t, "ok", get(t, tr, srv.url("/")))
	require.EqualValues(t, 3, arrivals.Load())
	require.EqualValues(t, 3, srv.accepted.Load())
}

// ---- 1xx -------------------------------------------------------------------

func TestInformationalResponses(t *testing.T) {
	const final = "HTTP/1.1 200 OK\r\nX-Final: yes\r\nContent-Length: 5\r\n\r\nhello"
	cases := []struct{ name, interim string }{
		{"100 Continue", "HTTP/1.1 100 Continue\r\n\r\n"},
		{"103 Early Hints", "HTTP/1.1 103 Early Hints\r\nLink: </app.css>; rel=preload\r\n\r\n"},
		{"several", "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 102 Processing\r\n\r\n" +
			"HTTP/1.1 103 Early Hints\r\nLink: </a.js>; rel=preload\r\n\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRaw(t, func(_ int, c net.Conn) {
				serveHTTP(c, func(*http.Request, []byte) (string, bool) { return tc.interim + final, true })
			})
			tr := newTransport(t)
			for range 2 {
				resp, body := roundTrip(t, tr, newRequest(t, http.MethodPost, srv.url("/"), strings.NewReader("q")))
				require.Equal(t, http.StatusOK, resp.StatusCode)
				require.Equal(t, "yes", resp.Header.Get("X-Final"))
				require.Empty(t, resp.Header.Get("Link"), "interim headers are not merged")
				require.Equal(t, "hello", body)
			}
			require.EqualValues(t, 1, srv.accepted.Load())
		})
	}
}

// A broken upstream cannot make the transport buffer without end or loop
// on informational responses.
func TestResponseLimits(t *testing.T) {
	cases := []struct{ name, raw, want string }{
		{"huge headers", "HTTP/1.1 200 OK\r\nX-Big: " + strings.Repeat("a", maxHeaderBytes+10) + "\r\nContent-Length: 0\r\n\r\n", "larger than 1 MiB"},
		{"endless 1xx", strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", maxInterim+2) + "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", "informational"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			srv := startRaw(t, func(_ int, c net.Conn) {
				serveHTTP(c, func(*http.Request, []byte) (string, bool) { return tc.raw, true })
			})
			tr := newTransport(t)
			_, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.url("/"), nil))
			require.ErrorContains(t, err, tc.want)
			require.Equal(t, 0, tr.IdleConns())
		})
	}
	// Exactly maxInterim interim responses are still fine.
	srv := startRaw(t, func(_ int, c net.Conn) {
		serveHTTP(c, func(*http.Request, []byte) (string, bool) {
			return strings.Repeat("HTTP/1.1 100 Continue\r\n\r\n", maxInterim) + "HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok", true
		})
	})
	_, body := roundTrip(t, newTransport(t), newRequest(t, http.MethodGet, srv.url("/"), nil))
	require.Equal(t, "ok", body)
}

// A proxy chosen for a request with no fallback to carry it is an error,
// never a silent direct connection.
func TestProxyWithoutFallback(t *testing.T) {
	var dials atomic.Int32
	tr := &Transport{DialContext: noDial(&dials), Proxy: func(*http.Request) (*url.URL, error) {
		return url.Parse("http://proxy.example:3128")
	}}
	_, err := tr.RoundTrip(newRequest(t, http.MethodGet, "http://upstream.example/", nil))
	require.ErrorContains(t, err, "no fallback")
	require.EqualValues(t, 0, dials.Load())
}

func TestSwitchingProtocolsIsAnError(t *testing.T) {
	srv := startRaw(t, func(_ int, c net.Conn) {
		serveHTTP(c, func(*http.Request, []byte) (string, bool) {
			return "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n", true
		})
	})
	tr := newTransport(t)
	_, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.url("/"), nil))
	require.ErrorContains(t, err, "switched protocols")
	require.Equal(t, 0, tr.IdleConns())
}

// ---- TLS -------------------------------------------------------------------

func TestTLS(t *testing.T) {
	srv := startServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.TLS == nil {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		_, _ = fmt.Fprintf(w, "%s %s", r.Proto, r.TLS.NegotiatedProtocol)
	}, true)
	require.True(t, strings.HasPrefix(srv.URL, "https://127.0.0.1:"))

	t.Run("trusted", func(t *testing.T) {
		pool := x509.NewCertPool()
		pool.AddCert(srv.Certificate())
		cfg := &tls.Config{RootCAs: pool}
		tr := newTransport(t)
		tr.TLSClientConfig = cfg
		for range 5 {
			require.Equal(t, "HTTP/1.1 http/1.1", get(t, tr, srv.URL+"/"))
		}
		require.EqualValues(t, 1, srv.opened.Load(), "TLS connection reused")
		require.Equal(t, 1, tr.IdleConns())
		require.Empty(t, cfg.NextProtos, "caller's config is cloned, not changed")
		require.Empty(t, cfg.ServerName)
	})
	t.Run("untrusted", func(t *testing.T) {
		tr := newTransport(t)
		_, err := tr.RoundTrip(newRequest(t, http.MethodGet, srv.URL+"/", nil))
		var verr *tls.CertificateVerificationError
		require.ErrorAs(t, err, &verr)
		require.Equal(t, 0, tr.IdleConns())
	})
}

func TestTLSHandshakeTimeout(t *testing.T) {
	srv := startRaw(t, func(_ int, c net.Conn) { _, _ = io.Copy(io.Discard, c) }) // never answers
	tr := newTransport(t)
	tr.TLSHandshakeTimeout = 100 * time.Millisecond
	start := time.Now()
	_, err := tr.RoundTrip(newRequest(t, http.MethodGet, "https://"+srv.addr+"/", nil))
	require.ErrorIs(t, err, context.DeadlineExceeded)
	require.Less(t, time.Since(start), 2*time.Second)
}

// ---- proxy fallback, bad requests, dial errors -----------------------------

type stubRoundTripper struct {
	mu         sync.Mutex
	hosts      []string
	closedIdle int
}

func (s *stubRoundTripper) RoundTrip(req *http.Request) (*http.Response, error) {
	s.mu.Lock()
	s.hosts = append(s.hosts, req.URL.Host)
	s.mu.Unlock()
	return &http.Response{
		StatusCode: http.StatusOK, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1,
		Header: http.Header{}, Body: io.NopCloser(strings.NewReader("fallback")), Request: req,
	}, nil
}

func (s *stubRoundTripper) CloseIdleConnections() {
	s.mu.Lock()
	s.closedIdle++
	s.mu.Unlock()
}

func TestProxyFallback(t *testing.T) {
	var hits atomic.Int32
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		_, _ = io.WriteString(w, "direct")
	})
	proxyURL, err := url.Parse("http://proxy.invalid:3128")
	require.NoError(t, err)
	stub := &stubRoundTripper{}
	tr := New(nil, func(r *http.Request) (*url.URL, error) {
		switch r.URL.Hostname() {
		case "via-proxy.test":
			return proxyURL, nil
		case "broken.test":
			return nil, errors.New("no proxy config")
		}
		return nil, nil
	}, stub)
	t.Cleanup(tr.CloseIdleConnections)

	require.Equal(t, "direct", get(t, tr, srv.URL+"/"))
	require.Equal(t, "fallback", get(t, tr, "http://via-proxy.test/a"))
	require.Equal(t, "fallback", get(t, tr, "https://via-proxy.test/b"))
	require.Equal(t, "direct", get(t, tr, srv.URL+"/"))
	require.EqualValues(t, 2, hits.Load())
	require.Equal(t, []string{"via-proxy.test", "via-proxy.test"}, stub.hosts)

	body := &closeRecorder{Reader: strings.NewReader("x")}
	_, err = tr.RoundTrip(newRequest(t, http.MethodPost, "http://broken.test/", body))
	require.ErrorContains(t, err, "no proxy config")
	require.True(t, body.closed.Load())
	require.Len(t, stub.hosts, 2)
	require.EqualValues(t, 2, hits.Load())

	require.Equal(t, 1, tr.IdleConns())
	tr.CloseIdleConnections()
	require.Equal(t, 0, tr.IdleConns())
	require.Equal(t, 1, stub.closedIdle, "CloseIdleConnections reaches the fallback")
	require.Eventually(t, func() bool { return srv.closed.Load() == 1 }, 2*time.Second, 5*time.Millisecond)
}

func TestBadRequests(t *testing.T) {
	cases := []struct {
		name string
		req  func() *http.Request
		want string
	}{
		{"unsupported scheme", func() *http.Request { return newRequest(t, http.MethodGet, "ftp://127.0.0.1/x", nil) }, "unsupported URL scheme"},
		{"websocket scheme", func() *http.Request { return newRequest(t, http.MethodGet, "ws://127.0.0.1/x", nil) }, "unsupported URL scheme"},
		{"missing host", func() *http.Request {
			return &http.Request{Method: http.MethodGet, URL: &url.URL{Scheme: "http", Path: "/x"}, Header: http.Header{}}
		}, "has no host"},
		{"missing URL", func() *http.Request { return &http.Request{Method: http.MethodGet, Header: http.Header{}} }, "no URL"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var dials atomic.Int32
			tr := New(noDial(&dials), nil, nil)
			_, err := tr.RoundTrip(tc.req())
			require.ErrorContains(t, err, tc.want)
			require.Zero(t, dials.Load())
		})
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())

	tr := newTransport(t)
	start := time.Now()
	_, err = tr.RoundTrip(newRequest(t, http.MethodGet, "http://"+addr+"/", nil))
	require.Error(t, err)
	require.Less(t, time.Since(start), time.Second)
	if runtime.GOOS == "linux" {
		require.ErrorIs(t, err, syscall.ECONNREFUSED)
	}
}

// ---- pool bounds -----------------------------------------------------------

func TestIdleConnTimeout(t *testing.T) {
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) { _, _ = io.WriteString(w, "ok") })
	tr := newTransport(t)
	tr.IdleConnTimeout = 100 * time.Millisecond
	require.Equal(t, "ok", get(t, tr, srv.URL))
	require.Equal(t, 1, tr.IdleConns())
	require.Eventually(t, func() bool { return tr.IdleConns() == 0 }, 2*time.Second, 5*time.Millisecond,
		"sweeper should drop the idle connection")
	require.Eventually(t, func() bool { return srv.closed.Load() == 1 }, 2*time.Second, 5*time.Millisecond,
		"and close it")

	// The sweeper re-arms for later idle connections.
	require.Equal(t, "ok", get(t, tr, srv.URL))
	require.EqualValues(t, 2, srv.opened.Load())
	require.Eventually(t, func() bool { return srv.closed.Load() == 2 && tr.IdleConns() == 0 }, 2*time.Second, 5*time.Millisecond)
}

func TestMaxIdleConnsPerHost(t *testing.T) {
	var arrived atomic.Int32
	both := make(chan struct{})
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if arrived.Add(1) == 2 {
			close(both)
		}
		select { // keep both requests in flight at once
		case <-both:
		case <-time.After(5 * time.Second):
		}
		_, _ = io.WriteString(w, "ok")
	})
	tr := newTransport(t)
	tr.MaxIdleConnsPerHost = 1
	getTwiceAtOnce(t, tr, srv.URL)
	require.EqualValues(t, 2, srv.opened.Load())
	require.Equal(t, 1, tr.IdleConns())
	require.Eventually(t, func() bool { return srv.closed.Load() == 1 }, 2*time.Second, 5*time.Millisecond,
		"the connection over the bound is closed")
}

func TestConcurrentRequests(t *testing.T) {
	const goroutines, perG = 32, 50
	srv := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodPost {
			_, _ = io.Copy(w, r.Body)
			return
		}
		_, _ = io.WriteString(w, r.URL.RawQuery)
	})
	tr := newTransport(t)
	errs := make(chan error, goroutines*perG)
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			for i := range perG {
				want := fmt.Sprintf("g=%d&i=%d", g, i)
				var req *http.Request
				var err error
				if i%2 == 0 {
					req, err = http.NewRequest(http.MethodGet, srv.URL+"/?"+want, nil)
				} else {
					req, err = http.NewRequest(http.MethodPost, srv.URL+"/", strings.NewReader(want))
				}
				if err != nil {
					errs <- err
					return
				}
				resp, err := tr.RoundTrip(req)
				if err != nil {
					errs <- err
					return
				}
				b, err := io.ReadAll(resp.Body)
				_ = resp.Body.Close()
				if err != nil {
					errs <- err
					return
				}
				if string(b) != want {
					errs <- fmt.Errorf("got %q, want %q", b, want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	require.LessOrEqual(t, srv.opened.Load(), int32(goroutines), "never more connections than requests in flight")
	require.Equal(t, int(srv.opened.Load()), tr.IdleConns(), "every connection ends up idle")
}

package gateway

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// Keys of the admin API tests: every answer is searched for them.
const (
	apiAdminKey  = "adm-key-for-the-tests-0000000001"
	apiStaticKey = "sk-static-gateway-key-000000001"
	apiUpKey1    = "sk-upstream-secret-AAAA-00000001"
	apiUpKey2    = "sk-upstream-secret-BBBB-00000002"
	scriptModel  = "<script>alert(1)</script>"
)

// testBook is an in-memory ClientDirectory that the admin API reloads.
type testBook struct {
	mu     sync.Mutex
	byHash map[string]*clients.Client
}

func (b *testBook) Set(list []clients.Client) {
	m := map[string]*clients.Client{}
	for i := range list {
		c := list[i]
		m[c.KeyHash] = &c
	}
	b.mu.Lock()
	b.byHash = m
	b.mu.Unlock()
}

func (b *testBook) Client(hash string) (*clients.Client, bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	c, ok := b.byHash[hash]
	return c, ok
}

func (b *testBook) Any() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.byHash) > 0
}

// testClock is the admin API's clock, moved by the tests.
type testClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *testClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *testClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// apiEnv is the real engine with a real database, on 127.0.0.1, in front
// of a fake OpenAI upstream: key 1 is rate-limited on chat once
// limitKey1 is set, both keys list models.
type apiEnv struct {
	URL       string
	S         *Server
	DB        *store.DB
	Book      *testBook
	Clock     *testClock
	Upstream  *httptest.Server
	limitKey1 chan struct{}
}

func newAPIEnv(t *testing.T, dbc config.Database) *apiEnv {
	t.Helper()
	return newAPIEnvWith(t, dbc, func(*Options) {})
}

func newAPIEnvWith(t *testing.T, dbc config.Database, edit func(*Options)) *apiEnv {
	t.Helper()
	e := &apiEnv{Book: &testBook{}, Clock: &testClock{t: time.Now()}, limitKey1: make(chan struct{})}
	e.Upstream = httptest.NewServer(http.HandlerFunc(e.upstream))
	t.Cleanup(e.Upstream.Close)
	dbc.Timezone = "Asia/Shanghai"
	cfg := &config.Config{
		Server:   config.Server{MaxBodyMB: 1},
		Auth:     config.Auth{Keys: []string{apiStaticKey}, AdminKeys: []string{apiAdminKey}},
		Database: dbc,
		Logging:  config.Logging{StoreBodies: true},
		Providers: []config.Provider{{Name: "up", Type: "openai", BaseURL: e.Upstream.URL + "/v1",
			APIKeys: []string{apiUpKey1, apiUpKey2}, Models: []string{"gpt-4o", "gpt-4o-mini", scriptModel},
			Timeout: 10 * time.Second, ConnectTimeout: 5 * time.Second, StreamIdleTimeout: 10 * time.Second, MaxAttempts: 3}},
	}
	ctx := context.Background()
	db, err := store.Open(ctx, dbc)
	require.NoError(t, err)
	writer := db.NewWriter(store.WriterOptions{FlushInterval: 5 * time.Millisecond})
	t.Cleanup(func() {
		_ = writer.Close(context.Background())
		_ = db.Close()
	})
	e.DB = db
	reg := provider.NewRegistry(cfg, config.Aliases{"fast": "up/gpt-4o-mini"})
	reg.SetRoutes(config.Routes{"smart": {Targets: []string{"up/gpt-4o", "up/gpt-4o-mini"}}})
	opts := Options{Config: cfg, Registry: reg, Logs: writer, Catalog: db, Clients: e.Book, Admin: db}
	edit(&opts)
	e.S = New(opts)
	e.S.api.now = e.Clock.now
	srv := httptest.NewServer(e.S.Handler())
	t.Cleanup(srv.Close)
	e.URL = srv.URL
	return e
}

func (e *apiEnv) upstream(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	w.Header().Set("Content-Type", "application/json")
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		fmt.Fprint(w, `{"object":"list","data":[{"id":"m/one","created":1,"owned_by":"x"},{"id":"two","created":2},{"id":"<script>x</script>","created":3}]}`)
	case r.URL.Path == "/v1/chat/completions":
		select {
		case <-e.limitKey1:
			if key == apiUpKey1 {
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprintf(w, `{"error":{"message":"rate limited for key %s"}}`, key)
				return
			}
		default:
		}
		body, _ := io.ReadAll(r.Body)
		fmt.Fprintf(w, `{"id":"c1","object":"chat.completion","model":"gpt-4o","choices":[{"index":0,"message":{"role":"assistant","content":"echo %d bytes <script>"},"finish_reason":"stop"}],"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`, len(body))
	default:
		http.NotFound(w, r)
	}
}

// reqOpt changes a request before it is sent.
type reqOpt func(*http.Request)

func withKey(k string) reqOpt {
	return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+k) }
}

func withCookie(token string) reqOpt {
	return func(r *http.Request) { r.AddCookie(&http.Cookie{Name: sessionCookie, Value: token}) }
}

func withHeader(k, v string) reqOpt { return func(r *http.Request) { r.Header.Set(k, v) } }

// sameOriginOf is the Origin a page of the server sends.
func (e *apiEnv) origin() reqOpt { return withHeader("Origin", e.URL) }

func (e *apiEnv) do(t *testing.T, method, path, body string, opts ...reqOpt) (int, http.Header, string) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.URL+path, rd)
	require.NoError(t, err)
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for _, o := range opts {
		o(req)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, string(data)
}

// admin sends a call with the admin key and requires the status.
func (e *apiEnv) admin(t *testing.T, want int, method, path, body string) string {
	t.Helper()
	status, _, out := e.do(t, method, path, body, withKey(apiAdminKey))
	require.Equal(t, want, status, "%s %s: %s", method, path, out)
	return out
}

// signIn makes a session and returns its cookie's value.
func (e *apiEnv) signIn(t *testing.T) string {
	t.Helper()
	status, h, body := e.do(t, http.MethodPost, "/admin/api/session", `{"key":"`+apiAdminKey+`"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	for _, c := range (&http.Response{Header: h}).Cookies() {
		if c.Name == sessionCookie {
			return c.Value
		}
	}
	t.Fatal("no session cookie set")
	return ""
}

// chat sends a chat completion with key and returns the status.
func (e *apiEnv) chat(t *testing.T, key, model, content string) int {
	t.Helper()
	status, _, body := e.do(t, http.MethodPost, "/v1/chat/completions",
		fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":%q}]}`, model, content), withKey(key))
	_ = body
	return status
}

// eventually polls cond for up to 5 s.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within 5s: %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// adminRoutes is every admin API route with a body that passes its
// checks (the auth tests run over all of them).
var adminRoutes = []struct{ method, path, body string }{
	{http.MethodGet, "/admin/api/session", ""},
	{http.MethodDelete, "/admin/api/session", ""},
	{http.MethodGet, "/admin/api/overview?range=1h", ""},
	{http.MethodGet, "/admin/api/logs", ""},
	{http.MethodGet, "/admin/api/logs/1", ""},
	{http.MethodGet, "/admin/api/providers", ""},
	{http.MethodPost, "/admin/api/providers/up/test", ""},
	{http.MethodGet, "/admin/api/clients", ""},
	{http.MethodPost, "/admin/api/clients", `{"name":"route-table"}`},
	{http.MethodGet, "/admin/api/clients/route-table", ""},
	{http.MethodPatch, "/admin/api/clients/route-table", `{"rpm":5}`},
	{http.MethodPost, "/admin/api/clients/route-table/disable", ""},
	{http.MethodPost, "/admin/api/clients/route-table/enable", ""},
	{http.MethodPost, "/admin/api/clients/route-table/rotate", ""},
	{http.MethodDelete, "/admin/api/clients/route-table", ""},
	{http.MethodGet, "/admin/api/models", ""},
	{http.MethodGet, "/admin/api/models/up/upstream", ""},
	{http.MethodPost, "/admin/api/models/up", `{"models":["two"]}`},
	{http.MethodDelete, "/admin/api/models/up/two", ""},
}

// Package tests holds aigw's end-to-end tests: fake upstreams on
// 127.0.0.1, the real Gin engine or the real binary, and the official SDKs
// as clients.
package tests

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

const clientKey = "sk-aigw-test-client-key-0001"

// seenRequest is what a fake upstream received.
type seenRequest struct {
	Method string
	Path   string
	Header http.Header
	Body   []byte
}

func (r seenRequest) JSON(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.Body, &m))
	return m
}

// fakeUpstream is an httptest server that records every request and
// answers with handler.
type fakeUpstream struct {
	*httptest.Server
	mu   sync.Mutex
	seen []seenRequest
}

func newFakeUpstream(t *testing.T, handler http.HandlerFunc) *fakeUpstream {
	t.Helper()
	f := &fakeUpstream{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		f.mu.Lock()
		f.seen = append(f.seen, seenRequest{Method: r.Method, Path: r.URL.Path, Header: r.Header.Clone(), Body: body})
		f.mu.Unlock()
		r.Body = io.NopCloser(bytes.NewReader(body))
		handler(w, r)
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *fakeUpstream) requests() []seenRequest {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]seenRequest(nil), f.seen...)
}

func (f *fakeUpstream) last(t *testing.T) seenRequest {
	t.Helper()
	r := f.requests()
	require.NotEmpty(t, r, "the upstream received no request")
	return r[len(r)-1]
}

// captureSink collects log rows in memory.
type captureSink struct {
	mu   sync.Mutex
	rows []store.RequestLog
}

func (c *captureSink) Enqueue(row *store.RequestLog) {
	c.mu.Lock()
	c.rows = append(c.rows, *row)
	c.mu.Unlock()
}

// waitRows waits until n rows were logged (the row is enqueued after the
// response is written, so a client may see the answer first).
func (c *captureSink) waitRows(t *testing.T, n int) []store.RequestLog {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for {
		c.mu.Lock()
		rows := append([]store.RequestLog(nil), c.rows...)
		c.mu.Unlock()
		if len(rows) >= n || time.Now().After(deadline) {
			require.GreaterOrEqual(t, len(rows), n, "log rows")
			return rows
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// gatewayEnv is a gateway engine served on 127.0.0.1 with its config.
type gatewayEnv struct {
	URL  string
	Cfg  *config.Config
	Logs *captureSink
	GW   *gateway.Server
	Reg  *provider.Registry
	Dir  string
}

// startGateway writes configTOML (and redirect.toml when aliases is not
// empty) into a temp folder, loads it as the binary would, and serves the
// real engine.
func startGateway(t *testing.T, configTOML, redirectTOML string) *gatewayEnv {
	t.Helper()
	return startGatewayWith(t, configTOML, redirectTOML, gateway.Options{})
}

// startGatewayWith is startGateway with extra gateway options (Config,
// Registry and Logs are filled in).
func startGatewayWith(t *testing.T, configTOML, redirectTOML string, opts gateway.Options) *gatewayEnv {
	t.Helper()
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "gateway.toml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(configTOML), 0o600))
	if redirectTOML != "" {
		require.NoError(t, os.WriteFile(filepath.Join(dir, "redirect.toml"), []byte(redirectTOML), 0o600))
	}
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	aliases, err := config.LoadAliases(cfg.RedirectPath())
	require.NoError(t, err)
	sink := &captureSink{}
	opts.Config, opts.Registry, opts.Logs = cfg, provider.NewRegistry(cfg, aliases), sink
	gw := gateway.New(opts)
	srv := httptest.NewServer(gw.Handler())
	t.Cleanup(srv.Close)
	return &gatewayEnv{URL: srv.URL, Cfg: cfg, Logs: sink, GW: gw, Reg: opts.Registry, Dir: dir}
}

// openaiClient is the official OpenAI SDK pointed at the gateway.
func (g *gatewayEnv) openaiClient(opts ...option.RequestOption) *openai.Client {
	base := []option.RequestOption{
		option.WithBaseURL(g.URL + "/v1/"),
		option.WithAPIKey(clientKey),
		option.WithMaxRetries(0),
	}
	c := openai.NewClient(append(base, opts...)...)
	return &c
}

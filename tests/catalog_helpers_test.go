package tests

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/app"
	"github.com/aigw/aigw/internal/config"
)

// Keys of the catalog tests' fake upstreams and of the gateway's admin.
const (
	catUpGood    = "sk-catalog-upstream-good-aaaa"
	catUpBad     = "sk-catalog-upstream-bad-bbbbb"
	catUpLimited = "sk-catalog-upstream-429-cccc"
	catAdminKey  = "sk-aigw-admin-key-0000000001"
)

// catOpenAIModels is what the fake OpenAI upstream lists.
const catOpenAIModels = `{"object":"list","data":[
	{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},
	{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
	{"id":"GPT-4.1-Fast","object":"model","created":1744316542,"owned_by":"openai"},
	{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}`

// catOpenAIUpstream is a fake OpenAI-type upstream: GET /v1/models checks
// the key (good: the list; limited: 429; anything else: 401 echoing the
// key, as careless upstreams do), POST /v1/chat/completions answers.
func catOpenAIUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	chat := openAIChat("hello from the fake")
	return newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
			switch key {
			case catUpGood:
				w.Header().Set("Content-Type", "application/json")
				fmt.Fprint(w, catOpenAIModels)
			case catUpLimited:
				w.Header().Set("Retry-After", "30")
				w.WriteHeader(http.StatusTooManyRequests)
				fmt.Fprint(w, `{"error":{"message":"Rate limit reached for requests","type":"requests"}}`)
			default:
				w.WriteHeader(http.StatusUnauthorized)
				fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s.","type":"invalid_request_error","code":"invalid_api_key"}}`, key)
			}
		case r.Method == http.MethodPost && r.URL.Path == "/v1/chat/completions":
			chat(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

var catAnthropicIDs = []string{"claude-sonnet-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"}

// catAnthropicUpstream is a fake Anthropic upstream whose model list comes
// in pages of two whatever limit is asked, and which answers messages.
func catAnthropicUpstream(t *testing.T) *fakeUpstream {
	t.Helper()
	return newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("x-api-key") != catUpGood {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		switch {
		case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
			if r.Header.Get("anthropic-version") == "" {
				w.WriteHeader(http.StatusBadRequest)
				fmt.Fprint(w, `{"type":"error","error":{"type":"invalid_request_error","message":"anthropic-version: header is required"}}`)
				return
			}
			start := 0
			for i, id := range catAnthropicIDs {
				if id == r.URL.Query().Get("after_id") {
					start = i + 1
				}
			}
			limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
			end := min(start+min(limit, 2), len(catAnthropicIDs))
			var data []string
			for i, id := range catAnthropicIDs[start:end] {
				data = append(data, fmt.Sprintf(`{"type":"model","id":%q,"display_name":"Claude %d","created_at":"2025-0%d-15T10:00:00Z"}`, id, start+i, start+i+2))
			}
			fmt.Fprintf(w, `{"data":[%s],"has_more":%t,"first_id":%q,"last_id":%q}`,
				strings.Join(data, ","), end < len(catAnthropicIDs), catAnthropicIDs[start], catAnthropicIDs[end-1])
		case r.Method == http.MethodPost && r.URL.Path == "/v1/messages":
			model := gjson.GetBytes(readAll(r), "model").String()
			fmt.Fprintf(w, `{"id":"msg_1","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":"hi"}],`+
				`"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}`, model)
		default:
			http.NotFound(w, r)
		}
	})
}

// syncBuffer is a bytes.Buffer safe for one writer and concurrent readers
// (server logs, subprocess output).
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// catServer is a real `serve` (app.Serve, SQLite in a temp folder) on a
// 127.0.0.1 port, with its config file for CLI runs of the binary.
type catServer struct {
	URL      string
	Dir      string
	CfgPath  string
	Redirect string
	Logs     *syncBuffer
}

// catServe writes the config (with [auth] and [database] added) and the
// redirect file, and serves until the test ends.
func catServe(t *testing.T, providersTOML, redirectTOML string) *catServer {
	t.Helper()
	dir := t.TempDir()
	s := &catServer{Dir: dir, CfgPath: filepath.Join(dir, "aigw.toml"), Redirect: filepath.Join(dir, "redirect.toml"), Logs: &syncBuffer{}}
	cfgText := fmt.Sprintf("[auth]\nkeys = [%q]\nadmin_keys = [%q]\n\n[database]\ndsn = %q\n\n%s",
		clientKey, catAdminKey, filepath.Join(dir, "data", "aigw.db"), providersTOML)
	require.NoError(t, os.WriteFile(s.CfgPath, []byte(cfgText), 0o600))
	if redirectTOML != "" {
		require.NoError(t, os.WriteFile(s.Redirect, []byte(redirectTOML), 0o600))
	}
	cfg, err := config.Load(s.CfgPath)
	require.NoError(t, err)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	s.URL = "http://" + ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	log := slog.New(slog.NewTextHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { done <- app.Serve(ctx, app.ServeOptions{Config: cfg, Logger: log, Listener: ln}) }()
	t.Cleanup(func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("serve: %v", err)
			}
		case <-time.After(30 * time.Second):
			t.Errorf("serve did not stop")
		}
	})
	catEventually(t, 10*time.Second, "server up", func() bool {
		resp, err := http.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// cli runs the aigw binary against the server's config.
func (s *catServer) cli(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	return runAigw(t, s.Dir, append([]string{"-c", s.CfgPath}, args...)...)
}

func (s *catServer) mustCLI(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, code := s.cli(t, args...)
	require.Equal(t, 0, code, "aigw %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, errOut)
	return out
}

// do sends a request with the given key (Bearer) and returns status and body.
func (s *catServer) do(t *testing.T, method, path, key, body string, header ...string) (int, []byte) {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, s.URL+path, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, data
}

// servedIDs returns the ids of GET /v1/models.
func (s *catServer) servedIDs(t *testing.T) map[string]gjson.Result {
	t.Helper()
	status, body := s.do(t, http.MethodGet, "/v1/models", clientKey, "")
	require.Equal(t, http.StatusOK, status, string(body))
	out := map[string]gjson.Result{}
	for _, m := range gjson.GetBytes(body, "data").Array() {
		out[m.Get("id").String()] = m
	}
	return out
}

// chat sends a chat completion for model and returns the status.
func (s *catServer) chat(t *testing.T, model string) int {
	t.Helper()
	status, _ := s.do(t, http.MethodPost, "/v1/chat/completions", clientKey,
		fmt.Sprintf(`{"model":%q,"messages":[{"role":"user","content":"hi"}]}`, model))
	return status
}

// catEventually polls cond until it holds or within passes.
func catEventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("not within %s: %s", within, what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func catProviders(openaiURL, anthropicURL string, openaiKeys ...string) string {
	if len(openaiKeys) == 0 {
		openaiKeys = []string{catUpGood}
	}
	return fmt.Sprintf(`
[[providers]]
name = "openai"
type = "openai"
base_url = "%s/v1"
api_keys = "%s"
models = ["gpt-4o"]

[[providers]]
name = "claude"
type = "anthropic"
base_url = "%s"
api_keys = "%s"
`, openaiURL, strings.Join(openaiKeys, ","), anthropicURL, catUpGood)
}

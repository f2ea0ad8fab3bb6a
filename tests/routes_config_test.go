package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/app"
	"github.com/aigw/aigw/internal/config"
)

// TestRouteConfigServe: serve refuses to start when a route names a
// provider that is not configured; a running server lists routes in
// /v1/models, reloads `aigw route set`, and keeps the last good file when
// a reload names an unknown provider (README, "路由（多服务商故障转移）").
func TestRouteConfigServe(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	providers := catProviders(oa.URL, an.URL)

	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "aigw.toml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(fmt.Sprintf("[database]\ndsn = %q\n%s",
		filepath.Join(dir, "a.db"), providers)), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "redirect.toml"),
		[]byte("[routes.\"smart\"]\ntargets = [\"openai/gpt-4o\", \"nope/x\"]\n"), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	err = app.Serve(ctx, app.ServeOptions{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	require.Error(t, err, "serve refuses a route naming an unknown provider")
	assert.Contains(t, err.Error(), "redirect.toml")
	assert.Contains(t, err.Error(), `routes."smart": targets[1] "nope/x": "nope" is not a configured provider`)

	s := catServe(t, providers, `[aliases]
"fast" = "openai/gpt-4o"

[routes."Smart.V1"]
targets = ["claude/claude-sonnet-4-5", "fast"]
`)
	ids := s.servedIDs(t)
	require.Contains(t, ids, "Smart.V1", "routes are listed like aliases")
	assert.Equal(t, "claude", ids["Smart.V1"].Get("owned_by").String())

	out := s.mustCLI(t, "route", "set", "pool", "openai/gpt-4o", "claude/claude-sonnet-4-5", "--weights", "3,1")
	assert.Contains(t, out, "route pool (weighted)")
	catEventually(t, 5*time.Second, "the new route is served", func() bool { _, ok := s.servedIDs(t)["pool"]; return ok })
	catEventually(t, 5*time.Second, "the reload is logged with counts", func() bool {
		return strings.Contains(s.Logs.String(), "aliases reloaded") && strings.Contains(s.Logs.String(), "routes=2")
	})
	// Requests go through the routes of the file: the whole server, its
	// first target answering, named in the response headers.
	for model, want := range map[string]string{"Smart.V1": "claude", "pool": ""} {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"`+model+`","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clientKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 200, resp.StatusCode, model)
		if want != "" {
			assert.Equal(t, want, resp.Header.Get("X-Aigw-Provider"), model)
		} else {
			assert.Contains(t, []string{"openai", "claude"}, resp.Header.Get("X-Aigw-Provider"), model)
		}
	}

	// The CLI refuses an unknown provider; a hand edit that names one is
	// not applied by the running server.
	_, errOut, code := s.cli(t, "route", "set", "bad", "nope/x")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, `"nope" is not a configured provider`)
	broken := "[aliases]\n\"late\" = \"openai/gpt-4o\"\n\n[routes.bad]\ntargets = [\"nope/x\"]\n"
	require.NoError(t, os.WriteFile(s.Redirect, []byte(broken), 0o600))
	catEventually(t, 5*time.Second, "the unknown provider is reported", func() bool {
		return strings.Contains(s.Logs.String(), "redirect file not reloaded") && strings.Contains(s.Logs.String(), "is not a configured provider")
	})
	ids = s.servedIDs(t)
	assert.Contains(t, ids, "pool", "the last good file stays in force")
	assert.NotContains(t, ids, "late", "nothing of the refused file is applied")
	assert.NotContains(t, ids, "bad")
}

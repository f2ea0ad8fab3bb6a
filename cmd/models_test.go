package cmd

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Upstream keys of the fake providers. The tests check that none of them
// is ever printed whole.
const (
	catGoodKey    = "sk-catalog-good-key-0000aaaa"
	catBadKey     = "sk-catalog-bad-key-11111bbbb"
	catLimitedKey = "sk-catalog-limited-key-cccc"
)

// catOpenAIUpstream lists four models on GET /v1/models for the good key,
// 401 (echoing the key, as a careless upstream would) for unknown keys and
// 429 for the limited one.
func catOpenAIUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
		switch key {
		case catGoodKey:
		case catLimitedKey:
			w.Header().Set("Retry-After", "7")
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"Rate limit reached","type":"rate_limit_error"}}`)
			return
		default:
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error"}}`, key)
			return
		}
		fmt.Fprint(w, `{"object":"list","data":[
			{"id":"gpt-4o","object":"model","created":1715367049,"owned_by":"system"},
			{"id":"gpt-4o-mini","object":"model","created":1721172741,"owned_by":"system"},
			{"id":"GPT-4.1-Fast","object":"model","created":1744316542,"owned_by":"openai"},
			{"id":"text-embedding-3-small","object":"model","created":1705948997,"owned_by":"system"}]}`)
	}))
	t.Cleanup(srv.Close)
	return srv
}

// catAnthropicUpstream lists three models in pages of two.
func catAnthropicUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	all := []string{"claude-sonnet-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" || r.Header.Get("anthropic-version") == "" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("x-api-key") != catGoodKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
			return
		}
		start := 0
		for i, id := range all {
			if id == r.URL.Query().Get("after_id") {
				start = i + 1
			}
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		end := min(start+min(limit, 2), len(all))
		var data []string
		for _, id := range all[start:end] {
			data = append(data, fmt.Sprintf(`{"type":"model","id":%q,"display_name":%q,"created_at":"2025-05-22T00:00:00Z"}`, id, id))
		}
		fmt.Fprintf(w, `{"data":[%s],"has_more":%t,"first_id":%q,"last_id":%q}`,
			strings.Join(data, ","), end < len(all), all[start], all[end-1])
	}))
	t.Cleanup(srv.Close)
	return srv
}

// catEnv is a config (and optionally a redirect file) in a temp folder,
// with its SQLite database beside it.
type catEnv struct {
	dir      string
	cfgPath  string
	redirect string
}

func newCatEnv(t *testing.T, providersTOML, redirectTOML string) *catEnv {
	t.Helper()
	dir := t.TempDir()
	e := &catEnv{dir: dir, cfgPath: filepath.Join(dir, "gw.toml"), redirect: filepath.Join(dir, "redirect.toml")}
	cfg := fmt.Sprintf("[database]\ndriver = \"sqlite\"\ndsn = %q\n\n%s", filepath.Join(dir, "aigw.db"), providersTOML)
	require.NoError(t, os.WriteFile(e.cfgPath, []byte(cfg), 0o600))
	if redirectTOML != "" {
		require.NoError(t, os.WriteFile(e.redirect, []byte(redirectTOML), 0o600))
	}
	return e
}

// run executes aigw with args against the env's config and returns
// stdout, stderr and the command's error.
func (e *catEnv) run(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return execCLI(context.Background(), e.cfgPath, args...)
}

func (e *catEnv) mustRun(t *testing.T, args ...string) string {
	t.Helper()
	out, errOut, err := e.run(t, args...)
	require.NoError(t, err, "aigw %s\nstdout:\n%s\nstderr:\n%s", strings.Join(args, " "), out, errOut)
	return out
}

func catTwoProviders(openaiURL, anthropicURL string) string {
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
`, openaiURL, catGoodKey, anthropicURL, catGoodKey)
}

func TestModelsFetchMatchAddIdempotent(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	e := newCatEnv(t, catTwoProviders(oa.URL, an.URL), "")

	out := e.mustRun(t, "models", "fetch", "openai")
	assert.Contains(t, out, "openai lists 4 models (key sk-...aaaa)")
	for _, id := range []string{"gpt-4o-mini", "GPT-4.1-Fast", "text-embedding-3-small", "2024-07-17"} {
		assert.Contains(t, out, id)
	}
	assert.Contains(t, out, "no, static", "gpt-4o is in the static list, not the catalog")

	out = e.mustRun(t, "models", "fetch", "openai", "--match", "gpt-4o*", "--add")
	assert.Contains(t, out, "4 models (key sk-...aaaa); 2 match \"gpt-4o*\"")
	assert.NotContains(t, out, "GPT-4.1-Fast", "--match filters the table")
	assert.Contains(t, out, "added 2: gpt-4o, gpt-4o-mini")
	assert.Contains(t, out, "already there 0: -")

	out = e.mustRun(t, "models", "fetch", "openai", "--match", "gpt-4o*", "--add")
	assert.Contains(t, out, "added 0: -", "re-adding changes nothing")
	assert.Contains(t, out, "already there 2: gpt-4o, gpt-4o-mini")

	var rows []struct {
		ID      string `json:"id"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
		Added   bool   `json:"added"`
	}
	out = e.mustRun(t, "models", "fetch", "openai", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Len(t, rows, 4)
	added := map[string]bool{}
	for _, r := range rows {
		added[r.ID] = r.Added
	}
	assert.Equal(t, map[string]bool{"gpt-4o": true, "gpt-4o-mini": true, "GPT-4.1-Fast": false, "text-embedding-3-small": false}, added)
	assert.EqualValues(t, 1721172741, rows[1].Created)

	// Anthropic: every page, and --add of everything.
	out = e.mustRun(t, "models", "fetch", "claude", "--add")
	assert.Contains(t, out, "claude lists 3 models")
	assert.Contains(t, out, "added 3: claude-sonnet-4-5, claude-opus-4-1, claude-3-5-haiku-latest")

	_, _, err := e.run(t, "models", "fetch", "openai", "--match", "gpt-[")
	require.ErrorContains(t, err, "bad --match pattern")
	_, _, err = e.run(t, "models", "fetch", "nope")
	require.ErrorContains(t, err, "providers: openai, claude")
}

func TestModelsFetchTriesTheNextKey(t *testing.T) {
	oa := catOpenAIUpstream(t)
	e := newCatEnv(t, openAIProviderTOML(oa.URL, []string{catBadKey, catGoodKey}), "")
	out := e.mustRun(t, "models", "fetch", "openai")
	assert.Contains(t, out, "openai lists 4 models (key sk-...aaaa)", "key 1 is rejected, key 2 answers")
	assert.NotContains(t, out, catBadKey)
	assert.NotContains(t, out, catGoodKey)
}

func TestModelsFetchErrorNamesKeyHint(t *testing.T) {
	oa := catOpenAIUpstream(t)
	const otherBad = "sk-catalog-bad-key-2222eeee"
	e := newCatEnv(t, openAIProviderTOML(oa.URL, []string{catBadKey, otherBad}), "")
	out, errOut, err := e.run(t, "models", "fetch", "openai")
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, "key sk-...bbbb")
	assert.Contains(t, msg, "key sk-...eeee")
	assert.Contains(t, msg, "401")
	assert.Contains(t, msg, "aigw keys test openai", "says what to do next")
	for _, s := range []string{msg, out, errOut} {
		assert.NotContains(t, s, catBadKey)
		assert.NotContains(t, s, otherBad)
	}
}

func TestModelsListSourcesAndRm(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	e := newCatEnv(t, catTwoProviders(oa.URL, an.URL), `[aliases]
"GPT-4.1-Fast" = "openai/gpt-4o-mini"
"opus" = "claude-opus-4-1"
"ghost" = "no-such-model"
`)
	e.mustRun(t, "models", "fetch", "openai", "--match", "gpt-4o-mini", "--add")
	e.mustRun(t, "models", "fetch", "claude", "--match", "*opus*", "--add")

	type row struct {
		ID, Source, Provider, Target string
		OwnedBy                      string `json:"owned_by"`
		Created                      int64
	}
	var rows []row
	out := e.mustRun(t, "models", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	got := map[string]row{}
	var order []string
	for _, r := range rows {
		got[r.ID] = r
		order = append(order, r.ID)
	}
	assert.Equal(t, []string{"openai/gpt-4o", "openai/gpt-4o-mini", "claude/claude-opus-4-1", "GPT-4.1-Fast", "ghost", "opus"}, order)
	assert.Equal(t, row{ID: "openai/gpt-4o", Source: "static", Provider: "openai", OwnedBy: "openai"}, got["openai/gpt-4o"])
	assert.Equal(t, row{ID: "openai/gpt-4o-mini", Source: "fetched", Provider: "openai", OwnedBy: "system", Created: 1721172741}, got["openai/gpt-4o-mini"])
	assert.Equal(t, "fetched", got["claude/claude-opus-4-1"].Source)
	assert.Equal(t, row{ID: "GPT-4.1-Fast", Source: "alias", Provider: "openai", Target: "openai/gpt-4o-mini", OwnedBy: "openai"}, got["GPT-4.1-Fast"])
	assert.Equal(t, "claude", got["opus"].Provider, "a bare alias target resolves through the fetched list")
	assert.Empty(t, got["ghost"].Provider)

	out = e.mustRun(t, "models", "list", "--provider", "claude")
	assert.Contains(t, out, "claude/claude-opus-4-1")
	assert.Contains(t, out, "opus")
	assert.NotContains(t, out, "openai/gpt-4o")
	assert.Contains(t, out, "2 models")

	out = e.mustRun(t, "models", "rm", "openai/gpt-4o-mini")
	assert.Contains(t, out, "removed openai/gpt-4o-mini")
	rows = nil
	out = e.mustRun(t, "models", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	for _, r := range rows {
		assert.NotEqual(t, "openai/gpt-4o-mini", r.ID)
	}

	_, _, err := e.run(t, "models", "rm", "openai/gpt-4o-mini")
	require.ErrorContains(t, err, "not in the catalog")
	_, _, err = e.run(t, "models", "rm", "openai/gpt-4o")
	require.ErrorContains(t, err, "is a static model")
	_, _, err = e.run(t, "models", "rm", "gpt-4o")
	require.ErrorContains(t, err, "provider/model")
}

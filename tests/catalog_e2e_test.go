package tests

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/config"
)

// TestCatalogFetchAddSeenByRunningServer drives the CLI binary against the
// database of a running server: models fetch --match --add (twice), the
// paginated Anthropic list, models list sources, models rm; the server's
// /v1/models and routing follow within 5 seconds without a restart.
func TestCatalogFetchAddSeenByRunningServer(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	s := catServe(t, catProviders(oa.URL, an.URL), "[aliases]\n\"GPT-4.1-Fast\" = \"openai/gpt-4o\"\n")

	served := s.servedIDs(t)
	assert.Contains(t, served, "openai/gpt-4o")
	assert.NotContains(t, served, "openai/gpt-4o-mini")
	assert.Equal(t, http.StatusNotFound, s.chat(t, "gpt-4o-mini"), "not known before it is added")

	out := s.mustCLI(t, "models", "fetch", "openai")
	assert.Contains(t, out, "openai lists 4 models (key sk-...aaaa)")
	assert.Contains(t, out, "GPT-4.1-Fast")
	assert.Contains(t, out, "text-embedding-3-small")

	out = s.mustCLI(t, "models", "fetch", "openai", "--match", "gpt-4o*", "--add")
	assert.Contains(t, out, `2 match "gpt-4o*"`)
	assert.NotContains(t, out, "text-embedding-3-small")
	assert.Contains(t, out, "added 2: gpt-4o, gpt-4o-mini")

	catEventually(t, 5*time.Second, "/v1/models lists the added model", func() bool {
		_, ok := s.servedIDs(t)["openai/gpt-4o-mini"]
		return ok
	})
	m := s.servedIDs(t)["openai/gpt-4o-mini"]
	assert.EqualValues(t, 1721172741, m.Get("created").Int(), "created comes from the upstream")
	assert.Equal(t, "system", m.Get("owned_by").String())

	require.Equal(t, http.StatusOK, s.chat(t, "gpt-4o-mini"), "a bare fetched model routes (resolution rule 3)")
	assert.Equal(t, "gpt-4o-mini", gjson.GetBytes(oa.last(t).Body, "model").String())

	out = s.mustCLI(t, "models", "fetch", "openai", "--match", "gpt-4o*", "--add")
	assert.Contains(t, out, "added 0: -")
	assert.Contains(t, out, "already there 2: gpt-4o, gpt-4o-mini")

	// Anthropic: every page is followed.
	out = s.mustCLI(t, "models", "fetch", "claude", "--add")
	assert.Contains(t, out, "claude lists 3 models")
	assert.Contains(t, out, "added 3: claude-sonnet-4-5, claude-opus-4-1, claude-3-5-haiku-latest")
	var pages int
	for _, r := range an.requests() {
		if r.Path == "/v1/models" {
			pages++
		}
	}
	assert.Equal(t, 2, pages, "three models in pages of two")
	catEventually(t, 5*time.Second, "/v1/models lists the last page's model", func() bool {
		_, ok := s.servedIDs(t)["claude/claude-3-5-haiku-latest"]
		return ok
	})
	status, body := s.do(t, http.MethodPost, "/v1/messages", clientKey,
		`{"model":"claude-opus-4-1","max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`, "anthropic-version", "2023-06-01")
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "claude-opus-4-1", gjson.GetBytes(an.last(t).Body, "model").String())

	// models list shows what /v1/models serves, with sources.
	var rows []struct {
		ID, Source, Provider, Target string
	}
	out = s.mustCLI(t, "models", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	sources := map[string]string{}
	var ids []string
	for _, r := range rows {
		sources[r.ID] = r.Source
		ids = append(ids, r.ID)
	}
	var servedIDs []string
	status, body = s.do(t, http.MethodGet, "/v1/models", clientKey, "")
	require.Equal(t, http.StatusOK, status)
	for _, m := range gjson.GetBytes(body, "data.#.id").Array() {
		servedIDs = append(servedIDs, m.String())
	}
	assert.Equal(t, servedIDs, ids, "models list is exactly /v1/models")
	assert.Equal(t, "static", sources["openai/gpt-4o"])
	assert.Equal(t, "fetched", sources["openai/gpt-4o-mini"])
	assert.Equal(t, "fetched", sources["claude/claude-sonnet-4-5"])
	assert.Equal(t, "alias", sources["GPT-4.1-Fast"])

	out = s.mustCLI(t, "models", "rm", "openai/gpt-4o-mini")
	assert.Contains(t, out, "removed openai/gpt-4o-mini")
	catEventually(t, 5*time.Second, "the removed model is gone from routing", func() bool {
		return s.chat(t, "gpt-4o-mini") == http.StatusNotFound
	})
	assert.NotContains(t, s.servedIDs(t), "openai/gpt-4o-mini")
	_, errOut, code := s.cli(t, "models", "rm", "openai/gpt-4o-mini")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "not in the catalog")
}

// TestCatalogAdminEndpoints checks admin auth and the live fetch, add and
// remove endpoints of a running server.
func TestCatalogAdminEndpoints(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	s := catServe(t, catProviders(oa.URL, an.URL), "")

	// Auth: no key, a client key, a wrong key: 401. Admin key: as Bearer or x-api-key.
	for _, key := range []string{"", clientKey, "sk-wrong-admin-key-00000000"} {
		status, body := s.do(t, http.MethodGet, "/models/openai", key, "")
		assert.Equal(t, http.StatusUnauthorized, status, "key %q: %s", key, body)
		assert.Contains(t, string(body), "admin_keys")
	}
	status, body := s.do(t, http.MethodGet, "/models/openai", "", "", "x-api-key", catAdminKey)
	require.Equal(t, http.StatusOK, status, string(body))

	status, body = s.do(t, http.MethodGet, "/models/claude", catAdminKey, "")
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "list", gjson.GetBytes(body, "object").String())
	var listed []string
	for _, id := range gjson.GetBytes(body, "data.#.id").Array() {
		listed = append(listed, id.String())
	}
	assert.Equal(t, catAnthropicIDs, listed, "every page, in the OpenAI list shape")
	assert.Equal(t, "model", gjson.GetBytes(body, "data.0.object").String())
	assert.Positive(t, gjson.GetBytes(body, "data.0.created").Int())
	assert.NotContains(t, s.servedIDs(t), "claude/claude-sonnet-4-5", "a live fetch stores nothing")

	status, body = s.do(t, http.MethodGet, "/models/openai?match=gpt-4o*", catAdminKey, "")
	require.Equal(t, http.StatusOK, status)
	assert.Equal(t, `["gpt-4o","gpt-4o-mini"]`, gjson.GetBytes(body, "data.#.id").Raw)

	status, body = s.do(t, http.MethodGet, "/models/nope", catAdminKey, "")
	assert.Equal(t, http.StatusNotFound, status)
	assert.Contains(t, string(body), "providers: openai, claude")

	// Add: by match, idempotent; by list; bad bodies.
	status, body = s.do(t, http.MethodPost, "/models/claude", catAdminKey, `{"match":"*opus*"}`)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.JSONEq(t, `{"provider":"claude","added":["claude-opus-4-1"],"existing":[]}`, string(body))
	assert.Contains(t, s.servedIDs(t), "claude/claude-opus-4-1", "this server sees the change at once")
	status, body = s.do(t, http.MethodPost, "/models/claude", catAdminKey, `{"models":["claude-opus-4-1","claude-sonnet-4-5"]}`)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.JSONEq(t, `{"provider":"claude","added":["claude-sonnet-4-5"],"existing":["claude-opus-4-1"]}`, string(body))
	status, body = s.do(t, http.MethodPost, "/models/openai", catAdminKey, `{"all":true}`)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Len(t, gjson.GetBytes(body, "added").Array(), 4)

	status, body = s.do(t, http.MethodPost, "/models/claude", catAdminKey, `{"models":["claude-9"]}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Contains(t, string(body), "claude-9")
	status, _ = s.do(t, http.MethodPost, "/models/claude", catAdminKey, `{"all":true,"match":"x"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = s.do(t, http.MethodPost, "/models/claude", catAdminKey, `{not json`)
	assert.Equal(t, http.StatusBadRequest, status)
	status, _ = s.do(t, http.MethodPost, "/models/claude", clientKey, `{"all":true}`)
	assert.Equal(t, http.StatusUnauthorized, status)

	// The CLI sees what the admin endpoint stored.
	out := s.mustCLI(t, "models", "list", "--provider", "claude")
	assert.Contains(t, out, "claude/claude-opus-4-1")

	// Remove.
	status, body = s.do(t, http.MethodDelete, "/models/claude/claude-opus-4-1", catAdminKey, "")
	require.Equal(t, http.StatusOK, status, string(body))
	assert.NotContains(t, s.servedIDs(t), "claude/claude-opus-4-1")
	status, _ = s.do(t, http.MethodDelete, "/models/claude/claude-opus-4-1", catAdminKey, "")
	assert.Equal(t, http.StatusNotFound, status)
	status, _ = s.do(t, http.MethodDelete, "/models/claude/claude-sonnet-4-5", "", "")
	assert.Equal(t, http.StatusUnauthorized, status)

	// An upstream failure names the key by its hint only.
	s2 := catServe(t, catProviders(oa.URL, an.URL, catUpBad), "")
	status, body = s2.do(t, http.MethodGet, "/models/openai", catAdminKey, "")
	assert.Equal(t, http.StatusBadGateway, status)
	assert.Contains(t, string(body), "sk-...bbbb")
	assert.NotContains(t, string(body), catUpBad)
}

// TestCatalogAdminDisabled: without [auth] admin_keys the endpoints say so.
func TestCatalogAdminDisabled(t *testing.T) {
	oa := catOpenAIUpstream(t)
	gw := startGateway(t, oneProviderConfig(oa.URL, ""), "")
	resp, body := rawGet(t, gw.URL+"/models/openai", clientKey)
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Contains(t, string(body), "admin endpoints are disabled")
	assert.Empty(t, oa.requests(), "no upstream call")
}

func rawGet(t *testing.T, url, key string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, url, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp, body
}

// TestCatalogAliasHotReload: alias set/rm through the binary on a file with
// several entries is seen by a running server within 5 seconds, requests
// in flight never fail, and a broken file leaves the old aliases in force.
func TestCatalogAliasHotReload(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	s := catServe(t, catProviders(oa.URL, an.URL), `# aliases
[aliases]
"GPT-4.1-Fast" = "openai/gpt-4o"
"sonnet" = "claude/claude-sonnet-4-5"
"steady" = "gpt-4o"
`)

	// Requests for an alias that stays run all along; none may fail.
	stop := make(chan struct{})
	var wg sync.WaitGroup
	var sent, failed atomic.Int32
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := `{"model":"steady","messages":[{"role":"user","content":"hi"}]}`
			for {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest(http.MethodPost, s.URL+"/v1/chat/completions", strings.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+clientKey)
				req.Header.Set("Content-Type", "application/json")
				resp, err := http.DefaultClient.Do(req)
				sent.Add(1)
				if err != nil || resp.StatusCode != http.StatusOK {
					failed.Add(1)
				}
				if resp != nil {
					resp.Body.Close()
				}
			}
		}()
	}
	defer func() {
		close(stop)
		wg.Wait()
		assert.Positive(t, sent.Load())
		assert.Zero(t, failed.Load(), "requests in flight during reloads failed")
	}()

	assert.Equal(t, http.StatusNotFound, s.chat(t, "Mini.Fast"))
	out := s.mustCLI(t, "alias", "set", "Mini.Fast", "openai/gpt-4o-mini")
	assert.Contains(t, out, "alias Mini.Fast -> openai/gpt-4o-mini")
	catEventually(t, 5*time.Second, "the new alias routes", func() bool { return s.chat(t, "Mini.Fast") == http.StatusOK })
	upstreamModels := map[string]bool{}
	for _, r := range oa.requests() {
		upstreamModels[gjson.GetBytes(r.Body, "model").String()] = true
	}
	assert.True(t, upstreamModels["gpt-4o-mini"], "the alias reached the upstream as its target")

	a, err := config.LoadAliases(s.Redirect)
	require.NoError(t, err)
	assert.Equal(t, config.Aliases{
		"GPT-4.1-Fast": "openai/gpt-4o",
		"sonnet":       "claude/claude-sonnet-4-5",
		"steady":       "gpt-4o",
		"Mini.Fast":    "openai/gpt-4o-mini",
	}, a, "other entries kept, dotted case-sensitive names kept")
	assert.Equal(t, http.StatusNotFound, s.chat(t, "mini.fast"), "names are case-sensitive")

	// A cycle is refused and the file is left as it was.
	before, _ := os.ReadFile(s.Redirect)
	_, errOut, code := s.cli(t, "alias", "set", "gpt-4o", "steady")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "cycle")
	_, errOut, code = s.cli(t, "alias", "set", "gem", "google/gemini-2.5-pro")
	assert.Equal(t, 1, code)
	assert.Contains(t, errOut, "providers: openai, claude")
	after, _ := os.ReadFile(s.Redirect)
	assert.Equal(t, string(before), string(after))

	out = s.mustCLI(t, "alias", "rm", "GPT-4.1-Fast")
	assert.Contains(t, out, "3 left")
	catEventually(t, 5*time.Second, "the removed alias is gone", func() bool { return s.chat(t, "GPT-4.1-Fast") == http.StatusNotFound })
	assert.Equal(t, http.StatusOK, s.chat(t, "Mini.Fast"), "the others stay")

	// A broken file is reported; the aliases in force stay.
	require.NoError(t, os.WriteFile(s.Redirect, []byte("[aliases]\n\"late\" = \"gpt-4o\"\n\"broken\" = \n"), 0o600))
	catEventually(t, 5*time.Second, "the broken file is reported", func() bool {
		return strings.Contains(s.Logs.String(), "previous aliases stay in force")
	})
	assert.Equal(t, http.StatusOK, s.chat(t, "Mini.Fast"))
	assert.Equal(t, http.StatusOK, s.chat(t, "sonnet"))
	assert.Equal(t, http.StatusNotFound, s.chat(t, "late"), "nothing of the broken file is applied")
	_, errOut, code = s.cli(t, "alias", "set", "x", "gpt-4o")
	assert.Equal(t, 1, code, "alias set does not overwrite a file it cannot read")
	assert.Contains(t, errOut, "left untouched")

	require.NoError(t, os.WriteFile(s.Redirect, []byte("[aliases]\n\"late\" = \"gpt-4o\"\n\"steady\" = \"gpt-4o\"\n"), 0o600))
	catEventually(t, 5*time.Second, "the repaired file is applied", func() bool { return s.chat(t, "late") == http.StatusOK })
	assert.Equal(t, http.StatusNotFound, s.chat(t, "Mini.Fast"))
}

// TestCatalogKeysTest runs keys test through the binary: each key is
// classified, the exit status is 1 when one is not ok, and no whole key is
// ever printed.
func TestCatalogKeysTest(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	dead := freeAddr(t)
	dir := t.TempDir()
	cfg := catProviders(oa.URL, an.URL, catUpGood, catUpBad, catUpLimited) + fmt.Sprintf(`
[[providers]]
name = "down"
type = "openai"
base_url = "http://%s/v1"
api_keys = "%s"
connect_timeout = "2s"
`, dead, catUpGood)
	require.NoError(t, os.WriteFile(dir+"/keys.toml", []byte(cfg), 0o600))

	out, errOut, code := runAigw(t, dir, "-c", "keys.toml", "keys", "test")
	assert.Equal(t, 1, code, out+errOut)
	assert.Contains(t, out, "2 of 5 keys ok")
	assert.Contains(t, errOut, "3 of 5 keys are not ok")
	for _, k := range []string{catUpGood, catUpBad, catUpLimited} {
		assert.NotContains(t, out+errOut, k, "a whole key was printed")
	}

	out, _, code = runAigw(t, dir, "-c", "keys.toml", "keys", "test", "--json")
	assert.Equal(t, 1, code)
	var rows []struct {
		Provider, Key, Result string
		Status                int
		LatencyMs             *int64 `json:"latency_ms"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	got := make([]string, 0, len(rows))
	for _, r := range rows {
		got = append(got, fmt.Sprintf("%s %s %s %d", r.Provider, r.Key, r.Result, r.Status))
		assert.NotNil(t, r.LatencyMs)
	}
	assert.Equal(t, []string{
		"openai sk-...aaaa ok 200",
		"openai sk-...bbbb unauthorized 401",
		"openai sk-...cccc rate-limited 429",
		"claude sk-...aaaa ok 200",
		"down sk-...aaaa unreachable 0",
	}, got)

	out, _, code = runAigw(t, dir, "-c", "keys.toml", "keys", "test", "claude")
	assert.Equal(t, 0, code, out)
	assert.Contains(t, out, "1 of 1 keys ok")
}

package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/app"
	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/metrics"
)

// clientGateway serves the openai provider "oai" (fake upstream: 11
// prompt + 7 completion tokens per answer, priced 1 and 2 per million:
// 0.000025 a request) with the static client key and the given clients.
func clientGateway(t *testing.T, list ...clients.Client) (*gatewayEnv, map[string]string) {
	t.Helper()
	return clientGatewayWith(t, gateway.Options{}, list...)
}

// clientGatewayWith is clientGateway with more gateway options (Prices and
// Clients are filled in).
func clientGatewayWith(t *testing.T, opts gateway.Options, list ...clients.Client) (*gatewayEnv, map[string]string) {
	t.Helper()
	up := newFakeUpstream(t, openAIChat("hello"))
	keys := map[string]string{}
	for i := range list {
		key, hash, hint, err := clients.NewKey()
		require.NoError(t, err)
		list[i].KeyHash, list[i].KeyHint = hash, hint
		keys[list[i].Name] = key
	}
	dir := app.NewClientBook()
	dir.Set(list)
	opts.Prices, opts.Clients = priceBookOf(t, "[prices.\"oai/*\"]\ninput = 1.0\noutput = 2.0\n"), dir
	gw := startGatewayWith(t, fmt.Sprintf(`
[auth]
keys = [%q]

[[providers]]
name = "oai"
type = "openai"
base_url = "%s/v1"
api_keys = "sk-upstream-oai-1111"
models = ["gpt-4o", "gpt-4o-mini"]
`, clientKey, up.URL), "[aliases]\n\"fast\" = \"oai/gpt-4o-mini\"\n", opts)
	return gw, keys
}

func clientCall(t *testing.T, gw *gatewayEnv, key, model string) (int, map[string]any, http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	return resp.StatusCode, body, resp.Header
}

func errCode(body map[string]any) string {
	e, _ := body["error"].(map[string]any)
	s, _ := e["code"].(string)
	return s
}

func TestClientKeyRefusals(t *testing.T) {
	past := time.Now().Add(-time.Hour)
	gw, keys := clientGateway(t,
		clients.Client{Name: "alice", Models: []string{"gpt-4o*", "fast"}},
		clients.Client{Name: "off", Disabled: true},
		clients.Client{Name: "old", ExpiresAt: &past},
		clients.Client{Name: "onlyprefix", Models: []string{"oai/*"}},
	)
	for _, tc := range []struct {
		name, key, model string
		status           int
		code             string
	}{
		{"unknown client key", "sk-aigw-" + strings.Repeat("x", 40), "oai/gpt-4o", 401, "invalid_api_key"},
		{"disabled", keys["off"], "oai/gpt-4o", 401, "invalid_api_key"},
		{"expired", keys["old"], "oai/gpt-4o", 401, "invalid_api_key"},
		{"allowed by the requested name", keys["alice"], "fast", 200, ""},
		{"not allowed: resolved name is oai/gpt-4o, requested oai/gpt-4o", keys["alice"], "oai/gpt-4o", 403, "model_not_allowed"},
		{"allowed by the resolved provider/model", keys["onlyprefix"], "fast", 200, ""},
		{"unknown model is 404 as for any key", keys["alice"], "nope/x", 404, "model_not_found"},
		{"static key still works", clientKey, "oai/gpt-4o", 200, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			status, body, _ := clientCall(t, gw, tc.key, tc.model)
			assert.Equal(t, tc.status, status, "%v", body)
			if tc.code != "" {
				assert.Equal(t, tc.code, errCode(body))
			}
		})
	}
	for _, row := range gw.Logs.waitRows(t, 8) {
		for name, key := range keys {
			assert.NotContains(t, fmt.Sprintf("%+v", row), key, "client %s's key in a log row", name)
		}
	}
	rows := gw.Logs.waitRows(t, 8)
	assert.Equal(t, "alice", rows[3].Client)
	assert.True(t, strings.HasPrefix(rows[3].ClientKeyHint, "sk-aigw-..."), rows[3].ClientKeyHint)
	assert.Equal(t, 403, rows[4].StatusCode, "refusals are logged")
	assert.Equal(t, "alice", rows[4].Client)
	assert.Empty(t, rows[7].Client, "a static key has no client")
}

func TestClientRPMExactAtTheBoundary(t *testing.T) {
	gw, keys := clientGateway(t, clients.Client{Name: "bob", RPM: 3})
	for i := 1; i <= 3; i++ {
		status, body, hdr := clientCall(t, gw, keys["bob"], "oai/gpt-4o")
		require.Equal(t, 200, status, "%v", body)
		assert.Equal(t, "3", hdr.Get("X-Ratelimit-Limit-Requests"))
		assert.Equal(t, fmt.Sprint(3-i), hdr.Get("X-Ratelimit-Remaining-Requests"))
		assert.NotEmpty(t, hdr.Get("X-Ratelimit-Reset-Requests"))
	}
	for range 2 { // refused ones do not count
		status, body, hdr := clientCall(t, gw, keys["bob"], "oai/gpt-4o")
		require.Equal(t, 429, status)
		assert.Equal(t, "rate_limit_exceeded", errCode(body))
		assert.NotEmpty(t, hdr.Get("Retry-After"))
		assert.Equal(t, "0", hdr.Get("X-Ratelimit-Remaining-Requests"))
	}
}

func TestClientTPMFromRealUsage(t *testing.T) {
	gw, keys := clientGateway(t, clients.Client{Name: "carol", TPM: 20})
	// 18 tokens per answer: 0 and 18 used are under 20, 36 is not.
	for range 2 {
		status, body, hdr := clientCall(t, gw, keys["carol"], "oai/gpt-4o")
		require.Equal(t, 200, status, "%v", body)
		assert.Equal(t, "20", hdr.Get("X-Ratelimit-Limit-Tokens"))
	}
	gw.Logs.waitRows(t, 2)
	status, body, hdr := clientCall(t, gw, keys["carol"], "oai/gpt-4o")
	assert.Equal(t, 429, status)
	assert.Equal(t, "rate_limit_exceeded", errCode(body))
	assert.NotEmpty(t, hdr.Get("Retry-After"))
	assert.Equal(t, "0", hdr.Get("X-Ratelimit-Remaining-Tokens"))
}

func TestClientBudgetStopsAfterTheRequestThatCrossedIt(t *testing.T) {
	budget := 0.00004 // each request costs 0.000025
	gw, keys := clientGateway(t, clients.Client{Name: "dave", Budget: &budget, Period: "month"})
	for range 2 {
		status, body, _ := clientCall(t, gw, keys["dave"], "oai/gpt-4o")
		require.Equal(t, 200, status, "%v", body)
	}
	rows := gw.Logs.waitRows(t, 2)
	require.NotNil(t, rows[1].Cost)
	status, body, hdr := clientCall(t, gw, keys["dave"], "oai/gpt-4o")
	assert.Equal(t, 429, status)
	assert.Equal(t, "insufficient_quota", errCode(body))
	assert.NotEmpty(t, hdr.Get("Retry-After"))
	e := body["error"].(map[string]any)
	assert.Contains(t, e["message"], "renews at")
}

// TestClientKeysThroughTheWholeServer: `aigw clients create` against a
// running serve: the key works within 5 s, its requests are logged under
// the client, `clients disable` refuses it within 5 s, and the key is
// nowhere in the database file or the server's log.
func TestClientKeysThroughTheWholeServer(t *testing.T) {
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	s := catServe(t, catProviders(oa.URL, an.URL), "")
	out := s.mustCLI(t, "clients", "create", "alice", "--models", "openai/*", "--rpm", "100", "--json")
	var created struct {
		Key string `json:"key"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &created), out)
	require.True(t, strings.HasPrefix(created.Key, "sk-aigw-"), out)

	call := func(model string) int {
		req, err := http.NewRequest(http.MethodPost, s.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+created.Key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	catEventually(t, 5*time.Second, "the new key is accepted", func() bool { return call("openai/gpt-4o") == 200 })
	assert.Equal(t, 403, call("claude/claude-sonnet-4-5"), "outside the allowlist")

	s.mustCLI(t, "clients", "disable", "alice")
	catEventually(t, 5*time.Second, "the disabled key is refused", func() bool { return call("openai/gpt-4o") == 401 })

	out = s.mustCLI(t, "logs", "tail", "--client", "alice", "--json")
	assert.Contains(t, out, `"client":"alice"`)
	assert.Contains(t, out, `"client_key_hint":"sk-aigw-...`)
	db, err := os.ReadFile(filepath.Join(s.Dir, "data", "aigw.db"))
	require.NoError(t, err)
	assert.NotContains(t, string(db), created.Key, "the key is stored only as a hash")
	assert.NotContains(t, s.Logs.String(), created.Key)
	assert.NotContains(t, out, created.Key)
}

// TestClientLabelsCostAndTokens: /metrics counts cost and tokens per
// client ("" for the static key).
func TestClientLabelsCostAndTokens(t *testing.T) {
	gw, keys := clientGatewayWith(t, gateway.Options{Metrics: metrics.New()}, clients.Client{Name: "erin"})
	key := keys["erin"]
	for _, k := range []string{key, key, clientKey} {
		status, body, _ := clientCall(t, gw, k, "oai/gpt-4o")
		require.Equal(t, 200, status, "%v", body)
	}
	gw.Logs.waitRows(t, 3)
	_, text := getText(t, gw.URL+"/metrics")
	assert.Contains(t, text, `aigw_tokens_total{client="erin",kind="prompt",model="gpt-4o",provider="oai"} 22`)
	assert.Contains(t, text, `aigw_tokens_total{client="",kind="prompt",model="gpt-4o",provider="oai"} 11`)
	assert.Contains(t, text, `aigw_cost_total{client="erin",model="gpt-4o",provider="oai"} 5e-05`)
}

// TestClientKeysOnly: with [auth] client_keys_only and no static keys, a
// request without a key is refused even before the first client exists
// (the gateway may listen beyond loopback), and a client key is admitted
// once the client is created.
func TestClientKeysOnly(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("hello"))
	book := app.NewClientBook()
	gw := startGatewayWith(t, fmt.Sprintf(`
[auth]
client_keys_only = true

[[providers]]
name = "oai"
type = "openai"
base_url = "%s/v1"
api_keys = "sk-upstream-oai-1111"
models = ["gpt-4o"]
`, up.URL), "", gateway.Options{Clients: book})
	call := func(key string) int {
		req, err := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions",
			strings.NewReader(`{"model":"oai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`))
		require.NoError(t, err)
		if key != "" {
			req.Header.Set("Authorization", "Bearer "+key)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, http.StatusUnauthorized, call(""), "no clients yet: still closed")
	assert.Equal(t, http.StatusUnauthorized, call("sk-anything"))
	assert.Empty(t, up.requests())

	key, hash, hint, err := clients.NewKey()
	require.NoError(t, err)
	book.Set([]clients.Client{{Name: "team", KeyHash: hash, KeyHint: hint}})
	assert.Equal(t, http.StatusOK, call(key))
	assert.Equal(t, http.StatusUnauthorized, call(""))
}

package catalog_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

const (
	goodKey    = "sk-good-key-000000000000aaaa"
	badKey     = "sk-bad-key-1111111111111bbbb"
	limitedKey = "sk-limited-key-222222222cccc"
)

func newProvider(typ, base string, keys ...string) *provider.Provider {
	cfg := &config.Config{Providers: []config.Provider{{Name: "up", Type: typ, BaseURL: base, APIKeys: keys, Timeout: 5 * time.Second}}}
	p, _ := provider.NewRegistry(cfg, nil).Get("up")
	return p
}

// openAIUpstream serves GET /v1/models only, checking the Bearer key.
func openAIUpstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/models" {
			http.NotFound(w, r)
			return
		}
		switch r.Header.Get("Authorization") {
		case "Bearer " + goodKey:
		case "Bearer " + limitedKey:
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"slow down","type":"rate_limit_error"}}`)
			return
		default:
			w.WriteHeader(http.StatusUnauthorized)
			// Echo the key, as a careless upstream would: it must not reach our output.
			fmt.Fprintf(w, `{"error":{"message":"Incorrect API key provided: %s","type":"invalid_request_error"}}`,
				strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
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

// anthropicUpstream serves three models in pages of two, whatever limit
// the client asks for, so pagination is exercised.
func anthropicUpstream(t *testing.T, calls *atomic.Int32) *httptest.Server {
	t.Helper()
	all := []string{"claude-sonnet-4-5", "claude-opus-4-1", "claude-3-5-haiku-latest"}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		if r.URL.Path != "/v1/models" || r.Header.Get("anthropic-version") != "2023-06-01" {
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("x-api-key") != goodKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprint(w, `{"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}`)
			return
		}
		start := 0
		if after := r.URL.Query().Get("after_id"); after != "" {
			for i, id := range all {
				if id == after {
					start = i + 1
				}
			}
		}
		limit, _ := strconv.Atoi(r.URL.Query().Get("limit"))
		end := min(start+min(limit, 2), len(all))
		var data []string
		for i, id := range all[start:end] {
			data = append(data, fmt.Sprintf(`{"type":"model","id":%q,"display_name":"Model %d","created_at":"2025-0%d-01T00:00:00Z"}`, id, start+i, start+i+1))
		}
		fmt.Fprintf(w, `{"data":[%s],"has_more":%t,"first_id":%q,"last_id":%q}`,
			strings.Join(data, ","), end < len(all), all[start], all[end-1])
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetchOpenAIWithAndWithoutV1(t *testing.T) {
	up := openAIUpstream(t)
	for _, base := range []string{up.URL + "/v1", up.URL, up.URL + "/"} {
		t.Run(base, func(t *testing.T) {
			models, hint, err := catalog.Fetch(context.Background(), nil, newProvider("openai", base, goodKey))
			require.NoError(t, err)
			assert.Equal(t, "sk-...aaaa", hint)
			require.Len(t, models, 4)
			assert.Equal(t, catalog.Model{ID: "gpt-4o", Created: 1715367049, OwnedBy: "system"}, models[0])
			assert.Equal(t, "GPT-4.1-Fast", models[2].ID, "case and dots kept")
		})
	}
}

func TestFetchAnthropicFollowsPages(t *testing.T) {
	var calls atomic.Int32
	up := anthropicUpstream(t, &calls)
	models, _, err := catalog.Fetch(context.Background(), nil, newProvider("anthropic", up.URL, goodKey))
	require.NoError(t, err)
	require.Len(t, models, 3)
	assert.EqualValues(t, 2, calls.Load(), "two pages")
	assert.Equal(t, "claude-3-5-haiku-latest", models[2].ID)
	assert.Equal(t, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC).Unix(), models[0].Created, "created_at converted to unix")
	assert.Equal(t, "Model 0", models[0].DisplayName)
	assert.Equal(t, "anthropic", models[0].OwnedBy)
}

func TestFetchTriesTheNextKeyAfterARejection(t *testing.T) {
	up := openAIUpstream(t)
	const otherBad = "sk-other-bad-key-3333333dddd"
	models, hint, err := catalog.Fetch(context.Background(), nil, newProvider("openai", up.URL+"/v1", badKey, otherBad, goodKey))
	require.NoError(t, err, "keys 1 and 2 are rejected (401), key 3 works")
	assert.Equal(t, "sk-...aaaa", hint, "the hint names the key that answered")
	assert.Len(t, models, 4)

	// A 429 is not a rejected key: it is reported, not skipped.
	_, hint, err = catalog.Fetch(context.Background(), nil, newProvider("openai", up.URL+"/v1", limitedKey, goodKey))
	require.Error(t, err)
	assert.Equal(t, "sk-...cccc", hint)
	assert.Contains(t, err.Error(), "429")
}

func TestFetchErrorNamesKeyHintNotKey(t *testing.T) {
	up := openAIUpstream(t)
	const otherBad = "sk-other-bad-key-3333333dddd"
	_, hint, err := catalog.Fetch(context.Background(), nil, newProvider("openai", up.URL+"/v1", badKey, otherBad))
	require.Error(t, err)
	assert.Equal(t, "sk-...dddd", hint, "the last key tried")
	for _, want := range []string{"every key of the pool was rejected", "sk-...bbbb", "sk-...dddd", "401", "Incorrect API key provided"} {
		assert.Contains(t, err.Error(), want)
	}
	assert.NotContains(t, err.Error(), badKey, "the whole key never appears")
	assert.NotContains(t, err.Error(), otherBad, "the whole key never appears")

	var calls atomic.Int32
	aup := anthropicUpstream(t, &calls)
	_, _, err = catalog.Fetch(context.Background(), nil, newProvider("anthropic", aup.URL+"/v1", badKey))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "invalid x-api-key")
}

func TestMatch(t *testing.T) {
	models := []catalog.Model{{ID: "gpt-4o"}, {ID: "gpt-4o-mini"}, {ID: "o3"}, {ID: "anthropic/claude-3.5-sonnet"}, {ID: "GPT-4.1"}}
	ids := func(ms []catalog.Model) []string {
		var out []string
		for _, m := range ms {
			out = append(out, m.ID)
		}
		return out
	}
	got, err := catalog.Filter(models, "gpt-4o*")
	require.NoError(t, err)
	assert.Equal(t, []string{"gpt-4o", "gpt-4o-mini"}, ids(got))
	got, _ = catalog.Filter(models, "*claude*")
	assert.Equal(t, []string{"anthropic/claude-3.5-sonnet"}, ids(got), "* crosses /")
	got, _ = catalog.Filter(models, "anthropic/*")
	assert.Equal(t, []string{"anthropic/claude-3.5-sonnet"}, ids(got))
	got, _ = catalog.Filter(models, "GPT-4.?")
	assert.Equal(t, []string{"GPT-4.1"}, ids(got), "case-sensitive")
	got, _ = catalog.Filter(models, "")
	assert.Len(t, got, 5)
	_, err = catalog.Filter(models, "gpt-[")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "bad --match pattern")
}

func TestKeysClassified(t *testing.T) {
	up := openAIUpstream(t)
	// A port that refuses connections.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://" + ln.Addr().String()
	ln.Close()

	cfg := &config.Config{Providers: []config.Provider{
		{Name: "oa", Type: "openai", BaseURL: up.URL + "/v1", APIKeys: []string{goodKey, badKey, limitedKey}, Timeout: 5 * time.Second},
		{Name: "gone", Type: "openai", BaseURL: dead, APIKeys: []string{goodKey}, Timeout: 5 * time.Second},
	}}
	reg := provider.NewRegistry(cfg, nil)
	res := catalog.TestKeys(context.Background(), nil, reg.Providers(), 2)
	require.Len(t, res, 4)
	want := []struct {
		prov, hint, result string
		status             int
	}{
		{"oa", "sk-...aaaa", catalog.ResultOK, 200},
		{"oa", "sk-...bbbb", catalog.ResultUnauthorized, 401},
		{"oa", "sk-...cccc", catalog.ResultRateLimited, 429},
		{"gone", "sk-...aaaa", catalog.ResultUnreachable, 0},
	}
	for i, w := range want {
		assert.Equal(t, w.prov, res[i].Provider, i)
		assert.Equal(t, w.hint, res[i].KeyHint, i)
		assert.Equal(t, w.result, res[i].Result, i)
		assert.Equal(t, w.status, res[i].Status, i)
		for _, k := range []string{goodKey, badKey, limitedKey} {
			assert.NotContains(t, res[i].Error, k)
		}
	}
	assert.True(t, res[0].OK())
	assert.False(t, res[1].OK())
}

func TestKeysAnthropicProbeIsOnePage(t *testing.T) {
	var calls atomic.Int32
	up := anthropicUpstream(t, &calls)
	res := catalog.TestKeys(context.Background(), nil, []*provider.Provider{newProvider("anthropic", up.URL, goodKey, badKey)}, 4)
	require.Len(t, res, 2)
	assert.Equal(t, catalog.ResultOK, res[0].Result)
	assert.Equal(t, catalog.ResultUnauthorized, res[1].Result)
	assert.EqualValues(t, 2, calls.Load(), "one call per key")
}

func TestFetchErrorsHideTheBaseURLPassword(t *testing.T) {
	up := openAIUpstream(t)
	withUser := strings.Replace(up.URL, "http://", "http://proxyuser:proxy-s3cret@", 1)
	_, _, err := catalog.Fetch(context.Background(), nil, newProvider("openai", withUser+"/v1", badKey))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "401")
	assert.Contains(t, err.Error(), "proxyuser")
	assert.NotContains(t, err.Error(), "proxy-s3cret")

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := "http://proxyuser:proxy-s3cret@" + ln.Addr().String()
	ln.Close()
	_, _, err = catalog.Fetch(context.Background(), nil, newProvider("openai", dead, goodKey))
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "proxy-s3cret")
}

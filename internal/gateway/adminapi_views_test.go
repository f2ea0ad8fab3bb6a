package gateway

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/testdb"
)

func TestAdminAPIProviders(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	close(e.limitKey1)
	require.Equal(t, http.StatusOK, e.chat(t, apiStaticKey, "up/gpt-4o", "hi"), "key 2 answers after key 1's 429")
	p, _ := e.S.reg.Get("up")
	p.Pool.Keys()[1].SetAside()

	out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/providers", "")
	prov := gjson.Get(out, "providers.0")
	assert.Equal(t, "up", prov.Get("name").String())
	assert.Equal(t, "openai", prov.Get("type").String())
	assert.Equal(t, "first", prov.Get("strategy").String())
	assert.Equal(t, int64(3), prov.Get("models").Int())
	k1, k2 := prov.Get("keys.0"), prov.Get("keys.1")
	assert.Equal(t, "sk-...0001", k1.Get("hint").String())
	assert.Equal(t, "cooling", k1.Get("state").String())
	until, err := time.Parse(time.RFC3339Nano, k1.Get("until").String())
	require.NoError(t, err, out)
	assert.WithinDuration(t, time.Now().Add(30*time.Second), until, 5*time.Second, "Retry-After: 30")
	assert.Contains(t, k1.Get("last_error").String(), "429")
	assert.Equal(t, "set_aside", k2.Get("state").String())
	assert.Equal(t, "null", k2.Get("until").Raw)

	route := gjson.Get(out, "routes.0")
	assert.Equal(t, "smart", route.Get("name").String())
	assert.Equal(t, "priority", route.Get("strategy").String())
	assert.Equal(t, "up/gpt-4o", route.Get("targets.0.target").String())
	assert.True(t, route.Get("targets.0.healthy").Bool())
	assert.Equal(t, "null", route.Get("targets.0.ejected_until").Raw)
	until = time.Now().Add(time.Minute)
	e.S.health.ejectRemote("smart", "up/gpt-4o-mini", until)
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/providers", "")
	assert.False(t, gjson.Get(out, "routes.0.targets.1.healthy").Bool(), out)
	assert.NotEqual(t, "null", gjson.Get(out, "routes.0.targets.1.ejected_until").Raw)

	// The key test: both keys list models; the set-aside one comes back.
	out = e.admin(t, http.StatusOK, http.MethodPost, "/admin/api/providers/up/test", "")
	require.Equal(t, int64(2), gjson.Get(out, "results.#").Int(), out)
	for i, r := range gjson.Get(out, "results").Array() {
		assert.True(t, r.Get("ok").Bool(), "key %d: %s", i, out)
		assert.Equal(t, int64(200), r.Get("status").Int())
	}
	assert.True(t, gjson.Get(out, "results.1.restored").Bool(), out)
	assert.Equal(t, provider.KeyOK, p.Pool.Keys()[1].Status(time.Now()).State)
	status, _, out := e.do(t, http.MethodPost, "/admin/api/providers/nope/test", "", withKey(apiAdminKey))
	assert.Equal(t, http.StatusNotFound, status, out)
}

func TestAdminAPIModels(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/models", "")
	assert.Equal(t, int64(3), gjson.Get(out, "models.#").Int(), out)
	assert.Equal(t, "up/gpt-4o", gjson.Get(out, "models.0.id").String())
	assert.Equal(t, "config", gjson.Get(out, "models.0.source").String())
	assert.Equal(t, `[{"name":"fast","target":"up/gpt-4o-mini"}]`, gjson.Get(out, "aliases").Raw)
	assert.Equal(t, `["smart"]`, gjson.Get(out, "routes").Raw)
	assert.Contains(t, out, `up/\u003cscript\u003ealert(1)\u003c/script\u003e`, "a model name is JSON-escaped")
	assert.NotContains(t, out, "<script>")

	// The upstream's list, on the new path and the old one.
	for _, path := range []string{"/admin/api/models/up/upstream", "/models/up"} {
		out = e.admin(t, http.StatusOK, http.MethodGet, path+"?match=m/*", "")
		assert.Equal(t, `["m/one"]`, gjson.Get(out, "data.#.id").Raw, path)
	}
	e.admin(t, http.StatusBadRequest, http.MethodGet, "/admin/api/models/up/upstream?match=[", "")
	e.admin(t, http.StatusNotFound, http.MethodGet, "/admin/api/models/nope/upstream", "")

	// Add on the new path, remove on both.
	out = e.admin(t, http.StatusOK, http.MethodPost, "/admin/api/models/up", `{"models":["m/one","two"]}`)
	assert.Equal(t, `["m/one","two"]`, gjson.Get(out, "added").Raw, out)
	_, err := e.S.reg.Resolve("m/one")
	require.NoError(t, err, "routes at once")
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/models", "")
	added := gjson.Get(out, `models.#(id=="up/m/one")`)
	assert.Equal(t, "catalog", added.Get("source").String(), out)
	assert.True(t, strings.HasSuffix(added.Get("added_at").String(), "+08:00"), out)
	e.admin(t, http.StatusBadRequest, http.MethodPost, "/admin/api/models/up", `{"models":["absent"]}`)
	e.admin(t, http.StatusNoContent, http.MethodDelete, "/admin/api/models/up/m/one", "")
	_, err = e.S.reg.Resolve("m/one")
	assert.ErrorIs(t, err, provider.ErrModelNotFound)
	e.admin(t, http.StatusNotFound, http.MethodDelete, "/admin/api/models/up/m/one", "")
	out = e.admin(t, http.StatusOK, http.MethodDelete, "/models/up/two", "")
	assert.True(t, gjson.Get(out, "removed").Bool(), "the old path keeps its answer")
	e.admin(t, http.StatusOK, http.MethodPost, "/models/up", `{"match":"two"}`)
}

// TestAdminAPIAnswersHoldNoSecret calls every endpoint, the errors
// included, and looks for any configured key and any client key in what
// came back (bodies and headers).
func TestAdminAPIAnswersHoldNoSecret(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	close(e.limitKey1) // key 1's 429 names the key in its message
	out := e.admin(t, http.StatusCreated, http.MethodPost, "/admin/api/clients", `{"name":"alice"}`)
	created := gjson.Get(out, "key").String()
	require.Equal(t, http.StatusOK, e.chat(t, created, "up/gpt-4o", "my key is "+apiUpKey1))
	out = e.admin(t, http.StatusOK, http.MethodPost, "/admin/api/clients/alice/rotate", "")
	rotated := gjson.Get(out, "key").String()
	secrets := []string{apiAdminKey, apiStaticKey, apiUpKey1, apiUpKey2, created, rotated}
	token := e.signIn(t)

	for _, r := range adminRoutes {
		for _, opts := range [][]reqOpt{{withKey(apiAdminKey)}, {withCookie(token), e.origin()}, nil} {
			status, h, body := e.do(t, r.method, r.path, r.body, opts...)
			if r.method == http.MethodDelete && r.path == "/admin/api/session" {
				token = e.signIn(t)
			}
			for _, s := range secrets {
				assert.NotContains(t, body, s, "%s %s (%d)", r.method, r.path, status)
				for name, v := range h {
					assert.NotContains(t, strings.Join(v, " "), s, "%s %s header %s", r.method, r.path, name)
				}
			}
		}
	}
	for _, path := range []string{"/admin/api/logs?client=alice", "/admin/api/logs/1", "/admin/api/logs/2", "/admin/api/clients/alice"} {
		_, _, body := e.do(t, http.MethodGet, path, "", withKey(apiAdminKey))
		for _, s := range secrets {
			assert.NotContains(t, body, s, path)
		}
	}
}

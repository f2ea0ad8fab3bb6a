package gateway

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/testdb"
)

func TestAdminAPIClients(t *testing.T) {
	for name, db := range map[string]func(testing.TB) config.Database{"sqlite": testdb.SQLite, "postgres": testdb.Postgres} {
		t.Run(name, func(t *testing.T) { testAdminAPIClients(t, db(t)) })
	}
}

func testAdminAPIClients(t *testing.T, dbc config.Database) {
	e := newAPIEnv(t, dbc)
	out := e.admin(t, http.StatusCreated, http.MethodPost, "/admin/api/clients",
		`{"name":"alice","models":["up/gpt-4o","fast"],"rpm":60,"budget":10,"period":"month","expires":"2099-12-31","note":"team a"}`)
	key := gjson.Get(out, "key").String()
	require.True(t, strings.HasPrefix(key, "sk-aigw-") && len(key) == len("sk-aigw-")+40, out)
	cl := gjson.Get(out, "client")
	assert.Equal(t, "alice", cl.Get("name").String())
	assert.Equal(t, clients.Hint(key), cl.Get("key_hint").String())
	assert.Equal(t, `["up/gpt-4o","fast"]`, cl.Get("models").Raw)
	assert.Equal(t, int64(60), cl.Get("rpm").Int())
	assert.Equal(t, 10.0, cl.Get("budget").Float())
	assert.Equal(t, "month", cl.Get("period").String())
	assert.Equal(t, "2099-12-31T23:59:59.999+08:00", cl.Get("expires_at").String(), "the end of the day in the configured zone")
	assert.Equal(t, "active", cl.Get("state").String())
	assert.Equal(t, int64(0), cl.Get("usage.requests").Int())
	assert.True(t, strings.HasSuffix(cl.Get("usage.period_start").String(), "-01T00:00:00+08:00"), "month starts on the 1st: %s", cl.Raw)

	// The local client book has it at once: the key works right away.
	_, ok := e.Book.Client(clients.HashKey(key))
	require.True(t, ok, "the gateway's client keys were reloaded")
	require.Equal(t, http.StatusOK, e.chat(t, key, "up/gpt-4o", "hi"))
	assert.Equal(t, http.StatusForbidden, e.chat(t, key, "up/gpt-4o-mini", "hi"), "outside the allowlist")
	assert.Equal(t, http.StatusOK, e.chat(t, key, "fast", "hi"), "an allowed alias")
	eventually(t, "the request is counted in the client's usage", func() bool {
		out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/clients/alice", "")
		return gjson.Get(out, "usage.requests").Int() >= 3
	})

	// Refusals: 400 with what to do, 409 for a taken name.
	bad := map[string]string{
		"no name":              `{"rpm":1}`,
		"empty name":           `{"name":" "}`,
		"control char in name": `{"name":"a\u001b[2Jb"}`,
		"negative rpm":         `{"name":"b","rpm":-1}`,
		"rpm not a number":     `{"name":"b","rpm":"ten"}`,
		"budget no period":     `{"name":"b","budget":5}`,
		"period no budget":     `{"name":"b","period":"day"}`,
		"zero budget":          `{"name":"b","budget":0,"period":"day"}`,
		"bad period":           `{"name":"b","budget":1,"period":"year"}`,
		"bad glob":             `{"name":"b","models":["gpt-[" ]}`,
		"models not a list":    `{"name":"b","models":"gpt-4o"}`,
		"bad date":             `{"name":"b","expires":"31.12.2026"}`,
		"unknown field":        `{"name":"b","budgett":5}`,
		"not json":             `{"name":`,
	}
	for what, body := range bad {
		status, _, out := e.do(t, http.MethodPost, "/admin/api/clients", body, withKey(apiAdminKey))
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", what, out)
		assert.NotEmpty(t, gjson.Get(out, "error.message").String(), what)
	}
	status, _, out := e.do(t, http.MethodPost, "/admin/api/clients", `{"name":"alice"}`, withKey(apiAdminKey))
	assert.Equal(t, http.StatusConflict, status, out)
	assert.Contains(t, out, "already exists")
	list := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/clients", "")
	assert.Equal(t, int64(1), gjson.Get(list, "clients.#").Int(), "nothing else was created: %s", list)

	// Update is partial; null removes the budget or the expiry.
	out = e.admin(t, http.StatusOK, http.MethodPatch, "/admin/api/clients/alice", `{"rpm":120}`)
	assert.Equal(t, int64(120), gjson.Get(out, "rpm").Int())
	assert.Equal(t, `["up/gpt-4o","fast"]`, gjson.Get(out, "models").Raw, "models stay")
	assert.Equal(t, 10.0, gjson.Get(out, "budget").Float(), "the budget stays")
	out = e.admin(t, http.StatusOK, http.MethodPatch, "/admin/api/clients/alice", `{"budget":null,"expires":null,"models":[],"note":"<b>x</b>"}`)
	assert.Equal(t, "null", gjson.Get(out, "budget").Raw)
	assert.Equal(t, "", gjson.Get(out, "period").String())
	assert.Equal(t, "null", gjson.Get(out, "expires_at").Raw)
	assert.Equal(t, "[]", gjson.Get(out, "models").Raw)
	assert.Contains(t, out, `\u003cb\u003ex\u003c/b\u003e`, "HTML is escaped in JSON")
	assert.Equal(t, "null", gjson.Get(out, "usage.period_start").Raw, "no budget: usage of all time")
	for what, body := range map[string]string{
		"rename":          `{"name":"bob"}`,
		"nothing":         `{}`,
		"period alone":    `{"period":"day"}`,
		"null and period": `{"budget":null,"period":"day"}`,
	} {
		status, _, out := e.do(t, http.MethodPatch, "/admin/api/clients/alice", body, withKey(apiAdminKey))
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", what, out)
	}
	out = e.admin(t, http.StatusOK, http.MethodPatch, "/admin/api/clients/alice", `{"expires":"2020-01-01"}`)
	assert.Equal(t, "expired", gjson.Get(out, "state").String())
	assert.Contains(t, gjson.Get(out, "warning").String(), "in the past")
	e.admin(t, http.StatusOK, http.MethodPatch, "/admin/api/clients/alice", `{"expires":null}`)

	// Disable and enable reach the gateway at once.
	out = e.admin(t, http.StatusOK, http.MethodPost, "/admin/api/clients/alice/disable", "")
	assert.True(t, gjson.Get(out, "disabled").Bool())
	assert.Equal(t, http.StatusUnauthorized, e.chat(t, key, "up/gpt-4o", "hi"))
	e.admin(t, http.StatusOK, http.MethodPost, "/admin/api/clients/alice/enable", "")
	assert.Equal(t, http.StatusOK, e.chat(t, key, "up/gpt-4o", "hi"))

	// Rotate: a new key, shown once; the old one stops at once.
	out = e.admin(t, http.StatusOK, http.MethodPost, "/admin/api/clients/alice/rotate", "")
	newKey := gjson.Get(out, "key").String()
	require.True(t, strings.HasPrefix(newKey, "sk-aigw-"), out)
	assert.NotEqual(t, key, newKey)
	assert.Equal(t, clients.Hint(newKey), gjson.Get(out, "client.key_hint").String())
	assert.Equal(t, http.StatusUnauthorized, e.chat(t, key, "up/gpt-4o", "hi"), "the old key")
	assert.Equal(t, http.StatusOK, e.chat(t, newKey, "up/gpt-4o", "hi"), "the new key")
	for _, path := range []string{"/admin/api/clients", "/admin/api/clients/alice"} {
		out := e.admin(t, http.StatusOK, http.MethodGet, path, "")
		assert.NotContains(t, out, newKey[len("sk-aigw-"):], "%s shows the key", path)
		assert.NotContains(t, out, key[len("sk-aigw-"):], "%s shows the old key", path)
	}

	// Unknown names: 404; delete: 204, then 404.
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/admin/api/clients/nobody", ""},
		{http.MethodPatch, "/admin/api/clients/nobody", `{"rpm":1}`},
		{http.MethodPost, "/admin/api/clients/nobody/disable", ""},
		{http.MethodPost, "/admin/api/clients/nobody/enable", ""},
		{http.MethodPost, "/admin/api/clients/nobody/rotate", ""},
		{http.MethodDelete, "/admin/api/clients/nobody", ""},
	} {
		status, _, out := e.do(t, r.method, r.path, r.body, withKey(apiAdminKey))
		assert.Equal(t, http.StatusNotFound, status, "%s %s: %s", r.method, r.path, out)
	}
	e.admin(t, http.StatusNoContent, http.MethodDelete, "/admin/api/clients/alice", "")
	e.admin(t, http.StatusNotFound, http.MethodGet, "/admin/api/clients/alice", "")
	assert.False(t, e.Book.Any(), "the gateway dropped the key at once")
	assert.Equal(t, http.StatusUnauthorized, e.chat(t, newKey, "up/gpt-4o", "hi"))
}

// TestAdminAPIClientsWithoutDatabase: 503, saying why.
func TestAdminAPIClientsWithoutDatabase(t *testing.T) {
	e := newAPIEnvWith(t, testdb.SQLite(t), func(o *Options) { o.Admin = nil })
	for _, r := range []struct{ method, path, body string }{
		{http.MethodGet, "/admin/api/clients", ""},
		{http.MethodPost, "/admin/api/clients", `{"name":"a"}`},
		{http.MethodGet, "/admin/api/overview", ""},
		{http.MethodGet, "/admin/api/logs", ""},
		{http.MethodGet, "/admin/api/logs/3", ""},
	} {
		status, _, out := e.do(t, r.method, r.path, r.body, withKey(apiAdminKey))
		assert.Equal(t, http.StatusServiceUnavailable, status, "%s %s: %s", r.method, r.path, out)
		assert.Contains(t, out, "needs the database")
	}
}

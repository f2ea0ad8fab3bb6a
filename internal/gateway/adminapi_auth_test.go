package gateway

import (
	"crypto/tls"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/testdb"
)

// TestAdminAPIRefusesEveryRouteWithoutAdmin: no key, a client key, a
// static [auth] key, a wrong key, an unknown cookie: 401 on every route;
// the admin key passes them all.
func TestAdminAPIRefusesEveryRouteWithoutAdmin(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	e.S.api.failures.limit = 1 << 20 // this test makes many wrong guesses on purpose
	clientKey, _, _, err := clients.NewKey()
	require.NoError(t, err)
	refused := map[string][]reqOpt{
		"no key or session": nil,
		"client key":        {withKey(clientKey)},
		"static key":        {withKey(apiStaticKey)},
		"wrong admin key":   {withHeader("X-Api-Key", apiAdminKey+"x")},
		"unknown cookie":    {withCookie("bm90LWEtc2Vzc2lvbg"), e.origin()},
	}
	for _, r := range adminRoutes {
		for name, opts := range refused {
			status, _, body := e.do(t, r.method, r.path, r.body, opts...)
			assert.Equal(t, http.StatusUnauthorized, status, "%s %s with %s: %s", r.method, r.path, name, body)
			assert.Equal(t, "invalid_admin_key", gjson.Get(body, "error.code").String(), "%s %s", r.method, r.path)
		}
	}
	status, _, _ := e.do(t, http.MethodPost, "/admin/api/session", `{"key":"`+clientKey+`"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "a client key does not sign in")
	status, _, _ = e.do(t, http.MethodPost, "/admin/api/session", `{"key":"`+apiStaticKey+`"}`)
	assert.Equal(t, http.StatusUnauthorized, status, "a static key does not sign in")

	for _, r := range adminRoutes {
		status, _, body := e.do(t, r.method, r.path, r.body, withKey(apiAdminKey))
		assert.NotContains(t, []int{401, 403, 405}, status, "%s %s with the admin key: %s", r.method, r.path, body)
		assert.NotContains(t, body, "no route for", "%s %s", r.method, r.path)
	}
}

// TestAdminAPIAbsentWithoutAdminKeys: no admin_keys, no admin API.
func TestAdminAPIAbsentWithoutAdminKeys(t *testing.T) {
	e := newAPIEnvWith(t, testdb.SQLite(t), func(o *Options) { o.Config.Auth.AdminKeys = nil })
	for _, r := range append(adminRoutes, struct{ method, path, body string }{http.MethodPost, "/admin/api/session", `{"key":"x"}`}) {
		status, _, body := e.do(t, r.method, r.path, r.body, withKey(apiAdminKey))
		assert.Equal(t, http.StatusNotFound, status, "%s %s: %s", r.method, r.path, body)
	}
}

func TestAdminAPISessionCookie(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	status, _, body := e.do(t, http.MethodPost, "/admin/api/session", `{"key":"wrong"}`)
	require.Equal(t, http.StatusUnauthorized, status, body)
	status, _, _ = e.do(t, http.MethodPost, "/admin/api/session", `{"key":`)
	require.Equal(t, http.StatusBadRequest, status)

	status, h, body := e.do(t, http.MethodPost, "/admin/api/session", `{"key":"`+apiAdminKey+`"}`)
	require.Equal(t, http.StatusNoContent, status, body)
	cookies := (&http.Response{Header: h}).Cookies()
	require.Len(t, cookies, 1)
	ck := cookies[0]
	assert.Equal(t, sessionCookie, ck.Name)
	assert.True(t, ck.HttpOnly)
	assert.Equal(t, http.SameSiteStrictMode, ck.SameSite)
	assert.Equal(t, "/", ck.Path)
	assert.False(t, ck.Secure, "plain HTTP here; Secure over TLS")
	assert.GreaterOrEqual(t, len(ck.Value), 43, "32 random bytes, base64url")
	assert.NotContains(t, h.Get("Set-Cookie"), apiAdminKey)
	token := ck.Value

	status, _, body = e.do(t, http.MethodGet, "/admin/api/session", "", withCookie(token))
	require.Equal(t, http.StatusOK, status, body)
	exp, err := time.Parse(time.RFC3339, gjson.Get(body, "expires_at").String())
	require.NoError(t, err)
	assert.WithinDuration(t, e.Clock.now().Add(12*time.Hour), exp, time.Second)
	assert.True(t, strings.HasSuffix(gjson.Get(body, "expires_at").String(), "+08:00"), "in the configured zone: %s", body)

	// Reads need no Origin; a change with the cookie needs this server's.
	status, _, _ = e.do(t, http.MethodGet, "/admin/api/providers", "", withCookie(token))
	assert.Equal(t, http.StatusOK, status)
	change := func(opts ...reqOpt) (int, string) {
		status, _, body := e.do(t, http.MethodPost, "/admin/api/clients", `{"name":"c`+time.Now().Format("150405.000000")+`"}`,
			append([]reqOpt{withCookie(token)}, opts...)...)
		return status, body
	}
	status, body = change()
	assert.Equal(t, http.StatusForbidden, status, "no Origin: %s", body)
	assert.Contains(t, gjson.Get(body, "error.message").String(), "must come from this server's own pages")
	status, _ = change(withHeader("Origin", "https://evil.example"))
	assert.Equal(t, http.StatusForbidden, status, "foreign Origin")
	status, _ = change(withHeader("Origin", "null"))
	assert.Equal(t, http.StatusForbidden, status, "opaque Origin")
	status, _ = change(withHeader("Referer", "http://evil.example/ui/"))
	assert.Equal(t, http.StatusForbidden, status, "foreign Referer")
	status, body = change(e.origin())
	assert.Equal(t, http.StatusCreated, status, "same Origin: %s", body)
	status, body = change(withHeader("Referer", e.URL+"/ui/clients"))
	assert.Equal(t, http.StatusCreated, status, "same Referer: %s", body)
	status, _, body = e.do(t, http.MethodPost, "/admin/api/clients", `{"name":"by-key"}`, withKey(apiAdminKey))
	assert.Equal(t, http.StatusCreated, status, "the admin key needs no Origin: %s", body)
	status, _, _ = e.do(t, http.MethodPost, "/admin/api/session", `{"key":"`+apiAdminKey+`"}`, withHeader("Origin", "https://evil.example"))
	assert.Equal(t, http.StatusForbidden, status, "no sign-in from another site")

	// Sign-out ends the session for good.
	status, _, _ = e.do(t, http.MethodDelete, "/admin/api/session", "", withCookie(token))
	assert.Equal(t, http.StatusForbidden, status, "sign-out with the cookie is a change too")
	status, h, _ = e.do(t, http.MethodDelete, "/admin/api/session", "", withCookie(token), e.origin())
	require.Equal(t, http.StatusNoContent, status)
	assert.Contains(t, h.Get("Set-Cookie"), "Max-Age=0", "the cookie is cleared")
	status, _, _ = e.do(t, http.MethodGet, "/admin/api/providers", "", withCookie(token))
	assert.Equal(t, http.StatusUnauthorized, status, "after sign-out")
}

func TestAdminAPISessionExpires(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	token := e.signIn(t)
	e.Clock.add(12*time.Hour - time.Second)
	status, _, _ := e.do(t, http.MethodGet, "/admin/api/session", "", withCookie(token))
	assert.Equal(t, http.StatusOK, status, "still valid just before 12 h")
	e.Clock.add(time.Second)
	status, _, body := e.do(t, http.MethodGet, "/admin/api/providers", "", withCookie(token))
	assert.Equal(t, http.StatusUnauthorized, status, body)
	assert.Contains(t, body, "sign in again")
	status, _, _ = e.do(t, http.MethodGet, "/admin/api/providers", "", withKey(apiAdminKey))
	assert.Equal(t, http.StatusOK, status, "keys do not expire")
}

func TestAdminAPISignInAttemptsAreLimited(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	for i := range signInFailures {
		status, _, _ := e.do(t, http.MethodPost, "/admin/api/session", `{"key":"guess-`+string(rune('a'+i))+`"}`)
		require.Equal(t, http.StatusUnauthorized, status)
	}
	status, h, body := e.do(t, http.MethodPost, "/admin/api/session", `{"key":"`+apiAdminKey+`"}`)
	assert.Equal(t, http.StatusTooManyRequests, status, body)
	assert.NotEmpty(t, h.Get("Retry-After"))
	status, _, _ = e.do(t, http.MethodGet, "/admin/api/providers", "", withKey(apiAdminKey))
	assert.Equal(t, http.StatusTooManyRequests, status, "the key header counts as a guess too")
	e.Clock.add(signInWindow)
	e.signIn(t)
}

func TestSameOrigin(t *testing.T) {
	cases := []struct {
		host, origin, referer string
		tls, want             bool
	}{
		{"gw.example:8080", "http://gw.example:8080", "", false, true},
		{"GW.example:8080", "http://gw.EXAMPLE:8080", "", false, true},
		{"gw.example", "http://gw.example:80", "", false, true},
		{"gw.example", "https://gw.example", "", true, true},
		{"gw.example:8080", "http://gw.example:8081", "", false, false},
		{"gw.example:8080", "http://evil.example:8080", "", false, false},
		{"gw.example:8080", "", "http://gw.example:8080/ui/logs?x=1", false, true},
		{"gw.example:8080", "", "http://gw.example.evil:8080/", false, false},
		{"gw.example:8080", "", "", false, false},
		{"gw.example:8080", "null", "http://gw.example:8080/", false, false},
	}
	for _, c := range cases {
		r, err := http.NewRequest(http.MethodPost, "http://"+c.host+"/admin/api/clients", nil)
		require.NoError(t, err)
		if c.origin != "" {
			r.Header.Set("Origin", c.origin)
		}
		if c.referer != "" {
			r.Header.Set("Referer", c.referer)
		}
		if c.tls {
			r.TLS = &tls.ConnectionState{}
		}
		assert.Equal(t, c.want, sameOrigin(r), "%+v", c)
	}
}

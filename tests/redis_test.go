package tests

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
	"github.com/aigw/aigw/internal/testdb"
)

// redisConf is a [redis] section with a key prefix of the test's own,
// and that prefix.
func redisConf(t *testing.T, url string, failOpen bool) (section, prefix string) {
	t.Helper()
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix = "aigw-test-" + hex.EncodeToString(b[:]) + ":"
	opts, err := redis.ParseURL(url)
	require.NoError(t, err)
	rdb := redis.NewClient(opts)
	t.Cleanup(func() {
		ctx := context.Background()
		if keys, _ := rdb.Keys(ctx, prefix+"*").Result(); len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
		rdb.Close()
	})
	return fmt.Sprintf("\n[redis]\nurl = %q\nfail_open = %v\nkey_prefix = %q\n", url, failOpen, prefix), prefix
}

// waitSubscribed waits until n instances listen on the changes channel
// under prefix (a message published before would be lost).
func waitSubscribed(t *testing.T, prefix string, n int64) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	catEventually(t, 5*time.Second, "both instances subscribed", func() bool {
		m, err := rdb.PubSubNumSub(context.Background(), prefix+"changes").Result()
		return err == nil && m[prefix+"changes"] >= n
	})
}

// limitedClient stores a client allowed oai/gpt-4o only, with rpm, and
// returns its key.
func limitedClient(t *testing.T, db config.Database, rpm int64) string {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	require.NoError(t, err)
	defer st.Close()
	key, hash, hint, err := clients.NewKey()
	require.NoError(t, err)
	_, err = st.CreateClient(context.Background(), clients.Client{Name: "shared", KeyHash: hash, KeyHint: hint,
		Models: []string{"oai/gpt-4o"}, RPM: rpm, CreatedAt: time.Now()})
	require.NoError(t, err)
	return key
}

func keyCall(t *testing.T, url, key, model string) int {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url+"/v1/chat/completions",
		strings.NewReader(`{"model":"`+model+`","messages":[{"role":"user","content":"hi"}]}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	readBody(t, resp)
	resp.Body.Close()
	return resp.StatusCode
}

// waitForKey waits until an instance knows the client key: a model outside
// its allowlist is then refused with 403 (before the limits, so nothing is
// counted), not 401.
func waitForKey(t *testing.T, url, key string) {
	t.Helper()
	catEventually(t, 10*time.Second, "the client key is loaded", func() bool { return keyCall(t, url, key, "oai/gpt-4o-mini") == 403 })
}

const redisProviders = `
[[providers]]
name = "oai"
type = "openai"
base_url = "%s/v1"
api_keys = "sk-upstream-oai-1111"
models = ["gpt-4o", "gpt-4o-mini"]
`

// TestTwoInstancesShareOneRPM: two servers on one PostgreSQL and one
// Redis, rpm 10, 20 requests alternating between them: exactly 10 pass.
func TestTwoInstancesShareOneRPM(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("hello"))
	db := testdb.Postgres(t)
	section, _ := redisConf(t, "redis://127.0.0.1:6379/0", true)
	conf := fmt.Sprintf(redisProviders, up.URL) + section
	a := serveWith(t, conf, db)
	b := serveWith(t, conf, db)
	key := limitedClient(t, db, 10)
	waitForKey(t, a.URL, key)
	waitForKey(t, b.URL, key)
	passed, limited := 0, 0
	for i := range 20 {
		switch keyCall(t, []string{a.URL, b.URL}[i%2], key, "oai/gpt-4o") {
		case 200:
			passed++
		case 429:
			limited++
		}
	}
	assert.Equal(t, 10, passed, "exactly rpm requests admitted across both instances")
	assert.Equal(t, 10, limited)
}

// TestRedisDownFailOpenOrClosed: a Redis that stops: fail_open true serves
// without limits, false answers 503; both count the errors.
func TestRedisDownFailOpenOrClosed(t *testing.T) {
	server, err := exec.LookPath("redis-server")
	require.NoError(t, err, "redis-server is needed (.ci/run installs Debian's)")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	require.NoError(t, ln.Close())
	cmd := exec.Command(server, "--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no")
	require.NoError(t, cmd.Start())
	stopped := false
	t.Cleanup(func() {
		if !stopped {
			_ = cmd.Process.Kill()
			_ = cmd.Wait()
		}
	})
	url := fmt.Sprintf("redis://127.0.0.1:%d/0", port)
	catEventually(t, 5*time.Second, "redis-server up", func() bool {
		c, err := net.Dial("tcp", fmt.Sprintf("127.0.0.1:%d", port))
		if err == nil {
			c.Close()
		}
		return err == nil
	})

	up := newFakeUpstream(t, openAIChat("hello"))
	db := testdb.Postgres(t)
	openConf, _ := redisConf(t, url, true)
	closedConf, _ := redisConf(t, url, false)
	open := serveWith(t, fmt.Sprintf(redisProviders, up.URL)+openConf, db)
	closed := serveWith(t, fmt.Sprintf(redisProviders, up.URL)+closedConf, db)
	key := limitedClient(t, db, 100)
	waitForKey(t, open.URL, key)
	waitForKey(t, closed.URL, key)
	require.Equal(t, 200, keyCall(t, open.URL, key, "oai/gpt-4o"))
	require.Equal(t, 200, keyCall(t, closed.URL, key, "oai/gpt-4o"))

	require.NoError(t, cmd.Process.Kill())
	_ = cmd.Wait()
	stopped = true
	assert.Equal(t, 200, keyCall(t, open.URL, key, "oai/gpt-4o"), "fail_open: served without limits")
	assert.Equal(t, 503, keyCall(t, closed.URL, key, "oai/gpt-4o"), "fail_open false: refused")
	for _, s := range []*servedGateway{open, closed} {
		_, text := getText(t, s.URL+"/metrics")
		assert.Regexp(t, `(?m)^aigw_redis_errors_total [1-9]`, text)
	}
	assert.Contains(t, open.Logs.String(), "client limits store unreachable")
}

// TestAClientChangeReachesEveryInstanceWithinASecond: `aigw clients
// disable` on a config with Redis announces the change; both instances
// refuse the key within a second (their own poll takes up to 2 s).
func TestAClientChangeReachesEveryInstanceWithinASecond(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("hello"))
	db := testdb.Postgres(t)
	section, prefix := redisConf(t, "redis://127.0.0.1:6379/0", true)
	conf := fmt.Sprintf(redisProviders, up.URL) + section
	a := serveWith(t, conf, db)
	b := serveWith(t, conf, db)
	key := limitedClient(t, db, 1000)
	waitForKey(t, a.URL, key)
	waitForKey(t, b.URL, key)
	waitSubscribed(t, prefix, 2)
	require.Equal(t, 200, keyCall(t, a.URL, key, "oai/gpt-4o"))

	_, errOut, code := runAigw(t, t.TempDir(), "clients", "disable", "shared", "-c", a.Cfg.Path)
	require.Equal(t, 0, code, errOut)
	start := time.Now()
	for _, s := range []*servedGateway{a, b} {
		catEventually(t, time.Second, "the disabled key is refused", func() bool { return keyCall(t, s.URL, key, "oai/gpt-4o") == 401 })
	}
	assert.Less(t, time.Since(start), time.Second)
}

// TestKeyCoolDownsAndEjectionsAreShared: a 429 seen by one instance rests
// the key on the other too, and a route target ejected by one is skipped
// by the other, without the other asking the upstream.
func TestKeyCoolDownsAndEjectionsAreShared(t *testing.T) {
	limited := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		statusFake(429, `{"error":{"message":"slow down","type":"rate_limit_error"}}`)(w, r)
	})
	bad := newFakeUpstream(t, statusFake(500, `{"error":{"message":"boom"}}`))
	good := newFakeUpstream(t, openAIChat("hello"))
	redirect := filepath.Join(t.TempDir(), "redirect.toml")
	require.NoError(t, os.WriteFile(redirect, []byte("[routes.\"smart\"]\ntargets = [\"bad/m\", \"good/m\"]\n"), 0o600))
	conf := fmt.Sprintf(`
[server]
redirect_file = %q
`, redirect)
	for _, p := range []struct{ name, url string }{{"oai", limited.URL}, {"bad", bad.URL}, {"good", good.URL}} {
		conf += fmt.Sprintf("\n[[providers]]\nname = %q\ntype = \"openai\"\nbase_url = \"%s/v1\"\napi_keys = \"sk-upstream-%s-1111\"\nmodels = [\"m\"]\n", p.name, p.url, p.name)
	}
	section, prefix := redisConf(t, "redis://127.0.0.1:6379/0", true)
	conf += section
	db := testdb.Postgres(t)
	a := serveWith(t, conf, db)
	b := serveWith(t, conf, db)
	waitSubscribed(t, prefix, 2)

	// A 429 on a: the key rests on b as well.
	require.Equal(t, 429, keyCall(t, a.URL, clientKey, "oai/m"))
	require.Len(t, limited.requests(), 1)
	catEventually(t, time.Second, "b learns that the key is cooling", func() bool {
		_, text := getText(t, b.URL+"/metrics")
		return strings.Contains(text, `aigw_key_state{key="sk-...1111",provider="oai",state="cooling"} 1`)
	})
	assert.Equal(t, 429, keyCall(t, b.URL, clientKey, "oai/m"))
	assert.Len(t, limited.requests(), 1, "b did not ask the upstream with a resting key")

	// Three failures of bad through a eject it; b skips it too.
	for range 3 {
		require.Equal(t, 200, keyCall(t, a.URL, clientKey, "smart"))
	}
	require.Len(t, bad.requests(), 3)
	catEventually(t, time.Second, "b learns that bad is ejected", func() bool {
		_, text := getText(t, b.URL+"/metrics")
		return strings.Contains(text, `aigw_route_target_healthy{route="smart",target="bad/m"} 0`)
	})
	for range 5 {
		require.Equal(t, 200, keyCall(t, b.URL, clientKey, "smart"))
	}
	assert.Len(t, bad.requests(), 3, "b knew bad was ejected")
}

// TestSpendRedisLostIsRebuiltFromTheLog: Redis loses the budget counter
// (a restart without persistence); the next request notices and the
// period's spend is read back from the log, so the budget holds again.
func TestSpendRedisLostIsRebuiltFromTheLog(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("hello"))
	db := testdb.Postgres(t)
	section, prefix := redisConf(t, "redis://127.0.0.1:6379/0", true)

	// Before the server starts: a client with a budget of 1, and 2 spent
	// this month according to the log.
	st, err := store.Open(context.Background(), db)
	require.NoError(t, err)
	key, hash, hint, err := clients.NewKey()
	require.NoError(t, err)
	budget := 1.0
	_, err = st.CreateClient(context.Background(), clients.Client{Name: "spender", KeyHash: hash, KeyHint: hint,
		Models: []string{"oai/*"}, Budget: &budget, Period: clients.PeriodMonth, CreatedAt: time.Now()})
	require.NoError(t, err)
	spent := 2.0
	w := st.NewWriter(store.WriterOptions{})
	w.Enqueue(&store.RequestLog{RequestID: "req_seeded_spend", CreatedAt: time.Now(), Method: "POST",
		Path: "/v1/chat/completions", StatusCode: 200, Provider: "oai", RequestedModel: "oai/gpt-4o", Client: "spender", Cost: &spent})
	require.NoError(t, w.Close(context.Background()))
	require.NoError(t, st.Close())

	srv := serveWith(t, fmt.Sprintf(redisProviders, up.URL)+section, db)
	catEventually(t, 10*time.Second, "the seeded spend refuses the client", func() bool {
		return keyCall(t, srv.URL, key, "oai/gpt-4o") == http.StatusTooManyRequests
	})

	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	defer rdb.Close()
	ctx := context.Background()
	spendKeys, err := rdb.Keys(ctx, prefix+"spend:spender:*").Result()
	require.NoError(t, err)
	require.Len(t, spendKeys, 1)
	require.NoError(t, rdb.Del(ctx, spendKeys...).Err()) // Redis lost it

	// The request that finds the counter gone is admitted (Redis says
	// nothing was spent) and starts the rebuild.
	assert.Equal(t, http.StatusOK, keyCall(t, srv.URL, key, "oai/gpt-4o"))
	catEventually(t, 5*time.Second, "the spend is rebuilt from the log", func() bool {
		v, err := rdb.Get(ctx, spendKeys[0]).Float64()
		return err == nil && v >= spent
	})
	assert.Equal(t, http.StatusTooManyRequests, keyCall(t, srv.URL, key, "oai/gpt-4o"), "the budget holds again")
	upstreamCalls := len(up.requests())
	assert.Equal(t, http.StatusTooManyRequests, keyCall(t, srv.URL, key, "oai/gpt-4o"))
	assert.Equal(t, upstreamCalls, len(up.requests()), "refused before the upstream")
}

// TestDashboardSessionWorksOnEveryInstance: behind a load balancer the
// browser's requests reach any instance; with Redis, a sign-in on one is
// valid on the other, and a sign-out on either ends it everywhere.
func TestDashboardSessionWorksOnEveryInstance(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("hello"))
	db := testdb.Postgres(t)
	section, _ := redisConf(t, "redis://127.0.0.1:6379/0", true)
	conf := fmt.Sprintf(redisProviders, up.URL) + section + "\n[auth]\nadmin_keys = [\"sk-admin-shared-1\"]\n"
	a := serveWith(t, conf, db)
	b := serveWith(t, conf, db)

	do := func(method, url, cookie, body string) *http.Response {
		req, err := http.NewRequest(method, url, strings.NewReader(body))
		require.NoError(t, err)
		if cookie != "" {
			req.Header.Set("Cookie", cookie)
			req.Header.Set("Origin", strings.TrimSuffix(url[:strings.Index(url, "/admin")], "/"))
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp
	}
	resp := do(http.MethodPost, a.URL+"/admin/api/session", "", `{"key":"sk-admin-shared-1"}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	var cookie string
	for _, c := range resp.Cookies() {
		if c.Name == "aigw_session" {
			cookie = c.Name + "=" + c.Value
		}
	}
	require.NotEmpty(t, cookie)

	assert.Equal(t, http.StatusOK, do(http.MethodGet, b.URL+"/admin/api/providers", cookie, "").StatusCode, "signed in on a, used on b")
	assert.Equal(t, http.StatusOK, do(http.MethodGet, a.URL+"/admin/api/providers", cookie, "").StatusCode)
	assert.Equal(t, http.StatusNoContent, do(http.MethodDelete, b.URL+"/admin/api/session", cookie, "").StatusCode)
	assert.Equal(t, http.StatusUnauthorized, do(http.MethodGet, a.URL+"/admin/api/providers", cookie, "").StatusCode, "signed out on b, refused on a")
	assert.Equal(t, http.StatusUnauthorized, do(http.MethodGet, b.URL+"/admin/api/providers", cookie, "").StatusCode)
}

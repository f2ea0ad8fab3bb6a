package gateway

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/store"
	"github.com/aigw/aigw/internal/testdb"
)

// recordingStore is the real database but for the dashboard queries,
// which it records and answers with canned rows: the HTTP layer's
// parsing is checked whatever the store's queries do.
type recordingStore struct {
	*store.DB
	mu   sync.Mutex
	logQ store.LogQuery
	ovQ  store.OverviewQuery
	rows []store.RequestLog
	err  error
}

func (r *recordingStore) QueryLogs(_ context.Context, q store.LogQuery) ([]store.RequestLog, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logQ = q
	return append([]store.RequestLog(nil), r.rows...), r.err
}

func (r *recordingStore) Overview(_ context.Context, q store.OverviewQuery) (store.Overview, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.ovQ = q
	return store.Overview{Series: []store.OverviewStats{{Time: q.From.UTC(), Requests: 1}}, TopModels: []store.OverviewTop{{Name: scriptModel}}}, r.err
}

func (r *recordingStore) LogByID(_ context.Context, id int64) (store.RequestLog, error) {
	if id != 7 {
		return store.RequestLog{}, fmt.Errorf("log row %d: %w", id, store.ErrLogNotFound)
	}
	return store.RequestLog{ID: 7, CreatedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), RequestedModel: scriptModel,
		Error: "upstream said: bad key " + apiUpKey1, RequestBody: `{"messages":"<script>alert(1)</script> ` + apiUpKey2 + `"}`,
		ResponseBody: "echo " + apiUpKey1}, nil
}

func (r *recordingStore) lastLogQuery() store.LogQuery {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.logQ
}

type currencyPricer struct{ cur string }

func (currencyPricer) Cost(string, string, adapter.Usage) (float64, bool) { return 0, false }
func (p currencyPricer) Currency() string                                 { return p.cur }

func recordingEnv(t *testing.T) (*apiEnv, *recordingStore) {
	t.Helper()
	rec := &recordingStore{}
	e := newAPIEnvWith(t, testdb.SQLite(t), func(o *Options) {
		o.Admin = rec
		o.Prices = currencyPricer{"CNY"}
	})
	rec.DB = e.DB
	return e, rec
}

func TestAdminAPILogFilters(t *testing.T) {
	e, rec := recordingEnv(t)
	sh, _ := time.LoadLocation("Asia/Shanghai")
	q := url.Values{
		"from": {"2026-01-02 15:04"}, "to": {"2026-01-03T00:00:00Z"}, "model": {"gpt-4o"}, "provider": {"up"},
		"client": {"alice"}, "status": {"4xx"}, "request_id": {"req-1"}, "before": {"90"}, "limit": {"2"},
	}
	rec.rows = []store.RequestLog{{ID: 89, RequestBody: "secret body", Error: "key " + apiUpKey1}, {ID: 88}}
	out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs?"+q.Encode(), "")
	got := rec.lastLogQuery()
	assert.True(t, got.From.Equal(time.Date(2026, 1, 2, 15, 4, 0, 0, sh)), "from in the configured zone: %v", got.From)
	assert.True(t, got.To.Equal(time.Date(2026, 1, 3, 0, 0, 0, 0, time.UTC)), "to: %v", got.To)
	assert.Equal(t, store.LogQuery{From: got.From, To: got.To, Model: "gpt-4o", Provider: "up", Client: "alice",
		RequestID: "req-1", StatusLo: 400, StatusHi: 499, BeforeID: 90, Limit: 2}, got)
	assert.Equal(t, int64(88), gjson.Get(out, "next_before").Int(), "a full page: the next one starts before its last row")
	assert.Equal(t, int64(2), gjson.Get(out, "logs.#").Int())
	assert.NotContains(t, out, "secret body", "no bodies in the list")
	assert.NotContains(t, out, apiUpKey1, "keys redacted")

	rec.rows = []store.RequestLog{{ID: 91}, {ID: 92}}
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs?after=90&status=429", "")
	assert.Equal(t, store.LogQuery{AfterID: 90, StatusLo: 429, StatusHi: 429, Limit: 50}, rec.lastLogQuery())
	assert.Equal(t, int64(0), gjson.Get(out, "next_before").Int())
	assert.Equal(t, int64(92), gjson.Get(out, "next_after").Int(), "follow from the newest row")
	rec.rows = nil
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs", "")
	assert.Equal(t, `[]`, gjson.Get(out, "logs").Raw)

	for _, bad := range []string{"status=abc", "status=6xx", "from=yesterday", "to=2026-13-01", "limit=0", "limit=501",
		"limit=x", "before=-1", "after=x", "before=3&after=2", "from=2026-01-02&to=2026-01-01"} {
		status, _, out := e.do(t, http.MethodGet, "/admin/api/logs?"+bad, "", withKey(apiAdminKey))
		assert.Equal(t, http.StatusBadRequest, status, "%s: %s", bad, out)
		assert.Equal(t, "invalid_parameter", gjson.Get(out, "error.code").String(), bad)
	}

	rec.err = fmt.Errorf("read request logs: %w", store.ErrNotConnected)
	status, _, out := e.do(t, http.MethodGet, "/admin/api/logs", "", withKey(apiAdminKey))
	assert.Equal(t, http.StatusServiceUnavailable, status, out)
}

func TestAdminAPILogDetail(t *testing.T) {
	e, _ := recordingEnv(t)
	out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs/7", "")
	assert.Equal(t, "2026-01-02T11:04:05+08:00", gjson.Get(out, "created_at").String(), "in the configured zone")
	assert.Contains(t, gjson.Get(out, "request_body").String(), "<script>alert(1)</script>", "the body is there")
	assert.Contains(t, out, `\u003cscript\u003ealert(1)\u003c/script\u003e`, "and JSON-escaped")
	assert.NotContains(t, out, "<script>")
	for _, k := range []string{apiUpKey1, apiUpKey2} {
		assert.NotContains(t, out, k, "bodies and error redacted again")
	}
	assert.Contains(t, gjson.Get(out, "response_body").String(), "sk-...0001")
	e.admin(t, http.StatusNotFound, http.MethodGet, "/admin/api/logs/8", "")
	e.admin(t, http.StatusBadRequest, http.MethodGet, "/admin/api/logs/x", "")
	e.admin(t, http.StatusBadRequest, http.MethodGet, "/admin/api/logs/0", "")
}

func TestAdminAPIOverviewRanges(t *testing.T) {
	e, rec := recordingEnv(t)
	for name, want := range map[string]struct{ span, step time.Duration }{
		"1h": {time.Hour, time.Minute}, "24h": {24 * time.Hour, 15 * time.Minute},
		"7d": {7 * 24 * time.Hour, 2 * time.Hour}, "30d": {30 * 24 * time.Hour, 6 * time.Hour},
	} {
		before := time.Now()
		out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/overview?range="+name, "")
		rec.mu.Lock()
		q := rec.ovQ
		rec.mu.Unlock()
		assert.Equal(t, want.step, q.Step, name)
		assert.Equal(t, want.span, q.To.Sub(q.From), name)
		assert.True(t, q.To.After(before) && q.To.Sub(before) <= want.step, "%s: the range ends with the bucket holding now (%v)", name, q.To)
		_, offset := q.To.In(e.S.location).Zone()
		assert.Zero(t, (q.To.Unix()+int64(offset))%int64(want.step/time.Second), "%s: buckets start on the zone's wall clock", name)
		assert.Equal(t, name, gjson.Get(out, "range").String())
		assert.Equal(t, int64(want.step/time.Second), gjson.Get(out, "step_seconds").Int())
		assert.Equal(t, "CNY", gjson.Get(out, "currency").String(), "the price table's currency")
		assert.Equal(t, q.From.In(e.S.location).Format(time.RFC3339), gjson.Get(out, "from").String())
		assert.Equal(t, gjson.Get(out, "from").String(), gjson.Get(out, "series.0.t").String(), "series times in the zone")
		assert.Contains(t, out, `\u003cscript\u003e`, "names JSON-escaped")
		assert.True(t, gjson.Get(out, "totals").Exists() && gjson.Get(out, "top_clients").Exists(), out)
	}
	out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/overview", "")
	assert.Equal(t, "24h", gjson.Get(out, "range").String(), "the default")
	status, _, out := e.do(t, http.MethodGet, "/admin/api/overview?range=2h", "", withKey(apiAdminKey))
	assert.Equal(t, http.StatusBadRequest, status, out)
	assert.Contains(t, out, "use 1h, 24h, 7d or 30d")
	rec.err = fmt.Errorf("overview: %w", store.ErrNotConnected)
	status, _, _ = e.do(t, http.MethodGet, "/admin/api/overview", "", withKey(apiAdminKey))
	assert.Equal(t, http.StatusServiceUnavailable, status)
}

func TestAdminAPIOverviewCurrencyDefault(t *testing.T) {
	e := newAPIEnvWith(t, testdb.SQLite(t), func(o *Options) { o.Admin = &recordingStore{} })
	out := e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/overview?range=1h", "")
	assert.Equal(t, "USD", gjson.Get(out, "currency").String(), "no price table to ask")
}

// TestAdminOverviewData runs the overview against the real store: it
// passes once the dashboard queries of internal/store land.
func TestAdminOverviewData(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	require.Equal(t, http.StatusOK, e.chat(t, apiStaticKey, "up/gpt-4o", "hi"))
	require.Equal(t, http.StatusOK, e.chat(t, apiStaticKey, "up/gpt-4o", "hi"))
	require.Equal(t, http.StatusNotFound, e.chat(t, apiStaticKey, "nope", "hi"))
	var out string
	eventually(t, "the overview counts the three requests", func() bool {
		status, _, body := e.do(t, http.MethodGet, "/admin/api/overview?range=1h", "", withKey(apiAdminKey))
		out = body
		return status == http.StatusOK && gjson.Get(body, "totals.requests").Int() == 3
	})
	assert.Equal(t, int64(1), gjson.Get(out, "totals.errors").Int(), out)
	assert.Equal(t, int64(22), gjson.Get(out, "totals.prompt_tokens").Int(), out)
	assert.Equal(t, int64(60), gjson.Get(out, "series.#").Int(), "every minute of the hour: %s", out)
	assert.Contains(t, []string{"gpt-4o", "up/gpt-4o"}, gjson.Get(out, "top_models.0.name").String(), out)
	assert.Equal(t, int64(2), gjson.Get(out, "top_models.0.requests").Int(), out)
	assert.Equal(t, "up", gjson.Get(out, "top_providers.0.name").String(), out)
}

// TestAdminLogsData runs the logs endpoints against the real store: it
// passes once the dashboard queries of internal/store land.
func TestAdminLogsData(t *testing.T) {
	e := newAPIEnv(t, testdb.SQLite(t))
	out := e.admin(t, http.StatusCreated, http.MethodPost, "/admin/api/clients", `{"name":"alice"}`)
	key := gjson.Get(out, "key").String()
	require.Equal(t, http.StatusOK, e.chat(t, key, "up/gpt-4o", "<script>alert(1)</script> "+apiUpKey1))
	require.Equal(t, http.StatusOK, e.chat(t, apiStaticKey, "up/gpt-4o-mini", "static"))
	require.Equal(t, http.StatusNotFound, e.chat(t, apiStaticKey, "nope", "missing"))
	eventually(t, "three rows are listed", func() bool {
		status, _, body := e.do(t, http.MethodGet, "/admin/api/logs", "", withKey(apiAdminKey))
		out = body
		return status == http.StatusOK && gjson.Get(body, "logs.#").Int() == 3
	})
	assert.Equal(t, "nope", gjson.Get(out, "logs.0.requested_model").String(), "newest first: %s", out)
	assert.False(t, gjson.Get(out, "logs.0.request_body").Exists(), "no bodies in the list")

	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs?client=alice", "")
	require.Equal(t, int64(1), gjson.Get(out, "logs.#").Int(), out)
	row := gjson.Get(out, "logs.0")
	assert.Equal(t, "alice", row.Get("client").String())
	assert.Equal(t, int64(200), row.Get("status_code").Int())
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs?status=4xx", "")
	assert.Equal(t, int64(1), gjson.Get(out, "logs.#").Int(), out)
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs?model=gpt-4o-mini&provider=up", "")
	assert.Equal(t, int64(1), gjson.Get(out, "logs.#").Int(), out)

	// Pages: two rows, then the last one.
	out = e.admin(t, http.StatusOK, http.MethodGet, "/admin/api/logs?limit=2", "")
	next := gjson.Get(out, "next_before").Int()
	require.NotZero(t, next, out)
	out = e.admin(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/admin/api/logs?limit=2&before=%d", next), "")
	assert.Equal(t, int64(1), gjson.Get(out, "logs.#").Int(), out)
	assert.Equal(t, int64(0), gjson.Get(out, "next_before").Int(), "the last page")

	// The detail: bodies, JSON-escaped, the upstream key redacted.
	id := row.Get("id").Int()
	out = e.admin(t, http.StatusOK, http.MethodGet, fmt.Sprintf("/admin/api/logs/%d", id), "")
	assert.Contains(t, gjson.Get(out, "request_body").String(), "<script>alert(1)</script>")
	assert.Contains(t, out, `\u003cscript\u003e`)
	assert.NotContains(t, out, "<script>")
	assert.NotContains(t, out, apiUpKey1)
	assert.NotContains(t, out, key)
	e.admin(t, http.StatusNotFound, http.MethodGet, "/admin/api/logs/999999", "")
}

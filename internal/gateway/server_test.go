package gateway

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

type rows struct{ got []store.RequestLog }

func (r *rows) Enqueue(row *store.RequestLog) { r.got = append(r.got, *row) }

func TestPanicAnsweredWith500AndServingGoesOn(t *testing.T) {
	cfg := &config.Config{Server: config.Server{MaxBodyMB: 1}, Database: config.Database{Timezone: "UTC"},
		Providers: []config.Provider{{Name: "p", Type: "openai", BaseURL: "http://127.0.0.1:1", APIKeys: []string{"k"}}}}
	sink := &rows{}
	reg := provider.NewRegistry(cfg, nil)
	reg.Providers()[0].Pool = nil // a bug: the key pool is missing, so sending panics
	s := New(Options{Config: cfg, Registry: reg, Logs: sink})

	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/v1/chat/completions", strings.NewReader(`{"model":"p/m"}`)))
	assert.Equal(t, 500, rec.Code)
	id := rec.Header().Get("X-Request-Id")
	require.NotEmpty(t, id)
	assert.Contains(t, gjson.Get(rec.Body.String(), "error.message").String(), id)
	require.Len(t, sink.got, 1)
	assert.Equal(t, 500, sink.got[0].StatusCode)
	assert.Equal(t, id, sink.got[0].RequestID)

	rec = httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/healthz", nil))
	assert.Equal(t, 200, rec.Code, "the server keeps serving after a panic")
}

// Request ids sort by time (the log's unique index then grows at its right
// edge) and still differ within one millisecond.
func TestRequestIDsSortByTime(t *testing.T) {
	first := newRequestID()
	if len(first) != len("req_")+24 || first[:4] != "req_" {
		t.Fatalf("id %q: want req_ and 24 hex digits", first)
	}
	seen := map[string]bool{first: true}
	for range 1000 {
		id := newRequestID()
		if seen[id] {
			t.Fatalf("duplicate id %q", id)
		}
		seen[id] = true
	}
	time.Sleep(2 * time.Millisecond)
	if later := newRequestID(); later <= first {
		t.Fatalf("id %q made 2 ms later does not sort after %q", later, first)
	}
}

func TestMayCarryUsage(t *testing.T) {
	for _, tc := range []struct {
		data string
		want bool
	}{
		{`{"choices":[{"delta":{"content":"hi"}}],"usage":null}`, false},
		{`{"choices":[],"usage":{"prompt_tokens":1}}`, true},
		{`{"choices":[],"usage" : { "total_tokens":3}}`, true},
		{`{"choices":[{"delta":{"content":"no mention"}}]}`, false},
		{`{"usage" : null ,"x":1}`, false},
		{`{"choices":[{"delta":{"content":"say \"usage\": null"}}],"usage":{"total_tokens":5}}`, true},
		{`{"type":"response.completed","response":{"usage":{"input_tokens":2}}}`, true},
		{`{"list":["usage"]}`, true}, // not a key: looked up to be safe
	} {
		if got := mayCarryUsage([]byte(tc.data)); got != tc.want {
			t.Errorf("mayCarryUsage(%s) = %v, want %v", tc.data, got, tc.want)
		}
	}
}

package tests

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/testdb"
)

func getText(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func TestMetricsAndReadiness(t *testing.T) {
	k, up := newKeyedUpstream(t)
	k.set(upKey1, rateLimited)
	srv := serveWith(t, oneProviderConfig(up.URL, ""), testdb.SQLite(t))

	status, body := getText(t, srv.URL+"/readyz")
	assert.Equal(t, 200, status, body)

	for i := 0; i < 3; i++ {
		s, _, _ := sendRaw(t, srv.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[]}`)
		require.Equal(t, 200, s)
	}
	s, _, _ := sendRaw(t, srv.URL+"/v1/chat/completions", clientKey, `{"model":"nope/x"}`)
	require.Equal(t, 404, s)

	status, body = getText(t, srv.URL+"/metrics")
	require.Equal(t, 200, status, "/metrics needs no key")
	for _, want := range []string{
		`aigw_requests_total{model="gpt-4o",provider="openai",status="200"} 3`,
		`aigw_request_errors_total{model="",provider="",status="404"} 1`,
		`aigw_upstream_retries_total{provider="openai"} 1`,
		`aigw_key_state{key="sk-...1111",provider="openai",state="cooling"} 1`,
		`aigw_key_state{key="sk-...2222",provider="openai",state="ok"} 1`,
		`aigw_request_duration_seconds_bucket{provider="openai"`,
		`aigw_time_to_first_byte_seconds_count{provider="openai"} 3`,
		`aigw_tokens_total{client="",kind="prompt",model="gpt-4o",provider="openai"} 33`,
		"aigw_log_queue_depth ",
		"aigw_log_spilled_rows 0",
		"go_goroutines ",
	} {
		assert.Contains(t, body, want)
	}
	assert.False(t, strings.Contains(body, upKey1), "metrics carry key hints only")
}

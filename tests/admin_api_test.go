package tests

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// adminCreateAndCall creates a client through the admin API of a whole
// server (app.Serve, SQLite) and uses its key on /v1/chat/completions.
func adminCreateAndCall(t *testing.T) (*catServer, string) {
	t.Helper()
	oa, an := catOpenAIUpstream(t), catAnthropicUpstream(t)
	s := catServe(t, catProviders(oa.URL, an.URL), "")
	status, body := s.do(t, http.MethodPost, "/admin/api/clients", catAdminKey, `{"name":"alice","models":["openai/*"],"rpm":100}`)
	require.Equal(t, http.StatusCreated, status, string(body))
	key := gjson.GetBytes(body, "key").String()
	require.NotEmpty(t, key, string(body))
	// No wait: the server that made the change applies it at once.
	status, body = s.do(t, http.MethodPost, "/v1/chat/completions", key, `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`)
	require.Equal(t, http.StatusOK, status, string(body))
	return s, key
}

// TestAdminAPIClientThroughWholeServer: a client made with the admin API
// works at once, its request shows in its usage, and disabling it through
// the API refuses the key at once.
func TestAdminAPIClientThroughWholeServer(t *testing.T) {
	s, key := adminCreateAndCall(t)
	catEventually(t, 5*time.Second, "the request is counted in the client's usage", func() bool {
		status, body := s.do(t, http.MethodGet, "/admin/api/clients/alice", catAdminKey, "")
		return status == http.StatusOK && gjson.GetBytes(body, "usage.requests").Int() == 1
	})
	status, body := s.do(t, http.MethodPost, "/admin/api/clients/alice/disable", catAdminKey, "")
	require.Equal(t, http.StatusOK, status, string(body))
	status, _ = s.do(t, http.MethodPost, "/v1/chat/completions", key, `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, http.StatusUnauthorized, status, "disabled at once")
	status, body = s.do(t, http.MethodGet, "/admin/api/clients", catAdminKey, "")
	require.Equal(t, http.StatusOK, status)
	assert.NotContains(t, string(body), key)
	assert.NotContains(t, s.Logs.String(), key, "the server's log never holds the key")
}

// TestAdminLogsData: the request of a client made with the admin API is
// in the logs API under the client's name. It needs the dashboard queries
// of internal/store.
func TestAdminLogsData(t *testing.T) {
	s, key := adminCreateAndCall(t)
	var body []byte
	catEventually(t, 5*time.Second, "the row is listed under the client", func() bool {
		var status int
		status, body = s.do(t, http.MethodGet, "/admin/api/logs?client=alice", catAdminKey, "")
		return status == http.StatusOK && gjson.GetBytes(body, "logs.#").Int() == 1
	})
	row := gjson.GetBytes(body, "logs.0")
	assert.Equal(t, "alice", row.Get("client").String())
	assert.Equal(t, "openai/gpt-4o", row.Get("requested_model").String())
	assert.Equal(t, int64(200), row.Get("status_code").Int())
	status, detail := s.do(t, http.MethodGet, fmt.Sprintf("/admin/api/logs/%d", row.Get("id").Int()), catAdminKey, "")
	require.Equal(t, http.StatusOK, status, string(detail))
	assert.NotContains(t, string(detail), key)
}

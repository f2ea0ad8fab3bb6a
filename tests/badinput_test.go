package tests

import (
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// TestBadInputSuite sends garbage of many kinds to both inbound protocols;
// each gets a clear 4xx in the protocol's shape and the server stays
// healthy after each.
func TestBadInputSuite(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	cfg := strings.Replace(oneProviderConfig(up.URL, ""), "[auth]", "[server]\nmax_body_mb = 1\n[auth]", 1)
	gw := startGateway(t, cfg, "")

	deep := `{"model":"openai/gpt-4o","x":` + strings.Repeat("[", 5<<20/2) + strings.Repeat("]", 5<<20/2) + `}`
	huge := `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("a", 2<<20) + `"}]}`
	cases := []struct {
		name, body, contentType string
		status                  int
	}{
		{"empty", "", "application/json", 400},
		{"malformed", `{"model":`, "application/json", 400},
		{"truncated", `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"`, "application/json", 400},
		{"deeply nested", deep, "application/json", 413}, // over 1 MiB here; the depth guard is unit-tested
		{"nested under limit", `{"model":"openai/gpt-4o","x":` + strings.Repeat("[", 1000) + strings.Repeat("]", 1000) + `}`, "application/json", 400},
		{"huge", huge, "application/json", 413},
		{"model number", `{"model":123}`, "application/json", 400},
		{"model null", `{"model":null}`, "application/json", 400},
		{"model object", `{"model":{"a":1}}`, "application/json", 400},
		{"stream string", `{"model":"openai/gpt-4o","stream":"true"}`, "application/json", 400},
		{"invalid utf8", "{\"model\":\"openai/gpt-4o\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}", "application/json", 400},
		{"top-level string", `"hello"`, "application/json", 400},
		{"multipart", "--x\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\ngpt\r\n--x--\r\n", "multipart/form-data; boundary=x", 415},
	}
	for _, path := range []string{"/v1/chat/completions", "/v1/messages"} {
		for _, tc := range cases {
			t.Run(path+"/"+tc.name, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodPost, gw.URL+path, strings.NewReader(tc.body))
				require.NoError(t, err)
				req.Header.Set("Content-Type", tc.contentType)
				req.Header.Set("x-api-key", clientKey)
				resp, err := http.DefaultClient.Do(req)
				require.NoError(t, err)
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				assert.Equal(t, tc.status, resp.StatusCode, string(body))
				assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
				if path == "/v1/messages" {
					assert.Equal(t, "error", gjson.GetBytes(body, "type").String(), string(body))
					assert.NotEmpty(t, gjson.GetBytes(body, "error.type").String())
				}
				assert.NotEmpty(t, gjson.GetBytes(body, "error.message").String(), "error says what went wrong: %s", body)
				assertHealthy(t, gw)
			})
		}
	}
	for _, r := range up.requests() {
		assert.Equal(t, `{"model":"gpt-4o","messages":[{"role":"user","content":"hi"}]}`, string(r.Body),
			"only the health checks reached the upstream")
	}
}

const healthCheckBody = `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`

func assertHealthy(t *testing.T, gw *gatewayEnv) {
	t.Helper()
	resp, err := http.Get(gw.URL + "/healthz")
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)
	r, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, healthCheckBody)
	require.Equal(t, 200, r.StatusCode, string(body))
}

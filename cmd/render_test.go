package cmd

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/store"
)

func TestEscapeCell(t *testing.T) {
	cases := []struct{ in, want string }{
		{"plain /v1/chat/completions", "plain /v1/chat/completions"},
		{"模型 claude-3.5 ✓", "模型 claude-3.5 ✓"},
		{"/v1\x1b[2J", `/v1\x1b[2J`},
		{"/v1\r\nforged", `/v1\x0d\x0aforged`},
		{"tab\there", `tab\x09here`},
		{"del\x7f", `del\x7f`},
		{"c1\u009b31m", `c1\x9b31m`},
		{"nul\x00", `nul\x00`},
		{"line\u2028para\u2029", `line\u2028para\u2029`},
		{"bidi\u202eevil\u202c", `bidi\u202eevil\u202c`},
		{"iso\u2066x\u2069", `iso\u2066x\u2069`},
		{"bad\xffutf8", `bad\xffutf8`},
	}
	for _, tc := range cases {
		assert.Equal(t, tc.want, escapeCell(tc.in), "%q", tc.in)
	}
}

// hostile is what a client or upstream might put in a path or a model
// name: clear the screen, then forge a row of its own.
const hostile = "/v1/x\x1b[2J\r\nforged \u202eevil"

// assertInert checks that out holds no control character a terminal
// would act on, and that the hostile text is shown escaped.
func assertInert(t *testing.T, out string) {
	t.Helper()
	for _, bad := range []string{"\x1b", "\r", "\u202e"} {
		assert.NotContains(t, out, bad)
	}
	assert.Contains(t, out, `\x1b[2J\x0d\x0aforged \u202eevil`)
	for _, line := range strings.Split(out, "\n") {
		assert.False(t, strings.HasPrefix(strings.TrimLeft(line, "│ "), "forged"), "a forged line: %q", line)
	}
}

func TestLogsTablesEscapeControlCharacters(t *testing.T) {
	e := newLogsEnv(t)
	r := logsRow("evil", time.Minute, "gpt", "openai", 200, 10)
	r.Path = hostile
	r.RequestedModel = hostile
	e.seed(t, r)

	out, err := e.run(t, "logs", "tail")
	require.NoError(t, err)
	assertInert(t, out)

	out, err = e.run(t, "logs", "stats")
	require.NoError(t, err)
	assertInert(t, out)

	var buf strings.Builder
	p := logPrinter{w: &buf, loc: time.UTC}
	require.NoError(t, p.lines([]store.RequestLog{*r}))
	assertInert(t, buf.String())
}

func TestCatalogTablesEscapeControlCharacters(t *testing.T) {
	// An upstream whose model ids and error messages carry escapes.
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+catGoodKey {
			w.WriteHeader(http.StatusUnauthorized)
			fmt.Fprintf(w, `{"error":{"message":%s}}`, jsonQuote(hostile))
			return
		}
		fmt.Fprintf(w, `{"object":"list","data":[{"id":%s,"created":1,"owned_by":%s}]}`, jsonQuote(hostile), jsonQuote(hostile))
	}))
	t.Cleanup(up.Close)
	e := newCatEnv(t, openAIProviderTOML(up.URL+"/v1", []string{catGoodKey, catBadKey}, "models = ["+tomlQuote(hostile)+"]"), fmt.Sprintf("[aliases]\n%s = %s\n", tomlQuote(hostile), tomlQuote("openai/"+hostile)))

	out := e.mustRun(t, "models", "fetch", "openai", "--add")
	assertInert(t, out)
	out = e.mustRun(t, "models", "list")
	assertInert(t, out)
	out = e.mustRun(t, "alias", "list")
	assertInert(t, out)
	out = e.mustRun(t, "config", "check")
	assertInert(t, out)
	out, _, err := e.run(t, "keys", "test")
	require.Error(t, err, "key 2 is rejected")
	assert.NotContains(t, out, "\x1b")
	assert.Contains(t, out, `\x1b[2J\x0d\x0aforged`)
}

// tomlQuote writes s as a TOML basic string (Go's %q but with \u for ESC).
func tomlQuote(s string) string {
	return strings.ReplaceAll(fmt.Sprintf("%q", s), `\x1b`, `\u001b`)
}

func jsonQuote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func TestRedactPassword(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:secret@host/v1":                       "https://user:***@host/v1",
		"https://host/v1":                                   "https://host/v1",
		"https://token@host/v1":                             "https://token@host/v1",
		"https://user:secret@host/v1/a@b":                   "https://user:***@host/v1/a@b",
		"postgres://u:p@ss@127.0.0.1:5432/aigw?sslmode=x":   "postgres://u:***@127.0.0.1:5432/aigw?sslmode=x",
		"host=127.0.0.1 user=u password=secret dbname=aigw": "host=127.0.0.1 user=u password=*** dbname=aigw",
		"data/aigw.db":                                      "data/aigw.db",
	} {
		assert.Equal(t, want, redactPassword(in), in)
	}
}

func TestConfigCheckMasksBaseURLPassword(t *testing.T) {
	e := newCatEnv(t, `
[[providers]]
name = "proxied"
type = "openai"
base_url = "https://user:s3cr3t-pass@llm.example.com/v1"
api_keys = "sk-config-check-key-1111"
`, "")
	out := e.mustRun(t, "config", "check")
	assert.Contains(t, out, "https://user:***@llm.example.com/v1")
	assert.NotContains(t, out, "s3cr3t-pass")
	assert.NotContains(t, out, "sk-config-check-key-1111")
}

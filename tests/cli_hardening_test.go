package tests

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
)

// runAigwEnv runs the binary to completion in dir with extra environment
// variables (NAME=value).
func runAigwEnv(t *testing.T, dir string, env []string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aigwBinary, args...)
	cmd.Dir = dir
	cmd.Env = append(append(os.Environ(), "AIGW_CONFIG="), env...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return out.String(), errb.String(), ee.ExitCode()
	}
	require.NoError(t, err, "run aigw %v", args)
	return out.String(), errb.String(), 0
}

// exampleConfigDir copies the shipped example config and redirect file
// into a temp folder, as a newcomer would use them.
func exampleConfigDir(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "config"), 0o755))
	for _, name := range []string{"custom-config.example.toml", "redirect.example.toml"} {
		data, err := os.ReadFile(filepath.Join("..", "config", name))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, "config", name), data, 0o600))
	}
	return dir
}

const exampleCfg = "config/custom-config.example.toml"

// hostilePath clears the screen and then forges a table row of its own.
const hostilePath = "/v1/chat/completions\x1b[2J\r\nforged | 200 | openai"

// assertNoTerminalControl checks CLI output for what a terminal acts on.
func assertNoTerminalControl(t *testing.T, out string) {
	t.Helper()
	assert.NotContains(t, out, "\x1b", "a raw ESC reached the terminal")
	assert.NotContains(t, out, "\r", "a raw carriage return reached the terminal")
	assert.NotContains(t, out, "\u202e", "a raw bidi override reached the terminal")
	for _, line := range strings.Split(out, "\n") {
		assert.False(t, strings.HasPrefix(strings.TrimLeft(line, "│ "), "forged"), "a forged row: %q", line)
	}
}

func TestCLILogsTablesEscapeControlCharacters(t *testing.T) {
	dir := t.TempDir()
	dbCfg := config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "aigw.db"), Timezone: "UTC"}
	cfg := fmt.Sprintf(`[database]
driver = "sqlite"
dsn = %q
timezone = "UTC"
[[providers]]
name = "openai"
type = "openai"
base_url = "http://127.0.0.1:1/v1"
api_keys = "sk-cli-hardening-0000"
`, dbCfg.DSN)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gw.toml"), []byte(cfg), 0o600))

	// Rows as the gateway writes them, with what a client can put in a
	// path and a model name.
	db, err := store.Open(context.Background(), dbCfg, store.WithLogger(slog.New(slog.DiscardHandler)))
	require.NoError(t, err)
	w := db.NewWriter(store.WriterOptions{Logger: slog.New(slog.DiscardHandler)})
	w.Enqueue(&store.RequestLog{RequestID: "evil", CreatedAt: time.Now().Add(-time.Minute), Method: "POST",
		Path: hostilePath, RequestedModel: "gpt\u202eevil\x1b]0;title\x07", Provider: "openai", StatusCode: 200, LatencyMs: 5})
	require.NoError(t, w.Close(context.Background()))
	require.NoError(t, db.Close())

	for _, args := range [][]string{{"logs", "tail"}, {"logs", "stats"}, {"logs", "stats", "--by", "provider"}} {
		out, errOut, code := runAigw(t, dir, append([]string{"-c", "gw.toml"}, args...)...)
		require.Equal(t, 0, code, errOut)
		assertNoTerminalControl(t, out)
		if args[1] == "tail" {
			assert.Contains(t, out, `/v1/chat/completions\x1b[2J\x0d\x0aforged | 200 | openai`, "the path is shown, escaped")
		}
		if len(args) == 2 {
			assert.Contains(t, out, `gpt\u202eevil\x1b]0;title\x07`, "the model is shown, escaped")
		}
	}
	// JSON output keeps the exact bytes, JSON-escaped, for programs.
	out, _, code := runAigw(t, dir, "-c", "gw.toml", "logs", "tail", "--json")
	require.Equal(t, 0, code)
	assert.Contains(t, out, `\u001b[2J\r\nforged`)
}

func TestCLIProviderBaseURLFromEnvironment(t *testing.T) {
	dir := exampleConfigDir(t)
	mockAddr := freeAddr(t)
	// Only key 2 of the example's pool is accepted: fetch must move on
	// from key 1's 401.
	startAigw(t, dir, "http://"+mockAddr+"/v1/models", "mock", "--listen", mockAddr, "--keys", "mock-key-2")
	env := []string{
		"AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL=http://" + mockAddr + "/v1",
		"AIGW_PROVIDERS_MOCK_CLAUDE_BASE_URL=http://" + mockAddr,
	}

	out, errOut, code := runAigwEnv(t, dir, env, "config", "check", "-c", exampleCfg)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "http://"+mockAddr+"/v1", "the file's 127.0.0.1:9999 is overridden")
	assert.NotContains(t, out, "127.0.0.1:9999")

	out, errOut, code = runAigwEnv(t, dir, env, "models", "fetch", "mock-openai", "-c", exampleCfg)
	require.Equal(t, 0, code, "the fetch reached the mock through the overridden base_url and skipped the rejected key\n%s\n%s", out, errOut)
	assert.Contains(t, out, "mock-openai lists")
	assert.Contains(t, out, "(key ...-2)", "the hint names key 2, the one the mock accepts")
	assert.NotContains(t, out+errOut, "mock-key-2", "keys are shown by their hint only")
}

func TestCLIInvalidEnvironmentOverrideNamesTheVariable(t *testing.T) {
	dir := exampleConfigDir(t)
	for _, tc := range []struct{ env, key string }{
		{"AIGW_SERVER_MAX_BODY_MB=abc", "server.max_body_mb"},
		{"AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL=notaurl", "base_url"},
	} {
		_, errOut, code := runAigwEnv(t, dir, []string{tc.env}, "config", "check", "-c", exampleCfg)
		assert.NotEqual(t, 0, code, tc.env)
		name, _, _ := strings.Cut(tc.env, "=")
		assert.Contains(t, errOut, "environment variable "+name, tc.env)
		assert.Contains(t, errOut, tc.key, tc.env)
	}
}

func TestCLIAliasEditsKeepTheExampleComments(t *testing.T) {
	dir := exampleConfigDir(t)
	path := filepath.Join(dir, "config", "redirect.example.toml")
	before, err := os.ReadFile(path)
	require.NoError(t, err)

	for _, args := range [][]string{
		{"alias", "set", "Mini.V2", "mock-openai/mock-gpt-4o-mini"},
		{"alias", "set", "fast", "gpt-4o"},
		{"alias", "rm", "claude"},
	} {
		_, errOut, code := runAigw(t, dir, append(args, "-c", exampleCfg)...)
		require.Equal(t, 0, code, "%v: %s", args, errOut)
	}
	after, err := os.ReadFile(path)
	require.NoError(t, err)
	var kept []string
	for _, line := range strings.Split(string(before), "\n") {
		switch {
		case strings.HasPrefix(line, `"claude"`):
			assert.NotContains(t, string(after), line, "the removed alias's line is gone")
		case strings.HasPrefix(line, `"fast"`):
			assert.Contains(t, string(after), `"fast" = "gpt-4o"`, "the changed alias's line is replaced")
		default:
			kept = append(kept, line)
		}
	}
	// Every other line, comments included, is still there, in order.
	rest := string(after)
	for _, line := range kept {
		i := strings.Index(rest, line)
		require.GreaterOrEqual(t, i, 0, "line %q lost or reordered:\n%s", line, after)
		rest = rest[i+len(line):]
	}
	assert.Contains(t, string(after), `"Mini.V2" = "mock-openai/mock-gpt-4o-mini"`)

	out, errOut, code := runAigw(t, dir, "alias", "list", "-c", exampleCfg)
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "4 aliases")
}

func TestCLIConfigCheckMasksBaseURLPassword(t *testing.T) {
	dir := t.TempDir()
	cfg := oneProviderConfig("https://proxyuser:pr0xy-s3cret@llm.example.com", "")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "gw.toml"), []byte(cfg), 0o600))
	out, errOut, code := runAigw(t, dir, "config", "check", "-c", "gw.toml")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "https://proxyuser:***@llm.example.com/v1")
	assert.NotContains(t, out+errOut, "pr0xy-s3cret")
}

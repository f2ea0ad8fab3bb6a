package tests

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestSecretsNeverLeak runs the binary through a busy session (good and
// revoked keys, failover, a dead upstream, streams, conversions, bad
// requests, the CLI) and then greps everything it produced — stdout and
// stderr of every command, the server log, every file under data/ (the
// SQLite database and any spill file) — for every configured key.
func TestSecretsNeverLeak(t *testing.T) {
	dir := t.TempDir()
	mockAddr, gwAddr, deadAddr := freeAddr(t), freeAddr(t), freeAddr(t)
	good1, good2 := "sk-leakcheck-good-0000000001", "sk-leakcheck-good-0000000002"
	revokedKey, deadKey := "sk-leakcheck-revoked-0000003", "sk-leakcheck-dead-00000000004"
	claudeSecret := "sk-ant-leakcheck-000000000005"
	client, admin := "sk-leakcheck-client-00000006", "sk-leakcheck-admin-000000007"
	secrets := []string{good1, good2, revokedKey, deadKey, claudeSecret, client, admin}

	cfg := fmt.Sprintf(`
[server]
listen = %q
[auth]
keys = [%q]
admin_keys = [%q]
[logging]
store_bodies = true
[[providers]]
name = "oai"
type = "openai"
base_url = "http://%s/v1"
api_keys = "%s,%s,%s"
strategy = "round_robin"
models = ["mock-gpt-4o"]
[[providers]]
name = "claude"
type = "anthropic"
base_url = "http://%s"
api_keys = [%q]
models = ["claude-mock-sonnet-4-5"]
[[providers]]
name = "dead"
type = "openai"
base_url = "http://%s/v1"
api_keys = [%q]
models = ["ghost"]
`, gwAddr, client, admin, mockAddr, good1, revokedKey, good2, mockAddr, claudeSecret, deadAddr, deadKey)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "aigw.toml"), []byte(cfg), 0o600))

	var all bytes.Buffer
	_, mockLogs := startAigw(t, dir, "http://"+mockAddr+"/v1/models", "mock", "--listen", mockAddr,
		"--keys", strings.Join([]string{good1, good2, claudeSecret}, ","))
	serve, serveLogs := startAigw(t, dir, "http://"+gwAddr+"/healthz", "serve", "-c", "aigw.toml")

	c := openai.NewClient(option.WithBaseURL("http://"+gwAddr+"/v1/"), option.WithAPIKey(client), option.WithMaxRetries(0))
	ctx := context.Background()
	for i := 0; i < 4; i++ {
		_, err := c.Chat.Completions.New(ctx, chatParams("oai/mock-gpt-4o"))
		require.NoError(t, err, "failover hides the revoked key")
		stream := c.Chat.Completions.NewStreaming(ctx, chatParams("claude/claude-mock-sonnet-4-5"))
		for stream.Next() {
		}
		require.NoError(t, stream.Err())
	}
	_, err := c.Chat.Completions.New(ctx, chatParams("dead/ghost"))
	require.Error(t, err)
	all.WriteString(err.Error())
	bad := openai.NewClient(option.WithBaseURL("http://"+gwAddr+"/v1/"), option.WithAPIKey(good1), option.WithMaxRetries(0))
	_, err = bad.Chat.Completions.New(ctx, chatParams("oai/mock-gpt-4o"))
	require.Error(t, err, "an upstream key is no gateway key")
	all.WriteString(err.Error())
	for _, body := range []string{`{"model":`, `{"model":"nope/x"}`} {
		_, _, b := sendRaw(t, "http://"+gwAddr+"/v1/chat/completions", client, body)
		all.WriteString(b)
	}

	for _, args := range [][]string{
		{"config", "check"}, {"keys", "test"}, {"keys", "test", "--json"},
		{"models", "fetch", "oai"}, {"models", "fetch", "dead"}, {"models", "list", "--json"},
	} {
		out, errOut, _ := runAigw(t, dir, append([]string{"-c", "aigw.toml"}, args...)...)
		all.WriteString(out + errOut)
	}
	out, _, code := runAigw(t, dir, "-c", "aigw.toml", "keys", "test")
	assert.Equal(t, 1, code, "keys test fails while a key is revoked")
	assert.Contains(t, out, "sk-...0003", "keys are shown as hints")

	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop")
	}
	all.WriteString(serveLogs.String())
	all.WriteString(mockLogs.String())
	require.NoError(t, filepath.Walk(filepath.Join(dir, "data"), func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		all.Write(b)
		return err
	}))
	assert.Contains(t, all.String(), "sk-...0003", "the output holds hints (sanity check of the grep)")
	for _, s := range secrets {
		assert.NotContains(t, all.String(), s, "a configured key leaked")
	}
}

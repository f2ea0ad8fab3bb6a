package tests

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

// TestShutdownGraceCutsStreamAs503 runs the binary with a 1 s shutdown
// grace and a stream that outlives it: after SIGTERM the client is told why
// its stream ended, the row says 503 with the reason (not 499, the client
// did nothing), and it reaches the database before "aigw stopped", not the
// spill file afterwards.
func TestShutdownGraceCutsStreamAs503(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	dir := t.TempDir()
	addr := freeAddr(t)
	cfg := oneProviderConfig(up.URL, "") + fmt.Sprintf("\n[server]\nlisten = %q\nshutdown_grace = \"1s\"\n[database]\ndriver = \"sqlite\"\ndsn = \"data/aigw.db\"\n", addr)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "aigw.toml"), []byte(cfg), 0o600))
	serve, logs := startAigw(t, dir, "http://"+addr+"/healthz", "serve", "-c", "aigw.toml")

	req, _ := http.NewRequest(http.MethodPost, "http://"+addr+"/v1/chat/completions",
		strings.NewReader(`{"model":"openai/gpt-4o","stream":true,"messages":[]}`))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	first := make([]byte, 32)
	_, err = resp.Body.Read(first)
	require.NoError(t, err, "the stream is running")

	start := time.Now()
	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	rest, _ := io.ReadAll(resp.Body)
	state, err := serve.Process.Wait()
	require.NoError(t, err)
	assert.True(t, state.Success(), "aigw exits 0\n%s", logs.String())
	assert.Less(t, time.Since(start), 10*time.Second)
	assert.Contains(t, string(rest), "shutting down", "the client hears why its stream ended")

	out := logs.String()
	require.Contains(t, out, "aigw stopped")
	_, err = os.Stat(filepath.Join(dir, "data", "spill.jsonl"))
	assert.ErrorIs(t, err, os.ErrNotExist, "the row was written before the writer closed, not spilled\n%s", out)
	rows := rowsIn(t, config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "data", "aigw.db"), Timezone: "Asia/Shanghai"})
	require.Len(t, rows, 1)
	assert.Equal(t, 503, rows[0].StatusCode)
	assert.Contains(t, rows[0].Error, "shutting down")
}

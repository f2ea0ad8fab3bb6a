package tests

import (
	"github.com/gin-gonic/gin"

	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
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

// aigwBinary is built once per test run by TestMain.
var aigwBinary string

func TestMain(m *testing.M) {
	gin.SetMode(gin.ReleaseMode) // as the binary runs it; the engine itself sets no global mode
	dir, err := os.MkdirTemp("", "aigw-bin-*")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	aigwBinary = filepath.Join(dir, "aigw")
	build := exec.Command("go", "build", "-o", aigwBinary, "-ldflags", "-X github.com/aigw/aigw/cmd.version=test-1.2.3", "..")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "build aigw:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// runAigw runs the binary to completion in dir.
func runAigw(t *testing.T, dir string, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, aigwBinary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AIGW_CONFIG=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	code = 0
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("run aigw %v: %v", args, err)
	}
	return out.String(), errb.String(), code
}

func freeAddr(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	return addr
}

// startAigw starts a long-running command (serve, mock) and waits until
// url answers.
func startAigw(t *testing.T, dir, healthURL string, args ...string) (*exec.Cmd, *syncBuffer) {
	t.Helper()
	cmd := exec.Command(aigwBinary, args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "AIGW_CONFIG=")
	logs := &syncBuffer{} // written by the process while the test reads it
	cmd.Stdout, cmd.Stderr = logs, logs
	require.NoError(t, cmd.Start())
	t.Cleanup(func() {
		if cmd.ProcessState == nil {
			_ = cmd.Process.Kill()
			_, _ = cmd.Process.Wait()
		}
	})
	deadline := time.Now().Add(15 * time.Second)
	for {
		resp, err := http.Get(healthURL)
		if err == nil {
			resp.Body.Close()
			return cmd, logs
		}
		if time.Now().After(deadline) {
			t.Fatalf("aigw %v did not come up: %v\n%s", args, err, logs.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func TestBinaryVersion(t *testing.T) {
	out, _, code := runAigw(t, t.TempDir(), "version")
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "aigw test-1.2.3")
}

func TestBinaryConfigCheck(t *testing.T) {
	dir := t.TempDir()
	cfg := oneProviderConfig("http://127.0.0.1:1", "round_robin")
	require.NoError(t, os.WriteFile(filepath.Join(dir, "my.conf"), []byte(cfg), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "redirect.toml"), []byte("[aliases]\n\"GPT-4.1-Fast\" = \"openai/gpt-4o\"\n"), 0o600))
	out, errOut, code := runAigw(t, dir, "config", "check", "-c", "my.conf")
	require.Equal(t, 0, code, errOut)
	assert.Contains(t, out, "OK")
	assert.Contains(t, out, "sk-...1111")
	assert.Contains(t, out, "GPT-4.1-Fast")
	assert.Contains(t, out, "openai as gpt-4o")
	for _, k := range []string{upKey1, upKey2, upKey3, clientKey} {
		assert.NotContains(t, out+errOut, k, "a whole key was printed")
	}

	bad := strings.Replace(cfg, `strategy = "round_robin"`, `strategy = "fastest"`, 1)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "bad.toml"), []byte(bad), 0o600))
	_, errOut, code = runAigw(t, dir, "serve", "-c", "bad.toml")
	assert.NotEqual(t, 0, code, "a bad config refuses to start")
	assert.Contains(t, errOut, filepath.Join(dir, "bad.toml"))
	assert.Contains(t, errOut, "providers[0] (openai).strategy")
	assert.Contains(t, errOut, `unknown strategy "fastest"`)

	_, errOut, code = runAigw(t, dir, "serve")
	assert.NotEqual(t, 0, code)
	assert.Contains(t, errOut, "no config file found")
}

// TestBinaryQuickStart runs the README's quick start: aigw mock as the
// upstream and aigw serve with the shipped example config.
func TestBinaryQuickStart(t *testing.T) {
	dir := t.TempDir()
	example, err := os.ReadFile("../config/custom-config.example.toml")
	require.NoError(t, err)
	redirect, err := os.ReadFile("../config/redirect.example.toml")
	require.NoError(t, err)
	mockAddr, gwAddr := freeAddr(t), freeAddr(t)
	cfg := strings.ReplaceAll(string(example), "127.0.0.1:9999", mockAddr)
	cfg = strings.Replace(cfg, `listen = "127.0.0.1:8080"`, fmt.Sprintf("listen = %q", gwAddr), 1)
	require.NoError(t, os.MkdirAll(filepath.Join(dir, "config"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config", "custom-config.example.toml"), []byte(cfg), 0o600))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "config", "redirect.example.toml"), redirect, 0o600))

	startAigw(t, dir, "http://"+mockAddr+"/v1/models", "mock", "--listen", mockAddr)
	serve, logs := startAigw(t, dir, "http://"+gwAddr+"/healthz", "serve", "-c", "config/custom-config.example.toml")

	client := openai.NewClient(option.WithBaseURL("http://"+gwAddr+"/v1/"), option.WithAPIKey("sk-aigw-demo-key"), option.WithMaxRetries(0))
	for _, model := range []string{"mock-openai/mock-gpt-4o", "GPT-4.1-Fast", "claude", "smart"} {
		resp, err := client.Chat.Completions.New(context.Background(), chatParams(model))
		require.NoError(t, err, "%s\n%s", model, logs.String())
		assert.NotEmpty(t, resp.Choices[0].Message.Content, model)
	}
	_, err = os.Stat(filepath.Join(dir, "data", "aigw.db"))
	assert.NoError(t, err, "data/ and the database are created in the working folder")

	require.NoError(t, serve.Process.Signal(syscall.SIGTERM))
	done := make(chan error, 1)
	go func() { done <- serve.Wait() }()
	select {
	case err := <-done:
		assert.NoError(t, err, "serve exits 0 after SIGTERM\n%s", logs.String())
	case <-time.After(20 * time.Second):
		t.Fatal("serve did not stop after SIGTERM")
	}
	assert.NotContains(t, logs.String(), "mock-key-1", "upstream keys never reach the server log")
}

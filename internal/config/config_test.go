package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const minimal = `
[[providers]]
name = "openai"
type = "openai"
base_url = "https://api.example.com/v1/"
api_keys = "sk-a, sk-b,,sk-c"
`

func writeConfig(t *testing.T, body string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "my gateway.conf") // any file name
	require.NoError(t, os.WriteFile(p, []byte(body), 0o600))
	return p
}

func TestLoadDefaultsAndKeys(t *testing.T) {
	p := writeConfig(t, minimal)
	cfg, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, p, cfg.Path)
	assert.Equal(t, DefaultListen, cfg.Server.Listen)
	assert.Equal(t, 32, cfg.Server.MaxBodyMB)
	assert.Equal(t, "sqlite", cfg.Database.Driver)
	assert.Equal(t, "data/aigw.db", cfg.Database.DSN)
	assert.Equal(t, "Asia/Shanghai", cfg.Database.Timezone)
	require.Len(t, cfg.Providers, 1)
	pr := cfg.Providers[0]
	assert.Equal(t, []string{"sk-a", "sk-b", "sk-c"}, pr.APIKeys)
	assert.Equal(t, "https://api.example.com/v1", pr.BaseURL)
	assert.Equal(t, DefaultTimeout, pr.Timeout)
	assert.Equal(t, 3, pr.MaxAttempts)
	assert.Equal(t, filepath.Join(filepath.Dir(p), "redirect.toml"), cfg.RedirectPath())
	_, offset := time.Now().In(cfg.Location()).Zone()
	assert.Equal(t, 8*3600, offset)
}

func TestLoadArrayKeysEnvAndHeaders(t *testing.T) {
	t.Setenv("TEST_AIGW_KEY", "client-secret")
	t.Setenv("TEST_UP_KEY", "sk-from-env")
	t.Setenv("AIGW_SERVER_LISTEN", "127.0.0.1:9090")
	p := writeConfig(t, `
[auth]
keys = ["${TEST_AIGW_KEY}"]
[[providers]]
name = "claude"
type = "anthropic"
base_url = "https://api.anthropic.com/v1"
api_keys = ["${TEST_UP_KEY}", "sk-two"]
strategy = "random"
timeout = "5s"
headers = { "OpenAI-Organization" = "org-x" }
`)
	cfg, err := Load(p)
	require.NoError(t, err)
	assert.Equal(t, []string{"client-secret"}, cfg.Auth.Keys)
	assert.Equal(t, "127.0.0.1:9090", cfg.Server.Listen)
	pr := cfg.Providers[0]
	assert.Equal(t, []string{"sk-from-env", "sk-two"}, pr.APIKeys)
	assert.Equal(t, "https://api.anthropic.com", pr.BaseURL, "anthropic /v1 suffix is not doubled")
	assert.Equal(t, 5*time.Second, pr.Timeout)
	assert.Equal(t, 4096, pr.DefaultMaxTokens)
	assert.Equal(t, "org-x", pr.Headers["openai-organization"])
	assert.Empty(t, pr.Responses, "anthropic providers have no responses mode")
}

func TestClientKeysOnlyMayListenBeyondLoopback(t *testing.T) {
	cfg, err := Load(writeConfig(t, minimal+"\n[server]\nlisten = \"0.0.0.0:8080\"\n[auth]\nclient_keys_only = true\n"))
	require.NoError(t, err)
	assert.True(t, cfg.Auth.ClientKeysOnly)
	assert.Empty(t, cfg.Auth.Keys)
}

func TestResponsesModeDefaultsToNative(t *testing.T) {
	cfg, err := Load(writeConfig(t, minimal+strings.Replace(strings.Replace(minimal, `name = "openai"`, `name = "deepseek"`, 1),
		`type = "openai"`, "type = \"openai\"\nresponses = \" Chat \"", 1)))
	require.NoError(t, err)
	assert.Equal(t, ResponsesNative, cfg.Providers[0].Responses)
	assert.Equal(t, ResponsesChat, cfg.Providers[1].Responses, "trimmed and lower-cased")
}

func TestLoadErrorsNameFileKeyAndReason(t *testing.T) {
	cases := []struct {
		name string
		body string
		want []string
	}{
		{"unknown top key", minimal + "\n[server]\nlisten_addr = \"x\"\n", []string{"unknown key", "server.listen_addr"}},
		{"unknown provider key", strings.Replace(minimal, `type = "openai"`, "type = \"openai\"\nstrategi = \"random\"", 1), []string{"unknown key", "providers[0].strategi"}},
		{"duplicate name", minimal + minimal, []string{"providers[1] (openai).name", "duplicate provider name"}},
		{"empty pool", strings.Replace(minimal, `"sk-a, sk-b,,sk-c"`, `""`, 1), []string{"providers[0] (openai).api_keys", "key pool is empty"}},
		{"unknown type", strings.Replace(minimal, `type = "openai"`, `type = "gemini"`, 1), []string{"providers[0] (openai).type", `unknown type "gemini"`}},
		{"unknown strategy", strings.Replace(minimal, `type = "openai"`, "type = \"openai\"\nstrategy = \"rr\"", 1), []string{"providers[0] (openai).strategy", `unknown strategy "rr"`}},
		{"bad url", strings.Replace(minimal, `https://api.example.com/v1/`, `ftp:/x`, 1), []string{"providers[0] (openai).base_url", "not an http(s) URL"}},
		{"no providers", "[server]\nlisten = \"127.0.0.1:1\"\n", []string{"providers", "add at least one"}},
		{"open without keys", minimal + "\n[server]\nlisten = \"0.0.0.0:8080\"\n", []string{"auth.keys", "not a loopback address"}},
		{"bad toml", "[[providers]\nname=", []string{"not valid TOML"}},
		{"env unset", strings.Replace(minimal, `"sk-a, sk-b,,sk-c"`, `"${AIGW_TEST_SURELY_UNSET}"`, 1), []string{"providers[0].api_keys", "AIGW_TEST_SURELY_UNSET is not set"}},
		{"bad default provider", minimal + "\n[server]\ndefault_provider = \"nope\"\n", []string{"server.default_provider", `"nope" is not the name of a provider`}},
		{"bad driver", minimal + "\n[database]\ndriver = \"mysql\"\n", []string{"database.driver", `unknown driver "mysql"`}},
		{"bad zone", minimal + "\n[database]\ntimezone = \"Mars/Base\"\n", []string{"database.timezone"}},
		{"bad trusted proxy", minimal + "\n[server]\ntrusted_proxies = [\"10.0.0.0/33\"]\n", []string{"server.trusted_proxies[0]", "neither an IP"}},
		{"unknown responses mode", strings.Replace(minimal, `type = "openai"`, "type = \"openai\"\nresponses = \"convert\"", 1), []string{"providers[0] (openai).responses", `unknown value "convert"`, `"chat"`}},
		{"responses on anthropic", strings.Replace(minimal, `type = "openai"`, "type = \"anthropic\"\nresponses = \"chat\"", 1), []string{"providers[0] (openai).responses", "always serves /v1/responses by converting"}},
		{"slash in name", strings.Replace(minimal, `name = "openai"`, `name = "a/b"`, 1), []string{"providers[0] (a/b).name", "no '/'"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := writeConfig(t, tc.body)
			_, err := Load(p)
			require.Error(t, err)
			assert.Contains(t, err.Error(), p, "error names the file")
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestFindOrder(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	t.Setenv("AIGW_CONFIG", "")
	_, err := find("")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "--config")

	require.NoError(t, os.MkdirAll("config", 0o755))
	require.NoError(t, os.WriteFile("config/custom-config.toml", []byte(minimal), 0o600))
	p, err := find("")
	require.NoError(t, err)
	assert.Equal(t, filepath.Join("config", "custom-config.toml"), p)

	require.NoError(t, os.WriteFile("custom-config.toml", []byte(minimal), 0o600))
	p, _ = find("")
	assert.Equal(t, "custom-config.toml", p)

	t.Setenv("AIGW_CONFIG", "/elsewhere.toml")
	p, _ = find("")
	assert.Equal(t, "/elsewhere.toml", p)
	p, _ = find("explicit.toml")
	assert.Equal(t, "explicit.toml", p)
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:8080": true, "localhost:1": true, "[::1]:80": true,
		"0.0.0.0:8080": false, ":8080": false, "10.0.0.1:80": false,
	} {
		assert.Equal(t, want, IsLoopback(addr), addr)
	}
}

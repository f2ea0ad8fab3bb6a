package config

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const twoProviders = `
[[providers]]
name = "mock-openai"
type = "openai"
base_url = "http://127.0.0.1:9999/v1"
api_keys = "k"

[[providers]]
name = "my.claude"
type = "anthropic"
base_url = "https://api.anthropic.com"
api_keys = "k"
`

func TestProviderBaseURLFromEnv(t *testing.T) {
	t.Setenv("AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL", "http://127.0.0.1:7777/v1/")
	t.Setenv("AIGW_PROVIDERS_MY_CLAUDE_BASE_URL", "http://127.0.0.1:7778/v1")
	cfg, err := Load(writeConfig(t, twoProviders))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:7777/v1", cfg.Providers[0].BaseURL, "'-' becomes '_', trailing slash trimmed")
	assert.Equal(t, "http://127.0.0.1:7778", cfg.Providers[1].BaseURL, "'.' becomes '_'; anthropic /v1 not doubled")
}

func TestProviderBaseURLEnvUnsetOrEmptyKeepsFile(t *testing.T) {
	t.Setenv("AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL", "")
	cfg, err := Load(writeConfig(t, twoProviders))
	require.NoError(t, err)
	assert.Equal(t, "http://127.0.0.1:9999/v1", cfg.Providers[0].BaseURL)
}

func TestInvalidEnvOverrideNamesTheVariable(t *testing.T) {
	cases := []struct {
		env, value string
		want       []string
	}{
		{"AIGW_SERVER_MAX_BODY_MB", "abc", []string{"server.max_body_mb", "environment variable AIGW_SERVER_MAX_BODY_MB"}},
		{"AIGW_SERVER_MAX_BODY_MB", "-1", []string{"server.max_body_mb", "must be a positive", "environment variable AIGW_SERVER_MAX_BODY_MB"}},
		{"AIGW_SERVER_SHUTDOWN_GRACE", "soon", []string{"server.shutdown_grace", "environment variable AIGW_SERVER_SHUTDOWN_GRACE"}},
		{"AIGW_SERVER_LISTEN", "nowhere", []string{"server.listen", "environment variable AIGW_SERVER_LISTEN"}},
		{"AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL", "notaurl", []string{"providers[0] (mock-openai).base_url", "not an http(s) URL", "environment variable AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL"}},
	}
	for _, tc := range cases {
		t.Run(tc.env+"="+tc.value, func(t *testing.T) {
			t.Setenv(tc.env, tc.value)
			_, err := Load(writeConfig(t, twoProviders))
			require.Error(t, err)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func TestFileErrorDoesNotBlameTheEnvironment(t *testing.T) {
	_, err := Load(writeConfig(t, twoProviders+"\n[server]\nmax_body_mb = -1\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "server.max_body_mb")
	assert.NotContains(t, err.Error(), "environment variable")
}

func TestProviderEnvName(t *testing.T) {
	for name, want := range map[string]string{
		"openai": "AIGW_PROVIDERS_OPENAI_BASE_URL", "mock-openai": "AIGW_PROVIDERS_MOCK_OPENAI_BASE_URL",
		"qwen.v2": "AIGW_PROVIDERS_QWEN_V2_BASE_URL", "Deep_Seek": "AIGW_PROVIDERS_DEEP_SEEK_BASE_URL",
	} {
		assert.Equal(t, want, providerBaseURLEnv(name), name)
	}
}

func TestEachBadValueNamesItsOwnSource(t *testing.T) {
	t.Setenv("AIGW_SERVER_MAX_BODY_MB", "abc")
	t.Setenv("AIGW_SERVER_SHUTDOWN_GRACE", "soon")
	body := strings.Replace(twoProviders, `api_keys = "k"`, "api_keys = \"k\"\ntimeout = \"z\"", 1)
	_, err := Load(writeConfig(t, body))
	require.Error(t, err)
	lines := map[string]string{}
	for _, line := range strings.Split(err.Error(), "\n") {
		for _, key := range []string{"server.max_body_mb", "server.shutdown_grace", "providers[0].timeout"} {
			if strings.Contains(line, key) {
				lines[key] = line
			}
		}
	}
	require.Len(t, lines, 3, err.Error())
	assert.Contains(t, lines["server.max_body_mb"], "AIGW_SERVER_MAX_BODY_MB")
	assert.NotContains(t, lines["server.max_body_mb"], "AIGW_SERVER_SHUTDOWN_GRACE")
	assert.Contains(t, lines["server.shutdown_grace"], "AIGW_SERVER_SHUTDOWN_GRACE")
	assert.NotContains(t, lines["providers[0].timeout"], "environment variable", "the file set it")
}

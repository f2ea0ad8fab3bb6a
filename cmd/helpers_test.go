package cmd

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// execCLI runs aigw with args against the config at cfgPath, the way main
// does but with buffers, and returns stdout, stderr and the error.
func execCLI(ctx context.Context, cfgPath string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	root := newCmdRoot(newFactory(&out, &errOut))
	root.SetArgs(append([]string{"-c", cfgPath}, args...))
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// testFactory is a factory writing to buffers, with the config at cfgPath.
func testFactory(t *testing.T, cfgPath string) (*factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := newFactory(&out, &errOut)
	f.configPath = cfgPath
	return f, &out, &errOut
}

// openAIProviderTOML is a [[providers]] block for an OpenAI-type provider
// named openai, followed by any extra lines.
func openAIProviderTOML(baseURL string, keys []string, extra ...string) string {
	return fmt.Sprintf("\n[[providers]]\nname = \"openai\"\ntype = \"openai\"\nbase_url = %q\napi_keys = %q\n%s\n",
		baseURL, strings.Join(keys, ","), strings.Join(extra, "\n"))
}

// TestCatalogFlagsReachTheOptions checks the flag and argument wiring of
// the catalog and alias commands through runF, without running them.
func TestCatalogFlagsReachTheOptions(t *testing.T) {
	f, _, _ := testFactory(t, "unused.toml")

	var fetch *modelsFetchOptions
	c := newCmdModelsFetch(f, func(o *modelsFetchOptions) error { fetch = o; return nil })
	c.SetArgs([]string{"openai", "--add", "--match", "gpt-4o*", "--json"})
	require.NoError(t, c.Execute())
	assert.Equal(t, modelsFetchOptions{provider: "openai", add: true, match: "gpt-4o*", json: true},
		modelsFetchOptions{provider: fetch.provider, add: fetch.add, match: fetch.match, json: fetch.json})
	c = newCmdModelsFetch(f, func(*modelsFetchOptions) error { t.Fatal("a bad glob must stop before the run"); return nil })
	c.SetArgs([]string{"openai", "--match", "gpt-["})
	require.ErrorContains(t, c.Execute(), "bad --match pattern")

	var keys *keysTestOptions
	c = newCmdKeysTest(f, func(o *keysTestOptions) error { keys = o; return nil })
	c.SetArgs([]string{"anthropic", "--concurrency", "2"})
	require.NoError(t, c.Execute())
	assert.Equal(t, "anthropic", keys.provider)
	assert.Equal(t, 2, keys.concurrency)

	var set *aliasSetOptions
	c = newCmdAliasSet(f, func(o *aliasSetOptions) error { set = o; return nil })
	c.SetArgs([]string{"GPT-4.1-Fast", "openai/gpt-4.1-mini"})
	require.NoError(t, c.Execute())
	assert.Equal(t, "GPT-4.1-Fast", set.name)
	assert.Equal(t, "openai/gpt-4.1-mini", set.target)
	c = newCmdAliasSet(f, func(*aliasSetOptions) error { t.Fatal("an empty target must stop before the run"); return nil })
	c.SetArgs([]string{"a", " "})
	require.ErrorContains(t, c.Execute(), "must not be empty")
}

package cmd

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

const catRedirect = `# hand-written
[aliases]
"GPT-4.1-Fast" = "openai/gpt-4o-mini"
"claude" = "anthropic/claude-sonnet-4-5"
"fast" = "gpt-4o"
`

func catAliasEnv(t *testing.T) *catEnv {
	t.Helper()
	return newCatEnv(t, fmt.Sprintf(`
[[providers]]
name = "openai"
type = "openai"
base_url = "http://127.0.0.1:9/v1"
api_keys = "%s"
models = ["gpt-4o", "gpt-4o-mini", "meta-llama/llama-3.1-8b"]

[[providers]]
name = "anthropic"
type = "anthropic"
base_url = "http://127.0.0.1:9"
api_keys = "%s"
models = ["claude-sonnet-4-5"]
`, catGoodKey, catGoodKey), catRedirect)
}

func (e *catEnv) aliases(t *testing.T) config.Aliases {
	t.Helper()
	a, err := config.LoadAliases(e.redirect)
	require.NoError(t, err)
	return a
}

func TestAliasSetKeepsOthersAndCase(t *testing.T) {
	e := catAliasEnv(t)

	out := e.mustRun(t, "alias", "set", "Mini.V2", "openai/gpt-4o-mini")
	assert.Contains(t, out, "alias Mini.V2 -> openai/gpt-4o-mini")
	assert.Contains(t, out, "served by openai as gpt-4o-mini")
	assert.Equal(t, config.Aliases{
		"GPT-4.1-Fast": "openai/gpt-4o-mini",
		"claude":       "anthropic/claude-sonnet-4-5",
		"fast":         "gpt-4o",
		"Mini.V2":      "openai/gpt-4o-mini",
	}, e.aliases(t), "the others are kept; case and dots preserved")

	out = e.mustRun(t, "alias", "set", "fast", "gpt-4o-mini")
	assert.Contains(t, out, "alias fast -> gpt-4o-mini (was gpt-4o)")
	assert.Equal(t, "gpt-4o-mini", e.aliases(t)["fast"])
	assert.Equal(t, "openai/gpt-4o-mini", e.aliases(t)["GPT-4.1-Fast"])

	out = e.mustRun(t, "alias", "rm", "claude")
	assert.Contains(t, out, "removed alias claude (was -> anthropic/claude-sonnet-4-5); 3 left")
	assert.Equal(t, config.Aliases{
		"GPT-4.1-Fast": "openai/gpt-4o-mini",
		"fast":         "gpt-4o-mini",
		"Mini.V2":      "openai/gpt-4o-mini",
	}, e.aliases(t))

	_, _, err := e.run(t, "alias", "rm", "gpt-4.1-fast")
	require.ErrorContains(t, err, "no alias \"gpt-4.1-fast\"")
	require.ErrorContains(t, err, "case-sensitive")
}

func TestAliasSetRefusals(t *testing.T) {
	e := catAliasEnv(t)
	before, err := os.ReadFile(e.redirect)
	require.NoError(t, err)

	// fast -> gpt-4o today; gpt-4o -> fast closes a cycle.
	_, _, err = e.run(t, "alias", "set", "gpt-4o", "fast")
	require.ErrorContains(t, err, "cycle")
	_, _, err = e.run(t, "alias", "set", "loop", "loop")
	require.ErrorContains(t, err, "cycle")

	_, _, err = e.run(t, "alias", "set", "gem", "google/gemini-2.5-pro")
	require.ErrorContains(t, err, `starts with "google", which is not a configured provider`)
	require.ErrorContains(t, err, "providers: openai, anthropic")

	after, err := os.ReadFile(e.redirect)
	require.NoError(t, err)
	assert.Equal(t, string(before), string(after), "a refused change leaves the file untouched")

	// A bare model id with '/' that a provider lists is accepted.
	out := e.mustRun(t, "alias", "set", "llama", "meta-llama/llama-3.1-8b")
	assert.Contains(t, out, "served by openai as meta-llama/llama-3.1-8b")

	// An unknown model is a warning, not a refusal.
	_, errOut, err := e.run(t, "alias", "set", "future", "openai/gpt-9")
	require.NoError(t, err)
	assert.Contains(t, errOut, `warning: provider openai does not list "gpt-9"`)
	_, errOut, err = e.run(t, "alias", "set", "nowhere", "gpt-9")
	require.NoError(t, err)
	assert.Contains(t, errOut, "404")
	assert.Equal(t, "gpt-9", e.aliases(t)["nowhere"])
}

func TestAliasListAndBrokenFile(t *testing.T) {
	e := catAliasEnv(t)
	var rows []aliasRow
	out := e.mustRun(t, "alias", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	assert.Equal(t, []aliasRow{
		{Alias: "GPT-4.1-Fast", Target: "openai/gpt-4o-mini", Provider: "openai", UpstreamModel: "gpt-4o-mini"},
		{Alias: "claude", Target: "anthropic/claude-sonnet-4-5", Provider: "anthropic", UpstreamModel: "claude-sonnet-4-5"},
		{Alias: "fast", Target: "gpt-4o", Provider: "openai", UpstreamModel: "gpt-4o"},
	}, rows)
	out = e.mustRun(t, "alias", "list")
	assert.Contains(t, out, "openai as gpt-4o-mini")
	assert.Contains(t, out, "3 aliases in "+e.redirect)

	broken := "[aliases]\n\"a\" = \n"
	require.NoError(t, os.WriteFile(e.redirect, []byte(broken), 0o600))
	_, _, err := e.run(t, "alias", "set", "b", "gpt-4o")
	require.ErrorContains(t, err, "left untouched")
	data, _ := os.ReadFile(e.redirect)
	assert.Equal(t, broken, string(data), "a file that cannot be read is not overwritten")
}

package cmd

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// pricesEnv is a config with one provider (openai) and, when prices is
// not empty, a prices file beside it.
func pricesEnv(t *testing.T, prices string) (cfgPath, pricesPath string) {
	t.Helper()
	dir := t.TempDir()
	cfgPath = filepath.Join(dir, "custom-config.toml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(openAIProviderTOML("http://127.0.0.1:9/v1", []string{"sk-test"})), 0o644))
	pricesPath = filepath.Join(dir, "prices.toml")
	if prices != "" {
		require.NoError(t, os.WriteFile(pricesPath, []byte(prices), 0o644))
	}
	return cfgPath, pricesPath
}

func runPrices(t *testing.T, cfgPath string, args ...string) (string, error) {
	t.Helper()
	out, _, err := execCLI(t.Context(), cfgPath, append([]string{"prices"}, args...)...)
	return out, err
}

const cnyPrices = `# yuan
[pricing]
currency = "CNY"

[prices."deepseek/*"]   # DeepSeek's CNY list price
input = 2
output = 3
cache_read = 0.2
`

func TestPricesListJSON(t *testing.T) {
	cfg, _ := pricesEnv(t, cnyPrices)
	out, err := runPrices(t, cfg, "list", "--json")
	require.NoError(t, err)
	var rows []priceRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	require.Greater(t, len(rows), 40)
	assert.Equal(t, priceRow{Pattern: "deepseek/*", Input: 2, Output: 3, CacheRead: 0.2, CacheWrite: 2, CacheWrite1h: 3.2,
		Currency: "CNY", Source: "file"}, rows[0])
	for _, r := range rows[1:] {
		assert.Equal(t, "builtin", r.Source)
		assert.Equal(t, "USD", r.Currency, "unconverted built-in prices stay in USD")
		assert.Contains(t, r.Note, "usd_rate is not set")
	}

	out, err = runPrices(t, cfg, "list")
	require.NoError(t, err)
	assert.Contains(t, out, "builtin (unused)")
	assert.Contains(t, out, "1 entries from ")
	assert.Contains(t, out, "unused built-in entries: built-in prices are in USD and the prices file's currency is CNY")
}

func TestPricesListModel(t *testing.T) {
	cfg, _ := pricesEnv(t, "[prices.\"openai/gpt-5.4\"]\ninput = 3\noutput = 16\n")

	out, err := runPrices(t, cfg, "list", "--model", "openai/gpt-5.4-2026-03-05")
	require.NoError(t, err)
	assert.Contains(t, out, `(provider openai, model gpt-5.4-2026-03-05) is priced by the file entry "openai/gpt-5.4"`)

	out, err = runPrices(t, cfg, "list", "--model", "claude-sonnet-4-5-20250929", "--json")
	require.NoError(t, err)
	var m priceMatch
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	require.NotNil(t, m.Price)
	assert.Equal(t, "", m.Provider)
	assert.Equal(t, "claude-sonnet-4-5", m.Price.Pattern)
	assert.Equal(t, "builtin", m.Price.Source)
	assert.Equal(t, 3.75, m.Price.CacheWrite)

	// A prefix that is not a provider stays part of the model name.
	out, err = runPrices(t, cfg, "list", "--model", "openrouter/anthropic/claude-sonnet-4-5", "--json")
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &m))
	assert.Equal(t, "openrouter/anthropic/claude-sonnet-4-5", m.Model)
	require.NotNil(t, m.Price)

	out, err = runPrices(t, cfg, "list", "--model", "no-such-model")
	require.NoError(t, err, "no price is an answer, not a failure")
	assert.Contains(t, out, "no-such-model: no price: cost will be logged as NULL")

	out, err = runPrices(t, cfg, "list", "--model", "no-such-model", "--json")
	require.NoError(t, err)
	assert.Contains(t, out, `"price": null`)
}

func TestPricesListBadFile(t *testing.T) {
	cfg, _ := pricesEnv(t, "[prices.\"deepseek/*\"]\ninput = 1\noutput = -1\n")
	_, err := runPrices(t, cfg, "list")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `prices.toml: [prices."deepseek/*"]: output is -1: a price cannot be negative`)
}

func TestPricesSet(t *testing.T) {
	cfg, prices := pricesEnv(t, "")

	out, err := runPrices(t, cfg, "set", "deepseek/*", "--input", "0.14", "--output", "0.28", "--cache-read", "0.0028")
	require.NoError(t, err)
	assert.Contains(t, out, `[prices."deepseek/*"] input 0.14, output 0.28, cache read 0.0028 (USD per million tokens)`)
	assert.Contains(t, out, "a running aigw serve reloads it")
	data, err := os.ReadFile(prices)
	require.NoError(t, err)
	assert.Contains(t, string(data), "[pricing]\ncurrency = \"USD\"\n")

	// Replacing keeps comments, other entries and order.
	require.NoError(t, os.WriteFile(prices, []byte(cnyPrices+"\n[prices.glm-4.6]  # Z.ai\ninput = 4\noutput = 16\n"), 0o644))
	out, err = runPrices(t, cfg, "set", "deepseek/*", "--input", "4", "--output", "16")
	require.NoError(t, err)
	assert.Contains(t, out, "(CNY per million tokens)")
	assert.Contains(t, out, "was: input 2, output 3, cache read 0.2")
	data, _ = os.ReadFile(prices)
	want := strings.Replace(cnyPrices, "input = 2\noutput = 3\ncache_read = 0.2\n", "input = 4\noutput = 16\n", 1)
	assert.Equal(t, want+"\n[prices.glm-4.6]  # Z.ai\ninput = 4\noutput = 16\n", string(data))

	_, err = runPrices(t, cfg, "set", "x", "--input", "-1", "--output", "1")
	require.ErrorContains(t, err, "--input is -1")
	_, err = runPrices(t, cfg, "set", "x", "--input", "NaN", "--output", "1")
	require.ErrorContains(t, err, "must be a finite number")
	_, err = runPrices(t, cfg, "set", "x", "--output", "1")
	require.ErrorContains(t, err, `required flag(s) "input" not set`)
	_, err = runPrices(t, cfg, "set", "x[", "--input", "1", "--output", "1")
	require.ErrorContains(t, err, "invalid glob")
}

// TestPricesSetFlags checks the flag wiring through runF.
func TestPricesSetFlags(t *testing.T) {
	f, _, _ := testFactory(t, "unused.toml")
	var got *pricesSetOptions
	c := newCmdPricesSet(f, func(o *pricesSetOptions) error { got = o; return nil })
	c.SetArgs([]string{"anthropic/claude-x", "--input", "3", "--output", "15", "--cache-write", "3.75", "--cache-write-1h", "6"})
	require.NoError(t, c.Execute())
	assert.Equal(t, "anthropic/claude-x", got.model)
	p := got.price
	assert.Equal(t, []float64{3, 15, 3.75, 6}, []float64{p.Input, p.Output, p.CacheWrite, p.CacheWrite1h})
	assert.Equal(t, []bool{false, true, true}, []bool{p.HasCacheRead, p.HasCacheWrite, p.HasCacheWrite1h})
}

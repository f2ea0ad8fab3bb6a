package pricing

import (
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCost(t *testing.T) {
	openai := Price{Input: 2.5, Output: 10, CacheRead: 1.25, HasCacheRead: true}
	claude := Price{Input: 5, Output: 25, CacheRead: 0.5, CacheWrite: 6.25, CacheWrite1h: 10,
		HasCacheRead: true, HasCacheWrite: true, HasCacheWrite1h: true}
	no1h := claude
	no1h.CacheWrite1h, no1h.HasCacheWrite1h = 0, false
	bare := Price{Input: 2, Output: 8}
	tests := []struct {
		name string
		p    Price
		t    Tokens
		want float64
	}{
		{"nothing", openai, Tokens{}, 0},
		{"openai uncached", openai, Tokens{Prompt: 1_000_000, Completion: 1_000_000}, 12.5},
		// OpenAI: prompt_tokens 1000 of which cached_tokens 600.
		{"openai cached read", openai, Tokens{Prompt: 1000, Completion: 200, CacheRead: 600},
			(400*2.5 + 600*1.25 + 200*10) / 1e6},
		// Anthropic: input_tokens 100 + cache_read 3000 + cache_creation 500 = prompt 3600.
		{"anthropic read and 5m write", claude, Tokens{Prompt: 3600, Completion: 50, CacheRead: 3000, CacheWrite: 500},
			(100*5 + 3000*0.5 + 500*6.25 + 50*25) / 1e6},
		{"anthropic 1h part of the writes", claude, Tokens{Prompt: 1100, CacheWrite: 1000, CacheWrite1h: 400},
			(100*5 + 600*6.25 + 400*10) / 1e6},
		{"1h without cache_write_1h is 1.6x cache_write", no1h, Tokens{Prompt: 1000, CacheWrite: 1000, CacheWrite1h: 1000},
			1000 * 6.25 * 1.6 / 1e6},
		{"1h counted though CacheWrite omits it", claude, Tokens{Prompt: 1000, CacheWrite1h: 1000}, 1000 * 10.0 / 1e6},
		{"cached exceeds prompt: uncached is 0", openai, Tokens{Prompt: 100, CacheRead: 300, Completion: 10},
			(300*1.25 + 10*10) / 1e6},
		{"negative counts are 0", openai, Tokens{Prompt: -5, Completion: -1, CacheRead: -7, CacheWrite: -2}, 0},
		{"no cache prices: reads and writes at input", bare, Tokens{Prompt: 1000, CacheRead: 500, CacheWrite: 300},
			1000 * 2.0 / 1e6},
		{"no cache_write: 1h at 1.6x input", bare, Tokens{Prompt: 100, CacheWrite: 100, CacheWrite1h: 100}, 100 * 2 * 1.6 / 1e6},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := tc.p.Cost(tc.t)
			assert.InDelta(t, tc.want, got, 1e-12)
			assert.GreaterOrEqual(t, got, 0.0)
		})
	}
}

func writeFile(t testing.TB, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "prices.toml")
	require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
	return p
}

func load(t *testing.T, content string) *Table {
	t.Helper()
	tab, err := Load(writeFile(t, content))
	require.NoError(t, err)
	return tab
}

const precedenceFile = `
[pricing]
currency = "USD"

[prices."deepseek/*"]
input = 1
output = 1

[prices."*-mini"]
input = 2
output = 2

[prices."gpt-4o"]
input = 3
output = 3

[prices."openai/gpt-4o"]
input = 4
output = 4

[prices."myco/custom-model"]
input = 5
output = 5

[prices."deepseek-chat"]
input = 6
output = 6
`

func TestLookupPrecedence(t *testing.T) {
	tab := load(t, precedenceFile)
	tests := []struct {
		provider, model string
		input           float64 // 0: no price
		source, pattern string
	}{
		{"openai", "gpt-4o", 4, "file", "openai/gpt-4o"},                    // provider/model beats bare
		{"azure", "gpt-4o", 3, "file", "gpt-4o"},                            // bare
		{"deepseek", "deepseek-chat", 6, "file", "deepseek-chat"},           // bare beats glob
		{"deepseek", "deepseek-reasoner", 1, "file", "deepseek/*"},          // glob on provider/model
		{"openai", "gpt-5-mini", 2, "file", "*-mini"},                       // glob on the bare model
		{"myco", "custom-model", 5, "file", "myco/custom-model"},            // provider/model only
		{"other", "custom-model", 0, "", ""},                                // ... for that provider only
		{"openrouter", "myco/custom-model", 5, "file", "myco/custom-model"}, // a bare id holding '/'
		{"anthropic", "claude-sonnet-4-5", 3, "builtin", "claude-sonnet-4-5"},
		// Normalisation: exact names first, then the normalised name.
		{"openai", "gpt-4o-2024-08-06", 4, "file", "openai/gpt-4o"},
		{"openai", "GPT-4o", 4, "file", "openai/gpt-4o"},
		{"OpenAI", "gpt-4o", 4, "file", "openai/gpt-4o"},
		{"vertex", "claude-sonnet-4-5@20250929", 3, "builtin", "claude-sonnet-4-5"},
		{"anthropic", "claude-sonnet-4-5-20250929", 3, "builtin", "claude-sonnet-4-5"},
		{"or", "anthropic/claude-sonnet-4-5", 3, "builtin", "claude-sonnet-4-5"},
		{"x", "accounts/fw/models/deepseek-chat", 6, "file", "deepseek-chat"},
		{"x", "unknown-model", 0, "", ""},
		{"", "", 0, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.provider+"/"+tc.model, func(t *testing.T) {
			for range 2 { // the second time from the cache
				p, ok := tab.Lookup(tc.provider, tc.model)
				src, pat, sok := tab.Source(tc.provider, tc.model)
				if tc.input == 0 {
					assert.False(t, ok)
					assert.False(t, sok)
					continue
				}
				require.True(t, ok)
				assert.Equal(t, tc.input, p.Input)
				assert.Equal(t, []string{tc.source, tc.pattern}, []string{src, pat})
				assert.True(t, sok)
			}
		})
	}
}

func TestNormalize(t *testing.T) {
	tests := map[string]string{
		"gpt-5-2025-08-07":                    "gpt-5",
		"claude-opus-4-1-20250805":            "claude-opus-4-1",
		"claude-opus-4-1@20250805":            "claude-opus-4-1",
		"gpt-4-0613":                          "gpt-4",
		"deepseek-v3-0324":                    "deepseek-v3",
		"models/gemini-2.5-pro":               "gemini-2.5-pro",
		"openai/gpt-4o":                       "gpt-4o",
		"accounts/x/models/y":                 "y",
		"mistral-large-latest":                "mistral-large",
		"qwen3-coder-480b-a35b-instruct-2507": "", // year-month, not month-day
		"mistral-large-2411":                  "",
		"gpt-4o":                              "",
		"o3":                                  "",
		"model-2025-13-01":                    "", // no month 13
		"-20250101":                           "",
		"x-1299":                              "",
		"gemini-2.5-flash-preview-09-2025":    "",
	}
	for in, want := range tests {
		assert.Equal(t, want, normalize(in), in)
	}
}

func TestCurrency(t *testing.T) {
	builtin, ok := Builtin().Lookup("anthropic", "claude-sonnet-4-5")
	require.True(t, ok)

	usd := load(t, "[prices.x]\ninput = 1\noutput = 2\n")
	assert.Equal(t, "USD", usd.Currency())
	assert.Empty(t, usd.BuiltinNote())

	cny := load(t, "[pricing]\ncurrency = \"CNY\"\n[prices.\"deepseek-chat\"]\ninput = 2\noutput = 3\n")
	assert.Equal(t, "CNY", cny.Currency())
	p, ok := cny.Lookup("deepseek", "deepseek-chat")
	require.True(t, ok)
	assert.Equal(t, 2.0, p.Input) // the file's own prices, as written
	_, ok = cny.Lookup("anthropic", "claude-sonnet-4-5")
	assert.False(t, ok, "a USD built-in price must not pass for CNY")
	assert.Contains(t, cny.BuiltinNote(), "usd_rate")
	for _, l := range cny.Models() {
		if l.Source == SourceBuiltin {
			assert.Equal(t, "USD", l.Currency)
			assert.Contains(t, l.Note, "usd_rate is not set")
		}
	}

	rated := load(t, "[pricing]\ncurrency = \"cny\"\nusd_rate = 7.2\n")
	assert.Equal(t, "CNY", rated.Currency())
	p, ok = rated.Lookup("anthropic", "claude-sonnet-4-5")
	require.True(t, ok)
	assert.InDelta(t, builtin.Input*7.2, p.Input, 1e-9)
	assert.InDelta(t, builtin.CacheWrite1h*7.2, p.CacheWrite1h, 1e-9)
	assert.Equal(t, builtin.HasCacheRead, p.HasCacheRead)
	for _, l := range rated.Models() {
		if l.Pattern == "claude-sonnet-4-5" {
			assert.Equal(t, "CNY", l.Currency)
			assert.InDelta(t, builtin.Output*7.2, l.Price.Output, 1e-9)
		}
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"malformed", "[prices.x\ninput = 1", "prices.toml: toml:"},
		{"unknown top key", "[pricng]\ncurrency = \"USD\"", `prices.toml: unknown key "pricng"`},
		{"unknown pricing key", "[pricing]\ncurency = \"USD\"", `prices.toml: [pricing]: unknown key "curency"`},
		{"unknown entry key", "[prices.\"gpt-4o\"]\ninput = 1\noutput = 2\ninptu = 3",
			`prices.toml: [prices."gpt-4o"]: unknown key "inptu"`},
		{"nested table", "[prices.\"gpt-4o\"]\ninput = 1\noutput = 2\n[prices.\"gpt-4o\".tier]\ninput = 1",
			`prices.toml: [prices."gpt-4o"]: unknown key "tier"`},
		{"negative", "[prices.\"deepseek/*\"]\ninput = 1\noutput = -1",
			`prices.toml: [prices."deepseek/*"]: output is -1: a price cannot be negative`},
		{"string price", "[prices.m]\ninput = \"2.5\"\noutput = 1",
			`prices.toml: [prices."m"]: input is "2.5" (a string): a price must be a number`},
		{"bool price", "[prices.m]\ninput = 1\noutput = 1\ncache_read = true",
			`prices.toml: [prices."m"]: cache_read is true (a boolean): a price must be a number`},
		{"nan", "[prices.m]\ninput = nan\noutput = 1", `prices.toml: [prices."m"]: input is NaN: a price must be a finite number`},
		{"inf", "[prices.m]\ninput = 1\noutput = inf", `prices.toml: [prices."m"]: output is +Inf: a price must be a finite number`},
		{"no input", "[prices.m]\noutput = 1", `prices.toml: [prices."m"]: input is missing: an entry needs input and output`},
		{"no output", "[prices.m]\ninput = 1", `prices.toml: [prices."m"]: output is missing: an entry needs input and output`},
		{"bad glob", "[prices.\"gpt-[\"]\ninput = 1\noutput = 1", `prices.toml: [prices."gpt-["]: invalid glob: syntax error in pattern`},
		{"not a table", "[prices]\nm = 3", `prices.toml: [prices."m"]: must be a table with input and output, not 3`},
		{"prices not a table", "prices = 3", `prices.toml: prices must be a table`},
		{"empty name", "[prices.\"\"]\ninput = 1\noutput = 1", `prices.toml: [prices.""]: the model name is empty`},
		{"same name in two cases", "[prices.\"GPT-4o\"]\ninput = 1\noutput = 1\n[prices.\"gpt-4o\"]\ninput = 1\noutput = 1",
			`prices.toml: [prices."gpt-4o"]: same name as [prices."GPT-4o"]`},
		{"bad currency", "[pricing]\ncurrency = 7", `prices.toml: [pricing]: currency is 7: it must be a currency code`},
		{"bad usd_rate", "[pricing]\ncurrency = \"CNY\"\nusd_rate = 0", `prices.toml: [pricing]: usd_rate is 0: it must be a positive number`},
		{"usd_rate with USD", "[pricing]\nusd_rate = 7.2", `prices.toml: [pricing]: usd_rate is 7.2 but currency is USD`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.content)
			_, err := Load(path)
			require.Error(t, err)
			// The file is named by the path Load was given.
			msg := strings.Replace(err.Error(), path, "prices.toml", 1)
			assert.Contains(t, msg, tc.want)
			assert.True(t, strings.HasPrefix(msg, "prices.toml: "), msg)
		})
	}
}

func TestLoadMissingFileIsBuiltin(t *testing.T) {
	tab, err := Load(filepath.Join(t.TempDir(), "none.toml"))
	require.NoError(t, err)
	assert.Same(t, Builtin(), tab)
	_, err = Load(t.TempDir()) // a folder is not a missing file
	require.ErrorContains(t, err, "read prices file")
}

func TestBuiltinTable(t *testing.T) {
	p := builtinParsed()
	require.GreaterOrEqual(t, len(p.entries), 40)
	for _, e := range p.entries {
		assert.Greater(t, e.price.Input, 0.0, e.key)
		assert.Greater(t, e.price.Output, 0.0, e.key)
		assert.Equal(t, strings.ToLower(e.key), e.key, "built-in keys are vendors' (lower-case) model ids")
		for _, v := range []float64{e.price.CacheRead, e.price.CacheWrite, e.price.CacheWrite1h} {
			assert.False(t, math.IsNaN(v) || v < 0, e.key)
		}
	}
	models := Builtin().Models()
	assert.Len(t, models, len(p.entries))
	for _, l := range models {
		assert.Equal(t, SourceBuiltin, l.Source)
		assert.Empty(t, l.Note)
	}
}

func TestModelsListsFileThenBuiltin(t *testing.T) {
	tab := load(t, precedenceFile)
	models := tab.Models()
	var file []string
	for _, l := range models[:6] {
		assert.Equal(t, SourceFile, l.Source)
		file = append(file, l.Pattern)
	}
	assert.Equal(t, []string{"*-mini", "deepseek-chat", "deepseek/*", "gpt-4o", "myco/custom-model", "openai/gpt-4o"}, file)
	for _, l := range models[6:] {
		assert.Equal(t, SourceBuiltin, l.Source)
		if l.Pattern == "deepseek-chat" || l.Pattern == "gpt-4o" {
			assert.Contains(t, l.Note, "the prices file has "+l.Pattern)
		}
	}
}

func TestLookupCacheIsBounded(t *testing.T) {
	tab := load(t, "[prices.\"x-*\"]\ninput = 1\noutput = 1\n")
	for i := range cacheCap + 100 {
		_, ok := tab.Lookup("p", "x-"+strconv.Itoa(i))
		require.True(t, ok)
	}
	assert.Equal(t, cacheCap, len(tab.cache.m))
	_, ok := tab.Lookup("p", "x-after-the-cap")
	assert.True(t, ok, "past the cap lookups still resolve")
}

package pricing

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSetCreatesTheFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "prices.toml")
	old, err := Set(path, "deepseek/*", Price{Input: 0.28, Output: 0.42, CacheRead: 0.028, HasCacheRead: true})
	require.NoError(t, err)
	assert.Nil(t, old)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(data), "[pricing]\ncurrency = \"USD\"\n")
	assert.Contains(t, string(data), "\n[prices.\"deepseek/*\"]\ninput = 0.28\noutput = 0.42\ncache_read = 0.028\n")
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm())

	tab, err := Load(path)
	require.NoError(t, err)
	p, ok := tab.Lookup("deepseek", "deepseek-v4-pro")
	require.True(t, ok)
	assert.Equal(t, 0.028, p.CacheRead)
}

const editable = `# our prices
[pricing]
currency = "CNY"   # billed in yuan
usd_rate = 7.2

# DeepSeek, CNY list price
[prices."deepseek-chat"]
input = 2      # cache miss
output = 3
cache_read = 0.2   # cache hit

[prices."qwen-plus"]
input = 0.8
output = 2
`

func TestSetReplacesKeepingCommentsAndOrder(t *testing.T) {
	path := writeFile(t, editable)
	require.NoError(t, os.Chmod(path, 0o600))
	old, err := Set(path, "deepseek-chat", Price{Input: 4, Output: 16, CacheWrite: 4, HasCacheWrite: true})
	require.NoError(t, err)
	require.NotNil(t, old)
	assert.Equal(t, Price{Input: 2, Output: 3, CacheRead: 0.2, HasCacheRead: true}, *old)
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, `# our prices
[pricing]
currency = "CNY"   # billed in yuan
usd_rate = 7.2

# DeepSeek, CNY list price
[prices."deepseek-chat"]
input = 4      # cache miss
output = 16
cache_write = 4

[prices."qwen-plus"]
input = 0.8
output = 2
`, string(data))
	fi, err := os.Stat(path)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), fi.Mode().Perm(), "an edited file keeps its mode")

	// Adding appends after the last entry; CRLF files stay CRLF.
	_, err = Set(path, "glm-4.6", Price{Input: 2, Output: 8})
	require.NoError(t, err)
	data, _ = os.ReadFile(path)
	assert.Contains(t, string(data), "output = 2\n\n[prices.\"glm-4.6\"]\ninput = 2\noutput = 8\n")
	entries, err := parseFile(path, data)
	require.NoError(t, err)
	var keys []string
	for _, e := range entries.entries {
		keys = append(keys, e.key)
	}
	assert.Equal(t, []string{"deepseek-chat", "qwen-plus", "glm-4.6"}, keys)
}

func TestSetCRLFAndBareKeys(t *testing.T) {
	path := writeFile(t, "[pricing]\r\ncurrency = \"USD\"\r\n[prices.gpt-x]\r\ninput = 1\r\noutput = 2\r\n")
	_, err := Set(path, "gpt-x", Price{Input: 3, Output: 4})
	require.NoError(t, err)
	data, _ := os.ReadFile(path)
	assert.Equal(t, "[pricing]\r\ncurrency = \"USD\"\r\n[prices.gpt-x]\r\ninput = 3\r\noutput = 4\r\n", string(data))
}

func TestSetRefuses(t *testing.T) {
	broken := writeFile(t, "[prices.x]\ninput = -1\noutput = 1\n")
	_, err := Set(broken, "y", Price{Input: 1, Output: 1})
	require.ErrorContains(t, err, "input is -1: a price cannot be negative (fix the file before setting a price)")

	path := writeFile(t, editable)
	_, err = Set(path, "m", Price{Input: -1, Output: 1})
	require.ErrorContains(t, err, `[prices."m"]: input is -1: a price cannot be negative`)
	_, err = Set(path, "gpt-[", Price{Input: 1, Output: 1})
	require.ErrorContains(t, err, "invalid glob")

	// A layout the line editor does not follow is refused, the file untouched.
	inline := writeFile(t, "[prices]\n\"m\" = { input = 1, output = 2 }\n")
	_, err = Set(inline, "m", Price{Input: 5, Output: 6})
	require.ErrorContains(t, err, "edit the file by hand")
	data, _ := os.ReadFile(inline)
	assert.Equal(t, "[prices]\n\"m\" = { input = 1, output = 2 }\n", string(data))
}

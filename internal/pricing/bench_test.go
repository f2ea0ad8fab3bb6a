package pricing

import (
	"fmt"
	"strings"
	"testing"
)

// benchFile is a prices file of 50 entries: 40 provider/model and bare
// names, 10 globs.
func benchFile() string {
	var b strings.Builder
	b.WriteString("[pricing]\ncurrency = \"USD\"\n")
	for i := range 20 {
		fmt.Fprintf(&b, "[prices.\"prov%d/model-%d\"]\ninput = 1\noutput = 2\ncache_read = 0.1\n", i, i)
		fmt.Fprintf(&b, "[prices.\"bare-model-%d\"]\ninput = 1\noutput = 2\n", i)
	}
	for i := range 10 {
		fmt.Fprintf(&b, "[prices.\"glob%d/*\"]\ninput = 3\noutput = 4\n", i)
	}
	return b.String()
}

// BenchmarkLookup: every hit must stay under 1 µs with 0 allocations,
// whatever path resolves it (README, "价格与费用").
func BenchmarkLookup(b *testing.B) {
	tab, err := Load(writeFile(b, benchFile()))
	if err != nil {
		b.Fatal(err)
	}
	cases := []struct{ name, provider, model string }{
		{"file_provider_model", "prov7", "model-7"},
		{"file_bare", "any", "bare-model-13"},
		{"file_glob", "glob9", "whatever-model"},
		{"builtin", "anthropic", "claude-sonnet-4-5"},
		{"builtin_dated", "anthropic", "claude-sonnet-4-5-20250929"},
		{"builtin_prefixed_mixed_case", "openrouter", "Anthropic/Claude-Sonnet-4-5"},
		{"miss", "nobody", "no-such-model"},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			var cost float64
			for b.Loop() {
				p, _ := tab.Lookup(c.provider, c.model)
				cost += p.Cost(Tokens{Prompt: 1000, Completion: 100, CacheRead: 500})
			}
			_ = cost
		})
	}
	// What a lookup costs once the cache is full (cacheCap names seen):
	// the resolution itself, allocations included.
	b.Run("uncached_resolve_glob", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			tab.resolve("glob9", "Whatever-Model-2025-01-01")
		}
	})
	b.Run("parallel_mix", func(b *testing.B) {
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				c := cases[i%len(cases)]
				tab.Lookup(c.provider, c.model)
				i++
			}
		})
	})
}

// TestLookupDoesNotAllocate holds the benchmark's promise in every test
// run: after the first lookup of a name, no path allocates.
func TestLookupDoesNotAllocate(t *testing.T) {
	tab, err := Load(writeFile(t, benchFile()))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range [][2]string{
		{"prov7", "model-7"}, {"any", "bare-model-13"}, {"glob9", "m"},
		{"anthropic", "claude-sonnet-4-5-20250929"}, {"OR", "Anthropic/Claude-Sonnet-4-5"}, {"x", "no-such-model"},
	} {
		tab.Lookup(c[0], c[1])
		if n := testing.AllocsPerRun(100, func() { tab.Lookup(c[0], c[1]) }); n != 0 {
			t.Errorf("Lookup(%q, %q): %v allocations", c[0], c[1], n)
		}
	}
}

package bench

import (
	"testing"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

// BenchmarkKeyPick is provider.Pool.Pick per strategy, with the skip
// function the gateway passes (a map of keys this request already tried).
func BenchmarkKeyPick(b *testing.B) {
	keys := []string{"sk-bench-key-0001", "sk-bench-key-0002", "sk-bench-key-0003", "sk-bench-key-0004"}
	for _, strategy := range []string{config.StrategyFirst, config.StrategyRoundRobin, config.StrategyRandom} {
		name := strategy
		if name == "" {
			name = "first"
		}
		pool := provider.NewPool(keys, strategy)
		b.Run(name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				tried := make(map[*provider.Key]bool, 3)
				k := pool.Pick(func(k *provider.Key) bool { return tried[k] })
				if k == nil {
					b.Fatal("no key")
				}
				tried[k] = true
			}
		})
		// Every request of a provider shares the round-robin counter:
		// this is its cost under contention from both cores.
		b.Run(name+"/parallel", func(b *testing.B) {
			b.ReportAllocs()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if pool.Pick(nil) == nil {
						b.Fatal("no key")
					}
				}
			})
		})
	}
}

// benchRegistry has the shape of a real config: several providers with
// static lists, fetched models, aliases and a default provider.
func benchRegistry() *provider.Registry {
	cfg := &config.Config{
		Server:   config.Server{MaxBodyMB: 32, DefaultProvider: "openai"},
		Database: config.Database{Timezone: "UTC"},
		Providers: []config.Provider{
			{Name: "openai", Type: config.TypeOpenAI, BaseURL: "http://127.0.0.1:1/v1", APIKeys: []string{"k1", "k2"},
				Strategy: config.StrategyRoundRobin, Models: []string{"gpt-4o", "gpt-4o-mini", "o3-mini", "gpt-4.1"}},
			{Name: "deepseek", Type: config.TypeOpenAI, BaseURL: "http://127.0.0.1:1/v1", APIKeys: []string{"k"},
				Models: []string{"deepseek-chat", "deepseek-reasoner"}},
			{Name: "anthropic", Type: config.TypeAnthropic, BaseURL: "http://127.0.0.1:1", APIKeys: []string{"k"},
				Models: []string{"claude-sonnet-4-5", "claude-opus-4-1"}},
		},
	}
	reg := provider.NewRegistry(cfg, config.Aliases{
		"fast":         "gpt-4o-mini",
		"claude":       "anthropic/claude-sonnet-4-5",
		"best":         "claude", // two steps
		"GPT-4.1-Fast": "openai/gpt-4.1",
	})
	fetched := make([]provider.FetchedModel, 200)
	for i := range fetched {
		fetched[i] = provider.FetchedModel{ID: "fetched-model-" + string(rune('a'+i%26)) + string(rune('a'+i/26))}
	}
	reg.SetFetched(map[string][]provider.FetchedModel{"deepseek": fetched})
	return reg
}

// BenchmarkResolve is provider.Registry.Resolve for each model resolution rule (README.md, 模型解析规则).
func BenchmarkResolve(b *testing.B) {
	reg := benchRegistry()
	for _, c := range []struct{ name, model, want string }{
		{"prefix", "openai/gpt-4o", "openai"},
		{"static", "deepseek-chat", "deepseek"},
		{"fetched", "fetched-model-zb", "deepseek"},
		{"alias", "fast", "openai"},
		{"alias-chain", "best", "anthropic"},
		{"default", "unknown-model", "openai"},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				r, err := reg.Resolve(c.model)
				if err != nil || r.Provider.Name != c.want {
					b.Fatalf("%s: %v %v", c.model, r.Provider, err)
				}
			}
		})
	}
}

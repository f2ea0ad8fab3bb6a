package provider

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

func TestPoolStrategies(t *testing.T) {
	keys := []string{"k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb", "k3-cccccccccccccccc"}
	pick := func(p *Pool, n int) []string {
		var out []string
		for i := 0; i < n; i++ {
			out = append(out, p.Pick(nil).Secret[:2])
		}
		return out
	}
	assert.Equal(t, []string{"k1", "k2", "k3", "k1", "k2", "k3"}, pick(NewPool(keys, config.StrategyRoundRobin), 6))
	assert.Equal(t, []string{"k1", "k1", "k1", "k1"}, pick(NewPool(keys, config.StrategyFirst), 4))

	seen := map[string]int{}
	for _, k := range pick(NewPool(keys, config.StrategyRandom), 300) {
		seen[k]++
	}
	assert.Len(t, seen, 3, "random uses every key")
	for k, n := range seen {
		assert.Greater(t, n, 50, "key %s picked too rarely for a uniform choice", k)
	}
}

func TestRoundRobinSharedAcrossGoroutines(t *testing.T) {
	p := NewPool([]string{"a-0000000000000000", "b-0000000000000000"}, config.StrategyRoundRobin)
	var mu sync.Mutex
	count := map[string]int{}
	var wg sync.WaitGroup
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for j := 0; j < 500; j++ {
				k := p.Pick(nil)
				mu.Lock()
				count[k.Secret]++
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	assert.Equal(t, 2000, count["a-0000000000000000"])
	assert.Equal(t, 2000, count["b-0000000000000000"])
}

func TestPickSkipsTried(t *testing.T) {
	p := NewPool([]string{"k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb"}, config.StrategyFirst)
	tried := map[*Key]bool{}
	k := p.Pick(func(k *Key) bool { return tried[k] })
	tried[k] = true
	k2 := p.Pick(func(k *Key) bool { return tried[k] })
	require.NotNil(t, k2)
	assert.NotEqual(t, k, k2)
	tried[k2] = true
	assert.Nil(t, p.Pick(func(k *Key) bool { return tried[k] }))
}

func testRegistry(t *testing.T, aliases config.Aliases, defaultProvider string) *Registry {
	t.Helper()
	cfg := &config.Config{
		Server: config.Server{DefaultProvider: defaultProvider},
		Providers: []config.Provider{
			{Name: "openai", Type: "openai", APIKeys: []string{"k"}, Models: []string{"gpt-4o", "shared"}},
			{Name: "openrouter", Type: "openai", APIKeys: []string{"k"}, Models: []string{"shared"}},
			{Name: "claude", Type: "anthropic", APIKeys: []string{"k"}},
		},
	}
	return NewRegistry(cfg, aliases)
}

func TestResolve(t *testing.T) {
	r := testRegistry(t, config.Aliases{"GPT-4.1-Fast": "openai/gpt-4.1-mini", "fast": "GPT-4.1-Fast", "bare": "gpt-4o"}, "")
	r.SetFetched(map[string][]FetchedModel{"claude": {{ID: "claude-sonnet-4-5"}}})
	cases := []struct{ in, provider, upstream string }{
		{"openai/gpt-4o", "openai", "gpt-4o"},
		{"openrouter/anthropic/claude-3.5", "openrouter", "anthropic/claude-3.5"},
		{"gpt-4o", "openai", "gpt-4o"},
		{"shared", "openai", "shared"}, // first provider in config order
		{"claude-sonnet-4-5", "claude", "claude-sonnet-4-5"},
		{"GPT-4.1-Fast", "openai", "gpt-4.1-mini"},
		{"fast", "openai", "gpt-4.1-mini"},
		{"bare", "openai", "gpt-4o"},
	}
	for _, tc := range cases {
		route, err := r.Resolve(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.provider, route.Provider.Name, tc.in)
		assert.Equal(t, tc.upstream, route.UpstreamModel, tc.in)
	}
	_, err := r.Resolve("gpt-4.1-fast") // aliases are case-sensitive
	assert.ErrorIs(t, err, ErrModelNotFound)
	_, err = r.Resolve("nope/model")
	assert.ErrorIs(t, err, ErrModelNotFound)

	withDefault := testRegistry(t, nil, "openrouter")
	route, err := withDefault.Resolve("whatever-model")
	require.NoError(t, err)
	assert.Equal(t, "openrouter", route.Provider.Name)
	assert.Equal(t, "whatever-model", route.UpstreamModel)
}

func TestModelsList(t *testing.T) {
	r := testRegistry(t, config.Aliases{"fast": "openai/gpt-4o"}, "")
	r.SetFetched(map[string][]FetchedModel{"claude": {{ID: "claude-b", Created: 2}, {ID: "claude-a", OwnedBy: "anthropic"}}})
	var ids []string
	for _, m := range r.Models() {
		ids = append(ids, m.ID+":"+m.Source+":"+m.OwnedBy)
	}
	assert.Equal(t, []string{
		"openai/gpt-4o:static:openai", "openai/shared:static:openai", "openrouter/shared:static:openrouter",
		"claude/claude-a:fetched:anthropic", "claude/claude-b:fetched:claude", "fast:alias:openai",
	}, ids)
}

func TestKeyHealth(t *testing.T) {
	p := NewPool([]string{"k1-aaaaaaaaaaaaaaaa", "k2-bbbbbbbbbbbbbbbb", "k3-cccccccccccccccc"}, config.StrategyRoundRobin)
	k1, k2, k3 := p.Keys()[0], p.Keys()[1], p.Keys()[2]
	k1.SetAside()
	now := time.Now()
	assert.Equal(t, 10*time.Second, k2.CoolDown(now, 10*time.Second))
	for i := 0; i < 5; i++ {
		assert.Same(t, k3, p.Pick(nil), "set-aside and cooling keys are skipped")
	}
	a := p.Availability(now)
	assert.Equal(t, Availability{Usable: 1, SetAside: 1, Cooling: 1, RetryIn: 10 * time.Second}, a)

	k3.SetAside()
	assert.Nil(t, p.Pick(nil))
	k1.Restore()
	assert.Same(t, k1, p.Pick(nil))

	// Backoff without Retry-After doubles.
	k := &Key{}
	assert.Equal(t, time.Second, k.CoolDown(now, 0))
	assert.Equal(t, 2*time.Second, k.CoolDown(now, 0))
	assert.Equal(t, 4*time.Second, k.CoolDown(now, 0))
	for i := 0; i < 30; i++ {
		k.CoolDown(now, 0)
	}
	assert.Equal(t, maxCoolDown, k.CoolDown(now, 0))
}

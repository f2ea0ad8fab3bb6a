package provider

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

func TestResolveAll(t *testing.T) {
	r := testRegistry(t, config.Aliases{"fast": "openai/gpt-4o", "to-smart": "smart", "to-to-smart": "to-smart"}, "")
	r.SetFetched(map[string][]FetchedModel{"claude": {{ID: "claude-sonnet-4-5"}}})
	r.SetRoutes(config.Routes{
		"smart": {Targets: []string{"claude-sonnet-4-5", "fast", "openrouter/x"}},
		"w": {Targets: []string{"gone-model", "claude/c", "openai/gpt-4o"}, Strategy: config.StrategyWeighted,
			Weights: []int{5, 3, 1}},
		"none": {Targets: []string{"gone-model"}, Strategy: config.StrategyLatency},
	})
	type target struct{ provider, upstream string }
	targets := func(res Resolution) []target {
		var out []target
		for _, t := range res.Targets {
			out = append(out, target{t.Provider.Name, t.UpstreamModel})
		}
		return out
	}

	res, err := r.ResolveAll("openai/gpt-4o")
	require.NoError(t, err)
	assert.Equal(t, "", res.Route, "a plain model is no route")
	assert.Equal(t, config.StrategyPriority, res.Strategy)
	assert.Equal(t, []target{{"openai", "gpt-4o"}}, targets(res))

	res, err = r.ResolveAll("fast")
	require.NoError(t, err)
	assert.Equal(t, []target{{"openai", "gpt-4o"}}, targets(res), "an alias of a model")

	smart := []target{{"claude", "claude-sonnet-4-5"}, {"openai", "gpt-4o"}, {"openrouter", "x"}}
	for _, name := range []string{"smart", "to-smart", "to-to-smart"} {
		res, err = r.ResolveAll(name)
		require.NoError(t, err, name)
		assert.Equal(t, "smart", res.Route, name)
		assert.Equal(t, config.StrategyPriority, res.Strategy, "priority is the default")
		assert.Equal(t, smart, targets(res), "%s: targets in order, the one via an alias resolved", name)
		assert.Nil(t, res.Weights)
		for _, tg := range res.Targets {
			assert.Equal(t, name, tg.Requested, "Requested is what the client asked for")
		}
	}

	res, err = r.ResolveAll("w")
	require.NoError(t, err)
	assert.Equal(t, config.StrategyWeighted, res.Strategy)
	assert.Equal(t, []target{{"claude", "c"}, {"openai", "gpt-4o"}}, targets(res), "a target that no longer resolves is skipped")
	assert.Equal(t, []int{3, 1}, res.Weights, "weights stay aligned with the surviving targets")

	_, err = r.ResolveAll("none")
	assert.ErrorIs(t, err, ErrModelNotFound, "a route left with no target")
	_, err = r.ResolveAll("nope/model")
	assert.ErrorIs(t, err, ErrModelNotFound)
}

func TestModelsListsRoutes(t *testing.T) {
	r := testRegistry(t, config.Aliases{"to-smart": "smart"}, "")
	r.SetRoutes(config.Routes{"smart": {Targets: []string{"gone-model", "claude/c", "openai/gpt-4o"}}})
	var got []ModelEntry
	for _, m := range r.Models() {
		if m.Source == "alias" || m.Source == "route" {
			got = append(got, m)
		}
	}
	assert.Equal(t, []ModelEntry{
		{ID: "to-smart", OwnedBy: "claude", Source: "alias", Target: "smart"},
		{ID: "smart", OwnedBy: "claude", Source: "route", Target: "gone-model, claude/c, openai/gpt-4o"},
	}, got)
	assert.True(t, r.Lists("gpt-4o"))
	assert.False(t, r.Lists("gone-model"))
	assert.Equal(t, []string{"openai", "openrouter", "claude"}, r.ProviderNames())
}

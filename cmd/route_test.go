package cmd

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

const routeRedirect = `# hand-written
[aliases]
"fast" = "openai/gpt-4o-mini" # the cheap one

# Claude first, OpenAI behind it
[routes."smart"]
targets = ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]   # keep me
strategy = "priority"
`

func catRouteEnv(t *testing.T) *catEnv {
	t.Helper()
	e := catAliasEnv(t)
	require.NoError(t, os.WriteFile(e.redirect, []byte(routeRedirect), 0o600))
	return e
}

func (e *catEnv) redirectFile(t *testing.T) config.Redirect {
	t.Helper()
	r, err := config.LoadRedirect(e.redirect)
	require.NoError(t, err)
	return r
}

func TestRouteSetCreatesReplacesAndKeepsComments(t *testing.T) {
	e := catRouteEnv(t)

	out := e.mustRun(t, "route", "set", "Mini.Pool", "fast", "openai/gpt-4o", "--weights", "3,1")
	assert.Contains(t, out, "route Mini.Pool (weighted): fast ×3, openai/gpt-4o ×1")
	assert.Contains(t, out, "fast -> openai/gpt-4o-mini")
	assert.Contains(t, out, "reloads it within a second")
	out = e.mustRun(t, "route", "set", "smart", "openai/gpt-4o", "anthropic/claude-sonnet-4-5", "--strategy", "latency")
	assert.Contains(t, out, "route smart (latency): openai/gpt-4o, anthropic/claude-sonnet-4-5 (was priority: anthropic/claude-sonnet-4-5, openai/gpt-4o)")

	data, err := os.ReadFile(e.redirect)
	require.NoError(t, err)
	assert.Equal(t, `# hand-written
[aliases]
"fast" = "openai/gpt-4o-mini" # the cheap one

# Claude first, OpenAI behind it
[routes."smart"]
targets = ["openai/gpt-4o", "anthropic/claude-sonnet-4-5"]   # keep me
strategy = "latency"

[routes."Mini.Pool"]
targets = ["fast", "openai/gpt-4o"]
strategy = "weighted"
weights = [3, 1]
`, string(data), "aliases, comments and the other route kept")

	r := e.redirectFile(t)
	assert.Equal(t, config.Aliases{"fast": "openai/gpt-4o-mini"}, r.Aliases)
	assert.Len(t, r.Routes, 2)

	out = e.mustRun(t, "route", "rm", "Mini.Pool")
	assert.Contains(t, out, "removed route Mini.Pool (was weighted: fast ×3, openai/gpt-4o ×1); 1 left")
	data, _ = os.ReadFile(e.redirect)
	assert.NotContains(t, string(data), "Mini.Pool")
	assert.Contains(t, string(data), "# keep me")
	_, _, err = e.run(t, "route", "rm", "mini.pool")
	require.ErrorContains(t, err, `no route "mini.pool"`)
	require.ErrorContains(t, err, "routes: smart")

	// Alias commands keep the routes.
	e.mustRun(t, "alias", "set", "claude", "anthropic/claude-sonnet-4-5")
	assert.Len(t, e.redirectFile(t).Routes, 1)
	assert.Contains(t, e.mustRun(t, "route", "list"), "smart")
}

func TestRouteSetRefusals(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown provider", []string{"r", "nope/x"}, `routes."r": targets[0] "nope/x": "nope" is not a configured provider (providers: openai, anthropic)`},
		{"target is a route", []string{"r", "smart"}, `targets[0] "smart" is route "smart"`},
		{"name is an alias", []string{"fast", "openai/gpt-4o"}, `"fast" is also an alias`},
		{"weights count", []string{"r", "openai/gpt-4o", "fast", "--weights", "3,1,1"}, `routes."r": weights has 3 entries for 2 targets`},
		{"weights on priority", []string{"r", "openai/gpt-4o", "--strategy", "priority", "--weights", "1"}, "weights are for strategy"},
		{"weighted without weights", []string{"r", "openai/gpt-4o", "--strategy", "weighted"}, "needs weights"},
		{"zero weight", []string{"r", "openai/gpt-4o", "fast", "--weights", "1,0"}, "weights[1] is 0"},
		{"unknown strategy", []string{"r", "openai/gpt-4o", "--strategy", "fastest"}, `unknown strategy "fastest"`},
		{"duplicate", []string{"r", "openai/gpt-4o-mini", "fast"}, `duplicates targets[0]`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := catRouteEnv(t)
			_, _, err := e.run(t, append([]string{"route", "set"}, tc.args...)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "refused")
			assert.Contains(t, err.Error(), tc.want)
			data, _ := os.ReadFile(e.redirect)
			assert.Equal(t, routeRedirect, string(data), "a refused route leaves the file unchanged")
		})
	}

	// An alias may not become a route's name, nor break a route's target.
	e := catRouteEnv(t)
	_, _, err := e.run(t, "alias", "set", "smart", "openai/gpt-4o")
	require.ErrorContains(t, err, `"smart" is also an alias`)
	data, _ := os.ReadFile(e.redirect)
	assert.Equal(t, routeRedirect, string(data))
}

func TestRouteList(t *testing.T) {
	e := catRouteEnv(t)
	e.mustRun(t, "route", "set", "w", "fast", "nowhere-model", "--weights", "2,1")
	var rows []routeRow
	out := e.mustRun(t, "route", "list", "--json")
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	assert.Equal(t, []routeRow{
		{Route: "smart", Strategy: "priority", Targets: []routeTargetRow{
			{Target: "anthropic/claude-sonnet-4-5", Provider: "anthropic", UpstreamModel: "claude-sonnet-4-5"},
			{Target: "openai/gpt-4o", Provider: "openai", UpstreamModel: "gpt-4o"},
		}},
		{Route: "w", Strategy: "weighted", Targets: []routeTargetRow{
			{Target: "fast", Weight: 2, Provider: "openai", UpstreamModel: "gpt-4o-mini"},
			{Target: "nowhere-model", Weight: 1},
		}},
	}, rows)

	out = e.mustRun(t, "route", "list")
	assert.Contains(t, out, "(unknown: skipped)")
	assert.Contains(t, out, "openai/gpt-4o-mini")
	assert.Contains(t, out, "2 routes in "+e.redirect)
	assert.Less(t, strings.Index(out, "smart"), strings.Index(out, "nowhere-model"), "routes in name order")

	out = e.mustRun(t, "config", "check")
	assert.Contains(t, out, "routes from "+e.redirect+": 2")
}

func TestRouteFlagsReachTheOptions(t *testing.T) {
	f, _, _ := testFactory(t, "unused.toml")
	var set *routeSetOptions
	c := newCmdRouteSet(f, func(o *routeSetOptions) error { set = o; return nil })
	c.SetArgs([]string{"smart", "a/1", "b/2", "--weights", "3,1"})
	require.NoError(t, c.Execute())
	assert.Equal(t, "smart", set.name)
	assert.Equal(t, []string{"a/1", "b/2"}, set.targets)
	assert.Equal(t, "weighted", set.strategy, "--weights alone means weighted")
	assert.Equal(t, []int{3, 1}, set.weights)

	c = newCmdRouteSet(f, func(o *routeSetOptions) error { set = o; return nil })
	c.SetArgs([]string{"smart", "a/1"})
	require.NoError(t, c.Execute())
	assert.Equal(t, "priority", set.strategy)
	c = newCmdRouteSet(f, func(*routeSetOptions) error { t.Fatal("no target must stop before the run"); return nil })
	c.SetArgs([]string{"smart"})
	require.Error(t, c.Execute())
}

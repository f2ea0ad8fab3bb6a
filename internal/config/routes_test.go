package config

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRoutesParse(t *testing.T) {
	r, err := parseRedirect("r.toml", []byte(`
[aliases]
"fast" = "openai/gpt-4o-mini"
"to-smart" = "Smart.V1"

[routes."Smart.V1"]
targets = ["anthropic/claude-sonnet-4-5", "fast"]

[routes.w]
targets = ["a/1", "b/1"]
strategy = "weighted"
weights = [3, 1]
`))
	require.NoError(t, err)
	assert.Equal(t, Routes{
		"Smart.V1": {Targets: []string{"anthropic/claude-sonnet-4-5", "fast"}},
		"w":        {Targets: []string{"a/1", "b/1"}, Strategy: "weighted", Weights: []int{3, 1}},
	}, r.Routes, "names keep case and dots")
	assert.Equal(t, "priority", r.Routes["Smart.V1"].StrategyOrDefault())
}

func TestRouteErrors(t *testing.T) {
	cases := []struct{ name, file, want string }{
		{"empty targets", "[routes.s]\ntargets = []\n", `routes."s": targets is empty`},
		{"no targets key", "[routes.s]\nstrategy = \"latency\"\n", `routes."s": targets is empty`},
		{"empty target", "[routes.s]\ntargets = [\"a/1\", \" \"]\n", `routes."s": targets[1] is empty`},
		{"target is a route", "[routes.s]\ntargets = [\"t\"]\n[routes.t]\ntargets = [\"a/1\"]\n", `routes."s": targets[0] "t" is route "t"`},
		{"target is a route through an alias", "[aliases]\nx = \"t\"\n[routes.s]\ntargets = [\"x\"]\n[routes.t]\ntargets = [\"a/1\"]\n",
			`routes."s": targets[0] "x" is route "t" (through alias "x")`},
		{"weights on priority", "[routes.s]\ntargets = [\"a/1\"]\nweights = [1]\n", `routes."s": weights are for strategy "weighted" only (strategy is "priority")`},
		{"weights on latency", "[routes.s]\ntargets = [\"a/1\"]\nstrategy = \"latency\"\nweights = [1]\n", `strategy is "latency"`},
		{"weighted without weights", "[routes.s]\ntargets = [\"a/1\"]\nstrategy = \"weighted\"\n", `routes."s": strategy "weighted" needs weights`},
		{"weights count", "[routes.smart]\ntargets = [\"a/1\", \"b/1\"]\nstrategy = \"weighted\"\nweights = [3, 1, 1]\n",
			`redirect file r.toml: routes."smart": weights has 3 entries for 2 targets`},
		{"weight not positive", "[routes.s]\ntargets = [\"a/1\", \"b/1\"]\nstrategy = \"weighted\"\nweights = [3, 0]\n", `routes."s": weights[1] is 0`},
		{"unknown strategy", "[routes.s]\ntargets = [\"a/1\"]\nstrategy = \"random\"\n", `routes."s": unknown strategy "random"`},
		{"alias and route", "[aliases]\ns = \"a/1\"\n[routes.s]\ntargets = [\"a/2\"]\n", `routes."s": "s" is also an alias`},
		{"duplicate target", "[routes.s]\ntargets = [\"a/1\", \"a/1\"]\n", `routes."s": targets[1] "a/1" duplicates targets[0] "a/1"`},
		{"duplicate through an alias", "[aliases]\nf = \"a/1\"\n[routes.s]\ntargets = [\"a/1\", \"f\"]\n", `duplicates targets[0] "a/1" (both are "a/1")`},
		{"unknown key in a route", "[routes.s]\ntargets = [\"a/1\"]\ntarget = \"x\"\n", `unknown key(s) routes.s.target`},
		{"unknown table", "[route.s]\ntargets = [\"a/1\"]\n", "route.s.targets"},
		{"unquoted dotted name", "[routes.gpt-4.1]\ntargets = [\"a/1\"]\n", "routes.gpt-4.1.targets"},
		{"wrong type", "[routes.s]\ntargets = \"a/1\"\n", "not valid TOML"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := parseRedirect("r.toml", []byte(tc.file))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "redirect file r.toml")
		})
	}
}

func TestRouteCheckProviders(t *testing.T) {
	r := Redirect{Path: "r.toml", Aliases: Aliases{"f": "nope/x", "ok": "openai/gpt-4o"},
		Routes: Routes{"s": {Targets: []string{"openai/gpt-4o", "bare-model", "ok", "meta/llama"}}}}
	require.NoError(t, r.CheckProviders([]string{"openai"}, func(m string) bool { return m == "meta/llama" }))
	err := r.CheckProviders([]string{"openai"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `redirect file r.toml: routes."s": targets[3] "meta/llama": "meta" is not a configured provider (providers: openai)`)

	r.Routes["s"] = Route{Targets: []string{"f", "openai/"}}
	err = r.CheckProviders([]string{"openai"}, nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `targets[0] "f" (alias of "nope/x"): "nope" is not a configured provider`)
	assert.Contains(t, err.Error(), `targets[1] "openai/" names provider openai but no model`)
}

const routesFile = `# my gateway's redirects
[aliases]
"fast" = "openai/gpt-4o-mini" # cheap

# the smart one
[routes."smart"]
# Claude first
targets = ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]   # keep this comment
strategy = "priority"

[routes.old]
targets = ["openai/gpt-4o"]

# trailing note
`

func TestWriteRoutesEditCases(t *testing.T) {
	smart := Route{Targets: []string{"anthropic/claude-sonnet-4-5", "openai/gpt-4o"}, Strategy: "priority"}
	old := Route{Targets: []string{"openai/gpt-4o"}}
	cases := []struct {
		name, in string
		next     Routes
		want     string
	}{
		{"change targets and strategy keeps comments", routesFile, Routes{
			"smart": {Targets: []string{"openai/gpt-4o", "fast"}, Strategy: "weighted", Weights: []int{3, 1}}, "old": old},
			`# my gateway's redirects
[aliases]
"fast" = "openai/gpt-4o-mini" # cheap

# the smart one
[routes."smart"]
# Claude first
targets = ["openai/gpt-4o", "fast"]   # keep this comment
strategy = "weighted"
weights = [3, 1]

[routes.old]
targets = ["openai/gpt-4o"]

# trailing note
`},
		{"remove one", routesFile, Routes{"smart": smart}, `# my gateway's redirects
[aliases]
"fast" = "openai/gpt-4o-mini" # cheap

# the smart one
[routes."smart"]
# Claude first
targets = ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]   # keep this comment
strategy = "priority"

# trailing note
`},
		{"add one, drop a key", routesFile, Routes{"smart": {Targets: smart.Targets}, "old": old, "New.1": {Targets: []string{"a/1"}, Strategy: "latency"}},
			`# my gateway's redirects
[aliases]
"fast" = "openai/gpt-4o-mini" # cheap

# the smart one
[routes."smart"]
# Claude first
targets = ["anthropic/claude-sonnet-4-5", "openai/gpt-4o"]   # keep this comment

[routes.old]
targets = ["openai/gpt-4o"]

# trailing note

[routes."New.1"]
targets = ["a/1"]
strategy = "latency"
`},
		{"multi-line array is written afresh", "[routes.s]\n# note\ntargets = [\n  \"a/1\",\n]\n", Routes{"s": {Targets: []string{"b/1"}}},
			"[routes.s]\n# note\ntargets = [\"b/1\"]\n"},
		{"an alias named routes-x is no route", "[aliases]\n\"routes-x\" = \"a/1\" # mine\n", Routes{"s": {Targets: []string{"routes-x"}}},
			"[aliases]\n\"routes-x\" = \"a/1\" # mine\n\n[routes.\"s\"]\ntargets = [\"routes-x\"]\n"},
		{"dotted keys are rewritten whole", "routes.s.targets = [\"a/1\"]\n", Routes{"s": {Targets: []string{"b/1"}}},
			"# Model aliases for aigw (redirect file). Edited by `aigw alias set/rm`;\n# an alias maps to a bare model name or to provider/model.\n" +
				"# A route serves one name from several targets with failover (`aigw route set/rm`).\n\n[routes.\"s\"]\ntargets = [\"b/1\"]\n"},
		{"crlf kept", "[aliases]\r\n\"f\" = \"a/1\"\r\n", Routes{"s": {Targets: []string{"f"}}},
			"[aliases]\r\n\"f\" = \"a/1\"\r\n\r\n[routes.\"s\"]\r\ntargets = [\"f\"]\r\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "redirect.toml")
			require.NoError(t, os.WriteFile(p, []byte(tc.in), 0o600))
			cur, err := LoadRedirect(p)
			require.NoError(t, err)
			cur.Routes = tc.next
			require.NoError(t, WriteRedirect(p, cur))
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			back, err := LoadRedirect(p)
			require.NoError(t, err)
			assert.Equal(t, tc.next, back.Routes)
			assert.Equal(t, cur.Aliases, back.Aliases)
		})
	}
}

func TestWriteRedirectRefusesAndFresh(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redirect.toml")
	require.NoError(t, os.WriteFile(p, []byte(routesFile), 0o600))
	bad := Redirect{Aliases: Aliases{"fast": "x/1"}, Routes: Routes{"s": {Targets: []string{"a/1"}, Weights: []int{1}}}}
	require.ErrorContains(t, WriteRedirect(p, bad), `routes."s": weights are for strategy "weighted" only`)
	got, _ := os.ReadFile(p)
	assert.Equal(t, routesFile, string(got), "a refused write leaves the file as it was")

	fresh := filepath.Join(t.TempDir(), "new.toml")
	r := Redirect{Aliases: Aliases{}, Routes: Routes{"s": {Targets: []string{"a/1", "b/2"}, Strategy: "weighted", Weights: []int{2, 1}}}}
	require.NoError(t, WriteRedirect(fresh, r))
	back, err := LoadRedirect(fresh)
	require.NoError(t, err)
	assert.Equal(t, r.Routes, back.Routes)
	assert.Empty(t, back.Aliases)
}

func TestWriteAliasesGoBeforeRoutes(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redirect.toml")
	in := "# top\n\n# the route\n[routes.s]\ntargets = [\"a/1\"]\n"
	require.NoError(t, os.WriteFile(p, []byte(in), 0o600))
	require.NoError(t, writeAliases(p, Aliases{"f": "a/2"}))
	got, _ := os.ReadFile(p)
	assert.Equal(t, "# top\n\n[aliases]\n\"f\" = \"a/2\"\n\n# the route\n[routes.s]\ntargets = [\"a/1\"]\n", string(got))
}

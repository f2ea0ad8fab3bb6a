package config

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAliasesKeepCaseAndDots(t *testing.T) {
	a, err := parseAliases("r.toml", []byte(`
[aliases]
"GPT-4.1-Fast" = "openai/gpt-4.1-mini"
"gpt-4.1-fast" = "other"
"claude" = "anthropic/claude-sonnet-4-5"
"c" = "claude"
`))
	require.NoError(t, err)
	assert.Equal(t, "openai/gpt-4.1-mini", a["GPT-4.1-Fast"])
	assert.Equal(t, "other", a["gpt-4.1-fast"])
	got, err := a.Resolve("c")
	require.NoError(t, err)
	assert.Equal(t, "anthropic/claude-sonnet-4-5", got)
	got, _ = a.Resolve("not-an-alias")
	assert.Equal(t, "not-an-alias", got)
}

func TestAliasErrors(t *testing.T) {
	_, err := parseAliases("r.toml", []byte("[aliases]\n\"a\" = \"b\"\n\"b\" = \"a\"\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "cycle")
	assert.Contains(t, err.Error(), "r.toml")

	_, err = parseAliases("r.toml", []byte("[alias]\n\"a\" = \"b\"\n"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "unknown key")

	long := Aliases{}
	names := []string{"a0", "a1", "a2", "a3", "a4", "a5", "a6", "a7", "a8", "a9"}
	for i := 0; i < len(names)-1; i++ {
		long[names[i]] = names[i+1]
	}
	_, err = long.Resolve("a0")
	assert.Error(t, err, "chains longer than 8 steps are refused")
}

func TestWriteAliasesRoundTrip(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redirect.toml")
	in := Aliases{"GPT-4.1-Fast": "openai/gpt-4.1", `we"ird\name`: "x"}
	require.NoError(t, writeAliases(p, in))
	out, err := LoadAliases(p)
	require.NoError(t, err)
	assert.Equal(t, in, out)
	require.Error(t, writeAliases(p, Aliases{"a": "b", "b": "a"}), "a cycle is never written")
	out, _ = LoadAliases(p)
	assert.Equal(t, in, out, "the file is unchanged after a refused write")
	entries, _ := os.ReadDir(filepath.Dir(p))
	assert.Len(t, entries, 1, "no temp files left behind")
}

func TestWatchRedirect(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redirect.toml")
	require.NoError(t, writeAliases(p, Aliases{"a": "x/1"}))
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	changes := make(chan Redirect, 4)
	errs := make(chan error, 4)
	require.NoError(t, WatchRedirect(ctx, p, func(r Redirect) { changes <- r }, func(err error) { errs <- err }))

	require.NoError(t, WriteRedirect(p, Redirect{Aliases: Aliases{"a": "x/2"}, Routes: Routes{"r": {Targets: []string{"a", "y/1"}}}}))
	select {
	case r := <-changes:
		assert.Equal(t, "x/2", r.Aliases["a"])
		assert.Equal(t, []string{"a", "y/1"}, r.Routes["r"].Targets)
	case <-time.After(5 * time.Second):
		t.Fatal("no reload after the file changed")
	}
	require.NoError(t, os.WriteFile(p, []byte("[aliases\nbroken"), 0o600))
	select {
	case err := <-errs:
		assert.Contains(t, err.Error(), "not valid TOML")
	case <-time.After(5 * time.Second):
		t.Fatal("a broken file was not reported")
	}
}

// commented is a hand-kept redirect file: comments, blank lines, a bare
// key, a literal string and a trailing comment.
const commented = `# Model aliases, kept by hand.
# Keep the cheap ones first.

[aliases]
# fast tier
"fast" = "GPT-4.1-Fast"   # the quick one
"GPT-4.1-Fast" = "mock-openai/mock-gpt-4o-mini"

# claude tier
claude = 'mock-claude/claude-mock-sonnet-4-5'
"gpt-4o" = "mock-openai/mock-gpt-4o"

# trailing notes stay at the end
`

func TestWriteAliasesKeepsCommentsAndOrder(t *testing.T) {
	p := filepath.Join(t.TempDir(), "redirect.toml")
	require.NoError(t, os.WriteFile(p, []byte(commented), 0o644))
	a, err := LoadAliases(p)
	require.NoError(t, err)

	// Change one, add one, remove one.
	a["fast"] = "gpt-4o"
	a["Mini.V2"] = "mock-openai/mock-gpt-4o-mini"
	delete(a, "claude")
	require.NoError(t, writeAliases(p, a))

	got, err := os.ReadFile(p)
	require.NoError(t, err)
	want := `# Model aliases, kept by hand.
# Keep the cheap ones first.

[aliases]
# fast tier
"fast" = "gpt-4o"   # the quick one
"GPT-4.1-Fast" = "mock-openai/mock-gpt-4o-mini"

# claude tier
"gpt-4o" = "mock-openai/mock-gpt-4o"
"Mini.V2" = "mock-openai/mock-gpt-4o-mini"

# trailing notes stay at the end
`
	assert.Equal(t, want, string(got))
	back, err := LoadAliases(p)
	require.NoError(t, err)
	assert.Equal(t, a, back)
	entries, _ := os.ReadDir(filepath.Dir(p))
	assert.Len(t, entries, 1, "no temp files left behind")
	fi, err := os.Stat(p)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o644), fi.Mode().Perm(), "the file keeps its mode")
}

func TestWriteAliasesEditCases(t *testing.T) {
	cases := []struct {
		name, in string
		next     Aliases
		want     string
	}{
		{"no table yet", "# only a comment\n", Aliases{"a": "x/1"}, "# only a comment\n\n[aliases]\n\"a\" = \"x/1\"\n"},
		{"empty table", "[aliases]\n", Aliases{"a": "x/1"}, "[aliases]\n\"a\" = \"x/1\"\n"},
		{"crlf kept", "# c\r\n[aliases]\r\n\"a\" = \"x/1\"\r\n", Aliases{"a": "x/2", "b": "y"}, "# c\r\n[aliases]\r\n\"a\" = \"x/2\"\r\n\"b\" = \"y\"\r\n"},
		{"remove the last", "[aliases]\n# keep me\n\"a\" = \"x/1\"\n", Aliases{}, "[aliases]\n# keep me\n"},
		{"hash inside a value", "[aliases]\n\"a\" = \"x#1\" # note\n", Aliases{"a": "x#2"}, "[aliases]\n\"a\" = \"x#2\" # note\n"},
		{"unchanged line untouched", "[aliases]\n  a   =   \"x/1\"\n", Aliases{"a": "x/1", "b": "y"}, "[aliases]\n  a   =   \"x/1\"\n\"b\" = \"y\"\n"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "redirect.toml")
			require.NoError(t, os.WriteFile(p, []byte(tc.in), 0o600))
			require.NoError(t, writeAliases(p, tc.next))
			got, err := os.ReadFile(p)
			require.NoError(t, err)
			assert.Equal(t, tc.want, string(got))
			back, err := LoadAliases(p)
			require.NoError(t, err)
			assert.Equal(t, tc.next, back)
		})
	}
}

// parseAliases parses redirect file content and returns its aliases.
func parseAliases(path string, data []byte) (Aliases, error) {
	r, err := parseRedirect(path, data)
	return r.Aliases, err
}

// writeAliases replaces the aliases of the file at path, as alias set does.
func writeAliases(path string, a Aliases) error {
	r, err := LoadRedirect(path)
	if err != nil {
		return err
	}
	r.Aliases = a
	return WriteRedirect(path, r)
}

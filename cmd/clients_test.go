package cmd

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/store"
)

// runAll runs a command and returns stdout and stderr together.
func (e *logsEnv) runAll(t *testing.T, args ...string) (string, string, error) {
	t.Helper()
	return execCLI(context.Background(), e.cfgPath, args...)
}

var keyRE = regexp.MustCompile(`sk-aigw-[0-9A-Za-z]{40}`)

// TestClientKeysNeverLeak runs every clients command and looks for the key
// in each output but the one create or rotate printed, and in every byte
// of the SQLite files.
func TestClientKeysNeverLeak(t *testing.T) {
	e := newLogsEnv(t)
	out, errOut, err := e.runAll(t, "clients", "create", "alice", "--models", "gpt-4o*,smart", "--rpm", "60",
		"--budget", "50", "--period", "month", "--expires", "2099-12-31", "--note", "team a")
	require.NoError(t, err, errOut)
	keys := keyRE.FindAllString(out, -1)
	require.Len(t, keys, 1, "create prints the key once: %s", out)
	key := keys[0]
	assert.Contains(t, out, "shown only this once")
	assert.NotContains(t, errOut, key)

	_, _, err = e.runAll(t, "clients", "create", "alice")
	require.ErrorContains(t, err, `"alice"`)
	require.ErrorContains(t, err, "already exists")

	var outputs []string
	run := func(args ...string) string {
		t.Helper()
		o, eo, err := e.runAll(t, args...)
		require.NoError(t, err, "%v: %s", args, eo)
		outputs = append(outputs, o, eo)
		return o
	}
	list := run("clients", "list")
	assert.Contains(t, list, "alice")
	assert.Contains(t, list, "sk-aigw-..."+key[len(key)-4:])
	assert.Contains(t, list, "gpt-4o*, smart")
	assert.Contains(t, list, "50 / month")
	assert.Contains(t, list, "2099-12-31 23:59:59 +08:00")
	assert.Contains(t, list, "active")
	run("clients", "list", "--json")
	run("clients", "show", "alice")
	run("clients", "show", "alice", "--json")
	run("clients", "update", "alice", "--rpm", "120")
	run("clients", "disable", "alice")
	assert.Contains(t, run("clients", "show", "alice"), "disabled")
	run("clients", "enable", "alice")
	run("logs", "tail", "--client", "alice", "--json")
	run("logs", "stats", "--by", "client")

	rot, rotErr, err := e.runAll(t, "clients", "rotate", "alice", "--json")
	require.NoError(t, err)
	assert.Contains(t, rotErr, "shown only this once")
	var rotated struct {
		Key     string `json:"key"`
		Name    string `json:"name"`
		KeyHint string `json:"key_hint"`
		RPM     int64  `json:"rpm"`
	}
	require.NoError(t, json.Unmarshal([]byte(rot), &rotated))
	assert.Equal(t, "alice", rotated.Name)
	assert.EqualValues(t, 120, rotated.RPM)
	require.Regexp(t, keyRE, rotated.Key)
	assert.NotEqual(t, key, rotated.Key)
	assert.Equal(t, 1, strings.Count(rot, rotated.Key))
	assert.NotContains(t, rot, key)
	run("clients", "list", "--json")
	run("clients", "show", "alice")

	for i, o := range outputs {
		assert.NotContains(t, o, key[len("sk-aigw-"):], "output %d shows the key", i)
		assert.NotContains(t, o, rotated.Key[len("sk-aigw-"):], "output %d shows the rotated key", i)
	}
	matches, err := filepath.Glob(e.db.DSN + "*")
	require.NoError(t, err)
	require.NotEmpty(t, matches)
	for _, p := range matches {
		data, err := os.ReadFile(p)
		require.NoError(t, err)
		for _, k := range []string{key, rotated.Key} {
			assert.False(t, bytes.Contains(data, []byte(k[len("sk-aigw-"):])), "%s holds a key", p)
		}
	}

	run("clients", "rm", "alice")
	_, _, err = e.runAll(t, "clients", "show", "alice")
	require.ErrorContains(t, err, "no such client")
}

func TestClientsFlagsAreChecked(t *testing.T) {
	e := newLogsEnv(t)
	bad := map[string][]string{
		"negative rpm":          {"create", "a", "--rpm", "-1"},
		"negative tpm":          {"create", "a", "--tpm", "-5"},
		"budget without period": {"create", "a", "--budget", "10"},
		"period without budget": {"create", "a", "--period", "day"},
		"zero budget":           {"create", "a", "--budget", "0", "--period", "day"},
		"bad period":            {"create", "a", "--budget", "1", "--period", "year"},
		"bad glob":              {"create", "a", "--models", "gpt-[,x"},
		"bad date":              {"create", "a", "--expires", "31.12.2026"},
		"empty name":            {"create", " "},
		"control char in name":  {"create", "a\x1b[2Jb"},
		"no-budget and budget":  {"update", "a", "--no-budget", "--budget", "3"},
		"no-expiry and expires": {"update", "a", "--no-expiry", "--expires", "2030-01-01"},
		"nothing to update":     {"update", "a"},
	}
	for name, args := range bad {
		_, _, err := e.runAll(t, append([]string{"clients"}, args...)...)
		assert.Error(t, err, name)
	}
	out, _, err := e.runAll(t, "clients", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "no clients yet", "nothing was created")

	_, errOut, err := e.runAll(t, "clients", "create", "old", "--expires", "2020-01-01")
	require.NoError(t, err, "a past expiry is allowed")
	assert.Contains(t, errOut, "in the past")
	out, _, err = e.runAll(t, "clients", "show", "old")
	require.NoError(t, err)
	assert.Contains(t, out, "expired")

	// update: a period alone needs a budget; then --models "" clears the list.
	_, _, err = e.runAll(t, "clients", "update", "old", "--period", "day")
	require.ErrorContains(t, err, "needs a budget")
	_, _, err = e.runAll(t, "clients", "update", "old", "--models", "a*,b", "--budget", "5", "--period", "week", "--no-expiry")
	require.NoError(t, err)
	out, _, err = e.runAll(t, "clients", "show", "old", "--json")
	require.NoError(t, err)
	assert.Contains(t, out, `"a*"`)
	assert.Contains(t, out, `"period": "week"`)
	assert.Contains(t, out, `"state": "active"`)
	_, _, err = e.runAll(t, "clients", "update", "old", "--models", "", "--no-budget")
	require.NoError(t, err)
	out, _, err = e.runAll(t, "clients", "show", "old", "--json")
	require.NoError(t, err)
	assert.Contains(t, out, `"models": []`)
	assert.Contains(t, out, `"budget": null`)
	_, _, err = e.runAll(t, "clients", "rotate", "nobody")
	require.ErrorContains(t, err, "aigw clients list")
}

func TestClientsSpendAndLogs(t *testing.T) {
	e := newLogsEnv(t)
	_, _, err := e.runAll(t, "clients", "create", "alice", "--budget", "10", "--period", "month")
	require.NoError(t, err)
	_, _, err = e.runAll(t, "clients", "create", "bob")
	require.NoError(t, err)
	cost := func(v float64) *float64 { return &v }
	a1 := logsRow("a1", 0, "gpt-4o", "openai", 200, 10)
	a1.Client, a1.ClientKeyHint, a1.Cost = "alice", "sk-aigw-...AbC9", cost(1.25)
	a2 := logsRow("a2", 0, "gpt-4o", "openai", 200, 10)
	a2.Client, a2.Cost = "alice", cost(0.5)
	old := logsRow("a0", 0, "gpt-4o", "openai", 200, 10)
	old.Client, old.Cost = "alice", cost(100)
	old.CreatedAt = time.Now().AddDate(0, -2, 0) // an earlier month
	b1 := logsRow("b1", 0, "gpt-4o", "openai", 200, 10)
	b1.Client, b1.Cost = "bob", cost(2)
	s1 := logsRow("s1", 0, "gpt-4o", "openai", 200, 10)
	e.seed(t, a1, a2, old, b1, s1)

	out, _, err := e.runAll(t, "clients", "list", "--json")
	require.NoError(t, err)
	var views []clientView
	require.NoError(t, json.Unmarshal([]byte(out), &views))
	require.Len(t, views, 2)
	assert.InDelta(t, 1.75, *views[0].Spent, 1e-9, "alice this month")
	assert.EqualValues(t, 2, *views[0].Requests)
	require.NotNil(t, views[0].PeriodStart)
	assert.Equal(t, 1, views[0].PeriodStart.Day())
	assert.InDelta(t, 2, *views[1].Spent, 1e-9, "bob has no budget: all time")
	out, _, err = e.runAll(t, "clients", "list")
	require.NoError(t, err)
	assert.Contains(t, out, "1.7500")
	assert.Contains(t, out, "2.0000 (total)")

	out, _, err = e.runAll(t, "logs", "tail", "--client", "alice", "--json")
	require.NoError(t, err)
	assert.Equal(t, 3, strings.Count(out, `"client":"alice"`))
	assert.Contains(t, out, `"client_key_hint":"sk-aigw-...AbC9"`)
	assert.NotContains(t, out, `"bob"`)

	out, _, err = e.runAll(t, "logs", "stats", "--by", "client", "--since", "365d", "--json")
	require.NoError(t, err)
	var rows []store.StatsRow
	require.NoError(t, json.Unmarshal([]byte(out), &rows))
	groups := map[string]int64{}
	for _, r := range rows {
		groups[r.Group] = r.Requests
	}
	assert.Equal(t, map[string]int64{"alice": 3, "bob": 1, store.StaticKeyGroup: 1}, groups)
}

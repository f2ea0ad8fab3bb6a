package cmd

import (
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKeysTestClassifiesAndHidesKeys(t *testing.T) {
	oa := catOpenAIUpstream(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	dead := ln.Addr().String()
	ln.Close() // nothing listens there any more: unreachable

	e := newCatEnv(t, fmt.Sprintf(`
[[providers]]
name = "openai"
type = "openai"
base_url = "%s/v1"
api_keys = "%s,%s,%s"

[[providers]]
name = "down"
type = "openai"
base_url = "http://%s/v1"
api_keys = "%s"
connect_timeout = "2s"
`, oa.URL, catGoodKey, catBadKey, catLimitedKey, dead, catGoodKey), "")

	out, errOut, err := e.run(t, "keys", "test")
	var ee *exitError
	require.True(t, errors.As(err, &ee), "a failing key makes the command fail: %v", err)
	assert.Equal(t, 1, ee.code)
	assert.Contains(t, ee.msg, "3 of 4 keys are not ok")
	for _, s := range []string{out, errOut, ee.msg} {
		for _, k := range []string{catGoodKey, catBadKey, catLimitedKey} {
			assert.NotContains(t, s, k, "a whole key was printed")
		}
	}
	assert.Contains(t, out, "1 of 4 keys ok")
	assert.Contains(t, out, "Incorrect API key provided: sk-...bbbb", "an echoed key is replaced by its hint")

	var rows []struct {
		Provider string `json:"provider"`
		Key      string `json:"key"`
		Result   string `json:"result"`
		Status   int    `json:"status"`
	}
	out, _, err = e.run(t, "keys", "test", "--json")
	require.Error(t, err)
	require.NoError(t, json.Unmarshal([]byte(out), &rows), out)
	require.Len(t, rows, 4)
	type r = struct {
		p, k, res string
		st        int
	}
	var got []r
	for _, x := range rows {
		got = append(got, r{x.Provider, x.Key, x.Result, x.Status})
	}
	assert.Equal(t, []r{
		{"openai", "sk-...aaaa", "ok", 200},
		{"openai", "sk-...bbbb", "unauthorized", 401},
		{"openai", "sk-...cccc", "rate-limited", 429},
		{"down", "sk-...aaaa", "unreachable", 0},
	}, got)

	// One provider whose keys are fine: exit 0.
	e2 := newCatEnv(t, openAIProviderTOML(oa.URL, []string{catGoodKey}), "")
	out = e2.mustRun(t, "keys", "test", "openai")
	assert.Contains(t, out, "1 of 1 keys ok")
	_, _, err = e2.run(t, "keys", "test", "nope")
	require.ErrorContains(t, err, "providers: openai")
}

package adapter

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// With prompt_cache_key (Codex always sends it) the Messages request gets
// prompt caching breakpoints on the system prompt, the last tool and the
// last message; without it, none. Chat upstreams cache on their own.
func TestResponsesPromptCacheKeyAddsBreakpoints(t *testing.T) {
	const tools = `"tools":[{"type":"function","name":"a","parameters":{"type":"object","properties":{}}},` +
		`{"type":"function","name":"b","parameters":{"type":"object","properties":{}}}]`
	cases := []struct {
		name, body         string
		system, tool, last bool
	}{
		{"all three", `{"model":"m","prompt_cache_key":"thread-1","instructions":"Be brief.",` + tools + `,"input":[` +
			`{"role":"user","content":"one"},{"type":"function_call","call_id":"c1","name":"a","arguments":"{}"},` +
			`{"type":"function_call_output","call_id":"c1","output":"done"}]}`, true, true, true},
		{"no system, no tools", `{"model":"m","prompt_cache_key":"k","input":"hi"}`, false, false, true},
		{"without the key", `{"model":"m","instructions":"Be brief.",` + tools + `,"input":"hi"}`, false, false, false},
		{"empty key", `{"model":"m","prompt_cache_key":"","instructions":"x","input":"hi"}`, false, false, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chat, msgs, _, _ := convertBoth(t, tc.body)
			assert.NotContains(t, chat.Raw, "cache_control", "chat upstreams get no cache_control")
			assert.Equal(t, tc.system, msgs.Get("system.@reverse.0.cache_control.type").Str == "ephemeral", msgs.Raw)
			assert.Equal(t, tc.tool, msgs.Get("tools.@reverse.0.cache_control.type").Str == "ephemeral", msgs.Raw)
			if tc.tool {
				assert.False(t, msgs.Get("tools.0.cache_control").Exists(), "only the last tool")
			}
			assert.Equal(t, tc.last, msgs.Get("messages.@reverse.0.content.@reverse.0.cache_control.type").Str == "ephemeral", msgs.Raw)
			assert.LessOrEqual(t, strings.Count(msgs.Raw, `"cache_control"`), 3, "Anthropic allows four breakpoints")
			require.True(t, gjson.Valid(msgs.Raw))
		})
	}
}

// A thinking block may not carry cache_control: when the last message ends
// with one (a prefill after thinking), no message breakpoint is set.
func TestResponsesCacheBreakpointSkipsThinking(t *testing.T) {
	th := turn{role: roleAssistant, blocks: []block{{kind: blockText, text: "x"}, {kind: blockThinking}}}
	assert.False(t, cacheableLast(th))
	user := turn{role: roleUser, blocks: []block{{kind: blockText, text: "q"}, {kind: blockToolResult, id: "c"}}}
	assert.True(t, cacheableLast(user), "tool results are written first: the text block is last")
	w := jw{b: []byte(`{"a":[{"x":1}]`)}
	cachePoint(&w, "]}") // not the shape: left alone
	assert.Equal(t, `{"a":[{"x":1}]`, string(w.b))
}

// A history with tool calls but no tools in the request (the client
// stopped offering them): Anthropic refuses tool blocks without tools, so
// the names used are declared, and tool_choice none keeps them uncalled.
// Requests that define tools are left as they are.
func TestHistoryToolsDeclaredWhenTheRequestHasNone(t *testing.T) {
	chat := `{"model":"m","messages":[{"role":"user","content":"go"},
		{"role":"assistant","content":null,"tool_calls":[{"id":"c1","type":"function","function":{"name":"lookup","arguments":"{}"}}]},
		{"role":"tool","tool_call_id":"c1","content":"42"},{"role":"user","content":"sum it up"}]}`
	resp := `{"model":"m","input":[{"role":"user","content":"go"},{"type":"function_call","call_id":"c1","name":"lookup","arguments":"{}"},
		{"type":"function_call_output","call_id":"c1","output":"42"},{"role":"user","content":"sum it up"}]}`
	a, _, err := ChatToMessagesRequest([]byte(chat), ChatRequestOptions{})
	require.NoError(t, err)
	b, _, err := ResponsesToMessagesRequest([]byte(resp), ResponsesRequestOptions{})
	require.NoError(t, err)
	for _, out := range [][]byte{a, b} {
		r := gjson.ParseBytes(out)
		assert.Equal(t, "lookup", r.Get("tools.0.name").Str, string(out))
		assert.Equal(t, int64(1), r.Get("tools.#").Int())
		assert.Equal(t, "object", r.Get("tools.0.input_schema.type").Str)
		assert.Equal(t, "none", r.Get("tool_choice.type").Str)
	}

	withTools := strings.Replace(chat, `"messages"`, `"tools":[{"type":"function","function":{"name":"other","parameters":{"type":"object"}}}],"messages"`, 1)
	c, _, err := ChatToMessagesRequest([]byte(withTools), ChatRequestOptions{})
	require.NoError(t, err)
	assert.Equal(t, "other", gjson.GetBytes(c, "tools.0.name").Str)
	assert.Equal(t, int64(1), gjson.GetBytes(c, "tools.#").Int())
	assert.NotEqual(t, "none", gjson.GetBytes(c, "tool_choice.type").Str)

	plain, _, err := ChatToMessagesRequest([]byte(`{"model":"m","messages":[{"role":"user","content":"hi"}]}`), ChatRequestOptions{})
	require.NoError(t, err)
	assert.False(t, gjson.GetBytes(plain, "tools").Exists(), "no tool history: no tools")
}

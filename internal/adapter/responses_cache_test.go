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

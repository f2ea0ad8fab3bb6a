package adapter

import (
	"encoding/json"
	"testing"

	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/jsonx"
)

const testSignature = "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"

// TestResponsesWhole converts whole answers of both upstreams and reads
// the result with openai-go's responses.Response.
func TestResponsesWhole(t *testing.T) {
	const patchArgs = `{"input":"*** Begin Patch\n+h\u00e9llo \ud83d\ude00\n*** End Patch"}`
	const patch = "*** Begin Patch\n+héllo 😀\n*** End Patch"
	chatUsage := `"usage":{"prompt_tokens":120,"completion_tokens":30,"total_tokens":150,"prompt_tokens_details":{"cached_tokens":100},"completion_tokens_details":{"reasoning_tokens":7}}`
	chat := func(msg, finish string) string {
		return `{"id":"chatcmpl-1","object":"chat.completion","model":"up","choices":[{"index":0,"message":` + msg +
			`,"finish_reason":"` + finish + `"}],` + chatUsage + `}`
	}
	msgs := func(content, stop string) string {
		return `{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":` + content +
			`,"stop_reason":"` + stop + `","usage":{"input_tokens":30,"cache_read_input_tokens":70,"output_tokens":12}}`
	}
	cases := []struct {
		name     string
		chat     bool
		include  bool
		body     string
		status   string
		reason   string
		outputs  []string
		check    func(t *testing.T, r responses.Response)
		usageIn  int64
		usageOut int64
	}{
		{name: "chat text", chat: true, body: chat(`{"role":"assistant","content":"Hello"}`, "stop"),
			status: "completed", outputs: []string{"message"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				assert.Equal(t, "Hello", r.OutputText())
				assert.Equal(t, int64(100), r.Usage.InputTokensDetails.CachedTokens)
				assert.Equal(t, int64(7), r.Usage.OutputTokensDetails.ReasoningTokens)
				assert.Equal(t, "Be brief.", r.Instructions.OfString)
			}},
		{name: "chat two tool calls", chat: true,
			body:   chat(`{"role":"assistant","content":null,"tool_calls":[{"id":"call_a","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}},{"id":"call_b","type":"function","function":{"name":"get_time","arguments":""}}]}`, "tool_calls"),
			status: "completed", outputs: []string{"function_call", "function_call"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				a, b := r.Output[0].AsFunctionCall(), r.Output[1].AsFunctionCall()
				assert.Equal(t, [3]string{"call_a", "get_weather", `{"city":"Paris"}`}, [3]string{a.CallID, a.Name, a.Arguments})
				assert.Equal(t, [3]string{"call_b", "get_time", "{}"}, [3]string{b.CallID, b.Name, b.Arguments}, "no arguments: {}")
			}},
		{name: "chat text then tool", chat: true,
			body:   chat(`{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{}"}}]}`, "tool_calls"),
			status: "completed", outputs: []string{"message", "function_call"}, usageIn: 120, usageOut: 30},
		{name: "chat custom tool", chat: true,
			body:   chat(`{"role":"assistant","content":null,"tool_calls":[{"id":"call_p","type":"function","function":{"name":"apply_patch","arguments":`+jsonString(patchArgs)+`}}]}`, "tool_calls"),
			status: "completed", outputs: []string{"custom_tool_call"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				c := r.Output[0].AsCustomToolCall()
				assert.Equal(t, [3]string{"call_p", "apply_patch", patch}, [3]string{c.CallID, c.Name, c.Input})
			}},
		{name: "chat namespace tool", chat: true,
			body:   chat(`{"role":"assistant","tool_calls":[{"id":"call_ns","type":"function","function":{"name":"fs__read_file","arguments":"{\"path\":\"x\"}"}}]}`, "tool_calls"),
			status: "completed", outputs: []string{"function_call"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				fc := r.Output[0].AsFunctionCall()
				assert.Equal(t, [2]string{"read_file", "fs"}, [2]string{fc.Name, fc.Namespace})
			}},
		{name: "chat unknown tool keeps its name", chat: true,
			body:   chat(`{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"other","arguments":"{}"}}]}`, "tool_calls"),
			status: "completed", outputs: []string{"function_call"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				assert.Equal(t, "other", r.Output[0].AsFunctionCall().Name)
			}},
		{name: "chat deepseek reasoning", chat: true,
			body:   chat(`{"role":"assistant","content":"Hi!","reasoning_content":"Think."}`, "stop"),
			status: "completed", outputs: []string{"reasoning", "message"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				rs := r.Output[0].AsReasoning()
				require.Len(t, rs.Summary, 1)
				assert.Equal(t, "Think.", rs.Summary[0].Text)
				assert.Empty(t, rs.EncryptedContent)
			}},
		{name: "chat refusal", chat: true,
			body:   chat(`{"role":"assistant","content":null,"refusal":"I can't."}`, "stop"),
			status: "completed", outputs: []string{"message"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				part := r.Output[0].AsMessage().Content[0]
				assert.Equal(t, [2]string{"refusal", "I can't."}, [2]string{part.Type, part.Refusal})
			}},
		{name: "chat length", chat: true, body: chat(`{"role":"assistant","content":"One two"}`, "length"),
			status: "incomplete", reason: "max_output_tokens", outputs: []string{"message"}, usageIn: 120, usageOut: 30,
			check: func(t *testing.T, r responses.Response) {
				assert.Equal(t, "incomplete", string(r.Output[0].AsMessage().Status))
			}},
		{name: "chat content filter", chat: true, body: chat(`{"role":"assistant","content":""}`, "content_filter"),
			status: "incomplete", reason: "content_filter", outputs: []string{}, usageIn: 120, usageOut: 30},
		{name: "messages thinking and tool", include: true,
			body: msgs(`[{"type":"thinking","thinking":"Weather.","signature":"`+testSignature+`"},{"type":"redacted_thinking","data":"REDACTED"},`+
				`{"type":"text","text":"Checking"},{"type":"text","text":" now."},{"type":"server_tool_use","id":"s","name":"web_search","input":{}},`+
				`{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city": "Oslo"}}]`, "tool_use"),
			status: "completed", outputs: []string{"reasoning", "reasoning", "message", "function_call"}, usageIn: 100, usageOut: 12,
			check: func(t *testing.T, r responses.Response) {
				b, ok, err := DecodeReasoning(r.Output[0].AsReasoning().EncryptedContent)
				require.NoError(t, err)
				require.True(t, ok)
				assert.Equal(t, ReasoningBlock{Thinking: "Weather.", Signature: testSignature}, b)
				b, _, err = DecodeReasoning(r.Output[1].AsReasoning().EncryptedContent)
				require.NoError(t, err)
				assert.Equal(t, ReasoningBlock{Redacted: "REDACTED"}, b)
				assert.Equal(t, "Checking now.", r.OutputText(), "consecutive text blocks are one message")
				fc := r.Output[3].AsFunctionCall()
				assert.Equal(t, [3]string{"toolu_1", "get_weather", `{"city":"Oslo"}`}, [3]string{fc.CallID, fc.Name, fc.Arguments})
				assert.Equal(t, int64(70), r.Usage.InputTokensDetails.CachedTokens)
			}},
		{name: "messages thinking without include",
			body:   msgs(`[{"type":"thinking","thinking":"Weather.","signature":"s"},{"type":"redacted_thinking","data":"R"},{"type":"text","text":"Hi"}]`, "end_turn"),
			status: "completed", outputs: []string{"reasoning", "message"}, usageIn: 100, usageOut: 12,
			check: func(t *testing.T, r responses.Response) {
				assert.Empty(t, r.Output[0].AsReasoning().EncryptedContent)
			}},
		{name: "messages custom tool",
			body:   msgs(`[{"type":"tool_use","id":"toolu_p","name":"apply_patch","input":`+patchArgs+`}]`, "tool_use"),
			status: "completed", outputs: []string{"custom_tool_call"}, usageIn: 100, usageOut: 12,
			check: func(t *testing.T, r responses.Response) {
				assert.Equal(t, patch, r.Output[0].AsCustomToolCall().Input)
			}},
		{name: "messages max tokens", body: msgs(`[{"type":"text","text":"Cut"}]`, "max_tokens"),
			status: "incomplete", reason: "max_output_tokens", outputs: []string{"message"}, usageIn: 100, usageOut: 12},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			meta := respTestMeta(c.include)
			meta.Stream = false
			var out []byte
			var u Usage
			var err error
			if c.chat {
				out, u, err = ChatToResponsesResponse([]byte(c.body), meta)
			} else {
				out, u, err = MessagesToResponsesResponse([]byte(c.body), meta)
			}
			require.NoError(t, err)
			require.True(t, gjson.ValidBytes(out), "%s", out)
			var r responses.Response
			require.NoError(t, json.Unmarshal(out, &r))
			assert.Equal(t, "resp_test", r.ID)
			assert.Equal(t, "response", string(r.Object))
			assert.Equal(t, "gpt-5-codex", r.Model)
			assert.Equal(t, c.status, string(r.Status))
			assert.Equal(t, c.reason, r.IncompleteDetails.Reason)
			assert.Equal(t, gjson.Null, gjson.GetBytes(out, "error").Type)
			types := []string{}
			for _, it := range r.Output {
				types = append(types, it.Type)
			}
			assert.Equal(t, c.outputs, types)
			assert.Equal(t, c.usageIn, r.Usage.InputTokens)
			assert.Equal(t, c.usageOut, r.Usage.OutputTokens)
			assert.Equal(t, c.usageIn+c.usageOut, r.Usage.TotalTokens)
			assert.Equal(t, c.usageIn, u.PromptTokens, "the usage for the log")
			assert.False(t, gjson.GetBytes(out, "store").Bool())
			if c.check != nil {
				c.check(t, r)
			}
		})
	}
}

func TestResponsesWholeRefusesWhatIsNoAnswer(t *testing.T) {
	meta := respTestMeta(false)
	for _, c := range []struct {
		name, body string
		chat       bool
		want       string
	}{
		{"chat not JSON", `{"choices":`, true, "not JSON"},
		{"chat error body", `{"error":{"message":"bad key"}}`, true, "bad key"},
		{"chat no choices", `{"id":"x"}`, true, "no choices"},
		{"messages error body", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`, false, "Overloaded"},
		{"messages no content", `{"type":"message"}`, false, "no content"},
		{"messages too deep", `{"content":` + deepArray(300) + `}`, false, "deeper"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var err error
			if c.chat {
				_, _, err = ChatToResponsesResponse([]byte(c.body), meta)
			} else {
				_, _, err = MessagesToResponsesResponse([]byte(c.body), meta)
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), c.want)
		})
	}
}

// TestResponsesEcho: Echo members are merged, the answer's own members and
// store:false win, and defaults fill what the SDK expects.
func TestResponsesEcho(t *testing.T) {
	for _, c := range []struct {
		name, echo string
		want       map[string]string
	}{
		{"none", ``, map[string]string{"tools": "[]", "tool_choice": `"auto"`, "parallel_tool_calls": "true",
			"text": `{"format":{"type":"text"}}`, "metadata": "{}", "instructions": "null", "store": "false", "temperature": "1", "top_p": "1"}},
		{"members", `{"temperature":0.2,"text":{"format":{"type":"json_schema","name":"x","schema":{}}},"user":"u","id":"no","store":true}`,
			map[string]string{"temperature": "0.2", "text": `{"format":{"type":"json_schema","name":"x","schema":{}}}`, "user": `"u"`, "id": `"resp_test"`, "store": "false"}},
		{"broken echo is ignored", `{"temperature":`, map[string]string{"temperature": "1"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			meta := respTestMeta(false)
			meta.Echo = []byte(c.echo)
			out, _, err := ChatToResponsesResponse([]byte(`{"choices":[{"message":{"content":"x"},"finish_reason":"stop"}]}`), meta)
			require.NoError(t, err)
			for k, v := range c.want {
				assert.Equal(t, v, gjson.GetBytes(out, k).Raw, k)
			}
			var r responses.Response
			require.NoError(t, json.Unmarshal(out, &r))
			keys := map[string]int{}
			gjson.ParseBytes(out).ForEach(func(k, _ gjson.Result) bool { keys[k.Str]++; return true })
			for k, n := range keys {
				assert.Equal(t, 1, n, "member %s written %d times", k, n)
			}
		})
	}
}

func TestResponsesErrorCode(t *testing.T) {
	for _, c := range []struct{ typ, code, msg, want string }{
		{"requests", "rate_limit_exceeded", "x", "rate_limit_exceeded"},
		{"rate_limit_error", "", "x", "rate_limit_exceeded"},
		{"overloaded_error", "", "Overloaded", "server_is_overloaded"},
		{"invalid_request_error", "", "prompt is too long: 210000 tokens > 200000 maximum", "context_length_exceeded"},
		{"invalid_request_error", "context_length_exceeded", "x", "context_length_exceeded"},
		{"billing_error", "", "x", "insufficient_quota"},
		{"insufficient_quota", "", "x", "insufficient_quota"},
		{"api_error", "", "Internal server error", "server_error"},
		{"", "", "", "server_error"},
	} {
		assert.Equal(t, c.want, responsesErrorCode(c.typ, c.code, c.msg), "%+v", c)
	}
	// Codex reads the wait from the message: it must name one.
	assert.Equal(t, "Slow down. Please try again in 5s.", retryHint("rate_limit_exceeded", "Slow down. "))
	assert.Equal(t, "Please try again in 1.5s", retryHint("rate_limit_exceeded", "Please try again in 1.5s"))
	assert.Equal(t, "try again in 20 seconds", retryHint("rate_limit_exceeded", "try again in 20 seconds"))
	assert.Equal(t, "try again in a while. Please try again in 5s.", retryHint("rate_limit_exceeded", "try again in a while."))
	assert.Equal(t, "Overloaded", retryHint("server_is_overloaded", "Overloaded"))
}

func TestCustomDecoder(t *testing.T) {
	const args = `{ "input" : "a\"b\\c\n\u00e9\ud83d\ude00\u0041/" }`
	want := customInput(args)
	require.Equal(t, "a\"b\\c\né😀A/", want)
	// Every split of the arguments in two pieces decodes to the same text.
	for cut := 0; cut <= len(args); cut++ {
		var d customDecoder
		got := d.feed(nil, []byte(args[:cut]))
		got = d.feed(got, []byte(args))
		assert.Equal(t, want, string(got), "cut at %d", cut)
	}
	// Byte by byte.
	var d customDecoder
	var got []byte
	for i := 1; i <= len(args); i++ {
		got = d.feed(got, []byte(args[:i]))
	}
	assert.Equal(t, want, string(got))
	// Another shape streams nothing; the input then comes with the done event.
	for _, other := range []string{`{"path":"x","input":"y"}`, `[1]`, `plain text`} {
		var d customDecoder
		assert.Empty(t, d.feed(nil, []byte(other)), other)
	}
	assert.Equal(t, "plain text", customInput("plain text"))
	assert.Equal(t, "y", customInput(`{"path":"x","input":"y"}`))
}

func jsonString(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func deepArray(n int) string {
	b := make([]byte, 0, 2*n)
	for i := 0; i < n; i++ {
		b = append(b, '[')
	}
	for i := 0; i < n; i++ {
		b = append(b, ']')
	}
	return string(b)
}

// TestScanMembers: the one-pass reader finds what gjson finds, on the
// shapes a chunk may take (escaped quotes and keys, nesting, spacing,
// repeated members).
func TestScanMembers(t *testing.T) {
	names := []string{"a", "b", "c"}
	for _, obj := range []string{
		`{"a":1,"b":"x","c":[1,{"d":"]"}]}`,
		`{ "x" : {"a":"\"}"} , "b" : "q\"uo\\" ,"a":true, "c":null }`,
		`{"\u0061":"escaped key","b":{},"b":2}`,
		`{}`,
		`{"c":[[[]]],"zz":"\\\\"}`,
	} {
		spans := make([]jsonx.Span, len(names))
		members([]byte(obj), names, spans)
		for i, n := range names {
			want := gjson.Get(obj, n)
			got := span([]byte(obj), spans[i])
			assert.Equal(t, want.Raw, string(got), "%s in %s", n, obj)
		}
	}
	var elems []string
	elements([]byte(`[ 1 ,"a]",{"b":[2]},[] ]`), func(e []byte) bool { elems = append(elems, string(e)); return true })
	assert.Equal(t, []string{"1", `"a]"`, `{"b":[2]}`, "[]"}, elems)
	s, ok := stringValue([]byte(`"a\nb"`))
	assert.True(t, ok)
	assert.Equal(t, "a\nb", s)
	_, ok = stringValue([]byte(`12`))
	assert.False(t, ok)
}

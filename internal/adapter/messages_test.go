package adapter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

func convB(t *testing.T, body string, opts ...MessagesRequestOptions) (gjson.Result, MessagesMeta) {
	t.Helper()
	o := MessagesRequestOptions{UpstreamModel: "gpt-4o"}
	if len(opts) > 0 {
		o = opts[0]
	}
	out, meta, err := MessagesToChatRequest([]byte(body), o)
	require.NoError(t, err)
	require.True(t, gjson.ValidBytes(out), "invalid JSON: %s", out)
	var p openai.ChatCompletionNewParams
	require.NoError(t, json.Unmarshal(out, &p), "openai SDK rejects %s", out)
	return gjson.ParseBytes(out), meta
}

func convBErr(t *testing.T, body string) *Error {
	t.Helper()
	_, _, err := MessagesToChatRequest([]byte(body), MessagesRequestOptions{UpstreamModel: "gpt-4o"})
	require.Error(t, err)
	var ae *Error
	require.True(t, errors.As(err, &ae), "want *Error, got %T %v", err, err)
	assert.Equal(t, 400, ae.Status)
	return ae
}

func oaRoles(r gjson.Result) string {
	var out []string
	r.Get("messages").ForEach(func(_, m gjson.Result) bool {
		out = append(out, m.Get("role").Str)
		return true
	})
	return strings.Join(out, ",")
}

// Matrix 10.
func TestB_Request(t *testing.T) {
	t.Run("basics", func(t *testing.T) {
		r, meta := convB(t, `{"model":"claude-x","max_tokens":1024,"temperature":0,"top_p":0.9,"top_k":40,"stop_sequences":["a","b","c","d","e"],"metadata":{"user_id":"u1"},"service_tier":"auto","messages":[{"role":"user","content":"hi"}]}`)
		assert.Equal(t, "gpt-4o", r.Get("model").Str)
		assert.Equal(t, "claude-x", meta.RequestedModel)
		assert.EqualValues(t, 1024, r.Get("max_tokens").Int())
		assert.Equal(t, "0", r.Get("temperature").Raw, "temperature 0 survives")
		assert.Equal(t, 0.9, r.Get("top_p").Num)
		assert.False(t, r.Get("top_k").Exists())
		assert.False(t, r.Get("service_tier").Exists())
		assert.Equal(t, `["a","b","c","d"]`, r.Get("stop").Raw, "at most 4 stops")
		assert.Equal(t, "u1", r.Get("user").Str)
		assert.Equal(t, `[{"role":"user","content":"hi"}]`, r.Get("messages").Raw)
		assert.False(t, r.Get("stream").Exists())
		assert.False(t, r.Get("stream_options").Exists())
	})
	t.Run("stream asks for usage", func(t *testing.T) {
		r, meta := convB(t, `{"model":"m","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hello there"}]}`, MessagesRequestOptions{UpstreamModel: "o3"})
		assert.True(t, meta.Stream)
		assert.True(t, r.Get("stream").Bool())
		assert.True(t, r.Get("stream_options.include_usage").Bool())
		assert.EqualValues(t, 10, r.Get("max_tokens").Int())
		assert.False(t, r.Get("max_completion_tokens").Exists())
		assert.Greater(t, meta.EstimatedInputTokens, 0)
	})
	t.Run("system array with cache_control becomes a plain string", func(t *testing.T) {
		r, _ := convB(t, `{"model":"m","max_tokens":10,"system":[{"type":"text","text":"You are Claude Code.","cache_control":{"type":"ephemeral"}},{"type":"text","text":"Be brief."}],"messages":[{"role":"user","content":[{"type":"text","text":"hi","cache_control":{"type":"ephemeral"}}]}]}`)
		assert.Equal(t, `{"role":"system","content":"You are Claude Code.\nBe brief."}`, r.Get("messages.0").Raw)
		assert.Equal(t, `{"role":"user","content":"hi"}`, r.Get("messages.1").Raw, "text-only user content is a plain string, no cache_control")
		assert.NotContains(t, r.Raw, "cache_control")
	})
	t.Run("tool_result before user text; is_error; image in result", func(t *testing.T) {
		r, _ := convB(t, `{"model":"m","max_tokens":10,"messages":[
			{"role":"user","content":"list files"},
			{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"Running."},{"type":"tool_use","id":"toolu_1","name":"bash","input":{"cmd":"ls","n":1}},{"type":"tool_use","id":"toolu_2","name":"screenshot","input":{}}]},
			{"role":"user","content":[
				{"type":"text","text":"also this"},
				{"type":"tool_result","tool_use_id":"toolu_1","content":"a.go\nb.go","is_error":true},
				{"type":"tool_result","tool_use_id":"toolu_2","content":[{"type":"text","text":"shot:"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"iVBOR"}}]}]}]}`)
		assert.Equal(t, "user,assistant,tool,tool,user", oaRoles(r))
		a := r.Get("messages.1")
		assert.Equal(t, "Running.", a.Get("content").Str, "assistant text kept alongside tool calls; thinking dropped")
		assert.Equal(t, "toolu_1", a.Get("tool_calls.0.id").Str)
		assert.Equal(t, "function", a.Get("tool_calls.0.type").Str)
		assert.Equal(t, `{"cmd":"ls","n":1}`, a.Get("tool_calls.0.function.arguments").Str)
		assert.Equal(t, `{}`, a.Get("tool_calls.1.function.arguments").Str)
		assert.Equal(t, "toolu_1", r.Get("messages.2.tool_call_id").Str)
		assert.Equal(t, "Error: a.go\nb.go", r.Get("messages.2.content").Str)
		assert.True(t, strings.HasPrefix(r.Get("messages.3.content").Str, "shot:"))
		u := r.Get("messages.4.content")
		assert.Equal(t, "also this", u.Get("0.text").Str)
		assert.Equal(t, "data:image/png;base64,iVBOR", u.Get("1.image_url.url").Str, "tool-result image moved to the user message")
	})
	t.Run("orphans", func(t *testing.T) {
		r, _ := convB(t, `{"model":"m","max_tokens":10,"messages":[
			{"role":"user","content":"q"},
			{"role":"assistant","content":[{"type":"tool_use","id":"t1","name":"f","input":{}},{"type":"tool_use","id":"t2","name":"f","input":{}}]},
			{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"},{"type":"tool_result","tool_use_id":"ghost","content":"boo"}]},
			{"role":"assistant","content":[{"type":"tool_use","id":"t3","name":"f","input":{}}]},
			{"role":"assistant","content":"done"}]}`)
		assert.Equal(t, "user,assistant,tool,tool,user,assistant,tool,assistant", oaRoles(r))
		assert.Equal(t, "t1", r.Get("messages.2.tool_call_id").Str)
		assert.Equal(t, "t2", r.Get("messages.3.tool_call_id").Str, "placeholder for the missing result")
		assert.Contains(t, r.Get("messages.4.content").Str, "boo", "orphan result kept as user text")
		assert.Equal(t, "t3", r.Get("messages.6.tool_call_id").Str)
	})
	t.Run("images and documents", func(t *testing.T) {
		r, _ := convB(t, `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[
			{"type":"image","source":{"type":"url","url":"https://x/y.png"}},
			{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"},"title":"spec.pdf"},
			{"type":"document","source":{"type":"text","media_type":"text/plain","data":"plain doc"}}]}]}`)
		c := r.Get("messages.0.content")
		assert.Equal(t, "https://x/y.png", c.Get("0.image_url.url").Str)
		assert.Equal(t, "file", c.Get("1.type").Str)
		assert.Equal(t, "spec.pdf", c.Get("1.file.filename").Str)
		assert.Equal(t, "data:application/pdf;base64,JVBER", c.Get("1.file.file_data").Str)
		assert.Equal(t, "plain doc", c.Get("2.text").Str)
		e := convBErr(t, `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":[{"type":"document","source":{"type":"url","url":"https://x/a.pdf"}}]}]}`)
		assert.Equal(t, "messages[0].content[0].source.type", e.Param)
	})
	t.Run("tools, server tools dropped, long names", func(t *testing.T) {
		long := strings.Repeat("a", 80)
		r, meta := convB(t, `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"`+long+`","input":{}}]},{"role":"user","content":[{"type":"tool_result","tool_use_id":"t","content":"x"}]}],
			"tools":[{"name":"get_weather","description":"d","input_schema":{"type":"object","properties":{"c":{"type":"string"}}},"cache_control":{"type":"ephemeral"}},
			{"type":"custom","name":"`+long+`","input_schema":{"type":"object"}},
			{"type":"web_search_20250305","name":"web_search","max_uses":3},
			{"type":"bash_20250124","name":"bash"}],
			"tool_choice":{"type":"tool","name":"web_search","disable_parallel_tool_use":true}}`)
		tools := r.Get("tools").Array()
		require.Len(t, tools, 2)
		assert.Equal(t, `{"type":"function","function":{"name":"get_weather","description":"d","parameters":{"type":"object","properties":{"c":{"type":"string"}}}}}`, tools[0].Raw)
		short := tools[1].Get("function.name").Str
		assert.Len(t, short, 64)
		assert.Equal(t, short, r.Get("messages.1.tool_calls.0.function.name").Str, "history names shortened the same way")
		assert.Equal(t, long, meta.ToolNames[short])
		assert.Equal(t, []string{"web_search", "bash"}, meta.DroppedTools)
		assert.Equal(t, `"auto"`, r.Get("tool_choice").Raw, "a choice naming a dropped tool falls back to auto")
		assert.False(t, r.Get("parallel_tool_calls").Bool())
		assert.True(t, r.Get("parallel_tool_calls").Exists())
	})
	t.Run("tool_choice mapping", func(t *testing.T) {
		tools := `"tools":[{"name":"f","input_schema":{"type":"object"}}]`
		for in, want := range map[string]string{
			`{"type":"auto"}`:            `"auto"`,
			`{"type":"any"}`:             `"required"`,
			`{"type":"none"}`:            `"none"`,
			`{"type":"tool","name":"f"}`: `{"type":"function","function":{"name":"f"}}`,
			`{"type":"any","disable_parallel_tool_use":true}`: `"required"`,
		} {
			r, _ := convB(t, `{"model":"m","max_tokens":10,"messages":[{"role":"user","content":"q"}],`+tools+`,"tool_choice":`+in+`}`)
			assert.Equal(t, want, r.Get("tool_choice").Raw, in)
			assert.Equal(t, strings.Contains(in, "disable_parallel"), r.Get("parallel_tool_calls").Exists(), in)
		}
	})
	t.Run("thinking is not sent", func(t *testing.T) {
		// Non-reasoning models reject reasoning_effort, and Claude Code
		// sends thinking on most requests.
		body := `{"model":"m","max_tokens":10,"thinking":{"type":"enabled","budget_tokens":5000},"messages":[{"role":"user","content":"q"}]}`
		r, _ := convB(t, body)
		assert.False(t, r.Get("reasoning_effort").Exists())
		assert.False(t, r.Get("thinking").Exists())
	})
	t.Run("output_format", func(t *testing.T) {
		r, _ := convB(t, `{"model":"m","max_tokens":10,"output_format":{"type":"json_schema","schema":{"type":"object"}},"messages":[{"role":"user","content":"q"}]}`)
		assert.Equal(t, `{"type":"json_schema","json_schema":{"name":"structured_output","schema":{"type":"object"}}}`, r.Get("response_format").Raw)
	})
	t.Run("errors", func(t *testing.T) {
		assert.Equal(t, "messages", convBErr(t, `{"model":"m","max_tokens":1}`).Param)
		assert.Equal(t, "max_tokens", convBErr(t, `{"model":"m","max_tokens":0,"messages":[{"role":"user","content":"q"}]}`).Param)
		assert.Equal(t, "messages[0].role", convBErr(t, `{"model":"m","max_tokens":1,"messages":[{"role":"system","content":"q"}]}`).Param)
		assert.Equal(t, "messages[0].content[0].type", convBErr(t, `{"model":"m","max_tokens":1,"messages":[{"role":"user","content":[{"type":"container_upload","file_id":"f"}]}]}`).Param)
		convBErr(t, `not json`)
	})
}

func TestB_Response(t *testing.T) {
	body := `{"id":"chatcmpl-abc","object":"chat.completion","created":1,"model":"gpt-4o-2024-08-06","choices":[{"index":0,"message":{"role":"assistant","content":"Sure.","reasoning_content":"thinking...","tool_calls":[
		{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"a\":[1]}"}},
		{"id":"functions.x:1","type":"function","function":{"name":"short","arguments":"not json"}}]},"finish_reason":"tool_calls"}],
		"usage":{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":80}}}`
	out, u, err := ChatToMessagesResponse([]byte(body), MessagesMeta{ToolNames: map[string]string{"short": "a.very.long.name"}})
	require.NoError(t, err)
	var m anthropic.Message
	require.NoError(t, json.Unmarshal(out, &m))
	r := gjson.ParseBytes(out)
	assert.Equal(t, "msg_chatcmpl-abc", m.ID)
	assert.Equal(t, "message", r.Get("type").Str)
	assert.Equal(t, "assistant", r.Get("role").Str)
	assert.Equal(t, "gpt-4o-2024-08-06", string(m.Model))
	require.Len(t, m.Content, 4)
	assert.Equal(t, "thinking", m.Content[0].Type)
	assert.Equal(t, "thinking...", m.Content[0].Thinking)
	assert.Equal(t, "Sure.", m.Content[1].Text)
	assert.Equal(t, "call_1", m.Content[2].ID)
	assert.Equal(t, `{"city":"Paris","a":[1]}`, string(m.Content[2].Input))
	assert.Regexp(t, `^[a-zA-Z0-9_-]+$`, m.Content[3].ID)
	assert.Equal(t, "a.very.long.name", m.Content[3].Name)
	assert.Equal(t, `{}`, string(m.Content[3].Input), "invalid arguments become {}")
	assert.Equal(t, anthropic.StopReasonToolUse, m.StopReason)
	assert.Equal(t, gjson.Null, r.Get("stop_sequence").Type)
	assert.EqualValues(t, 20, m.Usage.InputTokens)
	assert.EqualValues(t, 80, m.Usage.CacheReadInputTokens)
	assert.EqualValues(t, 20, m.Usage.OutputTokens)
	assert.Equal(t, Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120, CacheReadTokens: 80}, u)

	for fr, want := range map[string]string{"stop": "end_turn", "length": "max_tokens", "tool_calls": "tool_use", "function_call": "tool_use", "content_filter": "refusal", "weird": "end_turn"} {
		out, _, err := ChatToMessagesResponse([]byte(`{"id":"x","model":"m","choices":[{"message":{"content":"hi"},"finish_reason":"`+fr+`"}]}`), MessagesMeta{})
		require.NoError(t, err)
		assert.Equal(t, want, gjson.GetBytes(out, "stop_reason").Str, fr)
	}
	t.Run("empty content: no empty text block", func(t *testing.T) {
		out, _, err := ChatToMessagesResponse([]byte(`{"id":"x","model":"m","choices":[{"message":{"content":""},"finish_reason":"stop"}]}`), MessagesMeta{})
		require.NoError(t, err)
		assert.Equal(t, `[]`, gjson.GetBytes(out, "content").Raw)
	})
	t.Run("tool calls with finish stop", func(t *testing.T) {
		out, _, err := ChatToMessagesResponse([]byte(`{"id":"x","model":"m","choices":[{"message":{"content":null,"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]},"finish_reason":"stop"}]}`), MessagesMeta{})
		require.NoError(t, err)
		assert.Equal(t, "tool_use", gjson.GetBytes(out, "stop_reason").Str)
	})
	t.Run("refusal", func(t *testing.T) {
		out, _, err := ChatToMessagesResponse([]byte(`{"id":"x","model":"m","choices":[{"message":{"content":null,"refusal":"I can't."},"finish_reason":"stop"}]}`), MessagesMeta{})
		require.NoError(t, err)
		assert.Equal(t, "refusal", gjson.GetBytes(out, "stop_reason").Str)
		assert.Equal(t, "I can't.", gjson.GetBytes(out, "content.0.text").Str)
	})
	_, _, err = ChatToMessagesResponse([]byte(`{"error":{"message":"bad"}}`), MessagesMeta{})
	assert.Error(t, err)
	_, _, err = ChatToMessagesResponse([]byte(`{}`), MessagesMeta{})
	assert.Error(t, err)
}

func TestErrors(t *testing.T) {
	assert.JSONEq(t, `{"error":{"message":"bad","type":"invalid_request_error","param":null,"code":null}}`, string(OpenAIErrorBody(400, "invalid_request_error", "", "", "bad")))
	assert.JSONEq(t, `{"error":{"message":"m","type":"invalid_request_error","param":"model","code":"model_not_found"}}`, string(OpenAIErrorBody(404, "invalid_request_error", "model_not_found", "model", "m")))
	assert.Equal(t, `{"type":"error","error":{"type":"rate_limit_error","message":"slow \"down\""}}`, string(AnthropicErrorBody(429, `slow "down"`)))
	for status, want := range map[int]string{400: "invalid_request_error", 401: "authentication_error", 403: "permission_error", 404: "not_found_error", 413: "request_too_large", 429: "rate_limit_error", 500: "api_error", 502: "api_error", 503: "overloaded_error", 529: "overloaded_error", 504: "api_error"} {
		assert.Equal(t, want, AnthropicErrorType(status), status)
	}

	anth := []byte(`{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011"}`)
	o := gjson.ParseBytes(OpenAIErrorFromUpstream(529, anth))
	assert.Equal(t, "Overloaded (request_id: req_011)", o.Get("error.message").Str)
	assert.Equal(t, "overloaded_error", o.Get("error.type").Str)
	assert.Equal(t, gjson.Null, o.Get("error.param").Type)
	assert.Equal(t, string(anth), string(AnthropicErrorFromUpstream(529, anth)), "Anthropic-shaped passes through")

	oai := []byte(`{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)
	o = gjson.ParseBytes(OpenAIErrorFromUpstream(429, oai))
	assert.Equal(t, "Rate limit reached", o.Get("error.message").Str)
	assert.Equal(t, "rate_limit_exceeded", o.Get("error.code").Str)
	a := gjson.ParseBytes(AnthropicErrorFromUpstream(429, oai))
	assert.Equal(t, "error", a.Get("type").Str)
	assert.Equal(t, "rate_limit_error", a.Get("error.type").Str)
	assert.Equal(t, "Rate limit reached", a.Get("error.message").Str)

	html := []byte("<html><head><title>502 Bad Gateway</title></head><body><h1>nginx</h1></body></html>")
	o = gjson.ParseBytes(OpenAIErrorFromUpstream(502, html))
	assert.Contains(t, o.Get("error.message").Str, "502 Bad Gateway")
	assert.Equal(t, "server_error", o.Get("error.type").Str)
	a = gjson.ParseBytes(AnthropicErrorFromUpstream(502, html))
	assert.Equal(t, "api_error", a.Get("error.type").Str)
	assert.Contains(t, a.Get("error.message").Str, "502 Bad Gateway")

	for _, b := range [][]byte{nil, []byte(`{"error":"nope"}`), []byte(`{"message":"m"}`), []byte("\xff\xfe garbage"), []byte(`{"error":{"code":500}}`), []byte(`[1,2]`)} {
		assert.True(t, gjson.ValidBytes(OpenAIErrorFromUpstream(500, b)), "%q", b)
		assert.True(t, gjson.ValidBytes(AnthropicErrorFromUpstream(500, b)), "%q", b)
		assert.NotEmpty(t, gjson.GetBytes(OpenAIErrorFromUpstream(500, b), "error.message").Str)
	}
	assert.Equal(t, "nope", gjson.GetBytes(OpenAIErrorFromUpstream(400, []byte(`{"error":"nope"}`)), "error.message").Str)
	e := &Error{Status: 400, Message: "bad", Param: "x"}
	assert.Equal(t, "bad (param x)", e.Error())
}

func TestUsageHelpers(t *testing.T) {
	assert.Equal(t, Usage{PromptTokens: 100, CompletionTokens: 20, TotalTokens: 120, CacheReadTokens: 80},
		OpenAIUsage([]byte(`{"prompt_tokens":100,"completion_tokens":20,"total_tokens":120,"prompt_tokens_details":{"cached_tokens":80}}`)))
	assert.Equal(t, Usage{PromptTokens: 10, CompletionTokens: 5, TotalTokens: 15, CacheReadTokens: 3},
		OpenAIUsage([]byte(`{"input_tokens":10,"output_tokens":5,"input_tokens_details":{"cached_tokens":3}}`)), "Responses API shape")
	assert.Equal(t, Usage{PromptTokens: 60, CompletionTokens: 40, TotalTokens: 100, CacheReadTokens: 30, CacheCreationTokens: 20},
		AnthropicUsage([]byte(`{"input_tokens":10,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":40}`)))
	assert.Equal(t, Usage{}, AnthropicUsage([]byte(`null`)))
	assert.Equal(t, Usage{}, OpenAIUsage(nil))
}

func TestEstimateInputTokens(t *testing.T) {
	n, err := EstimateInputTokens([]byte(`{"model":"m","system":"` + strings.Repeat("abcd", 100) + `","messages":[{"role":"user","content":"` + strings.Repeat("word ", 80) + `"}]}`))
	require.NoError(t, err)
	assert.InDelta(t, 100+100+7, n, 10)
	img, err := EstimateInputTokens([]byte(`{"messages":[{"role":"user","content":[{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAAA"}}]}]}`))
	require.NoError(t, err)
	assert.Greater(t, img, 1500)
	cjk, err := EstimateInputTokens([]byte(`{"messages":[{"role":"user","content":"你好世界你好世界你好"}]}`))
	require.NoError(t, err)
	assert.GreaterOrEqual(t, cjk, 10)
	withTools, err := EstimateInputTokens([]byte(`{"messages":[{"role":"user","content":"q"}],"tools":[{"name":"get_weather","description":"Get the weather for a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}}}}]}`))
	require.NoError(t, err)
	assert.Greater(t, withTools, 20)
	_, err = EstimateInputTokens([]byte(`{"messages":1}`))
	assert.Error(t, err)
	_, err = EstimateInputTokens([]byte(`nope`))
	assert.Error(t, err)
}

func TestJSONWriterEscaping(t *testing.T) {
	s := "a\"b\\c\n\t\x01\u2028 é \xff z"
	out := appendString(nil, s)
	var back string
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, "a\"b\\c\n\t\x01\u2028 é \ufffd z", back)
	assert.NotContains(t, string(out), "\n")
	assert.Equal(t, `{"a":[1,{"b":"c d"}]}`, string(appendCompact(nil, "{ \"a\" : [ 1 ,\n {\"b\":\"c d\"} ] }")))
	assert.Equal(t, `"{\"a\":\"x \\\" y\"}"`, string(appendJSONStringOfJSON(nil, `{"a": "x \" y"}`)))
}

// An Anthropic client (Claude Code) on a thinking chat model: the thinking
// block of an assistant turn that calls tools goes back as
// reasoning_content (DeepSeek's thinking mode answers 400 without it); a
// turn without calls does not carry it.
func TestB_ThinkingBackAsReasoningContent(t *testing.T) {
	body := `{"model":"m","max_tokens":100,"tools":[{"name":"f","input_schema":{"type":"object"}}],"messages":[
		{"role":"user","content":"go"},
		{"role":"assistant","content":[{"type":"thinking","thinking":"call f first","signature":""},{"type":"tool_use","id":"t1","name":"f","input":{}}]},
		{"role":"user","content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]},
		{"role":"assistant","content":[{"type":"thinking","thinking":"now answer","signature":""},{"type":"text","text":"done"}]},
		{"role":"user","content":"thanks"}]}`
	out, _, err := MessagesToChatRequest([]byte(body), MessagesRequestOptions{})
	require.NoError(t, err)
	msgs := gjson.GetBytes(out, "messages")
	assert.Equal(t, "call f first", msgs.Get("1.reasoning_content").Str, msgs.Raw)
	assert.Equal(t, "done", msgs.Get("3.content").Str)
	assert.False(t, msgs.Get("3.reasoning_content").Exists())
}

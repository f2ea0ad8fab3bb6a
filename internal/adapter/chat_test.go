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

// convA converts and checks the output is valid JSON that the Anthropic
// SDK's request params type accepts.
func convA(t *testing.T, body string, opts ...ChatRequestOptions) (gjson.Result, ChatMeta) {
	t.Helper()
	o := ChatRequestOptions{UpstreamModel: "claude-sonnet-4-5"}
	if len(opts) > 0 {
		o = opts[0]
	}
	out, meta, err := ChatToMessagesRequest([]byte(body), o)
	require.NoError(t, err)
	require.True(t, gjson.ValidBytes(out), "invalid JSON: %s", out)
	var p anthropic.MessageNewParams
	require.NoError(t, json.Unmarshal(out, &p), "anthropic SDK rejects %s", out)
	return gjson.ParseBytes(out), meta
}

func convAErr(t *testing.T, body string) *Error {
	t.Helper()
	_, _, err := ChatToMessagesRequest([]byte(body), ChatRequestOptions{UpstreamModel: "claude-sonnet-4-5"})
	require.Error(t, err)
	var ae *Error
	require.True(t, errors.As(err, &ae), "want *Error, got %T %v", err, err)
	assert.Equal(t, 400, ae.Status)
	assert.Equal(t, "invalid_request_error", ae.Type)
	return ae
}

// roles lists the roles of the converted messages.
func roles(r gjson.Result) string {
	var out []string
	r.Get("messages").ForEach(func(_, m gjson.Result) bool {
		out = append(out, m.Get("role").Str)
		return true
	})
	return strings.Join(out, ",")
}

// blockTypes lists content block types of message i.
func blockTypes(r gjson.Result, i int) string {
	var out []string
	r.Get("messages." + itoa(i) + ".content").ForEach(func(_, b gjson.Result) bool {
		out = append(out, b.Get("type").Str)
		return true
	})
	return strings.Join(out, ",")
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

// Matrix 1: system/developer hoisting.
func TestA_System(t *testing.T) {
	t.Run("system and developer in the middle, order kept, cache_control kept", func(t *testing.T) {
		r, _ := convA(t, `{"model":"gpt-4o","messages":[
			{"role":"system","content":"You are terse."},
			{"role":"user","content":"hi"},
			{"role":"developer","content":[{"type":"text","text":"Use metric units.","cache_control":{"type":"ephemeral"}}]},
			{"role":"assistant","content":"ok"},
			{"role":"system","content":"   "},
			{"role":"user","content":"temp?"}]}`)
		sys := r.Get("system").Array()
		require.Len(t, sys, 2, "whitespace-only system message dropped")
		assert.Equal(t, "You are terse.", sys[0].Get("text").Str)
		assert.Equal(t, "Use metric units.", sys[1].Get("text").Str)
		assert.Equal(t, "ephemeral", sys[1].Get("cache_control.type").Str)
		assert.Equal(t, "user,assistant,user", roles(r), "no system role left in messages")
	})
	t.Run("two system messages", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"system","content":"A"},{"role":"system","content":"B"},{"role":"user","content":"q"}]}`)
		assert.Equal(t, `[{"type":"text","text":"A"},{"type":"text","text":"B"}]`, r.Get("system").Raw)
	})
	t.Run("no system", func(t *testing.T) {
		r, meta := convA(t, `{"model":"gpt-4o","messages":[{"role":"user","content":"q"}]}`)
		assert.False(t, r.Get("system").Exists())
		assert.Equal(t, "claude-sonnet-4-5", r.Get("model").Str, "upstream model, not the alias")
		assert.Equal(t, "gpt-4o", meta.RequestedModel)
		assert.EqualValues(t, 4096, r.Get("max_tokens").Int(), "default max_tokens")
	})
	t.Run("message-level cache_control goes on the last block", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"system","content":"S","cache_control":{"type":"ephemeral"}},{"role":"user","content":[{"type":"text","text":"a"},{"type":"text","text":"b"}],"cache_control":{"type":"ephemeral","ttl":"1h"}}]}`)
		assert.Equal(t, "ephemeral", r.Get("system.0.cache_control.type").Str)
		assert.False(t, r.Get("messages.0.content.0.cache_control").Exists())
		assert.Equal(t, "1h", r.Get("messages.0.content.1.cache_control.ttl").Str)
	})
}

// Matrix 2: empty assistant content with tool_calls; parallel tool results
// merged into one user turn, results first.
func TestA_ToolTurns(t *testing.T) {
	r, _ := convA(t, `{"model":"x","tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"city":{"type":"string"}}}}}],
	"messages":[
		{"role":"user","content":"weather in Paris and Oslo?"},
		{"role":"assistant","content":"","tool_calls":[
			{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\",\"a\":1}"}},
			{"id":"call_2","type":"function","function":{"name":"get_weather","arguments":""}}]},
		{"role":"tool","tool_call_id":"call_1","content":"18C"},
		{"role":"tool","tool_call_id":"call_2","content":[{"type":"text","text":"9C"}]},
		{"role":"user","content":"and tomorrow?"}]}`)
	assert.Equal(t, "user,assistant,user", roles(r))
	assert.Equal(t, "tool_use,tool_use", blockTypes(r, 1), "no empty text block")
	assert.Equal(t, `{"city":"Paris","a":1}`, r.Get("messages.1.content.0.input").Raw, "key order kept")
	assert.Equal(t, `{}`, r.Get("messages.1.content.1.input").Raw, "empty arguments become {}")
	assert.Equal(t, "tool_result,tool_result,text", blockTypes(r, 2))
	assert.Equal(t, "call_1", r.Get("messages.2.content.0.tool_use_id").Str)
	assert.Equal(t, "18C", r.Get("messages.2.content.0.content").Str)
	assert.Equal(t, "9C", r.Get("messages.2.content.1.content.0.text").Str)
	assert.Equal(t, "and tomorrow?", r.Get("messages.2.content.2.text").Str)

	t.Run("user text before tool results is moved after them", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[
			{"role":"user","content":"q"},
			{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},
			{"role":"user","content":"note"},
			{"role":"tool","tool_call_id":"c1","content":"r"}]}`)
		assert.Equal(t, "tool_result,text", blockTypes(r, 2))
	})
	t.Run("invalid arguments become {}", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{not json"}},{"id":"c2","type":"function","function":{"name":"f","arguments":"[1,2]"}}]},{"role":"tool","tool_call_id":"c1","content":"r"},{"role":"tool","tool_call_id":"c2","content":"r"}]}`)
		assert.Equal(t, `{}`, r.Get("messages.1.content.0.input").Raw)
		assert.Equal(t, `{}`, r.Get("messages.1.content.1.input").Raw)
	})
	t.Run("ids sanitized identically on both sides", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"functions.Bash:0","type":"function","function":{"name":"Bash","arguments":"{}"}}]},{"role":"tool","tool_call_id":"functions.Bash:0","content":"ok"}]}`)
		id := r.Get("messages.1.content.0.id").Str
		assert.Regexp(t, `^[a-zA-Z0-9_-]+$`, id)
		assert.Equal(t, id, r.Get("messages.2.content.0.tool_use_id").Str)
		assert.Equal(t, id, SanitizeToolID("functions.Bash:0"), "deterministic")
		assert.NotEqual(t, SanitizeToolID("functions_Bash_0"), id, "no collision with an id that was already valid")
	})
}

// Matrix 3: orphans.
func TestA_Orphans(t *testing.T) {
	t.Run("tool_call without result gets a placeholder", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"trying","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"never mind"}]}`)
		assert.Equal(t, "user,assistant,user", roles(r))
		assert.Equal(t, "tool_result,text", blockTypes(r, 2))
		assert.Equal(t, "c1", r.Get("messages.2.content.0.tool_use_id").Str)
		assert.True(t, r.Get("messages.2.content.0.is_error").Bool())
	})
	t.Run("trailing tool_call without result", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c1","type":"function","function":{"name":"f","arguments":"{}"}}]}]}`)
		assert.Equal(t, "user,assistant,user", roles(r))
		assert.Equal(t, "tool_result", blockTypes(r, 2))
	})
	t.Run("tool result without a call becomes text", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"a"},{"role":"tool","tool_call_id":"ghost","content":"42"}]}`)
		assert.Equal(t, "user,assistant,user", roles(r))
		assert.Equal(t, "text", blockTypes(r, 2))
		assert.Contains(t, r.Get("messages.2.content.0.text").Str, "42")
		assert.Contains(t, r.Get("messages.2.content.0.text").Str, "ghost")
	})
	t.Run("tool result as the first message", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"tool","tool_call_id":"ghost","content":"42"},{"role":"user","content":"go on"}]}`)
		assert.Equal(t, "user", roles(r))
		assert.Equal(t, "text,text", blockTypes(r, 0))
	})
}

// Matrix 4: images and documents.
func TestA_Images(t *testing.T) {
	r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":[
		{"type":"text","text":"look"},
		{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBORw0KGgo=","detail":"high"}},
		{"type":"image_url","image_url":{"url":"data:image/webp;base64,UklGRg=="}},
		{"type":"image_url","image_url":{"url":"data:application/pdf;base64,JVBERi0x"}},
		{"type":"image_url","image_url":{"url":"https://example.com/cat.jpg"}},
		{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBERi0y","filename":"a.pdf"}}]}]}`)
	c := r.Get("messages.0.content")
	assert.Equal(t, "text,image,image,document,image,document", blockTypes(r, 0))
	assert.Equal(t, `{"type":"base64","media_type":"image/png","data":"iVBORw0KGgo="}`, c.Get("1.source").Raw)
	assert.Equal(t, "image/webp", c.Get("2.source.media_type").Str)
	assert.Equal(t, `{"type":"base64","media_type":"application/pdf","data":"JVBERi0x"}`, c.Get("3.source").Raw)
	assert.Equal(t, `{"type":"url","url":"https://example.com/cat.jpg"}`, c.Get("4.source").Raw)
	assert.Equal(t, "JVBERi0y", c.Get("5.source.data").Str)

	e := convAErr(t, `{"model":"x","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"data:image/bmp;base64,Qk0="}}]}]}`)
	assert.Equal(t, "messages[0].content[0].image_url.url", e.Param)
	assert.Contains(t, e.Message, "image/bmp")
	e = convAErr(t, `{"model":"x","messages":[{"role":"user","content":[{"type":"image_url","image_url":{"url":"ftp://x/y.png"}}]}]}`)
	assert.Equal(t, "messages[0].content[0].image_url.url", e.Param)
	e = convAErr(t, `{"model":"x","messages":[{"role":"user","content":[{"type":"input_audio","input_audio":{"data":"x","format":"wav"}}]}]}`)
	assert.Equal(t, "messages[0].content[0]", e.Param)
	e = convAErr(t, `{"model":"x","messages":[{"role":"user","content":[{"type":"file","file":{"file_id":"file-abc"}}]}]}`)
	assert.Equal(t, "messages[0].content[0].file.file_id", e.Param)
}

// Matrix 5: stop, temperature, top_p, n, logprobs and other dropped fields.
func TestA_Params(t *testing.T) {
	r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"stop":"END","temperature":1.7,"top_p":0.9,"logprobs":true,"top_logprobs":2,"seed":1,"presence_penalty":0.5,"frequency_penalty":0.1,"logit_bias":{"1":1},"store":true,"metadata":{"a":"b"},"service_tier":"auto","modalities":["text"],"n":1,"user":"user-123","max_tokens":100,"max_completion_tokens":200}`)
	assert.Equal(t, `["END"]`, r.Get("stop_sequences").Raw)
	assert.Equal(t, float64(1), r.Get("temperature").Num, "clamped to 1")
	assert.False(t, r.Get("top_p").Exists(), "temperature wins over top_p")
	assert.EqualValues(t, 200, r.Get("max_tokens").Int(), "max_completion_tokens wins")
	assert.Equal(t, "user-123", r.Get("metadata.user_id").Str)
	for _, k := range []string{"logprobs", "top_logprobs", "seed", "presence_penalty", "frequency_penalty", "logit_bias", "store", "service_tier", "modalities", "n", "user"} {
		assert.False(t, r.Get(k).Exists(), "%s must be dropped", k)
	}
	assert.False(t, r.Get("metadata.a").Exists())

	r, _ = convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"stop":["a","  ","\n","b"],"temperature":0,"max_tokens":50,"user":"bob@example.com"}`)
	assert.Equal(t, `["a","b"]`, r.Get("stop_sequences").Raw, "whitespace-only stops dropped")
	assert.True(t, r.Get("temperature").Exists(), "temperature 0 survives")
	assert.Equal(t, "0", r.Get("temperature").Raw)
	assert.EqualValues(t, 50, r.Get("max_tokens").Int())
	assert.False(t, r.Get("metadata").Exists(), "email user ids are not forwarded")

	r, _ = convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"stop":["  "],"top_p":0.5}`)
	assert.False(t, r.Get("stop_sequences").Exists())
	assert.Equal(t, 0.5, r.Get("top_p").Num, "top_p alone is kept")

	r, _ = convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}]}`, ChatRequestOptions{UpstreamModel: "c", DefaultMaxTokens: 8192})
	assert.EqualValues(t, 8192, r.Get("max_tokens").Int(), "provider default")

	e := convAErr(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"n":2}`)
	assert.Equal(t, "n", e.Param)
	e = convAErr(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"max_tokens":-1}`)
	assert.Equal(t, "max_tokens", e.Param)
	e = convAErr(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"temperature":"hot"}`)
	assert.Equal(t, "temperature", e.Param)
	e = convAErr(t, `{"model":"x","messages":"hi"}`)
	assert.Equal(t, "messages", e.Param)
	e = convAErr(t, `{"model":"x","messages":[{"role":"system","content":"only system"}]}`)
	assert.Equal(t, "messages", e.Param)
	convAErr(t, `{"model":"x",`)
	e = convAErr(t, `{"model":"x","messages":[{"role":"wizard","content":"q"}]}`)
	assert.Equal(t, "messages[0].role", e.Param)
}

// Matrix 6: tool_choice and parallel_tool_calls.
func TestA_ToolChoice(t *testing.T) {
	tools := `"tools":[{"type":"function","function":{"name":"f","description":"does f","parameters":{"properties":{"a":{"type":"string"}}},"strict":true}}]`
	cases := []struct {
		extra, want string
	}{
		{`"tool_choice":"auto"`, `{"type":"auto"}`},
		{`"tool_choice":"required"`, `{"type":"any"}`},
		{`"tool_choice":"none"`, `{"type":"none"}`},
		{`"tool_choice":{"type":"function","function":{"name":"f"}}`, `{"type":"tool","name":"f"}`},
		{`"parallel_tool_calls":false`, `{"type":"auto","disable_parallel_tool_use":true}`},
		{`"tool_choice":"required","parallel_tool_calls":false`, `{"type":"any","disable_parallel_tool_use":true}`},
		{`"tool_choice":"none","parallel_tool_calls":false`, `{"type":"none"}`},
		{`"parallel_tool_calls":true`, ``},
	}
	for _, c := range cases {
		t.Run(c.extra, func(t *testing.T) {
			r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],`+tools+`,`+c.extra+`}`)
			assert.Equal(t, c.want, r.Get("tool_choice").Raw)
			assert.Equal(t, `{"name":"f","description":"does f","input_schema":{"type":"object","properties":{"a":{"type":"string"}}}}`, r.Get("tools.0").Raw, "type inserted, strict dropped")
		})
	}
	t.Run("tool_choice without tools is dropped", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"tool_choice":"required","parallel_tool_calls":false}`)
		assert.False(t, r.Get("tool_choice").Exists())
		assert.False(t, r.Get("tools").Exists())
	})
	t.Run("tool names sanitized and restored", func(t *testing.T) {
		long := strings.Repeat("n", 140)
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"my.tool"}},{"type":"function","function":{"name":"`+long+`"}}],"tool_choice":{"type":"function","function":{"name":"my.tool"}}}`)
		assert.Equal(t, "my_tool", r.Get("tools.0.name").Str)
		assert.Equal(t, `{"type":"object","properties":{}}`, r.Get("tools.0.input_schema").Raw)
		assert.Len(t, r.Get("tools.1.name").Str, 128)
		assert.Equal(t, "my_tool", r.Get("tool_choice.name").Str)
		assert.Equal(t, "my.tool", meta.ToolNames["my_tool"])
		assert.Equal(t, long, meta.ToolNames[r.Get("tools.1.name").Str])
	})
	e := convAErr(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"tools":[{"type":"custom","custom":{"name":"x"}}]}`)
	assert.Equal(t, "tools[0].type", e.Param)
}

// Matrix 7: response_format.
func TestA_ResponseFormat(t *testing.T) {
	t.Run("json_schema", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_schema","json_schema":{"name":"person","schema":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}}}`)
		assert.True(t, meta.JSONMode)
		assert.Equal(t, jsonToolName, r.Get("tools.0.name").Str)
		assert.Equal(t, `{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}`, r.Get("tools.0.input_schema").Raw)
		assert.Equal(t, `{"type":"tool","name":"json_tool_call"}`, r.Get("tool_choice").Raw)
	})
	t.Run("json_object", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","stream":true,"messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_object"}}`)
		assert.True(t, meta.JSONMode)
		assert.True(t, meta.Stream)
		assert.Equal(t, "object", r.Get("tools.0.input_schema.type").Str)
		assert.Equal(t, "tool", r.Get("tool_choice.type").Str)
		assert.True(t, r.Get("stream").Bool())
	})
	t.Run("with thinking the tool is not forced", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_object"},"reasoning_effort":"low"}`)
		assert.True(t, meta.JSONMode)
		assert.True(t, meta.Thinking)
		assert.Equal(t, `{"type":"auto"}`, r.Get("tool_choice").Raw)
	})
	t.Run("text is a no-op", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"response_format":{"type":"text"}}`)
		assert.False(t, meta.JSONMode)
		assert.False(t, r.Get("tools").Exists())
	})
	t.Run("non-stream response turns the tool back into content", func(t *testing.T) {
		out, _, err := MessagesToChatResponse([]byte(`{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[{"type":"text","text":"Here:"},{"type":"tool_use","id":"toolu_1","name":"json_tool_call","input":{"name": "Ada"}}],"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":6}}`), ChatMeta{JSONMode: true})
		require.NoError(t, err)
		r := gjson.ParseBytes(out)
		assert.Equal(t, `{"name":"Ada"}`, r.Get("choices.0.message.content").Str)
		assert.False(t, r.Get("choices.0.message.tool_calls").Exists())
		assert.Equal(t, "stop", r.Get("choices.0.finish_reason").Str)
	})
}

// Matrix 8: reasoning_effort → thinking.
func TestA_Thinking(t *testing.T) {
	cases := []struct {
		body          string
		budget, max   int64
		thinking      bool
		temperatureOK bool
	}{
		{`"reasoning_effort":"low"`, 1024, 4096, true, false},
		{`"reasoning_effort":"medium"`, 2048, 4096, true, false},
		{`"reasoning_effort":"high"`, 4096, 8192, true, false},
		{`"reasoning_effort":"high","max_tokens":1000`, 4096, 5096, true, false},
		{`"reasoning_effort":"low","max_completion_tokens":20000`, 1024, 20000, true, false},
		{`"reasoning_effort":"none"`, 0, 4096, false, true},
		{`"thinking":{"type":"enabled","budget_tokens":3000}`, 3000, 4096, true, false},
	}
	for _, c := range cases {
		t.Run(c.body, func(t *testing.T) {
			r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"temperature":0.3,"top_k":5,"top_p":0.5,`+c.body+`}`)
			assert.Equal(t, c.thinking, meta.Thinking)
			assert.Equal(t, c.budget, r.Get("thinking.budget_tokens").Int())
			assert.Equal(t, c.max, r.Get("max_tokens").Int())
			if c.thinking {
				assert.Greater(t, r.Get("max_tokens").Int(), r.Get("thinking.budget_tokens").Int())
				assert.Equal(t, "enabled", r.Get("thinking.type").Str)
			}
			assert.Equal(t, c.temperatureOK, r.Get("temperature").Exists())
			assert.Equal(t, c.temperatureOK, r.Get("top_k").Exists())
			assert.False(t, r.Get("top_p").Exists(), "top_p 0.5 not allowed with thinking, and temperature wins otherwise")
		})
	}
	t.Run("top_p 0.95 kept with thinking", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"top_p":0.95,"reasoning_effort":"medium"}`)
		assert.Equal(t, 0.95, r.Get("top_p").Num)
	})
	t.Run("forced tool choice downgraded", func(t *testing.T) {
		r, _ := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"f"}}],"tool_choice":"required","reasoning_effort":"medium"}`)
		assert.Equal(t, "auto", r.Get("tool_choice.type").Str)
	})
	t.Run("prefill disables thinking", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"Sure:  \n"}],"reasoning_effort":"medium","temperature":0.2}`)
		assert.False(t, meta.Thinking)
		assert.False(t, r.Get("thinking").Exists())
		assert.Equal(t, "Sure:", r.Get("messages.1.content.0.text").Str, "prefill trailing whitespace trimmed")
		assert.Equal(t, 0.2, r.Get("temperature").Num)
	})
	t.Run("tool loop without signed thinking disables thinking", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}],"reasoning_effort":"medium"}`)
		assert.False(t, meta.Thinking)
		assert.False(t, r.Get("thinking").Exists())
	})
	t.Run("tool loop with echoed thinking_blocks keeps thinking", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","thinking_blocks":[{"type":"thinking","thinking":"hm","signature":"sig"}],"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}],"reasoning_effort":"medium"}`)
		assert.True(t, meta.Thinking)
		assert.Equal(t, "thinking,tool_use", blockTypes(r, 1))
		assert.Equal(t, "sig", r.Get("messages.1.content.0.signature").Str)
	})
	t.Run("adaptive-only model", func(t *testing.T) {
		r, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"reasoning_effort":"high","temperature":0.5}`, ChatRequestOptions{UpstreamModel: "claude-opus-4-7", AdaptiveThinking: true})
		assert.True(t, meta.Thinking)
		assert.Equal(t, `{"type":"adaptive"}`, r.Get("thinking").Raw)
		assert.Equal(t, "high", r.Get("output_config.effort").Str)
		assert.EqualValues(t, 4096, r.Get("max_tokens").Int(), "no budget to add")
		assert.False(t, r.Get("temperature").Exists())
	})
	e := convAErr(t, `{"model":"x","messages":[{"role":"user","content":"q"}],"reasoning_effort":"extreme"}`)
	assert.Equal(t, "reasoning_effort", e.Param)
}

// Non-stream response conversion (docs/conversion.md, "Responses").
func TestA_Response(t *testing.T) {
	body := `{"id":"msg_01","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
	"content":[{"type":"thinking","thinking":"hmm","signature":"sig"},{"type":"text","text":"Part 1. "},{"type":"server_tool_use","id":"srvtoolu_1","name":"web_search","input":{"query":"x"}},{"type":"text","text":"Part 2."},
	{"type":"tool_use","id":"toolu_1","name":"my_tool","input":{"z":1,"a":{"b":[1,2]}}}],
	"stop_reason":"tool_use","stop_sequence":null,
	"usage":{"input_tokens":10,"cache_creation_input_tokens":20,"cache_read_input_tokens":30,"output_tokens":40}}`
	out, u, err := MessagesToChatResponse([]byte(body), ChatMeta{RequestedModel: "alias", ToolNames: map[string]string{"my_tool": "my.tool"}, Now: fixedNow})
	require.NoError(t, err)
	var cc openai.ChatCompletion
	require.NoError(t, json.Unmarshal(out, &cc))
	r := gjson.ParseBytes(out)
	assert.Equal(t, "msg_01", cc.ID)
	assert.Equal(t, "chat.completion", r.Get("object").Str)
	assert.EqualValues(t, 1700000000, cc.Created)
	assert.Equal(t, "claude-sonnet-4-5-20250929", cc.Model, "upstream model")
	m := cc.Choices[0].Message
	assert.Equal(t, "Part 1. Part 2.", m.Content)
	assert.Equal(t, "hmm", r.Get("choices.0.message.reasoning_content").Str)
	assert.Equal(t, "sig", r.Get("choices.0.message.thinking_blocks.0.signature").Str)
	require.Len(t, m.ToolCalls, 1, "server tools are not exposed as tool calls")
	assert.Equal(t, "toolu_1", m.ToolCalls[0].ID)
	assert.Equal(t, "my.tool", m.ToolCalls[0].Function.Name)
	assert.Equal(t, `{"z":1,"a":{"b":[1,2]}}`, m.ToolCalls[0].Function.Arguments, "key order kept")
	assert.Equal(t, "tool_calls", cc.Choices[0].FinishReason)
	assert.EqualValues(t, 60, cc.Usage.PromptTokens)
	assert.EqualValues(t, 40, cc.Usage.CompletionTokens)
	assert.EqualValues(t, 100, cc.Usage.TotalTokens)
	assert.EqualValues(t, 30, cc.Usage.PromptTokensDetails.CachedTokens)
	assert.Equal(t, Usage{PromptTokens: 60, CompletionTokens: 40, TotalTokens: 100, CacheReadTokens: 30, CacheCreationTokens: 20}, u)

	t.Run("tool calls only: content null", func(t *testing.T) {
		out, _, err := MessagesToChatResponse([]byte(`{"id":"m","type":"message","content":[{"type":"tool_use","id":"t","name":"f","input":{}}],"stop_reason":"tool_use","usage":{}}`), ChatMeta{UpstreamModel: "fallback"})
		require.NoError(t, err)
		r := gjson.ParseBytes(out)
		assert.Equal(t, gjson.Null, r.Get("choices.0.message.content").Type)
		assert.Equal(t, "{}", r.Get("choices.0.message.tool_calls.0.function.arguments").Str)
		assert.Equal(t, "fallback", r.Get("model").Str)
	})
	for stop, want := range map[string]string{"end_turn": "stop", "stop_sequence": "stop", "max_tokens": "length", "tool_use": "tool_calls", "refusal": "content_filter", "pause_turn": "stop", "model_context_window_exceeded": "length", "": "stop", "brand_new": "stop"} {
		t.Run("stop_reason "+stop, func(t *testing.T) {
			out, _, err := MessagesToChatResponse([]byte(`{"id":"m","content":[{"type":"text","text":"x"}],"stop_reason":"`+stop+`"}`), ChatMeta{})
			require.NoError(t, err)
			assert.Equal(t, want, gjson.GetBytes(out, "choices.0.finish_reason").Str)
		})
	}
	_, _, err = MessagesToChatResponse([]byte(`<html>`), ChatMeta{})
	assert.Error(t, err)
	_, _, err = MessagesToChatResponse([]byte(`{"type":"error","error":{"type":"api_error","message":"x"}}`), ChatMeta{})
	assert.Error(t, err)
}

// Hostile shapes must stay cheap and must not crash: many tool calls (no
// quadratic pairing) and deep nesting (gjson recursion).
func TestA_HostileInputs(t *testing.T) {
	var sb strings.Builder
	sb.WriteString(`{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[`)
	const n = 20000
	for i := 0; i < n; i++ {
		if i > 0 {
			sb.WriteByte(',')
		}
		sb.WriteString(`{"id":"c` + itoa(i) + `","type":"function","function":{"name":"f","arguments":"{}"}}`)
	}
	sb.WriteString(`]}`)
	for i := 0; i < n; i++ {
		sb.WriteString(`,{"role":"tool","tool_call_id":"c` + itoa(i) + `","content":"r"}`)
	}
	sb.WriteString(`]}`)
	r, _ := convA(t, sb.String())
	assert.Len(t, r.Get("messages.2.content").Array(), n)

	deep := `{"model":"x","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"f","parameters":` + strings.Repeat("[", 100000) + strings.Repeat("]", 100000) + `}}]}`
	// Request bodies are checked once, by the gateway, before a converter
	// sees them: this one never gets here.
	assert.False(t, gatewayAccepts([]byte(deep)))
	_, _, err := MessagesToChatResponse([]byte(strings.Repeat("[", 100000)), ChatMeta{})
	assert.Error(t, err)
	args := `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","function":{"name":"f","arguments":"{\"a\":` + strings.Repeat("[", 100000) + `"}}]}]}`
	r, _ = convA(t, args)
	assert.Equal(t, "{}", r.Get("messages.1.content.0.input").Raw, "deeply nested arguments are not parsed")
}

func TestA_ThinkingToolLoopUserTextFirst(t *testing.T) {
	// The merged user turn starts with text before the tool result; it is
	// still a tool loop.
	_, meta := convA(t, `{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{}"}}]},{"role":"user","content":"fyi"},{"role":"tool","tool_call_id":"c","content":"r"}],"reasoning_effort":"medium"}`)
	assert.False(t, meta.Thinking)
}

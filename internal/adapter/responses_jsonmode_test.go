package adapter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// text.format became the json_tool_call tool for Messages
// (ResponsesMeta.JSONMode): the tool's input comes back as the message
// text, never as a function call the client did not declare.
func TestResponsesJSONModeFromMessages(t *testing.T) {
	meta := respTestMeta(false)
	meta.JSONMode = true
	whole := `{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[` +
		`{"type":"tool_use","id":"toolu_1","name":"json_tool_call","input":{"name": "Ada", "age": 36}}],"stop_reason":"tool_use","usage":{"input_tokens":5,"output_tokens":6}}`
	out, _, err := MessagesToResponsesResponse([]byte(whole), meta)
	require.NoError(t, err)
	r := gjson.ParseBytes(out)
	assert.Equal(t, "completed", r.Get("status").Str)
	require.Equal(t, int64(1), r.Get("output.#").Int())
	assert.Equal(t, "message", r.Get("output.0.type").Str)
	assert.JSONEq(t, `{"name":"Ada","age":36}`, r.Get("output.0.content.0.text").Str)

	stream := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_1\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"usage\":{\"input_tokens\":5,\"output_tokens\":1}}}\n\n" +
		"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_1\",\"name\":\"json_tool_call\",\"input\":{}}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"name\\\": \\\"A\"}}\n\n" +
		"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"da\\\"}\"}}\n\n" +
		"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
		"event: message_delta\ndata: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\"},\"usage\":{\"output_tokens\":6}}\n\n" +
		"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
	for _, jsonMode := range []bool{true, false} {
		m := respTestMeta(true)
		m.JSONMode = jsonMode
		rs := checkResponsesStream(t, runStream(t, NewMessagesToResponsesStream(m), []byte(stream)))
		final := rs.terminal.Get("response")
		if jsonMode {
			assert.Equal(t, "message", final.Get("output.0.type").Str)
			assert.JSONEq(t, `{"name":"Ada"}`, final.Get("output.0.content.0.text").Str)
		} else {
			assert.Equal(t, "function_call", final.Get("output.0.type").Str, "without JSON mode it is the client's own tool")
		}
	}
}

// A chat upstream's reasoning_content is carried whole in the reasoning
// item's encrypted_content when the client asks for it, so the request
// side can send it back (DeepSeek's thinking mode requires it in a tool
// loop).
func TestResponsesChatReasoningIsCarried(t *testing.T) {
	meta := respTestMeta(false)
	meta.IncludeEncryptedReasoning = true
	body := `{"id":"c1","object":"chat.completion","created":1,"model":"deepseek-chat","choices":[{"index":0,"message":{"role":"assistant",` +
		`"content":null,"reasoning_content":"I need the weather tool.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"f","arguments":"{}"}}]},` +
		`"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`
	out, _, err := ChatToResponsesResponse([]byte(body), meta)
	require.NoError(t, err)
	r := gjson.ParseBytes(out)
	require.Equal(t, "reasoning", r.Get("output.0.type").Str)
	rb, ok, err := DecodeReasoning(r.Get("output.0.encrypted_content").Str)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, "I need the weather tool.", rb.Thinking)
	assert.Empty(t, rb.Signature)

	meta.IncludeEncryptedReasoning = false
	out, _, err = ChatToResponsesResponse([]byte(body), meta)
	require.NoError(t, err)
	assert.False(t, gjson.GetBytes(out, "output.0.encrypted_content").Exists(), "only when asked for")
}

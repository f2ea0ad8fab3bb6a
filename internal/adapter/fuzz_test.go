package adapter

import (
	"bytes"
	"errors"
	"strings"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/jsonx"
)

// Seed request bodies: the shapes the table tests use, so the fuzzers start
// from every branch and the seeds run in plain `go test`.
var chatSeeds = []string{
	`{"model":"gpt-4o","messages":[{"role":"system","content":"S"},{"role":"user","content":"hi"}]}`,
	`{"model":"x","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"developer","content":[{"type":"text","text":"D","cache_control":{"type":"ephemeral"}}]},{"role":"user","content":[{"type":"text","text":"look"},{"type":"image_url","image_url":{"url":"data:image/png;base64,iVBOR"}},{"type":"image_url","image_url":{"url":"https://x/y.jpg"}},{"type":"file","file":{"file_data":"data:application/pdf;base64,JVBER"}}]}]}`,
	`{"model":"x","tools":[{"type":"function","function":{"name":"f.x","parameters":{"properties":{}}}}],"tool_choice":{"type":"function","function":{"name":"f.x"}},"parallel_tool_calls":false,"messages":[{"role":"user","content":"q"},{"role":"assistant","content":"","tool_calls":[{"id":"functions.f:0","type":"function","function":{"name":"f.x","arguments":"{\"a\":1}"}},{"id":"c2","type":"function","function":{"name":"f.x","arguments":""}}]},{"role":"tool","tool_call_id":"functions.f:0","content":"r"},{"role":"tool","tool_call_id":"ghost","content":[{"type":"text","text":"t"}]},{"role":"user","content":"more"}]}`,
	`{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","content":"prefill  "}],"reasoning_effort":"high","max_tokens":100,"temperature":1.7,"top_p":0.9,"top_k":3,"stop":["a"," "],"n":1,"user":"u"}`,
	`{"model":"x","messages":[{"role":"user","content":"q"}],"response_format":{"type":"json_schema","json_schema":{"schema":{"type":"object"}}},"thinking":{"type":"enabled","budget_tokens":2000}}`,
	`{"model":"x","messages":[{"role":"user","content":"q"},{"role":"assistant","thinking_blocks":[{"type":"thinking","thinking":"t","signature":"s"}],"tool_calls":[{"id":"c","function":{"name":"f","arguments":"{}"}}]},{"role":"tool","tool_call_id":"c","content":"r"}],"reasoning_effort":"low","web_search_options":{"search_context_size":"high","user_location":{"approximate":{"city":"Paris"}}}}`,
	`{"model":"x","messages":[{"role":"tool","tool_call_id":"x","content":"r"}],"n":2}`,
	`{"model":"x","messages":[{"role":"user","content":[{"type":"input_audio"}]}]}`,
	`[]`, `{}`, `null`, `{"messages":[]}`,
}

var messagesSeeds = []string{
	`{"model":"claude","max_tokens":10,"system":"S","messages":[{"role":"user","content":"hi"}]}`,
	`{"model":"c","max_tokens":10,"stream":true,"system":[{"type":"text","text":"A","cache_control":{"type":"ephemeral"}}],"stop_sequences":["x"],"metadata":{"user_id":"u"},"temperature":0,"messages":[{"role":"user","content":[{"type":"text","text":"t"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"AAA"}},{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVB"}},{"type":"document","source":{"type":"text","data":"d"}}]}]}`,
	`{"model":"c","max_tokens":10,"tools":[{"name":"f","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}],"tool_choice":{"type":"tool","name":"f","disable_parallel_tool_use":true},"thinking":{"type":"enabled","budget_tokens":5000},"messages":[{"role":"user","content":"q"},{"role":"assistant","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"x"},{"type":"tool_use","id":"t1","name":"f","input":{"a":1}}]},{"role":"user","content":[{"type":"text","text":"after"},{"type":"tool_result","tool_use_id":"t1","is_error":true,"content":[{"type":"text","text":"e"},{"type":"image","source":{"type":"url","url":"https://x"}}]},{"type":"tool_result","tool_use_id":"ghost","content":"g"}]}]}`,
	`{"model":"c","max_tokens":10,"output_config":{"format":{"type":"json_schema","schema":{"type":"object"}},"effort":"high"},"thinking":{"type":"adaptive"},"messages":[{"role":"assistant","content":[{"type":"tool_use","id":"t","name":"f","input":{}}]}]}`,
	`{"model":"c","max_tokens":0,"messages":[{"role":"system","content":"x"}]}`,
	`[]`, `{}`, `null`,
}

var anthropicResponseSeeds = []string{
	`{"id":"msg_1","type":"message","role":"assistant","model":"claude","content":[{"type":"thinking","thinking":"t","signature":"s"},{"type":"text","text":"a"},{"type":"tool_use","id":"t","name":"f","input":{"x":1}},{"type":"tool_use","id":"j","name":"json_tool_call","input":{"y":2}}],"stop_reason":"tool_use","usage":{"input_tokens":1,"output_tokens":2,"cache_read_input_tokens":3}}`,
	`{"type":"error","error":{"type":"overloaded_error","message":"o"}}`,
}

var openAIResponseSeeds = []string{
	`{"id":"chatcmpl-1","model":"gpt","choices":[{"index":0,"message":{"role":"assistant","content":"a","reasoning_content":"r","refusal":null,"tool_calls":[{"id":"c","type":"function","function":{"name":"f","arguments":"{\"a\":1}"}},{"function":{"arguments":"bad"}}]},"finish_reason":"tool_calls"}],"usage":{"prompt_tokens":5,"completion_tokens":1,"prompt_tokens_details":{"cached_tokens":9}}}`,
	`{"error":{"message":"x"}}`,
}

// gatewayAccepts is the gateway's check in front of the request
// converters (one JSON value, UTF-8, nested at most 256 deep); the
// converters rely on it and do not check again.
func gatewayAccepts(body []byte) bool {
	problem, _ := jsonx.Check(body, 256)
	return problem == jsonx.OK
}

func checkRequestOutput(t *testing.T, out []byte, err error) {
	if err != nil {
		var ae *Error
		if !errors.As(err, &ae) || ae.Status != 400 || ae.Message == "" {
			t.Fatalf("request errors must be *Error 400 with a message, got %T %v", err, err)
		}
		return
	}
	if !gjson.ValidBytes(out) {
		t.Fatalf("output is not valid JSON: %s", out)
	}
}

func FuzzChatToMessagesRequest(f *testing.F) {
	for _, s := range chatSeeds {
		f.Add([]byte(s))
	}
	for _, s := range anthropicResponseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var meta ChatMeta
		if gatewayAccepts(body) {
			var out []byte
			var err error
			out, meta, err = ChatToMessagesRequest(body, ChatRequestOptions{UpstreamModel: "claude"})
			checkRequestOutput(t, out, err)
			if err == nil && gjson.GetBytes(out, "max_tokens").Int() <= gjson.GetBytes(out, "thinking.budget_tokens").Int() {
				t.Fatalf("max_tokens must exceed the thinking budget: %s", out)
			}
		}
		// The same bytes as an upstream answer must not panic either.
		if resp, _, err := MessagesToChatResponse(body, meta); err == nil && !gjson.ValidBytes(resp) {
			t.Fatalf("response is not valid JSON: %s", resp)
		}
	})
}

func FuzzMessagesToChatRequest(f *testing.F) {
	for _, s := range messagesSeeds {
		f.Add([]byte(s))
	}
	for _, s := range openAIResponseSeeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		var meta MessagesMeta
		if gatewayAccepts(body) {
			var out []byte
			var err error
			out, meta, err = MessagesToChatRequest(body, MessagesRequestOptions{UpstreamModel: "gpt"})
			checkRequestOutput(t, out, err)
			_, _ = EstimateInputTokens(body)
		}
		if resp, _, err := ChatToMessagesResponse(body, meta); err == nil && !gjson.ValidBytes(resp) {
			t.Fatalf("response is not valid JSON: %s", resp)
		}
		if !gjson.ValidBytes(OpenAIErrorFromUpstream(500, body)) || !gjson.ValidBytes(AnthropicErrorFromUpstream(500, body)) {
			t.Fatal("error conversion produced invalid JSON")
		}
	})
}

// checkFrames verifies the converter's output framing: complete frames,
// one data line each, valid JSON (or [DONE]), nothing after the end.
func checkFrames(t *testing.T, out []byte, named bool) {
	if len(out) == 0 {
		return
	}
	if !bytes.HasSuffix(out, []byte("\n\n")) {
		t.Fatalf("output does not end with a blank line: %q", out)
	}
	ended := false
	for _, fr := range strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n") {
		if ended {
			t.Fatalf("frame after the end of the stream: %q", fr)
		}
		lines := strings.Split(fr, "\n")
		if named {
			if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") {
				t.Fatalf("frame without event line: %q", fr)
			}
			name := strings.TrimPrefix(lines[0], "event: ")
			data := strings.TrimPrefix(lines[1], "data: ")
			if !gjson.Valid(data) || gjson.Get(data, "type").Str != name {
				t.Fatalf("event %q with data %q", name, data)
			}
			ended = name == "message_stop" || name == "error"
			continue
		}
		if len(lines) != 1 || !strings.HasPrefix(lines[0], "data: ") {
			t.Fatalf("bad frame %q", fr)
		}
		data := strings.TrimPrefix(lines[0], "data: ")
		if data == "[DONE]" || gjson.Get(data, "error").Exists() {
			ended = true
			continue
		}
		if !gjson.Valid(data) {
			t.Fatalf("invalid JSON %q", data)
		}
	}
}

func FuzzMessagesToChatStream(f *testing.F) {
	for _, in := range goldenInputs("a_") {
		f.Add(in, false, false)
		f.Add(in, true, true)
	}
	f.Fuzz(func(t *testing.T, in []byte, includeUsage, jsonMode bool) {
		conv := NewMessagesToChatStream(ChatMeta{Stream: true, IncludeUsage: includeUsage, JSONMode: jsonMode, Now: fixedNow})
		out := runStream(nil, conv, in)
		checkFrames(t, out, false)
		// Either [DONE] (success) or an error frame (failure): never neither.
		failed, _ := conv.Failed()
		if failed == bytes.HasSuffix(out, []byte("data: [DONE]\n\n")) {
			t.Fatalf("failed=%v but output %q", failed, out)
		}
		r := checkOpenAIStream(t, out)
		_ = r
	})
}

func FuzzChatToMessagesStream(f *testing.F) {
	for _, in := range goldenInputs("b_") {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		conv := NewChatToMessagesStream(MessagesMeta{Stream: true, UpstreamModel: "m"})
		out := runStream(nil, conv, in)
		checkFrames(t, out, true)
		failed, _ := conv.Failed()
		if failed == bytes.HasSuffix(out, []byte("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")) {
			t.Fatalf("failed=%v but output %q", failed, out)
		}
		// Block bookkeeping and the SDK's accumulator must accept it all.
		checkAnthropicStream(t, out)
	})
}

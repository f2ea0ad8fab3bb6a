package adapter

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/sse"
)

// respCase is one golden Responses stream: the upstream events in
// testdata/responses_stream/<in>, the events written in <name>.golden, and
// what the official SDK must see in them.
type respCase struct {
	name, in string
	chat     bool // a Chat Completions upstream; else Messages
	include  bool // include: reasoning.encrypted_content
	terminal string
	status   string
	outputs  []string // the final output's item types
	code     string   // response.error.code of a failed stream
	check    func(t *testing.T, final responses.Response, evs []responses.ResponseStreamEventUnion)
}

func (c respCase) conv() *ResponsesStream {
	if c.chat {
		return NewChatToResponsesStream(respTestMeta(c.include))
	}
	return NewMessagesToResponsesStream(respTestMeta(c.include))
}

func respCases() []respCase {
	return []respCase{
		{name: "chat_text", in: "chat_text.in", chat: true, terminal: "response.completed", status: "completed",
			outputs: []string{"message"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "Hello, world \"quoted\"\n", r.OutputText())
				assert.Equal(t, "gpt-5-codex", r.Model)
				assert.Equal(t, "resp_test", r.ID)
				assert.Equal(t, int64(120), r.Usage.InputTokens)
				assert.Equal(t, int64(100), r.Usage.InputTokensDetails.CachedTokens)
				assert.Equal(t, int64(150), r.Usage.TotalTokens)
				// The echo: request members in, own members and store:false win.
				assert.Equal(t, "Be brief.", r.Instructions.OfString)
				assert.Equal(t, int64(1000), r.MaxOutputTokens)
				assert.Len(t, r.Tools, 2)
				assert.Equal(t, "v", r.Metadata["k"])
				assert.Equal(t, 1.0, r.Temperature, "default")
				assert.False(t, gjson.Get(r.RawJSON(), "store").Bool())
				var deltas string
				for _, e := range evs {
					if e.Type == "response.output_text.delta" {
						deltas += e.Delta
					}
				}
				assert.Equal(t, r.OutputText(), deltas)
			}},
		{name: "chat_two_tools", in: "chat_two_tools.in", chat: true, terminal: "response.completed", status: "completed",
			outputs: []string{"function_call", "function_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				a, b := r.Output[0].AsFunctionCall(), r.Output[1].AsFunctionCall()
				assert.Equal(t, [4]string{"call_a", "get_weather", `{"city":"Paris"}`, "completed"}, [4]string{a.CallID, a.Name, a.Arguments, string(a.Status)})
				assert.Equal(t, [3]string{"call_b", "get_time", `{"tz":"CET"}`}, [3]string{b.CallID, b.Name, b.Arguments})
				// The interleaved pieces reach the right items.
				args := map[int64]string{}
				for _, e := range evs {
					if e.Type == "response.function_call_arguments.delta" {
						args[e.OutputIndex] += e.Delta
					}
				}
				assert.Equal(t, map[int64]string{0: `{"city":"Paris"}`, 1: `{"tz":"CET"}`}, args)
			}},
		{name: "chat_text_then_tool", in: "chat_text_then_tool.in", chat: true, terminal: "response.completed", status: "completed",
			outputs: []string{"message", "function_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "Let me check.", r.OutputText())
				fc := r.Output[1].AsFunctionCall()
				assert.Equal(t, `{"city":"Oslo"}`, fc.Arguments)
				assert.Zero(t, r.Usage.InputTokens, "no usage chunk")
			}},
		{name: "chat_custom_tool", in: "chat_custom_tool.in", chat: true, terminal: "response.completed", status: "completed",
			outputs: []string{"custom_tool_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				checkPatch(t, r, evs, "call_p")
			}},
		{name: "chat_namespace_tool", in: "chat_namespace_tool.in", chat: true, terminal: "response.completed", status: "completed",
			outputs: []string{"function_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				fc := r.Output[0].AsFunctionCall()
				assert.Equal(t, [4]string{"call_ns", "read_file", "fs", `{"path":"README.md"}`}, [4]string{fc.CallID, fc.Name, fc.Namespace, fc.Arguments})
			}},
		{name: "chat_reasoning", in: "chat_reasoning.in", chat: true, terminal: "response.completed", status: "completed",
			outputs: []string{"reasoning", "message"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				rs := r.Output[0].AsReasoning()
				require.Len(t, rs.Summary, 1)
				assert.Equal(t, "The user greets. Answer briefly.", rs.Summary[0].Text)
				assert.Empty(t, rs.EncryptedContent, "a chat upstream's reasoning cannot be sent back")
				assert.Equal(t, "Hi!", r.OutputText())
				assert.Equal(t, int64(25), r.Usage.OutputTokensDetails.ReasoningTokens)
			}},
		{name: "chat_length", in: "chat_length.in", chat: true, terminal: "response.incomplete", status: "incomplete",
			outputs: []string{"message"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "max_output_tokens", r.IncompleteDetails.Reason)
				assert.Equal(t, "incomplete", string(r.Output[0].AsMessage().Status))
				assert.Equal(t, "One two three", r.OutputText())
			}},
		{name: "chat_error_midstream", in: "chat_error_midstream.in", chat: true, terminal: "response.failed", status: "failed",
			outputs: []string{}, code: "rate_limit_exceeded",
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "Rate limit reached for requests Please try again in 5s.", r.Error.Message)
			}},
		{name: "chat_truncated", in: "chat_truncated.in", chat: true, terminal: "response.failed", status: "failed",
			outputs: []string{"message"}, code: "server_error"},
		{name: "msg_text", in: "msg_text.in", terminal: "response.completed", status: "completed",
			outputs: []string{"message"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "Hello there.", r.OutputText())
				// Anthropic's input_tokens excludes the cache read.
				assert.Equal(t, int64(100), r.Usage.InputTokens)
				assert.Equal(t, int64(70), r.Usage.InputTokensDetails.CachedTokens)
				assert.Equal(t, int64(12), r.Usage.OutputTokens)
			}},
		{name: "msg_thinking_tool", in: "msg_thinking_tool.in", include: true, terminal: "response.completed", status: "completed",
			outputs: []string{"reasoning", "reasoning", "message", "function_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				rs := r.Output[0].AsReasoning()
				require.Len(t, rs.Summary, 1)
				assert.Equal(t, "The user wants the weather.", rs.Summary[0].Text)
				b, ok, err := DecodeReasoning(rs.EncryptedContent)
				require.NoError(t, err)
				require.True(t, ok)
				assert.Equal(t, ReasoningBlock{Thinking: "The user wants the weather.", Signature: "EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"}, b)
				red := r.Output[1].AsReasoning()
				assert.Empty(t, red.Summary)
				b, ok, err = DecodeReasoning(red.EncryptedContent)
				require.NoError(t, err)
				require.True(t, ok)
				assert.Equal(t, ReasoningBlock{Redacted: "EmwKAhgBEgy3va3pzix"}, b)
				fc := r.Output[3].AsFunctionCall()
				assert.Equal(t, [3]string{"toolu_01", "get_weather", `{"city": "Oslo"}`}, [3]string{fc.CallID, fc.Name, fc.Arguments})
			}},
		{name: "msg_thinking_no_include", in: "msg_thinking_tool.in", terminal: "response.completed", status: "completed",
			outputs: []string{"reasoning", "message", "function_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Empty(t, r.Output[0].AsReasoning().EncryptedContent)
			}},
		{name: "msg_custom_tool", in: "msg_custom_tool.in", terminal: "response.completed", status: "completed",
			outputs: []string{"custom_tool_call", "function_call"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				checkPatch(t, r, evs, "toolu_p")
				fc := r.Output[1].AsFunctionCall()
				assert.Equal(t, [3]string{"read_file", "fs", `{"path":"a.txt"}`}, [3]string{fc.Name, fc.Namespace, fc.Arguments})
			}},
		{name: "msg_max_tokens", in: "msg_max_tokens.in", terminal: "response.incomplete", status: "incomplete",
			outputs: []string{"message"},
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "max_output_tokens", r.IncompleteDetails.Reason)
				assert.Equal(t, "A long answer", r.OutputText())
			}},
		{name: "msg_error_midstream", in: "msg_error_midstream.in", terminal: "response.failed", status: "failed",
			outputs: []string{}, code: "server_is_overloaded",
			check: func(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion) {
				assert.Equal(t, "Overloaded", r.Error.Message)
			}},
		{name: "msg_truncated", in: "msg_truncated.in", terminal: "response.failed", status: "failed",
			outputs: []string{}, code: "server_error"},
	}
}

// checkPatch checks a custom tool call: the input decoded from the
// function's arguments (escapes and a surrogate pair cut between pieces),
// streamed in deltas that add up to it.
func checkPatch(t *testing.T, r responses.Response, evs []responses.ResponseStreamEventUnion, callID string) {
	const patch = "*** Begin Patch\n*** Add File: a.txt\n+héllo 😀 \"q\"\n*** End Patch"
	ct := r.Output[0].AsCustomToolCall()
	assert.Equal(t, [3]string{callID, "apply_patch", patch}, [3]string{ct.CallID, ct.Name, ct.Input})
	var deltas, done string
	n := 0
	for _, e := range evs {
		switch e.Type {
		case "response.custom_tool_call_input.delta":
			deltas += e.Delta
			n++
		case "response.custom_tool_call_input.done":
			done = e.Input
		case "response.output_item.done":
			if e.Item.Type != "custom_tool_call" {
				continue
			}
			assert.Equal(t, patch, e.Item.AsCustomToolCall().Input, "Codex reads the call from output_item.done")
		}
	}
	assert.Equal(t, patch, deltas)
	assert.Equal(t, patch, done)
	assert.Greater(t, n, 2, "the input streams as it arrives")
}

func runResp(t *testing.T, c respCase) []byte {
	in, err := os.ReadFile(filepath.Join("testdata", "responses_stream", c.in))
	require.NoError(t, err)
	return runStream(t, c.conv(), in)
}

func TestResponsesStreamGolden(t *testing.T) {
	dir := filepath.Join("testdata", "responses_stream")
	covered := map[string]bool{}
	for _, c := range respCases() {
		covered[c.in] = true
		t.Run(c.name, func(t *testing.T) {
			got := runResp(t, c)
			golden := filepath.Join(dir, c.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/adapter -run TestResponsesStreamGolden -update")
			assert.Equal(t, string(want), string(got))
			assert.Equal(t, string(got), string(runResp(t, c)), "deterministic")
		})
	}
	ins, _ := filepath.Glob(filepath.Join(dir, "*.in"))
	for _, p := range ins {
		assert.True(t, covered[filepath.Base(p)], "%s has no case in respCases", p)
	}
}

// TestResponsesStreamSDK reads every golden stream with openai-go's event
// union and checks what an application sees: the types, the terminal
// response, its items.
func TestResponsesStreamSDK(t *testing.T) {
	for _, c := range respCases() {
		t.Run(c.name, func(t *testing.T) {
			conv := c.conv()
			in, err := os.ReadFile(filepath.Join("testdata", "responses_stream", c.in))
			require.NoError(t, err)
			out := runStream(t, conv, in)
			rs := checkResponsesStream(t, out)
			evs := sdkEvents(t, out)
			require.Len(t, evs, len(rs.types))
			for i, e := range evs {
				assert.Equal(t, rs.types[i], e.Type)
				assert.Equal(t, int64(i), e.SequenceNumber)
			}
			last := evs[len(evs)-1]
			require.Equal(t, c.terminal, last.Type)
			final := last.Response
			assert.Equal(t, c.status, string(final.Status))
			types := []string{}
			for _, it := range final.Output {
				types = append(types, it.Type)
			}
			assert.Equal(t, c.outputs, types)
			assert.True(t, conv.Done())
			failed, msg := conv.Failed()
			assert.Equal(t, c.terminal == "response.failed", failed, msg)
			if c.code != "" {
				assert.Equal(t, c.code, string(final.Error.Code))
				assert.NotEmpty(t, msg)
			}
			// The stream's usage is the one the final object reports.
			u := conv.Usage()
			assert.Equal(t, u.PromptTokens, final.Usage.InputTokens)
			assert.Equal(t, u.CompletionTokens, final.Usage.OutputTokens)
			if c.check != nil {
				c.check(t, final, evs)
			}
		})
	}
}

// TestResponsesStreamCalls covers the converter's other entry points: the
// gateway's own error frame, events after the end, malformed data.
func TestResponsesStreamCalls(t *testing.T) {
	t.Run("ErrorFrame ends the stream once", func(t *testing.T) {
		conv := NewChatToResponsesStream(respTestMeta(false))
		in := respGoldenInputs("chat_text")[0]
		chunks := bytes.SplitAfter(in, []byte("\n\n"))
		out := runStreamNoFinish(t, conv, bytes.Join(chunks[:2], nil))
		out = append(out, conv.ErrorFrame("idle timeout")...)
		rs := checkResponsesStream(t, out)
		assert.Equal(t, "response.failed", rs.terminal.Get("type").Str)
		assert.Equal(t, "server_error", rs.terminal.Get("response.error.code").Str)
		assert.Equal(t, "idle timeout", rs.terminal.Get("response.error.message").Str)
		assert.True(t, conv.Done())
		assert.Nil(t, conv.ErrorFrame("again"))
		assert.Nil(t, conv.Finish())
	})
	t.Run("malformed data fails the stream", func(t *testing.T) {
		for _, conv := range []*ResponsesStream{NewChatToResponsesStream(respTestMeta(false)), NewMessagesToResponsesStream(respTestMeta(false))} {
			out := runStream(t, conv, []byte("data: {\"choices\":[\n\n"))
			rs := checkResponsesStream(t, out)
			assert.Equal(t, "response.failed", rs.terminal.Get("type").Str)
			failed, msg := conv.Failed()
			assert.True(t, failed)
			assert.Contains(t, msg, "not JSON")
		}
	})
	t.Run("content before message_start", func(t *testing.T) {
		conv := NewMessagesToResponsesStream(respTestMeta(false))
		out := runStream(t, conv, []byte("event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"))
		rs := checkResponsesStream(t, out)
		assert.Contains(t, rs.terminal.Get("response.error.message").Str, "did not begin with message_start")
	})
}

// runStreamNoFinish feeds the events of in without the body's end.
func runStreamNoFinish(t *testing.T, conv *ResponsesStream, in []byte) []byte {
	var out []byte
	r := sse.NewReader(bytes.NewReader(in))
	for {
		ev, err := r.Next()
		if err != nil {
			return out
		}
		b, _ := conv.Event(ev)
		out = append(out, b...)
	}
}

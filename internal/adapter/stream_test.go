package adapter

import (
	"bytes"
	"encoding/json"
	"errors"
	"flag"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/sse"
)

var update = flag.Bool("update", false, "rewrite testdata/stream/*.golden from the current output")

// fixedNow makes `created` deterministic in goldens.
func fixedNow() time.Time { return time.Unix(1700000000, 0) }

// seqIDs returns a deterministic id generator for goldens.
func seqIDs() func(string) string {
	n := 0
	return func(prefix string) string {
		n++
		return prefix + "test" + string(rune('0'+n%10))
	}
}

type streamConv interface {
	Event(ev sse.Event) ([]byte, error)
	Finish() []byte
	Usage() Usage
	Failed() (bool, string)
}

// runStream feeds raw SSE bytes through conv as the gateway does: events
// read without error are converted, then Finish is called at the end.
func runStream(t testing.TB, conv streamConv, in []byte) []byte {
	var out []byte
	r := sse.NewReader(bytes.NewReader(in))
	for {
		ev, err := r.Next()
		if err != nil {
			if t != nil && !errors.Is(err, io.EOF) && !errors.Is(err, io.ErrUnexpectedEOF) {
				t.Fatalf("sse read: %v", err)
			}
			break
		}
		b, _ := conv.Event(ev)
		out = append(out, b...)
	}
	return append(out, conv.Finish()...)
}

type streamCase struct {
	name string
	in   string
	a    *ChatMeta     // direction A (Anthropic SSE in, OpenAI out)
	b    *MessagesMeta // direction B (OpenAI SSE in, Anthropic out)
}

func streamCases() []streamCase {
	a := func(includeUsage, jsonMode bool) *ChatMeta {
		return &ChatMeta{Stream: true, IncludeUsage: includeUsage, JSONMode: jsonMode, UpstreamModel: "claude-sonnet-4-5", Now: fixedNow}
	}
	b := func() *MessagesMeta {
		return &MessagesMeta{Stream: true, UpstreamModel: "gpt-4o", EstimatedInputTokens: 42, NewID: seqIDs()}
	}
	return []streamCase{
		{name: "a_text", in: "a_text.in", a: a(false, false)},
		{name: "a_text_usage", in: "a_text.in", a: a(true, false)},
		{name: "a_text_two_tools", in: "a_text_two_tools.in", a: a(false, false)},
		{name: "a_tool_empty_args", in: "a_tool_empty_args.in", a: a(true, false)},
		{name: "a_thinking_first", in: "a_thinking_first.in", a: a(false, false)},
		{name: "a_error_midstream", in: "a_error_midstream.in", a: a(true, false)},
		{name: "a_truncated", in: "a_truncated.in", a: a(true, false)},
		{name: "a_json_mode", in: "a_json_mode.in", a: a(false, true)},
		{name: "b_text", in: "b_text.in", b: b()},
		{name: "b_reasoning_text_tools", in: "b_reasoning_text_tools.in", b: b()},
		{name: "b_two_tools_one_chunk", in: "b_two_tools_one_chunk.in", b: b()},
		{name: "b_content_finish_one_chunk", in: "b_content_finish_one_chunk.in", b: b()},
		{name: "b_no_finish", in: "b_no_finish.in", b: b()},
		{name: "b_no_finish_tools", in: "b_no_finish_tools.in", b: b()},
		{name: "b_stop_after_tools", in: "b_stop_after_tools.in", b: b()},
		{name: "b_error_midstream", in: "b_error_midstream.in", b: b()},
		{name: "b_truncated", in: "b_truncated.in", b: b()},
	}
}

func (c streamCase) conv() streamConv {
	if c.a != nil {
		return NewMessagesToChatStream(*c.a)
	}
	return NewChatToMessagesStream(*c.b)
}

func TestStreamGolden(t *testing.T) {
	dir := filepath.Join("testdata", "stream")
	covered := map[string]bool{}
	for _, c := range streamCases() {
		covered[c.in] = true
		t.Run(c.name, func(t *testing.T) {
			in, err := os.ReadFile(filepath.Join(dir, c.in))
			require.NoError(t, err)
			got := runStream(t, c.conv(), in)
			golden := filepath.Join(dir, c.name+".golden")
			if *update {
				require.NoError(t, os.WriteFile(golden, got, 0o644))
			}
			want, err := os.ReadFile(golden)
			require.NoError(t, err, "run go test ./internal/adapter -run TestStreamGolden -update")
			assert.Equal(t, string(want), string(got))
			// The output is deterministic: a second run is identical.
			assert.Equal(t, string(got), string(runStream(t, c.conv(), in)))
		})
	}
	ins, _ := filepath.Glob(filepath.Join(dir, "*.in"))
	for _, p := range ins {
		assert.True(t, covered[filepath.Base(p)], "%s has no case in streamCases", p)
	}
}

// frame is one output SSE frame.
type frame struct {
	event string
	data  string
}

func parseFrames(t testing.TB, out []byte) []frame {
	t.Helper()
	s := string(out)
	require.True(t, s == "" || strings.HasSuffix(s, "\n\n"), "output must end with a blank line: %q", s)
	var frames []frame
	for _, raw := range strings.Split(strings.TrimSuffix(s, "\n\n"), "\n\n") {
		if raw == "" {
			continue
		}
		var f frame
		for _, line := range strings.Split(raw, "\n") {
			switch {
			case strings.HasPrefix(line, "event: "):
				f.event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				require.Empty(t, f.data, "one data line per frame: %q", raw)
				f.data = strings.TrimPrefix(line, "data: ")
			default:
				t.Fatalf("unexpected line %q in frame %q", line, raw)
			}
		}
		frames = append(frames, f)
	}
	return frames
}

// openAIStreamResult checks every chunk against openai-go's types and
// accumulates them.
type openAIStreamResult struct {
	acc      openai.ChatCompletionAccumulator
	chunks   []gjson.Result
	done     bool
	errFrame gjson.Result
	usage    []gjson.Result // chunks with choices []
}

func checkOpenAIStream(t *testing.T, out []byte) openAIStreamResult {
	t.Helper()
	var r openAIStreamResult
	var id, model string
	var created int64
	for i, f := range parseFrames(t, out) {
		require.Empty(t, f.event, "OpenAI frames have no event line")
		require.False(t, r.done, "nothing may follow [DONE]")
		require.False(t, r.errFrame.Exists(), "nothing may follow an error frame")
		if f.data == "[DONE]" {
			r.done = true
			continue
		}
		require.True(t, gjson.Valid(f.data), "frame %d is not JSON: %s", i, f.data)
		g := gjson.Parse(f.data)
		if g.Get("error").Exists() {
			r.errFrame = g.Get("error")
			require.True(t, g.Get("error.message").Type == gjson.String)
			continue
		}
		assert.Equal(t, "chat.completion.chunk", g.Get("object").Str)
		if id == "" {
			id, model, created = g.Get("id").Str, g.Get("model").Str, g.Get("created").Int()
			assert.Equal(t, "assistant", g.Get("choices.0.delta.role").Str, "the first chunk carries the role")
		}
		assert.Equal(t, id, g.Get("id").Str, "same id on every chunk")
		assert.Equal(t, model, g.Get("model").Str, "same model on every chunk")
		assert.Equal(t, created, g.Get("created").Int(), "same created on every chunk")
		var chunk openai.ChatCompletionChunk
		require.NoError(t, json.Unmarshal([]byte(f.data), &chunk))
		if n := len(g.Get("choices").Array()); n == 0 {
			r.usage = append(r.usage, g)
		} else {
			assert.Equal(t, 1, n)
			assert.EqualValues(t, 0, g.Get("choices.0.index").Int())
		}
		r.acc.AddChunk(chunk)
		r.chunks = append(r.chunks, g)
	}
	return r
}

// anthropicStreamResult checks every frame against the Anthropic SDK's
// event union and accumulates the message.
type anthropicStreamResult struct {
	msg      anthropic.Message
	events   []string
	errFrame gjson.Result
	stopped  bool
}

func checkAnthropicStream(t *testing.T, out []byte) anthropicStreamResult {
	t.Helper()
	var r anthropicStreamResult
	open := -1 // open block index
	next := 0
	for _, f := range parseFrames(t, out) {
		require.NotEmpty(t, f.event, "every Anthropic frame needs an event line: %s", f.data)
		require.False(t, r.stopped, "nothing may follow message_stop")
		require.False(t, r.errFrame.Exists(), "nothing may follow an error event")
		require.True(t, gjson.Valid(f.data), f.data)
		g := gjson.Parse(f.data)
		require.Equal(t, f.event, g.Get("type").Str, "event name and data type must match")
		r.events = append(r.events, f.event)
		switch f.event {
		case "error":
			r.errFrame = g.Get("error")
			continue
		case "content_block_start":
			require.Equal(t, -1, open, "a block must be closed before the next opens")
			require.EqualValues(t, next, g.Get("index").Int(), "block indexes are sequential")
			open = next
			next++
		case "content_block_delta":
			require.EqualValues(t, open, g.Get("index").Int(), "delta for the open block")
		case "content_block_stop":
			require.EqualValues(t, open, g.Get("index").Int())
			open = -1
		case "message_delta", "message_stop":
			require.Equal(t, -1, open, "blocks closed before message_delta")
			r.stopped = f.event == "message_stop"
		}
		var ev anthropic.MessageStreamEventUnion
		require.NoError(t, json.Unmarshal([]byte(f.data), &ev))
		require.NoError(t, r.msg.Accumulate(ev))
	}
	if len(r.events) > 0 && r.events[0] != "error" {
		// An error before any chunk is legitimately the only frame.
		assert.Equal(t, "message_start", r.events[0], "message_start comes first")
	}
	return r
}

func streamOf(t *testing.T, c streamCase) ([]byte, streamConv) {
	in, err := os.ReadFile(filepath.Join("testdata", "stream", c.in))
	require.NoError(t, err)
	conv := c.conv()
	return runStream(t, conv, in), conv
}

func caseByName(t *testing.T, name string) streamCase {
	for _, c := range streamCases() {
		if c.name == name {
			return c
		}
	}
	t.Fatalf("no stream case %s", name)
	return streamCase{}
}

func TestStreamA_SDKAndSemantics(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "a_text"))
		r := checkOpenAIStream(t, out)
		assert.True(t, r.done)
		assert.Empty(t, r.usage, "no usage chunk without include_usage")
		assert.Equal(t, "Hello, \"world\"\n!", r.acc.Choices[0].Message.Content)
		assert.Equal(t, "stop", r.acc.Choices[0].FinishReason)
		assert.Equal(t, "msg_01XFDUDYJgAACzvnptvVoYEL", r.acc.ID)
		assert.Equal(t, "claude-sonnet-4-5-20250929", r.acc.Model, "model is what the upstream returned")
		assert.False(t, strings.Contains(string(out), `"usage"`), "no usage fields at all without include_usage")
		u := conv.Usage()
		assert.Equal(t, Usage{PromptTokens: 135, CompletionTokens: 15, TotalTokens: 150, CacheReadTokens: 100, CacheCreationTokens: 10}, u)
		failed, _ := conv.Failed()
		assert.False(t, failed)
	})
	t.Run("include_usage", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "a_text_usage"))
		r := checkOpenAIStream(t, out)
		require.Len(t, r.usage, 1)
		last := r.chunks[len(r.chunks)-1]
		assert.Equal(t, "[]", last.Get("choices").Raw, "usage chunk is last with empty choices")
		assert.EqualValues(t, 135, last.Get("usage.prompt_tokens").Int())
		assert.EqualValues(t, 15, last.Get("usage.completion_tokens").Int())
		assert.EqualValues(t, 150, last.Get("usage.total_tokens").Int())
		assert.EqualValues(t, 100, last.Get("usage.prompt_tokens_details.cached_tokens").Int())
		for _, c := range r.chunks[:len(r.chunks)-1] {
			assert.Equal(t, gjson.Null, c.Get("usage").Type, "other chunks carry usage:null")
		}
		assert.EqualValues(t, 150, r.acc.Usage.TotalTokens)
	})
	t.Run("text then two tools", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "a_text_two_tools"))
		r := checkOpenAIStream(t, out)
		var idx []int64
		for _, c := range r.chunks {
			c.Get("choices.0.delta.tool_calls").ForEach(func(_, tc gjson.Result) bool {
				if tc.Get("id").Exists() {
					idx = append(idx, tc.Get("index").Int())
					assert.Equal(t, "function", tc.Get("type").Str)
					assert.Equal(t, "", tc.Get("function.arguments").Str)
				} else {
					assert.False(t, tc.Get("type").Exists(), "continuations carry no type")
				}
				return true
			})
		}
		assert.Equal(t, []int64{0, 1}, idx, "tool index counts tool calls, not Anthropic blocks")
		m := r.acc.Choices[0].Message
		assert.Equal(t, "Let me check both.", m.Content)
		require.Len(t, m.ToolCalls, 2)
		assert.Equal(t, "toolu_01T1x1fJ34qAmk2tNTrN7Up6", m.ToolCalls[0].ID)
		assert.Equal(t, "get_weather", m.ToolCalls[0].Function.Name)
		assert.JSONEq(t, `{"location":"Paris"}`, m.ToolCalls[0].Function.Arguments)
		assert.Equal(t, "get_time", m.ToolCalls[1].Function.Name)
		assert.JSONEq(t, `{"tz":"Europe/Paris"}`, m.ToolCalls[1].Function.Arguments)
		assert.Equal(t, "tool_calls", r.acc.Choices[0].FinishReason)
	})
	t.Run("empty args", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "a_tool_empty_args"))
		r := checkOpenAIStream(t, out)
		require.Len(t, r.acc.Choices[0].Message.ToolCalls, 1)
		assert.Equal(t, "{}", r.acc.Choices[0].Message.ToolCalls[0].Function.Arguments)
	})
	t.Run("thinking first", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "a_thinking_first"))
		r := checkOpenAIStream(t, out)
		var reasoning strings.Builder
		for _, c := range r.chunks {
			reasoning.WriteString(c.Get("choices.0.delta.reasoning_content").Str)
			if tc := c.Get("choices.0.delta.tool_calls.0"); tc.Exists() {
				assert.EqualValues(t, 0, tc.Get("index").Int(), "thinking block does not shift the tool index")
			}
		}
		assert.Equal(t, "The user wants the weather.", reasoning.String())
		assert.Equal(t, "Checking.", r.acc.Choices[0].Message.Content)
		assert.NotContains(t, string(out), "EqQBCg", "signatures are not leaked as content")
	})
	t.Run("error midstream", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "a_error_midstream"))
		r := checkOpenAIStream(t, out)
		assert.False(t, r.done, "no [DONE] after an error")
		assert.Equal(t, "Overloaded", r.errFrame.Get("message").Str)
		assert.Equal(t, "overloaded_error", r.errFrame.Get("type").Str)
		failed, msg := conv.Failed()
		assert.True(t, failed)
		assert.Equal(t, "Overloaded", msg)
	})
	t.Run("truncated", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "a_truncated"))
		r := checkOpenAIStream(t, out)
		assert.False(t, r.done, "a cut stream must not end with [DONE]")
		assert.Equal(t, "stream_interrupted", r.errFrame.Get("code").Str)
		assert.Equal(t, "Cut off mid", r.acc.Choices[0].Message.Content)
		failed, _ := conv.Failed()
		assert.True(t, failed)
	})
	t.Run("json mode", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "a_json_mode"))
		r := checkOpenAIStream(t, out)
		assert.JSONEq(t, `{"name":"Ada","age":36}`, r.acc.Choices[0].Message.Content)
		assert.Empty(t, r.acc.Choices[0].Message.ToolCalls)
		assert.Equal(t, "stop", r.acc.Choices[0].FinishReason)
	})
}

func TestStreamB_SDKAndSemantics(t *testing.T) {
	t.Run("text", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "b_text"))
		r := checkAnthropicStream(t, out)
		assert.True(t, r.stopped)
		require.Len(t, r.msg.Content, 1, "no spurious empty block for the empty first content")
		assert.Equal(t, "Hello \"there\"\n", r.msg.Content[0].Text)
		assert.Equal(t, anthropic.StopReasonEndTurn, r.msg.StopReason)
		assert.Equal(t, "msg_chatcmpl-B1", r.msg.ID)
		assert.Equal(t, "gpt-4o-2024-08-06", string(r.msg.Model))
		assert.EqualValues(t, 20, r.msg.Usage.InputTokens, "input = prompt - cached")
		assert.EqualValues(t, 100, r.msg.Usage.CacheReadInputTokens)
		assert.EqualValues(t, 7, r.msg.Usage.OutputTokens)
		assert.Equal(t, Usage{PromptTokens: 120, CompletionTokens: 7, TotalTokens: 127, CacheReadTokens: 100}, conv.Usage())
		// message_delta is held until the usage chunk.
		ev := r.events
		assert.Equal(t, []string{"message_start", "content_block_start", "content_block_delta", "content_block_delta", "content_block_stop", "message_delta", "message_stop"}, ev)
	})
	t.Run("reasoning text tools", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "b_reasoning_text_tools"))
		r := checkAnthropicStream(t, out)
		require.Len(t, r.msg.Content, 4)
		assert.Equal(t, "thinking", r.msg.Content[0].Type)
		assert.Equal(t, "Need the weather.", r.msg.Content[0].Thinking)
		assert.Equal(t, "text", r.msg.Content[1].Type)
		assert.Equal(t, "tool_use", r.msg.Content[2].Type)
		assert.Equal(t, "call_abc", r.msg.Content[2].ID)
		assert.JSONEq(t, `{"location":"Paris"}`, string(r.msg.Content[2].Input))
		assert.Equal(t, "get_time", r.msg.Content[3].Name)
		assert.Regexp(t, `^[a-zA-Z0-9_-]+$`, r.msg.Content[3].ID, "ids are sanitized for Anthropic clients")
		assert.Equal(t, anthropic.StopReasonToolUse, r.msg.StopReason)
		assert.EqualValues(t, 40, r.msg.Usage.OutputTokens)
	})
	t.Run("two tools in one chunk, usage with choices null", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "b_two_tools_one_chunk"))
		r := checkAnthropicStream(t, out)
		require.Len(t, r.msg.Content, 2)
		assert.Equal(t, "call_1", r.msg.Content[0].ID)
		assert.JSONEq(t, `{"path":"a.go"}`, string(r.msg.Content[0].Input))
		assert.Equal(t, "call_2", r.msg.Content[1].ID)
		assert.JSONEq(t, `{"path":"b.go"}`, string(r.msg.Content[1].Input))
		assert.EqualValues(t, 20, r.msg.Usage.OutputTokens)
		assert.EqualValues(t, 30, r.msg.Usage.InputTokens)
	})
	t.Run("content and finish in one chunk", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "b_content_finish_one_chunk"))
		r := checkAnthropicStream(t, out)
		require.Len(t, r.msg.Content, 1)
		assert.Equal(t, "All in one.", r.msg.Content[0].Text)
		assert.Equal(t, anthropic.StopReasonEndTurn, r.msg.StopReason)
		assert.EqualValues(t, 4, r.msg.Usage.OutputTokens)
	})
	t.Run("no finish reason", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "b_no_finish"))
		r := checkAnthropicStream(t, out)
		assert.True(t, r.stopped)
		assert.Equal(t, anthropic.StopReasonEndTurn, r.msg.StopReason)
		assert.Equal(t, "No finish reason here.", r.msg.Content[0].Text)
		failed, _ := conv.Failed()
		assert.False(t, failed)
	})
	t.Run("no finish reason with tools", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "b_no_finish_tools"))
		r := checkAnthropicStream(t, out)
		require.Len(t, r.msg.Content, 1)
		assert.Equal(t, anthropic.StopReasonToolUse, r.msg.StopReason, "no finish_reason after tool calls is tool_use")
	})
	t.Run("finish stop after tools", func(t *testing.T) {
		out, _ := streamOf(t, caseByName(t, "b_stop_after_tools"))
		r := checkAnthropicStream(t, out)
		require.Len(t, r.msg.Content, 1)
		assert.Equal(t, anthropic.StopReasonToolUse, r.msg.StopReason, "finish stop after tool calls is tool_use")
	})
	t.Run("error midstream", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "b_error_midstream"))
		r := checkAnthropicStream(t, out)
		assert.False(t, r.stopped)
		assert.Equal(t, "api_error", r.errFrame.Get("type").Str)
		assert.Equal(t, "The server had an error while processing your request.", r.errFrame.Get("message").Str)
		failed, _ := conv.Failed()
		assert.True(t, failed)
	})
	t.Run("truncated", func(t *testing.T) {
		out, conv := streamOf(t, caseByName(t, "b_truncated"))
		r := checkAnthropicStream(t, out)
		assert.False(t, r.stopped, "a cut stream must not end with message_stop")
		assert.True(t, r.errFrame.Exists())
		failed, _ := conv.Failed()
		assert.True(t, failed)
	})
}

// TestStreamB_Edge covers state-machine corners without golden files.
func TestStreamB_Edge(t *testing.T) {
	run := func(t *testing.T, chunks ...string) anthropicStreamResult {
		var in bytes.Buffer
		for _, c := range chunks {
			in.WriteString("data: " + c + "\n\n")
		}
		out := runStream(t, NewChatToMessagesStream(MessagesMeta{UpstreamModel: "m"}), in.Bytes())
		return checkAnthropicStream(t, out)
	}
	t.Run("text after tool opens a new block", func(t *testing.T) {
		r := run(t,
			`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"f","arguments":"{}"}}]}}]}`,
			`{"id":"x","choices":[{"index":0,"delta":{"content":"after"}}]}`,
			`{"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"tool_calls"}]}`,
			`[DONE]`)
		require.Len(t, r.msg.Content, 2)
		assert.Equal(t, "tool_use", r.msg.Content[0].Type)
		assert.Equal(t, "after", r.msg.Content[1].Text)
	})
	t.Run("only DONE", func(t *testing.T) {
		r := run(t, `[DONE]`)
		assert.True(t, r.stopped)
		assert.Empty(t, r.msg.Content)
	})
	t.Run("tool names restored", func(t *testing.T) {
		var in bytes.Buffer
		in.WriteString(`data: {"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"c1","function":{"name":"my_tool","arguments":"{}"}}]},"finish_reason":"tool_calls"}]}` + "\n\ndata: [DONE]\n\n")
		out := runStream(t, NewChatToMessagesStream(MessagesMeta{ToolNames: map[string]string{"my_tool": "my.tool"}}), in.Bytes())
		r := checkAnthropicStream(t, out)
		assert.Equal(t, "my.tool", r.msg.Content[0].Name)
	})
	t.Run("missing index", func(t *testing.T) {
		r := run(t,
			`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"id":"c1","function":{"name":"f","arguments":"{\"a\":"}}]}}]}`,
			`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"function":{"arguments":"1}"}}]}}]}`,
			`{"id":"x","choices":[{"index":0,"delta":{"tool_calls":[{"id":"c2","function":{"name":"g","arguments":"{}"}}]}}]}`,
			`[DONE]`)
		require.Len(t, r.msg.Content, 2)
		assert.JSONEq(t, `{"a":1}`, string(r.msg.Content[0].Input))
		assert.Equal(t, "g", r.msg.Content[1].Name)
	})
}

func TestStreamA_Edge(t *testing.T) {
	t.Run("events before message_start fail the stream", func(t *testing.T) {
		// Without message_start there is no id or model to answer with:
		// an error frame, not an empty "stop" (see TestStreamA_Malformed).
		in := "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n" +
			"event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"hi\"}}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
		conv := NewMessagesToChatStream(ChatMeta{UpstreamModel: "claude-x"})
		r := checkOpenAIStream(t, runStream(t, conv, []byte(in)))
		assert.False(t, r.done)
		assert.True(t, r.errFrame.Exists())
		failed, reason := conv.Failed()
		assert.True(t, failed)
		assert.Contains(t, reason, "message_start")
	})
	t.Run("restored tool names", func(t *testing.T) {
		in := "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"id\":\"m\",\"model\":\"c\",\"usage\":{\"input_tokens\":1}}}\n\n" +
			"event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"t1\",\"name\":\"a_b\",\"input\":{}}}\n\n" +
			"event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n" +
			"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
		out := runStream(t, NewMessagesToChatStream(ChatMeta{ToolNames: map[string]string{"a_b": "a.b"}}), []byte(in))
		r := checkOpenAIStream(t, out)
		assert.Equal(t, "a.b", r.acc.Choices[0].Message.ToolCalls[0].Function.Name)
		assert.Equal(t, "tool_calls", r.acc.Choices[0].FinishReason, "message_stop without message_delta after tools")
	})
}

// goldenNames lists the golden files (for the fuzz seed corpus).
func goldenInputs(prefix string) [][]byte {
	ins, _ := filepath.Glob(filepath.Join("testdata", "stream", prefix+"*.in"))
	sort.Strings(ins)
	var out [][]byte
	for _, p := range ins {
		b, err := os.ReadFile(p)
		if err == nil {
			out = append(out, b)
		}
	}
	return out
}

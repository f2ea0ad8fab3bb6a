package adapter

import (
	"errors"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/sse"
)

// ChatToMessagesStream converts an OpenAI chat.completion.chunk stream to
// Anthropic Messages SSE events (docs/conversion.md, "Streams"). Blocks are strictly
// sequential: one is closed before the next opens, indexes 0, 1, 2…, and
// every frame carries its `event:` line with the matching `type`. It is
// not safe for concurrent use.
type ChatToMessagesStream struct {
	meta MessagesMeta

	started bool
	done    bool // message_stop or an error frame written
	failed  bool
	failMsg string

	block    int       // index of the last opened block; -1 before the first
	open     blockKind // kind of the open block; 0: none
	openTool int64

	toolBlock  map[int64]int    // OpenAI tool_calls index → Anthropic block index
	toolID     map[int64]string // OpenAI tool_calls index → upstream id
	toolsSeen  bool
	lastTool   int64
	lateFrags  int // argument fragments for an already closed tool block (dropped)
	finish     string
	finishSeen bool
	usage      Usage
	usageSeen  bool
}

// NewChatToMessagesStream returns a converter for one stream.
func NewChatToMessagesStream(meta MessagesMeta) *ChatToMessagesStream {
	return &ChatToMessagesStream{
		meta:      meta,
		block:     -1,
		toolBlock: make(map[int64]int),
		toolID:    make(map[int64]string),
	}
}

// Event converts one upstream SSE event and returns the Anthropic frames to
// write now. A chunk that cannot be converted (data that is neither
// [DONE] nor a JSON object) ends the stream: the frames returned are an
// `event: error` frame, Failed reports the reason and the error returned
// carries it too (docs/conversion.md, "Streams").
func (s *ChatToMessagesStream) Event(ev sse.Event) ([]byte, error) {
	if s.done || ev.Comment || len(ev.Data) == 0 {
		return nil, nil
	}
	if string(ev.Data) == "[DONE]" {
		return s.finalize(nil), nil
	}
	root, why := eventObject(ev.Data)
	if why != "" {
		return s.fail("openai stream: " + why)
	}
	if e := root.Get("error"); present(e) || ev.Name == "error" {
		return s.upstreamError(root), nil
	}
	var out []byte
	out = s.ensureStarted(out, root.Get("id").Str, root.Get("model").Str)
	if u := root.Get("usage"); u.IsObject() {
		s.usage, s.usageSeen = openAIUsage(u), true
	}
	choices := root.Get("choices")
	var choice gjson.Result
	if choices.IsArray() {
		choices.ForEach(func(_, c gjson.Result) bool {
			if c.Get("index").Int() == 0 {
				choice = c
				return false
			}
			return true
		})
	}
	if !choice.Exists() {
		// Usage-only chunk (choices [] or null). It comes after the
		// finish chunk: the held message_delta can go out now.
		if s.finishSeen && s.usageSeen {
			out = s.finalize(out)
		}
		return out, nil
	}
	delta := choice.Get("delta")
	// Within one chunk: reasoning, then text, then tool calls, then
	// finish — content before finish_reason (fake-streaming providers put
	// both in one chunk).
	if r := reasoningText(delta); r != "" {
		out = s.openBlock(out, blockThinking)
		out = s.delta(out, "thinking_delta", "thinking", r)
	}
	if c := delta.Get("content"); c.Type == gjson.String && c.Str != "" {
		out = s.openBlock(out, blockText)
		out = s.delta(out, "text_delta", "text", c.Str)
	}
	if r := delta.Get("refusal"); r.Type == gjson.String && r.Str != "" {
		out = s.openBlock(out, blockText)
		out = s.delta(out, "text_delta", "text", r.Str)
	}
	delta.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		out = s.toolCall(out, tc)
		return true
	})
	if fr := choice.Get("finish_reason"); fr.Type == gjson.String && fr.Str != "" && !s.finishSeen {
		out = s.closeBlock(out)
		s.finish, s.finishSeen = fr.Str, true
		// message_delta is held until the usage chunk or [DONE]: with
		// include_usage the counts arrive in a later chunk.
	}
	return out, nil
}

// toolCall handles one delta.tool_calls item.
func (s *ChatToMessagesStream) toolCall(out []byte, tc gjson.Result) []byte {
	id := tc.Get("id").Str
	fn := tc.Get("function")
	args := fn.Get("arguments").Str
	idx := toolCallIndex(tc, id, len(s.toolBlock), s.lastTool)
	_, known := s.toolBlock[idx]
	if !known || (id != "" && id != s.toolID[idx]) {
		if !known && id == "" && fn.Get("name").Str == "" && args == "" {
			return out // nothing to start a block with
		}
		if id == "" {
			id = s.meta.newID("toolu_")
		}
		out = s.closeBlock(out)
		s.block++
		s.open, s.openTool, s.lastTool = blockToolUse, idx, idx
		s.toolBlock[idx], s.toolID[idx] = s.block, id
		s.toolsSeen = true
		w := jw{b: make([]byte, 0, 128)}
		w.open()
		w.key("type")
		w.str("content_block_start")
		w.key("index")
		w.int(int64(s.block))
		w.key("content_block")
		toolUseHead(&w, id, fn.Get("name").Str, &s.meta)
		w.raw("{}")
		w.close()
		w.close()
		out = sse.AppendEvent(out, "content_block_start", w.b)
		if args != "" {
			// xAI/Gemini send name and arguments in one item: the first
			// fragment must not be lost.
			out = s.delta(out, "input_json_delta", "partial_json", args)
		}
		return out
	}
	if args == "" {
		return out
	}
	if s.open == blockToolUse && s.openTool == idx {
		return s.delta(out, "input_json_delta", "partial_json", args)
	}
	// Arguments for a tool block already closed (interleaved parallel
	// calls): a closed block cannot be reopened without breaking clients.
	s.lateFrags++
	return out
}

func (s *ChatToMessagesStream) ensureStarted(out []byte, id, model string) []byte {
	if s.started {
		return out
	}
	s.started = true
	if model == "" {
		model = s.meta.UpstreamModel
	}
	w := jw{b: make([]byte, 0, 256)}
	w.open()
	w.key("type")
	w.str("message_start")
	w.key("message")
	w.open()
	w.key("id")
	w.str(messageID(id, &s.meta))
	w.key("type")
	w.str("message")
	w.key("role")
	w.str("assistant")
	w.key("model")
	w.str(model)
	w.key("content")
	w.raw("[]")
	w.key("stop_reason")
	w.null()
	w.key("stop_sequence")
	w.null()
	w.key("usage")
	w.open()
	w.key("input_tokens")
	w.int(int64(s.meta.EstimatedInputTokens))
	w.key("output_tokens")
	w.int(0)
	// Zero cache fields tell clients such as Claude Code that prompt
	// caching is reported (LiteLLM does the same).
	w.key("cache_creation_input_tokens")
	w.int(0)
	w.key("cache_read_input_tokens")
	w.int(0)
	w.close()
	w.close()
	w.close()
	return sse.AppendEvent(out, "message_start", w.b)
}

// openBlock makes sure a block of kind k is open, closing another kind.
func (s *ChatToMessagesStream) openBlock(out []byte, k blockKind) []byte {
	if s.open == k && k != blockToolUse {
		return out
	}
	out = s.closeBlock(out)
	s.block++
	s.open = k
	var cb string
	switch k {
	case blockThinking:
		cb = `{"type":"thinking","thinking":"","signature":""}`
	default:
		cb = `{"type":"text","text":""}`
	}
	b := make([]byte, 0, 96)
	b = append(b, `{"type":"content_block_start","index":`...)
	b = strconv.AppendInt(b, int64(s.block), 10)
	b = append(b, `,"content_block":`...)
	b = append(b, cb...)
	b = append(b, '}')
	return sse.AppendEvent(out, "content_block_start", b)
}

func (s *ChatToMessagesStream) closeBlock(out []byte) []byte {
	if s.open == 0 {
		return out
	}
	s.open = 0
	b := make([]byte, 0, 48)
	b = append(b, `{"type":"content_block_stop","index":`...)
	b = strconv.AppendInt(b, int64(s.block), 10)
	b = append(b, '}')
	return sse.AppendEvent(out, "content_block_stop", b)
}

// delta writes a content_block_delta for the open block.
func (s *ChatToMessagesStream) delta(out []byte, typ, field, text string) []byte {
	b := make([]byte, 0, len(text)+96)
	b = append(b, `{"type":"content_block_delta","index":`...)
	b = strconv.AppendInt(b, int64(s.block), 10)
	b = append(b, `,"delta":{"type":"`...)
	b = append(b, typ...)
	b = append(b, `","`...)
	b = append(b, field...)
	b = append(b, `":`...)
	b = appendString(b, text)
	b = append(b, "}}"...)
	return sse.AppendEvent(out, "content_block_delta", b)
}

// finalize closes the open block and writes message_delta (stop reason and
// the final usage) and message_stop. Nothing is written after it.
func (s *ChatToMessagesStream) finalize(out []byte) []byte {
	if s.done {
		return out
	}
	out = s.ensureStarted(out, "", "")
	out = s.closeBlock(out)
	stop := stopReason(s.finish)
	if s.toolsSeen && stop == "end_turn" {
		// A turn that emitted tool calls ends in tool_use even when the
		// upstream said "stop" or nothing (LiteLLM#34692).
		stop = "tool_use"
	}
	w := jw{b: make([]byte, 0, 192)}
	w.open()
	w.key("type")
	w.str("message_delta")
	w.key("delta")
	w.open()
	w.key("stop_reason")
	w.str(stop)
	w.key("stop_sequence")
	w.null()
	w.close()
	w.key("usage")
	u := s.usage
	if !s.usageSeen {
		u.PromptTokens = int64(s.meta.EstimatedInputTokens)
	}
	writeAnthropicUsage(&w, u)
	w.close()
	out = sse.AppendEvent(out, "message_delta", w.b)
	out = sse.AppendEvent(out, "message_stop", []byte(`{"type":"message_stop"}`))
	s.done = true
	return out
}

// upstreamError turns an in-stream OpenAI error into an Anthropic error
// event; no message_stop follows.
func (s *ChatToMessagesStream) upstreamError(root gjson.Result) []byte {
	e := root.Get("error")
	msg := ""
	typ := "api_error"
	switch {
	case e.IsObject():
		msg = e.Get("message").Str
		typ = anthropicTypeForOpenAI(e.Get("type").Str, e.Get("code").String())
	case e.Type == gjson.String:
		msg = e.Str
	}
	if msg == "" {
		msg = "upstream stream error"
	}
	s.failed, s.failMsg, s.done = true, msg, true
	return sse.AppendEvent(nil, "error", anthropicErrorBody(typ, msg))
}

// anthropicTypeForOpenAI maps an OpenAI error type/code to an Anthropic
// error type without inventing new ones.
func anthropicTypeForOpenAI(typ, code string) string {
	if isAnthropicErrorType(typ) {
		return typ
	}
	switch {
	case typ == "rate_limit_exceeded" || code == "rate_limit_exceeded" || typ == "requests" || typ == "tokens":
		return "rate_limit_error"
	case typ == "insufficient_quota" || code == "insufficient_quota":
		return "rate_limit_error"
	case code == "context_length_exceeded" || code == "invalid_request_error":
		return "invalid_request_error"
	case typ == "server_overloaded" || code == "server_overloaded":
		return "overloaded_error"
	}
	return "api_error"
}

// Finish is called when the upstream stream ended (EOF). A stream that
// delivered a finish_reason is closed normally even without [DONE]; one
// that broke before gets an `event: error` frame instead of message_stop.
func (s *ChatToMessagesStream) Finish() []byte {
	if s.done {
		return nil
	}
	if s.finishSeen {
		return s.finalize(nil)
	}
	out, _ := s.fail("upstream stream ended before finish_reason or [DONE]")
	return out
}

// Usage is the upstream-reported usage (zero until the usage chunk).
func (s *ChatToMessagesStream) Usage() Usage { return s.usage }

// Failed reports an upstream error, a chunk that could not be converted,
// or a stream cut before its end, with the reason.
func (s *ChatToMessagesStream) Failed() (bool, string) { return s.failed, s.failMsg }

// fail ends the stream with an `event: error` frame (no message_stop
// follows) and returns it with the reason.
func (s *ChatToMessagesStream) fail(reason string) ([]byte, error) {
	s.failed, s.failMsg, s.done = true, reason, true
	return sse.AppendEvent(nil, "error", anthropicErrorBody("api_error", reason)), errors.New(reason)
}

// Done reports that message_stop or an error frame went out: the relay
// stops reading there, so a client that hangs up right after the last
// frame cannot turn a complete stream into an abandoned one.
func (s *ChatToMessagesStream) Done() bool { return s.done }

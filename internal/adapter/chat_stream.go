package adapter

import (
	"errors"
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/sse"
)

// MessagesToChatStream converts an Anthropic Messages SSE stream to OpenAI
// chat.completion.chunk frames (docs/conversion.md, "Streams"), one upstream event at a
// time. It is not safe for concurrent use; a stream has one reader.
type MessagesToChatStream struct {
	meta ChatMeta

	prefix   []byte // `{"id":…,"object":…,"created":…,"model":…` shared by every chunk
	started  bool   // prefix built and the role chunk sent
	finished bool   // finish chunk sent
	stopped  bool   // message_stop seen
	done     bool   // [DONE] or an error frame written: nothing more goes out
	failed   bool
	failMsg  string

	blocks   map[int64]*chatStreamBlock // by Anthropic block index
	nextTool int                        // OpenAI tool_calls index: counts tool calls only
	tools    bool                       // a client tool call was emitted
	jsonUsed bool                       // the json_tool_call block appeared
	finish   string

	antUsage anthropicStreamUsage
}

// streamKind is what an upstream content block becomes in the chunks.
type streamKind uint8

const (
	streamIgnored  streamKind = iota // server tools, unknown blocks
	streamText                       // content deltas
	streamThinking                   // reasoning_content deltas
	streamTool                       // a client tool call
	streamJSONTool                   // json_tool_call: its input is the content
)

type chatStreamBlock struct {
	kind    streamKind
	toolIdx int
	args    bool // some argument bytes were emitted
}

// NewMessagesToChatStream returns a converter for one stream.
func NewMessagesToChatStream(meta ChatMeta) *MessagesToChatStream {
	return &MessagesToChatStream{meta: meta, blocks: make(map[int64]*chatStreamBlock)}
}

// Event converts one upstream SSE event and returns the frames to write
// now (zero or more complete `data: …\n\n` frames). An event that cannot
// be converted (data that is not a JSON object, no event type, content
// before message_start) ends the stream: the frames returned are an
// OpenAI error frame, Failed reports the reason and the error returned
// carries it too (docs/conversion.md, "Streams").
func (s *MessagesToChatStream) Event(ev sse.Event) ([]byte, error) {
	if s.done || ev.Comment || len(ev.Data) == 0 {
		return nil, nil
	}
	root, name, why := messagesEventHead(ev, s.started)
	if why != "" {
		return s.fail("anthropic stream: " + why)
	}
	switch name {
	case "message_start":
		return s.messageStart(root.Get("message")), nil
	case "content_block_start":
		return s.blockStart(root.Get("index").Int(), root.Get("content_block")), nil
	case "content_block_delta":
		return s.blockDelta(s.blocks[root.Get("index").Int()], root.Get("delta")), nil
	case "content_block_stop":
		return s.blockStop(root.Get("index").Int()), nil
	case "message_delta":
		s.antUsage.take(root.Get("usage"))
		if sr := root.Get("delta.stop_reason"); sr.Type == gjson.String && !s.finished {
			s.finish = s.mapFinish(sr.Str)
			return s.finishChunk(nil), nil
		}
	case "message_stop":
		return s.messageStop(), nil
	case "error":
		return s.upstreamError(root.Get("error")), nil
	}
	// ping and unknown event types: nothing ("new event types may be added").
	return nil, nil
}

func (s *MessagesToChatStream) messageStart(msg gjson.Result) []byte {
	if s.started {
		return nil // a duplicate message_start must not restart the answer
	}
	s.start(msg.Get("id").Str, msg.Get("model").Str)
	s.antUsage.take(msg.Get("usage"))
	return s.roleChunk(nil)
}

func (s *MessagesToChatStream) blockStart(idx int64, cb gjson.Result) []byte {
	blk := &chatStreamBlock{kind: streamIgnored}
	s.blocks[idx] = blk
	switch cb.Get("type").Str {
	case "text":
		blk.kind = streamText
		return s.textDelta(nil, "content", cb.Get("text").Str)
	case "thinking":
		blk.kind = streamThinking
		return s.textDelta(nil, "reasoning_content", cb.Get("thinking").Str)
	case "tool_use":
		name := cb.Get("name").Str
		if s.meta.JSONMode && name == jsonToolName {
			blk.kind = streamJSONTool
			s.jsonUsed = true
			return nil
		}
		blk.kind, blk.toolIdx = streamTool, s.nextTool
		s.nextTool++
		s.tools = true
		out := s.toolStart(nil, blk.toolIdx, cb.Get("id").Str, toolNames(s.meta.ToolNames).restore(name))
		// Some upstreams send the whole input on the start event.
		if in := cb.Get("input"); in.IsObject() {
			if c := appendCompact(nil, in.Raw); string(c) != "{}" {
				out = s.toolArgs(out, blk.toolIdx, string(c))
				blk.args = true
			}
		}
		return out
	}
	return nil
}

// blockDelta converts a content_block_delta. signature_delta and
// citations_delta have no OpenAI equivalent.
func (s *MessagesToChatStream) blockDelta(blk *chatStreamBlock, delta gjson.Result) []byte {
	if blk == nil {
		return nil
	}
	switch delta.Get("type").Str {
	case "text_delta":
		if blk.kind == streamText {
			return s.textDelta(nil, "content", delta.Get("text").Str)
		}
	case "thinking_delta":
		if blk.kind == streamThinking {
			return s.textDelta(nil, "reasoning_content", delta.Get("thinking").Str)
		}
	case "input_json_delta":
		pj := delta.Get("partial_json").Str
		if pj == "" {
			return nil // Anthropic's first partial_json is often ""
		}
		switch blk.kind {
		case streamTool:
			blk.args = true
			return s.toolArgs(nil, blk.toolIdx, pj)
		case streamJSONTool:
			blk.args = true
			return s.textDelta(nil, "content", pj)
		}
	}
	return nil
}

func (s *MessagesToChatStream) blockStop(idx int64) []byte {
	blk := s.blocks[idx]
	if blk == nil {
		return nil
	}
	delete(s.blocks, idx)
	if blk.args {
		return nil
	}
	// A tool without input streams no input_json_delta; clients JSON-parse
	// the arguments, so send "{}".
	switch blk.kind {
	case streamTool:
		return s.toolArgs(nil, blk.toolIdx, "{}")
	case streamJSONTool:
		return s.textDelta(nil, "content", "{}")
	}
	return nil
}

func (s *MessagesToChatStream) messageStop() []byte {
	var out []byte
	s.stopped = true
	if !s.finished {
		if s.finish == "" {
			s.finish = s.mapFinish("")
		}
		out = s.finishChunk(out)
	}
	if s.meta.IncludeUsage {
		out = s.usageChunk(out)
	}
	s.done = true
	return append(out, sse.Done...)
}

// upstreamError passes an Anthropic error event on. The OpenAI SDKs raise
// on a data object with an `error` key; no [DONE] follows, so the answer
// is never taken as complete.
func (s *MessagesToChatStream) upstreamError(e gjson.Result) []byte {
	msg := e.Get("message").Str
	if msg == "" {
		msg = "upstream stream error"
	}
	typ := e.Get("type").Str
	if typ == "" {
		typ = "server_error"
	}
	s.failed, s.failMsg, s.done = true, msg, true
	return sse.AppendData(nil, OpenAIErrorBody(0, typ, "", "", msg))
}

// Finish is called when the upstream stream ended (EOF). After
// message_stop everything was already written; a stream that broke before
// it gets an OpenAI error frame and no [DONE].
func (s *MessagesToChatStream) Finish() []byte {
	if s.done {
		return nil
	}
	s.failed, s.failMsg, s.done = true, "upstream stream ended before message_stop", true
	return sse.AppendData(nil, OpenAIErrorBody(502, "server_error", "stream_interrupted", "", s.failMsg))
}

// Usage is the usage seen so far (final after message_stop).
func (s *MessagesToChatStream) Usage() Usage { return s.antUsage.usage() }

// Failed reports an upstream error event, an event that could not be
// converted, or a stream cut before message_stop, with the reason.
func (s *MessagesToChatStream) Failed() (bool, string) { return s.failed, s.failMsg }

// fail ends the stream with an OpenAI error frame (no [DONE] follows, so
// the answer is never taken as complete) and returns it with the reason.
func (s *MessagesToChatStream) fail(reason string) ([]byte, error) {
	s.failed, s.failMsg, s.done = true, reason, true
	return sse.AppendData(nil, OpenAIErrorBody(502, "server_error", "bad_upstream_stream", "", reason)), errors.New(reason)
}

func (s *MessagesToChatStream) mapFinish(stop string) string {
	f := finishReason(stop)
	if f == "tool_calls" && s.jsonUsed && !s.tools {
		return "stop" // the JSON tool is the answer
	}
	if stop == "" && s.tools {
		return "tool_calls"
	}
	return f
}

func (s *MessagesToChatStream) start(id, model string) {
	if id == "" {
		id = randomID("chatcmpl-")
	}
	if model == "" {
		model = s.meta.UpstreamModel
	}
	w := jw{b: make([]byte, 0, 128)}
	w.open()
	w.key("id")
	w.str(id)
	w.key("object")
	w.str("chat.completion.chunk")
	w.key("created")
	w.int(nowOr(s.meta.Now).Unix())
	w.key("model")
	w.str(model)
	s.prefix = w.b
	s.started = true
}

// chunk appends one `data:` frame whose choices[0].delta is delta.
func (s *MessagesToChatStream) chunk(out, delta []byte, finish string) []byte {
	out = append(out, "data: "...)
	out = append(out, s.prefix...)
	out = append(out, `,"choices":[{"index":0,"delta":`...)
	out = append(out, delta...)
	out = append(out, `,"logprobs":null,"finish_reason":`...)
	if finish == "" {
		out = append(out, "null"...)
	} else {
		out = appendString(out, finish)
	}
	out = append(out, "}]"...)
	if s.meta.IncludeUsage {
		// "All other chunks will also include a usage field, but with a
		// null value." [OAI-ref]
		out = append(out, `,"usage":null`...)
	}
	return append(out, "}\n\n"...)
}

func (s *MessagesToChatStream) roleChunk(out []byte) []byte {
	return s.chunk(out, []byte(`{"role":"assistant","content":""}`), "")
}

// textDelta emits a content or reasoning_content fragment; nothing for "".
func (s *MessagesToChatStream) textDelta(out []byte, field, text string) []byte {
	if text == "" {
		return out
	}
	d := make([]byte, 0, len(text)+len(field)+8)
	d = append(d, `{"`...)
	d = append(d, field...)
	d = append(d, `":`...)
	d = appendString(d, text)
	d = append(d, '}')
	return s.chunk(out, d, "")
}

func (s *MessagesToChatStream) toolStart(out []byte, idx int, id, name string) []byte {
	w := jw{b: make([]byte, 0, 96+len(id)+len(name))}
	w.open()
	w.key("tool_calls")
	w.openArr()
	w.open()
	w.key("index")
	w.int(int64(idx))
	w.key("id")
	w.str(id)
	w.key("type")
	w.str("function")
	w.key("function")
	w.open()
	w.key("name")
	w.str(name)
	w.key("arguments")
	w.str("")
	w.close()
	w.close()
	w.closeArr()
	w.close()
	return s.chunk(out, w.b, "")
}

// toolArgs emits an arguments fragment; continuation chunks carry only
// index and function.arguments, as OpenAI sends them.
func (s *MessagesToChatStream) toolArgs(out []byte, idx int, args string) []byte {
	d := make([]byte, 0, len(args)+48)
	d = append(d, `{"tool_calls":[{"index":`...)
	d = strconv.AppendInt(d, int64(idx), 10)
	d = append(d, `,"function":{"arguments":`...)
	d = appendString(d, args)
	d = append(d, "}}]}"...)
	return s.chunk(out, d, "")
}

func (s *MessagesToChatStream) finishChunk(out []byte) []byte {
	s.finished = true
	return s.chunk(out, []byte("{}"), s.finish)
}

// usageChunk is the include_usage chunk: choices empty, usage set.
func (s *MessagesToChatStream) usageChunk(out []byte) []byte {
	w := jw{b: append(make([]byte, 0, len(s.prefix)+200), s.prefix...)}
	w.key("choices")
	w.openArr()
	w.closeArr()
	w.key("usage")
	writeOpenAIUsage(&w, s.Usage())
	w.close()
	return sse.AppendData(out, w.b)
}

// Done reports that [DONE] or an error frame went out: the relay stops
// reading there, so a client that hangs up right after [DONE] (the SDKs
// do) cannot turn a complete stream into an abandoned one.
func (s *MessagesToChatStream) Done() bool { return s.done }

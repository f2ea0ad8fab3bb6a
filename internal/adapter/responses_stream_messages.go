package adapter

import (
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/sse"
)

// messagesEvent converts one Messages stream event (docs/responses.md,
// "Stream"). Content blocks come one after the other: a thinking block is
// a reasoning item, a tool_use block a tool call item (both done at the
// block's stop), and a run of text blocks one message item.
func (s *ResponsesStream) messagesEvent(ev sse.Event) error {
	root, name, why := messagesEventHead(ev, s.started)
	if why != "" {
		return s.fail("anthropic stream: " + why)
	}
	switch name {
	case "message_start":
		msg := root.Get("message")
		if !s.started {
			s.start(msg.Get("model").Str)
		}
		s.antUsage.take(msg.Get("usage"))
	case "content_block_start":
		s.blockStart(root.Get("index").Int(), root.Get("content_block"))
	case "content_block_delta":
		s.blockDelta(s.byIndex[root.Get("index").Int()], root.Get("delta"))
	case "content_block_stop":
		idx := root.Get("index").Int()
		if it := s.byIndex[idx]; it != nil {
			delete(s.byIndex, idx)
			if it.kind != itemMessage {
				s.closeItem(it, "completed")
			}
		}
	case "message_delta":
		s.antUsage.take(root.Get("usage"))
		if sr := root.Get("delta.stop_reason"); sr.Type == gjson.String {
			s.finish, s.finishSeen = finishReason(sr.Str), true
		}
	case "message_stop":
		s.complete()
	case "error":
		s.messagesError(root.Get("error"))
	}
	// ping and unknown event types: nothing ("new event types may be added").
	return nil
}

func (s *ResponsesStream) blockStart(idx int64, cb gjson.Result) {
	switch cb.Get("type").Str {
	case "text":
		it := s.openText(false)
		s.byIndex[idx] = it
		s.text(cb.Get("text").Str, false)
	case "thinking":
		it := s.openReasoning()
		s.byIndex[idx] = it
		s.reasoning(it, cb.Get("thinking").Str)
		it.signature = append(it.signature, cb.Get("signature").Str...)
	case "redacted_thinking":
		// Nothing to show: worth an item only as encrypted_content the
		// client sends back.
		if s.meta.IncludeEncryptedReasoning {
			it := s.openReasoning()
			it.redacted = cb.Get("data").Str
			s.closeItem(it, "completed")
		}
	case "tool_use":
		if s.meta.JSONMode && cb.Get("name").Str == jsonToolName {
			// text.format's answer: the tool's input is the message text.
			it := s.openText(false)
			it.jsonTool = true
			s.byIndex[idx] = it
			if in := cb.Get("input"); in.IsObject() {
				if c := appendCompact(nil, in.Raw); string(c) != "{}" {
					s.text(string(c), false)
				}
			}
			return
		}
		s.closeCur()
		it := toolItem(&s.meta, cb.Get("id").Str, cb.Get("name").Str)
		s.byIndex[idx] = it
		s.addItem(it)
		// Some upstreams send the whole input on the start event.
		if in := cb.Get("input"); in.IsObject() {
			if c := appendCompact(nil, in.Raw); string(c) != "{}" {
				s.toolArgs(it, string(c))
			}
		}
	}
	// Server tool blocks and unknown blocks: nothing (the client cannot
	// act on them).
}

// blockDelta converts a content_block_delta for the block's item.
func (s *ResponsesStream) blockDelta(it *respItem, d gjson.Result) {
	if it == nil || !it.open {
		return
	}
	switch d.Get("type").Str {
	case "text_delta":
		if it.kind == itemMessage && it == s.cur {
			s.text(d.Get("text").Str, false)
		}
	case "thinking_delta":
		if it.kind == itemReasoning {
			s.reasoning(it, d.Get("thinking").Str)
		}
	case "signature_delta":
		if it.kind == itemReasoning {
			it.signature = append(it.signature, d.Get("signature").Str...)
		}
	case "input_json_delta":
		switch {
		case it.kind == itemFunction || it.kind == itemCustom:
			s.toolArgs(it, d.Get("partial_json").Str)
		case it.jsonTool && it == s.cur:
			s.text(d.Get("partial_json").Str, false)
		}
	}
	// citations_delta: nothing.
}

// messagesError ends the stream with response.failed for an Anthropic
// error event, its type mapped to OpenAI's code.
func (s *ResponsesStream) messagesError(e gjson.Result) {
	msg := e.Get("message").Str
	if msg == "" {
		msg = "upstream stream error"
	}
	s.failWith(responsesErrorCode(e.Get("type").Str, "", msg), msg)
}

package adapter

import (
	"github.com/tidwall/gjson"
)

// ChatToResponsesResponse converts a whole (2xx) Chat Completions answer to
// a Responses object (docs/responses.md, "Response"): reasoning_content
// becomes a reasoning item, the content a message, each tool call a
// function_call or custom_tool_call item. It returns the usage for the log.
// An error means the upstream sent something that is not a chat
// completion; the gateway answers 502.
func ChatToResponsesResponse(body []byte, meta ResponsesMeta) ([]byte, Usage, error) {
	root, choice, usage, err := readChatAnswer(body)
	if err != nil {
		return nil, Usage{}, err
	}
	msg := choice.Get("message")

	var items []*respItem
	add := func(it *respItem) {
		it.index = len(items)
		items = append(items, it)
	}
	// A chat message says nothing of the order of its parts: reasoning
	// comes first, as the model produced it, then the text, then the calls.
	if r := reasoningText(msg); r != "" {
		it := &respItem{kind: itemReasoning, id: meta.newID("rs_"), text: []byte(r)}
		it.sealReasoning(&meta)
		add(it)
	}
	if text := contentText(msg.Get("content")); text != "" {
		add(&respItem{kind: itemMessage, id: meta.newID("msg_"), text: []byte(text)})
	} else if r := msg.Get("refusal"); r.Type == gjson.String && r.Str != "" {
		add(&respItem{kind: itemMessage, id: meta.newID("msg_"), text: []byte(r.Str), refusal: true})
	}
	msg.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		fn := tc.Get("function")
		it := toolItem(&meta, tc.Get("id").Str, fn.Get("name").Str)
		if a := fn.Get("arguments"); a.Type == gjson.String {
			it.args = []byte(a.Str)
		} else if a.IsObject() {
			it.args = appendCompact(nil, a.Raw) // some servers send an object
		}
		add(it)
		return true
	})
	end := endFor(choice.Get("finish_reason").Str)
	markIncomplete(items, end)
	o := newRespObject(&meta, root.Get("model").Str)
	w := jw{b: make([]byte, 0, len(body)+len(o.tail)+256)}
	o.write(&w, end, items, &usage)
	return w.b, usage, nil
}

// MessagesToResponsesResponse converts a whole (2xx) Messages answer to a
// Responses object, its content blocks in their order (docs/responses.md,
// "Response"): thinking and redacted_thinking become reasoning items
// (encrypted_content carries the signed block when the client asked for
// it), runs of text blocks a message, tool_use blocks tool call items.
func MessagesToResponsesResponse(body []byte, meta ResponsesMeta) ([]byte, Usage, error) {
	root, content, usage, err := readMessagesAnswer(body)
	if err != nil {
		return nil, Usage{}, err
	}

	var items []*respItem
	add := func(it *respItem) {
		it.index = len(items)
		items = append(items, it)
	}
	content.ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").Str {
		case "text":
			t := b.Get("text").Str
			if n := len(items); n > 0 && items[n-1].kind == itemMessage {
				items[n-1].text = append(items[n-1].text, t...)
			} else if t != "" {
				add(&respItem{kind: itemMessage, id: meta.newID("msg_"), text: []byte(t)})
			}
		case "thinking":
			it := &respItem{kind: itemReasoning, id: meta.newID("rs_"), text: []byte(b.Get("thinking").Str),
				signature: []byte(b.Get("signature").Str)}
			it.sealReasoning(&meta)
			add(it)
		case "redacted_thinking":
			// Nothing to show; worth an item only as encrypted_content
			// the client sends back.
			if meta.IncludeEncryptedReasoning {
				it := &respItem{kind: itemReasoning, id: meta.newID("rs_"), redacted: b.Get("data").Str}
				it.sealReasoning(&meta)
				add(it)
			}
		case "tool_use":
			if meta.JSONMode && b.Get("name").Str == jsonToolName {
				// text.format's answer: the tool's input is the text.
				t := appendCompact(nil, b.Get("input").Raw)
				if n := len(items); n > 0 && items[n-1].kind == itemMessage {
					items[n-1].text = append(items[n-1].text, t...)
				} else {
					add(&respItem{kind: itemMessage, id: meta.newID("msg_"), text: t})
				}
				return true
			}
			it := toolItem(&meta, b.Get("id").Str, b.Get("name").Str)
			if in := b.Get("input"); in.IsObject() {
				it.args = appendCompact(nil, in.Raw)
			}
			add(it)
		}
		// Server tool blocks (server_tool_use, web_search_tool_result...)
		// are left out: the client cannot act on them.
		return true
	})
	end := endFor(finishReason(root.Get("stop_reason").Str))
	markIncomplete(items, end)
	o := newRespObject(&meta, root.Get("model").Str)
	w := jw{b: make([]byte, 0, len(body)+len(o.tail)+256)}
	o.write(&w, end, items, &usage)
	return w.b, usage, nil
}

// markIncomplete marks the last item of an answer a length cut ended: it
// is the one the cut went through.
func markIncomplete(items []*respItem, end respEnd) {
	if end.incomplete == "max_output_tokens" && len(items) > 0 {
		items[len(items)-1].status = "incomplete"
	}
}

package adapter

import (
	"strings"

	"github.com/tidwall/gjson"
)

// ChatToMessagesResponse converts a (2xx) OpenAI chat.completion body to an
// Anthropic Messages response (docs/conversion.md, "Responses"). An error
// means the upstream sent something that is not a chat completion; the
// gateway answers 502.
func ChatToMessagesResponse(body []byte, meta MessagesMeta) ([]byte, Usage, error) {
	root, choice, usage, err := readChatAnswer(body)
	if err != nil {
		return nil, Usage{}, err
	}
	msg := choice.Get("message")

	w := jw{b: make([]byte, 0, len(body)+256)}
	w.open()
	w.key("id")
	w.str(messageID(root.Get("id").Str, &meta))
	w.key("type")
	w.str("message")
	w.key("role")
	w.str("assistant")
	w.key("model")
	if m := root.Get("model").Str; m != "" {
		w.str(m)
	} else {
		w.str(meta.UpstreamModel)
	}
	w.key("content")
	w.openArr()
	calls, refused := writeMessagesContent(&w, msg, &meta)
	w.closeArr()
	stop := stopReason(choice.Get("finish_reason").Str)
	if calls > 0 && stop == "end_turn" {
		// Some upstreams say "stop" after tool calls; clients would then
		// not run the tools.
		stop = "tool_use"
	}
	if refused {
		stop = "refusal"
	}
	w.key("stop_reason")
	w.str(stop)
	w.key("stop_sequence")
	w.null()
	w.key("usage")
	writeAnthropicUsage(&w, usage)
	w.close()
	return w.b, usage, nil
}

// writeMessagesContent writes the content blocks of an OpenAI message:
// thinking (from reasoning_content), text (or the refusal), then one
// tool_use per tool call.
func writeMessagesContent(w *jw, msg gjson.Result, meta *MessagesMeta) (calls int, refused bool) {
	if r := reasoningText(msg); r != "" {
		w.open()
		w.key("type")
		w.str("thinking")
		w.key("thinking")
		w.str(r)
		w.key("signature")
		w.str("")
		w.close()
	}
	text := contentText(msg.Get("content"))
	if text == "" {
		if r := msg.Get("refusal"); r.Type == gjson.String && r.Str != "" {
			text, refused = r.Str, true
		}
	}
	if text != "" {
		w.open()
		w.key("type")
		w.str("text")
		w.key("text")
		w.str(text)
		w.close()
	}
	msg.Get("tool_calls").ForEach(func(_, tc gjson.Result) bool {
		fn := tc.Get("function")
		id := tc.Get("id").Str
		if id == "" {
			id = meta.newID("toolu_")
		}
		toolUseHead(w, id, fn.Get("name").Str, meta)
		writeArgsAsInput(w, fn.Get("arguments"))
		w.close()
		calls++
		return true
	})
	return calls, refused
}

// toolUseHead opens a tool_use block for an OpenAI tool call, up to the
// input's key: the id made valid for Anthropic, the name restored.
func toolUseHead(w *jw, id, name string, meta *MessagesMeta) {
	w.open()
	w.key("type")
	w.str("tool_use")
	w.key("id")
	w.str(SanitizeToolID(id))
	w.key("name")
	w.str(toolNames(meta.ToolNames).restore(name))
	w.key("input")
}

// messageID derives msg_<upstream id> (traceable to the upstream's logs),
// or a fresh id.
func messageID(upstream string, meta *MessagesMeta) string {
	if upstream == "" {
		return meta.newID("msg_")
	}
	if strings.HasPrefix(upstream, "msg_") {
		return upstream
	}
	return "msg_" + upstream
}

// reasoningText reads the reasoning extension fields compatible servers
// use: reasoning_content (DeepSeek, vLLM, new-api) or reasoning
// (OpenRouter, Ollama).
func reasoningText(m gjson.Result) string {
	if r := m.Get("reasoning_content"); r.Type == gjson.String && r.Str != "" {
		return r.Str
	}
	if r := m.Get("reasoning"); r.Type == gjson.String {
		return r.Str
	}
	return ""
}

// contentText reads message content: a string, or (some servers) an
// array of text parts.
func contentText(c gjson.Result) string {
	if c.Type == gjson.String {
		return c.Str
	}
	if !c.IsArray() {
		return ""
	}
	var sb strings.Builder
	c.ForEach(func(_, p gjson.Result) bool {
		if t := p.Get("text"); t.Type == gjson.String {
			sb.WriteString(t.Str)
		}
		return true
	})
	return sb.String()
}

// writeAnthropicUsage writes Anthropic usage from OpenAI counts
// (docs/conversion.md, "Usage"): input excludes the cached part.
func writeAnthropicUsage(w *jw, u Usage) {
	w.open()
	w.key("input_tokens")
	w.int(anthropicInput(u))
	w.key("output_tokens")
	w.int(u.CompletionTokens)
	w.key("cache_creation_input_tokens")
	w.int(u.CacheCreationTokens)
	w.key("cache_read_input_tokens")
	w.int(u.CacheReadTokens)
	w.close()
}

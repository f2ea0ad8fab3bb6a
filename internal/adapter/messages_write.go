package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// writeSystem writes the system prompt as one system message with plain
// string content: strict upstreams reject content arrays with
// cache_control (new-api#5982).
func writeSystem(w *jw, system gjson.Result) error {
	var text string
	switch {
	case system.Type == gjson.String:
		text = system.Str
	case system.IsArray():
		var sb strings.Builder
		var err error
		i := -1
		system.ForEach(func(_, b gjson.Result) bool {
			i++
			if b.Get("type").Str != "text" || b.Get("text").Type != gjson.String {
				err = badRequest("system["+strconv.Itoa(i)+"]", "system blocks must be text blocks")
				return false
			}
			if t := b.Get("text").Str; t != "" {
				if sb.Len() > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(t)
			}
			return true
		})
		if err != nil {
			return err
		}
		text = sb.String()
	case present(system):
		return badRequest("system", "system must be a string or an array of text blocks")
	}
	if text != "" {
		writeMessage(w, "system", "", text)
	}
	return nil
}

// writeChatMessages writes turns as OpenAI messages and counts them. A
// user turn's tool results become role tool messages first, right after
// the assistant message whose calls they answer; the rest of the turn
// follows as one user message.
func writeChatMessages(w *jw, turns []turn) int {
	n := 0
	for _, t := range turns {
		if t.role == roleAssistant {
			if writeAssistantMessage(w, t.blocks) {
				n++
			}
			continue
		}
		n += writeUserTurn(w, t.blocks)
	}
	return n
}

func writeUserTurn(w *jw, blocks []block) int {
	if !hasKind(blocks, blockToolResult) {
		if len(blocks) == 0 {
			return 0
		}
		writeUserMessage(w, blocks)
		return 1
	}
	n := 0
	var rest []block
	for _, b := range blocks {
		if b.kind != blockToolResult {
			rest = append(rest, b)
			continue
		}
		text := b.text
		if len(b.media) > 0 {
			// OpenAI tool messages are text only: the images go into the
			// user message that follows.
			text += "\n[" + strconv.Itoa(len(b.media)) + " image(s) from this tool result follow in the next user message]"
			rest = append(rest, b.media...)
		}
		writeMessage(w, "tool", b.id, text)
		n++
	}
	if len(rest) > 0 {
		writeUserMessage(w, rest)
		n++
	}
	return n
}

// writeMessage writes a message with string content; toolCallID only for
// role tool.
func writeMessage(w *jw, role, toolCallID, content string) {
	w.open()
	w.key("role")
	w.str(role)
	if toolCallID != "" {
		w.key("tool_call_id")
		w.str(toolCallID)
	}
	w.key("content")
	w.str(content)
	w.close()
}

// writeUserMessage writes text and media blocks as a user message;
// text-only content collapses to a plain string, which every
// OpenAI-compatible server accepts.
func writeUserMessage(w *jw, blocks []block) {
	if !hasKind(blocks, blockMedia) {
		text := blocks[0].text
		if len(blocks) > 1 {
			var sb strings.Builder
			for k, b := range blocks {
				if k > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(b.text)
			}
			text = sb.String()
		}
		writeMessage(w, "user", "", text)
		return
	}
	w.open()
	w.key("role")
	w.str("user")
	w.key("content")
	w.openArr()
	for _, b := range blocks {
		if b.raw != nil {
			w.rawBytes(b.raw)
			continue
		}
		w.open()
		w.key("type")
		w.str("text")
		w.key("text")
		w.str(b.text)
		w.close()
	}
	w.closeArr()
	w.close()
}

// writeAssistantMessage writes the text (concatenated) and tool calls of
// an assistant turn; it writes nothing, and says so, when there are none.
func writeAssistantMessage(w *jw, blocks []block) bool {
	text, calls := assistantText(blocks), 0
	for _, b := range blocks {
		if b.kind == blockToolUse {
			calls++
		}
	}
	if text == "" && calls == 0 {
		return false
	}
	w.open()
	w.key("role")
	w.str("assistant")
	w.key("content")
	if text != "" {
		w.str(text)
	} else {
		w.null()
	}
	if calls > 0 {
		if th := assistantReasoning(blocks); th != "" {
			w.key("reasoning_content")
			w.str(th)
		}
		w.key("tool_calls")
		w.openArr()
		for _, b := range blocks {
			if b.kind == blockToolUse {
				w.toolCall(toolCall{id: b.id, name: b.name, input: b.input})
			}
		}
		w.closeArr()
	}
	w.close()
	return true
}

// assistantReasoning is the text of a turn's thinking blocks, sent as
// reasoning_content only on a message that calls tools: DeepSeek's and
// Kimi's thinking modes require it back on exactly those messages (and
// ignore it elsewhere), while older reasoners that take no tools reject
// it, so a message without calls never carries it (docs/conversion.md).
func assistantReasoning(blocks []block) string {
	var sb strings.Builder
	for _, b := range blocks {
		if b.kind == blockThinking && b.raw == nil && b.text != "" {
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(b.text)
		}
	}
	return sb.String()
}

// assistantText concatenates the text blocks (without copying when there
// is only one).
func assistantText(blocks []block) string {
	text := ""
	var sb strings.Builder
	for _, b := range blocks {
		switch {
		case b.kind != blockText:
		case text == "":
			text = b.text
		default:
			if sb.Len() == 0 {
				sb.WriteString(text)
			}
			sb.WriteString(b.text)
		}
	}
	if sb.Len() > 0 {
		return sb.String()
	}
	return text
}

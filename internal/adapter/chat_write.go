package adapter

import (
	"strings"

	"github.com/tidwall/gjson"
)

// writeAnthropicMessages writes turns as Anthropic `messages`. In a user
// turn the tool_result blocks go first: "In the user message containing
// tool results, the tool_result blocks must come FIRST in the content
// array" (Anthropic's tool-use guide).
func writeAnthropicMessages(w *jw, turns []turn) {
	w.key("messages")
	w.openArr()
	for _, t := range turns {
		w.open()
		w.key("role")
		w.str(t.role.String())
		w.key("content")
		w.openArr()
		if t.role == roleUser {
			for _, b := range t.blocks {
				if b.kind == blockToolResult {
					writeAnthropicBlock(w, b)
				}
			}
		}
		for _, b := range t.blocks {
			if t.role != roleUser || b.kind != blockToolResult {
				writeAnthropicBlock(w, b)
			}
		}
		w.closeArr()
		w.close()
	}
	w.closeArr()
}

// writeAnthropicBlock writes an encoded block, or encodes one the tool
// pairing made (text, or a placeholder tool result).
func writeAnthropicBlock(w *jw, b block) {
	if b.raw != nil {
		w.rawBytes(b.raw)
		return
	}
	w.open()
	if b.kind == blockToolResult {
		w.key("type")
		w.str("tool_result")
		w.key("tool_use_id")
		w.str(b.id)
		w.key("content")
		w.str(b.text)
		if b.isError {
			w.key("is_error")
			w.bool(true)
		}
	} else {
		w.key("type")
		w.str("text")
		w.key("text")
		w.str(b.text)
	}
	w.close()
}

// trimPrefill strips trailing whitespace from a final assistant turn's last
// text block; Anthropic rejects a prefill that ends in whitespace.
func trimPrefill(t *turn) {
	if len(t.blocks) == 0 {
		return
	}
	lb := &t.blocks[len(t.blocks)-1]
	if lb.kind != blockText {
		return
	}
	trimmed := strings.TrimRight(lb.text, " \t\r\n")
	switch {
	case trimmed == lb.text:
	case trimmed == "":
		t.blocks = t.blocks[:len(t.blocks)-1]
	case lb.cc:
		// keep the cache breakpoint
		cc := gjson.GetBytes(lb.raw, "cache_control").Raw
		w := jw{}
		writeAnthropicBlock(&w, block{kind: blockText, text: trimmed})
		*lb = block{kind: blockText, text: trimmed, cc: true, raw: addCacheControl(w.b, cc)}
	default:
		*lb = block{kind: blockText, text: trimmed}
	}
}

// dropThinking removes carried thinking blocks (valid only with thinking
// on) and the turns this leaves empty, merging the same-role neighbours
// that can create.
func dropThinking(turns []turn) []turn {
	out := turns[:0]
	for _, t := range turns {
		if t.role == roleAssistant && hasKind(t.blocks, blockThinking) {
			kept := t.blocks[:0]
			for _, b := range t.blocks {
				if b.kind != blockThinking {
					kept = append(kept, b)
				}
			}
			t.blocks = kept
		}
		if len(t.blocks) > 0 {
			out = appendTurn(out, t.role, t.blocks)
		}
	}
	return out
}

// writeHistoryTools declares the tools a history's tool calls name when the
// request itself defines none (a client that stopped offering tools, a
// summary turn after a tool loop): Anthropic refuses tool_use and
// tool_result blocks in a request without tools (docs/conversion.md,
// "Requests: tools"). They get an open schema and tool_choice none, so the
// model cannot call them.
func writeHistoryTools(w *jw, turns []turn) {
	var names []string
	seen := map[string]bool{}
	for _, t := range turns {
		for _, b := range t.blocks {
			if b.kind != blockToolUse {
				continue
			}
			name := b.name
			if name == "" && b.raw != nil {
				name = gjson.GetBytes(b.raw, "name").Str
			}
			if name != "" && !seen[name] {
				seen[name] = true
				names = append(names, name)
			}
		}
	}
	if len(names) == 0 {
		return
	}
	w.key("tools")
	w.openArr()
	for _, name := range names {
		w.open()
		w.key("name")
		w.str(name)
		w.key("input_schema")
		w.open()
		w.key("type")
		w.str("object")
		w.close()
		w.close()
	}
	w.closeArr()
	w.key("tool_choice")
	w.open()
	w.key("type")
	w.str("none")
	w.close()
}

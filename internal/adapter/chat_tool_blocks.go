package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// assistantBlocks converts an assistant message: carried thinking blocks
// first (Anthropic requires them before text/tool_use), then text, then one
// tool_use per tool call.
func assistantBlocks(content, toolCalls, thinking gjson.Result, param string, names *toolNames) ([]block, error) {
	out := carriedThinking(thinking)
	switch {
	case content.Type == gjson.String:
		if !isBlank(content.Str) {
			out = append(out, textBlock(content, gjson.Result{}))
		}
	case content.IsArray():
		bs, err := contentParts(content, param, true)
		if err != nil {
			return nil, err
		}
		out = append(out, bs...)
	case present(content):
		return nil, badRequest(param+".content", "content must be a string, an array of parts or null")
	}
	if present(toolCalls) && !toolCalls.IsArray() {
		return nil, badRequest(param+".tool_calls", "tool_calls must be an array")
	}
	var err error
	k := -1
	toolCalls.ForEach(func(_, tc gjson.Result) bool {
		k++
		var b block
		b, err = toolUseBlock(tc, param+".tool_calls["+strconv.Itoa(k)+"]", names)
		out = append(out, b)
		return err == nil
	})
	return out, err
}

// carriedThinking reads LiteLLM's thinking_blocks extension: signed
// thinking blocks echoed back by the client, which keep thinking usable
// across tool loops. Blocks without their signature are dropped.
func carriedThinking(thinking gjson.Result) []block {
	if !thinking.IsArray() {
		return nil
	}
	var out []block
	thinking.ForEach(func(_, tb gjson.Result) bool {
		typ, field, sig := tb.Get("type").Str, "thinking", tb.Get("signature")
		if typ == "redacted_thinking" {
			field, sig = "data", gjson.Result{}
		} else if typ != "thinking" || sig.Type != gjson.String {
			return true
		}
		v := tb.Get(field)
		if v.Type != gjson.String {
			return true
		}
		w := jw{}
		w.open()
		w.key("type")
		w.str(typ)
		w.key(field)
		w.raw(v.Raw)
		if sig.Exists() {
			w.key("signature")
			w.raw(sig.Raw)
		}
		w.close()
		out = append(out, block{kind: blockThinking, raw: w.b})
		return true
	})
	return out
}

// toolUseBlock converts one OpenAI tool call to a tool_use block.
func toolUseBlock(tc gjson.Result, param string, names *toolNames) (block, error) {
	if t := tc.Get("type").Str; t != "" && t != "function" {
		return block{}, unsupported(param+".type", "tool call type %q is not supported", t)
	}
	fn := tc.Get("function")
	name := fn.Get("name")
	if name.Type != gjson.String || name.Str == "" {
		return block{}, badRequest(param+".function.name", "tool call function.name is required")
	}
	id := SanitizeToolID(tc.Get("id").Str)
	w := jw{}
	w.open()
	w.key("type")
	w.str("tool_use")
	w.key("id")
	w.str(id)
	w.key("name")
	w.str(names.sanitize(name.Str, anthropicToolNameMax))
	w.key("input")
	writeArgsAsInput(&w, fn.Get("arguments"))
	w.close()
	return block{kind: blockToolUse, id: id, raw: w.b}, nil
}

// writeArgsAsInput writes OpenAI tool-call arguments (a JSON string, or an
// object from lenient clients) as an Anthropic input object; anything that
// is not a JSON object, including "", becomes {}.
func writeArgsAsInput(w *jw, args gjson.Result) {
	switch {
	case args.Type == gjson.String && isJSONObject(args.Str):
		w.raw(strings.TrimSpace(args.Str))
	case args.IsObject():
		w.raw(args.Raw)
	default:
		w.raw("{}")
	}
}

// toolResultBlock converts a role:"tool" message.
func toolResultBlock(content, toolCallID gjson.Result, param string) (block, error) {
	if toolCallID.Type != gjson.String || toolCallID.Str == "" {
		return block{}, badRequest(param+".tool_call_id", "tool messages need a tool_call_id")
	}
	id := SanitizeToolID(toolCallID.Str)
	b := block{kind: blockToolResult, id: id}
	w := jw{b: make([]byte, 0, len(content.Raw)+64)}
	w.open()
	w.key("type")
	w.str("tool_result")
	w.key("tool_use_id")
	w.str(id)
	switch {
	case content.Type == gjson.String:
		if content.Str != "" {
			w.key("content")
			w.raw(content.Raw)
			b.text = content.Str
		}
	case content.IsArray():
		parts, err := contentParts(content, param, false)
		if err != nil {
			return block{}, err
		}
		if len(parts) > 0 {
			w.key("content")
			w.openArr()
			var sb strings.Builder
			for _, p := range parts {
				if p.kind == blockText {
					if sb.Len() > 0 {
						sb.WriteByte('\n')
					}
					sb.WriteString(p.text)
				} else {
					b.media = append(b.media, p)
				}
				w.rawBytes(p.raw)
			}
			w.closeArr()
			b.text = sb.String()
		}
	case !present(content):
	default:
		return block{}, badRequest(param+".content", "content must be a string or an array of parts")
	}
	w.close()
	b.raw = w.b
	return b, nil
}

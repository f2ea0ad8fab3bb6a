package adapter

import (
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// EstimateInputTokens estimates the input tokens of an Anthropic Messages
// request for count_tokens on openai-type providers, which have no such
// endpoint. It is a heuristic (about 4 ASCII bytes or 1 CJK character per
// token, a flat 1600 per image, 2000 per PDF page-sized chunk), not a
// tokenizer: good for budgeting, not billing.
func EstimateInputTokens(messagesBody []byte) (int, error) {
	root, err := parseBody(messagesBody)
	if err != nil {
		return 0, err
	}
	if m := root.Get("messages"); !m.IsArray() {
		return 0, badRequest("messages", "messages must be an array")
	}
	return estimateTokens(root), nil
}

const (
	imageTokens   = 1600 // Anthropic's cap for a ~1.15 MP image: (w*h)/750
	pdfChunkBytes = 60_000
	pdfChunkCost  = 2000
)

func estimateTokens(root gjson.Result) int {
	var n float64 = 3
	var walk func(v gjson.Result)
	walk = func(v gjson.Result) {
		switch {
		case v.Type == gjson.String:
			n += textTokens(v.Str)
		case v.IsArray():
			v.ForEach(func(_, b gjson.Result) bool { walk(b); return true })
		case v.IsObject():
			switch v.Get("type").Str {
			case "text":
				n += textTokens(v.Get("text").Str)
			case "thinking":
				n += textTokens(v.Get("thinking").Str)
			case "image":
				n += imageTokens
			case "document":
				src := v.Get("source")
				if src.Get("type").Str == "base64" {
					size := len(src.Get("data").Str) * 3 / 4
					n += float64((size/pdfChunkBytes + 1) * pdfChunkCost)
				} else {
					walk(src.Get("data"))
					walk(src.Get("content"))
				}
			case "tool_use":
				n += textTokens(v.Get("name").Str) + textTokens(v.Get("input").Raw)
			case "tool_result":
				n += 3
				walk(v.Get("content"))
			}
		}
	}
	walk(root.Get("system"))
	root.Get("messages").ForEach(func(_, m gjson.Result) bool {
		n += 4 // role and turn framing
		walk(m.Get("content"))
		return true
	})
	root.Get("tools").ForEach(func(_, t gjson.Result) bool {
		n += 8 + textTokens(t.Get("name").Str) + textTokens(t.Get("description").Str) + textTokens(t.Get("input_schema").Raw)
		return true
	})
	return int(n + 0.5)
}

// textTokens: ASCII at ~4 bytes per token, CJK at ~1 character per token,
// other scripts at ~2 characters per token.
func textTokens(s string) float64 {
	ascii, cjk, other := 0, 0, 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			ascii++
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		if r >= 0x2E80 && r <= 0x9FFF || r >= 0xAC00 && r <= 0xD7AF || r >= 0xF900 && r <= 0xFAFF || r >= 0x3040 && r <= 0x30FF {
			cjk++
		} else {
			other++
		}
	}
	return float64(ascii)/4 + float64(cjk) + float64(other)/2
}

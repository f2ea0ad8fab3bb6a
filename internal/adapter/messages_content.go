package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// messagesTurns reads the Anthropic messages into turns (one per message:
// OpenAI takes consecutive messages of one role as they are). Media are
// encoded as OpenAI content parts. docs/conversion.md, "Requests:
// messages".
func messagesTurns(messages gjson.Result, names *toolNames) ([]turn, error) {
	turns := make([]turn, 0, 8)
	err := eachMessage(messages, func(m gjson.Result, param string) (err error) {
		var t turn
		switch r := m.Get("role").Str; r {
		case "user":
			t.blocks, err = messagesUserBlocks(m.Get("content"), param)
		case "assistant":
			t.role = roleAssistant
			t.blocks, err = messagesAssistantBlocks(m.Get("content"), param, names)
		default:
			err = badRequest(param+".role", "role must be user or assistant, got %q", r)
		}
		// An empty turn is kept: it still ends the previous turn's tool calls.
		turns = append(turns, t)
		return err
	})
	return turns, err
}

// messagesUserBlocks reads a user message's content.
func messagesUserBlocks(content gjson.Result, param string) ([]block, error) {
	if !content.IsArray() {
		return stringContent(content, param)
	}
	var out []block
	var err error
	j := -1
	content.ForEach(func(_, b gjson.Result) bool {
		j++
		pp := param + ".content[" + strconv.Itoa(j) + "]"
		switch typ := b.Get("type").Str; typ {
		case "tool_result":
			var r block
			r, err = messagesToolResult(b, pp)
			out = append(out, r)
		case "text":
			if t := b.Get("text").Str; t != "" {
				out = append(out, block{kind: blockText, text: t})
			}
		case "image":
			var p block
			p, err = imagePart(b, pp)
			out = append(out, p)
		case "document":
			out, err = appendDocument(out, b, pp)
		case "thinking", "redacted_thinking":
			// no signature concept upstream; dropped
		default:
			err = unsupported(pp+".type", "content block type %q cannot be sent to an OpenAI-compatible upstream", typ)
		}
		return err == nil
	})
	return out, err
}

// stringContent reads content that is not a block array: a string is one
// text block (none when empty), null or missing is nothing.
func stringContent(content gjson.Result, param string) ([]block, error) {
	switch {
	case content.Type == gjson.String && content.Str != "":
		return []block{{kind: blockText, text: content.Str}}, nil
	case content.Type == gjson.String || !present(content):
		return nil, nil
	}
	return nil, badRequest(param+".content", "content must be a string or an array of blocks")
}

// messagesToolResult reads a tool_result: its content flattened to text
// (OpenAI tool messages are text only), its images and files as media.
// is_error has no OpenAI field, so it becomes a prefix the model reads.
func messagesToolResult(b gjson.Result, param string) (block, error) {
	r := block{kind: blockToolResult, id: SanitizeToolID(b.Get("tool_use_id").Str)}
	var sb strings.Builder
	if b.Get("is_error").Type == gjson.True {
		sb.WriteString("Error: ")
	}
	c := b.Get("content")
	if c.Type == gjson.String {
		sb.WriteString(c.Str)
	}
	var parts []block
	var err error
	k := -1
	if !c.IsArray() {
		c = gjson.Result{}
	}
	c.ForEach(func(_, cb gjson.Result) bool {
		k++
		pp := param + ".content[" + strconv.Itoa(k) + "]"
		switch cb.Get("type").Str {
		case "text":
			parts = append(parts, block{kind: blockText, text: cb.Get("text").Str})
		case "image":
			var p block
			p, err = imagePart(cb, pp)
			parts = append(parts, p)
		case "document":
			parts, err = appendDocument(parts, cb, pp)
		}
		return err == nil
	})
	first := true
	for _, p := range parts {
		if p.kind != blockText {
			r.media = append(r.media, p)
			continue
		}
		if !first {
			sb.WriteByte('\n')
		}
		sb.WriteString(p.text)
		first = false
	}
	r.text = sb.String()
	return r, err
}

// imagePart converts an image block to an image_url part (data URI or URL).
func imagePart(b gjson.Result, param string) (block, error) {
	src := b.Get("source")
	switch src.Get("type").Str {
	case "base64":
		return imageURLPart("data:" + src.Get("media_type").Str + ";base64," + src.Get("data").Str), nil
	case "url":
		return imageURLPart(src.Get("url").Str), nil
	}
	return block{}, unsupported(param+".source.type", "image source type %q cannot be sent to an OpenAI-compatible upstream", src.Get("type").Str)
}

func imageURLPart(url string) block {
	w := jw{b: make([]byte, 0, len(url)+48)}
	w.open()
	w.key("type")
	w.str("image_url")
	w.key("image_url")
	w.open()
	w.key("url")
	w.str(url)
	w.close()
	w.close()
	return block{kind: blockMedia, raw: w.b}
}

// appendDocument converts a document block: a base64 PDF becomes an
// OpenAI `file` part (OpenAI accepts it; many compatible servers reject
// it, which surfaces as their 400), text sources become text.
func appendDocument(out []block, b gjson.Result, param string) ([]block, error) {
	src := b.Get("source")
	title := b.Get("title").Str
	switch src.Get("type").Str {
	case "base64":
		if mt := src.Get("media_type").Str; mt != "application/pdf" {
			return out, unsupported(param+".source.media_type", "document media type %q cannot be sent to an OpenAI-compatible upstream", mt)
		}
		return append(out, pdfFilePart(title, src.Get("data").Str)), nil
	case "text":
		t := src.Get("data").Str
		if title != "" {
			t = title + "\n\n" + t
		}
		return append(out, block{kind: blockText, text: t}), nil
	case "content":
		src.Get("content").ForEach(func(_, cb gjson.Result) bool {
			if t := cb.Get("text").Str; cb.Get("type").Str == "text" && t != "" {
				out = append(out, block{kind: blockText, text: t})
			}
			return true
		})
		return out, nil
	}
	return out, unsupported(param+".source.type", "document source type %q cannot be sent to an OpenAI-compatible upstream; send the PDF as base64", src.Get("type").Str)
}

func pdfFilePart(name, data string) block {
	if name == "" {
		name = "document.pdf"
	}
	w := jw{b: make([]byte, 0, len(data)+96)}
	w.open()
	w.key("type")
	w.str("file")
	w.key("file")
	w.open()
	w.key("filename")
	w.str(name)
	w.key("file_data")
	w.str("data:application/pdf;base64," + data)
	w.close()
	w.close()
	return block{kind: blockMedia, raw: w.b}
}

// messagesAssistantBlocks reads an assistant message: text and tool calls.
// Thinking has no signature concept upstream, and server tools ran on
// Anthropic's side with their effect in the text: both are dropped.
func messagesAssistantBlocks(content gjson.Result, param string, names *toolNames) ([]block, error) {
	if !content.IsArray() {
		return stringContent(content, param)
	}
	var out []block
	var err error
	j := -1
	content.ForEach(func(_, b gjson.Result) bool {
		j++
		switch typ := b.Get("type").Str; typ {
		case "text":
			if t := b.Get("text").Str; t != "" {
				out = append(out, block{kind: blockText, text: t})
			}
		case "tool_use":
			input := b.Get("input")
			raw := "{}"
			if input.IsObject() {
				raw = input.Raw
			}
			out = append(out, block{kind: blockToolUse, id: SanitizeToolID(b.Get("id").Str),
				name: names.sanitize(b.Get("name").Str, openAIToolNameMax), input: raw})
		case "thinking":
			// Sent back as reasoning_content when the message calls tools:
			// DeepSeek's thinking mode (and Kimi's) answers 400 to a tool
			// loop whose assistant turns lost it (docs/conversion.md).
			if t := b.Get("thinking").Str; t != "" {
				out = append(out, block{kind: blockThinking, text: t})
			}
		case "redacted_thinking", "server_tool_use", "web_search_tool_result",
			"web_fetch_tool_result", "code_execution_tool_result", "mcp_tool_use", "mcp_tool_result":
		default:
			err = unsupported(param+".content["+strconv.Itoa(j)+"].type", "content block type %q cannot be sent to an OpenAI-compatible upstream", typ)
		}
		return err == nil
	})
	return out, err
}

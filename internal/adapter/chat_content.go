package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// chatTurns reads the OpenAI messages into turns: system and developer
// messages are hoisted into sys (encoded text blocks, in order), tool
// messages become tool_result blocks of a user turn, and consecutive turns
// of the same role are merged. docs/conversion.md, "Requests: messages".
func chatTurns(messages gjson.Result, sys *jw, names *toolNames) ([]turn, error) {
	turns := make([]turn, 0, 8)
	err := eachMessage(messages, func(m gjson.Result, param string) (err error) {
		turns, err = chatMessage(turns, m, param, sys, names)
		return err
	})
	return turns, err
}

// chatMessage adds one OpenAI message to turns (or, for system and
// developer messages, to sys).
func chatMessage(turns []turn, m gjson.Result, param string, sys *jw, names *toolNames) ([]turn, error) {
	var roleName, content, toolCalls, toolCallID, cc, thinking gjson.Result
	m.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "role":
			roleName = v
		case "content":
			content = v
		case "tool_calls":
			toolCalls = v
		case "tool_call_id":
			toolCallID = v
		case "cache_control":
			cc = v
		case "thinking_blocks":
			thinking = v
		}
		return true
	})
	var blocks []block
	var err error
	r := roleUser
	switch roleName.Str {
	case "system", "developer":
		return turns, systemBlocks(content, cc, param, sys)
	case "user":
		blocks, err = userBlocks(content, param)
	case "assistant":
		r = roleAssistant
		blocks, err = assistantBlocks(content, toolCalls, thinking, param, names)
	case "tool":
		var b block
		b, err = toolResultBlock(content, toolCallID, param)
		blocks = []block{b}
	case "function":
		err = unsupported(param+".role", "role function (deprecated functions API) is not supported; use tool messages")
	default:
		err = badRequest(param+".role", "unknown message role %q", roleName.Str)
	}
	if err != nil || len(blocks) == 0 {
		return turns, err // no blocks: e.g. assistant content "" without tool calls
	}
	if cc.IsObject() {
		// Message-level cache_control (extension) marks the end of the
		// message: put it on its last block, as LiteLLM does.
		if lb := &blocks[len(blocks)-1]; !lb.cc && lb.kind != blockThinking {
			lb.raw = addCacheControl(lb.raw, cc.Raw)
			lb.cc = true
		}
	}
	return appendTurn(turns, r, blocks), nil
}

// addCacheControl inserts "cache_control":cc before the closing brace of an
// encoded block.
func addCacheControl(block []byte, cc string) []byte {
	out := make([]byte, 0, len(block)+len(cc)+18)
	out = append(out, block[:len(block)-1]...)
	out = append(out, `,"cache_control":`...)
	out = appendCompact(out, cc)
	return append(out, '}')
}

func textBlock(text gjson.Result, cc gjson.Result) block {
	w := jw{b: make([]byte, 0, len(text.Raw)+32)}
	w.open()
	w.key("type")
	w.str("text")
	w.key("text")
	w.raw(text.Raw)
	hasCC := cc.IsObject()
	if hasCC {
		w.key("cache_control")
		w.rawCompact(cc.Raw)
	}
	w.close()
	return block{kind: blockText, text: text.Str, cc: hasCC, raw: w.b}
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

func systemBlocks(content, msgCC gjson.Result, param string, sys *jw) error {
	var blocks []block
	switch {
	case content.Type == gjson.String:
		if !isBlank(content.Str) {
			blocks = append(blocks, textBlock(content, gjson.Result{}))
		}
	case content.IsArray():
		j := -1
		var err error
		content.ForEach(func(_, p gjson.Result) bool {
			j++
			pp := param + ".content[" + strconv.Itoa(j) + "]"
			if p.Type == gjson.String {
				if !isBlank(p.Str) {
					blocks = append(blocks, textBlock(p, gjson.Result{}))
				}
				return true
			}
			typ := p.Get("type").Str
			if typ != "text" && typ != "input_text" {
				err = unsupported(pp+".type", "system messages may only contain text parts, got %q", typ)
				return false
			}
			t := p.Get("text")
			if t.Type != gjson.String {
				err = badRequest(pp+".text", "text must be a string")
				return false
			}
			if !isBlank(t.Str) {
				blocks = append(blocks, textBlock(t, p.Get("cache_control")))
			}
			return true
		})
		if err != nil {
			return err
		}
	case !present(content):
	default:
		return badRequest(param+".content", "content must be a string or an array of parts")
	}
	if n := len(blocks); n > 0 && msgCC.IsObject() && !blocks[n-1].cc {
		blocks[n-1].raw = addCacheControl(blocks[n-1].raw, msgCC.Raw)
	}
	for _, b := range blocks {
		sys.rawBytes(b.raw)
	}
	return nil
}

// userBlocks converts user content (string or parts).
func userBlocks(content gjson.Result, param string) ([]block, error) {
	switch {
	case content.Type == gjson.String:
		if isBlank(content.Str) {
			return nil, nil
		}
		return []block{textBlock(content, gjson.Result{})}, nil
	case content.IsArray():
		return contentParts(content, param, false)
	case !present(content):
		return nil, nil
	}
	return nil, badRequest(param+".content", "content must be a string or an array of parts")
}

// contentParts converts OpenAI content parts. assistant allows refusal
// parts; tool results reuse it for text and images.
func contentParts(content gjson.Result, param string, assistant bool) ([]block, error) {
	var out []block
	var err error
	j := -1
	content.ForEach(func(_, p gjson.Result) bool {
		j++
		pp := param + ".content[" + strconv.Itoa(j) + "]"
		if p.Type == gjson.String { // some clients send bare strings
			if !isBlank(p.Str) {
				out = append(out, textBlock(p, gjson.Result{}))
			}
			return true
		}
		cc := p.Get("cache_control")
		switch typ := p.Get("type").Str; typ {
		case "text", "input_text":
			t := p.Get("text")
			if t.Type != gjson.String {
				err = badRequest(pp+".text", "text must be a string")
				return false
			}
			if !isBlank(t.Str) {
				out = append(out, textBlock(t, cc))
			}
		case "refusal":
			if t := p.Get("refusal"); t.Type == gjson.String && !isBlank(t.Str) {
				out = append(out, textBlock(t, cc))
			}
		case "image_url":
			if assistant {
				err = unsupported(pp, "assistant messages cannot contain images")
				return false
			}
			u := p.Get("image_url")
			if u.IsObject() {
				u = u.Get("url")
			}
			if u.Type != gjson.String {
				err = badRequest(pp+".image_url.url", "image_url.url must be a string")
				return false
			}
			var b block
			b, err = imageBlock(u.Str, cc, pp+".image_url.url")
			if err != nil {
				return false
			}
			out = append(out, b)
		case "file":
			if assistant {
				err = unsupported(pp, "assistant messages cannot contain files")
				return false
			}
			var b block
			b, err = fileBlock(p.Get("file"), cc, pp+".file")
			if err != nil {
				return false
			}
			out = append(out, b)
		case "input_audio":
			err = unsupported(pp, "audio input is not supported by Anthropic models")
			return false
		default:
			err = unsupported(pp+".type", "unsupported content part type %q", typ)
			return false
		}
		return true
	})
	return out, err
}

// parseDataURI splits data:<mime>[;params];base64,<data>.
func parseDataURI(u string) (mime, data string, ok bool) {
	rest, found := strings.CutPrefix(u, "data:")
	if !found {
		return "", "", false
	}
	header, data, found := strings.Cut(rest, ",")
	if !found {
		return "", "", false
	}
	params := strings.Split(header, ";")
	mime = strings.ToLower(strings.TrimSpace(params[0]))
	b64 := false
	for _, p := range params[1:] {
		if strings.EqualFold(strings.TrimSpace(p), "base64") {
			b64 = true
		}
	}
	return mime, data, b64
}

func mediaBlock(kind, srcType, mediaType, dataKey, data string, cc gjson.Result) block {
	w := jw{b: make([]byte, 0, len(data)+96)}
	w.open()
	w.key("type")
	w.str(kind)
	w.key("source")
	w.open()
	w.key("type")
	w.str(srcType)
	if mediaType != "" {
		w.key("media_type")
		w.str(mediaType)
	}
	w.key(dataKey)
	w.str(data)
	w.close()
	hasCC := cc.IsObject()
	if hasCC {
		w.key("cache_control")
		w.rawCompact(cc.Raw)
	}
	w.close()
	return block{kind: blockMedia, cc: hasCC, raw: w.b}
}

// imageBlock converts an image_url: data URIs to base64 image (or PDF
// document) blocks, http(s) URLs to url sources. The gateway never
// downloads URLs (latency, SSRF).
func imageBlock(u string, cc gjson.Result, param string) (block, error) {
	if mime, data, ok := parseDataURI(u); strings.HasPrefix(u, "data:") {
		if !ok {
			return block{}, badRequest(param, "image data URIs must be base64-encoded")
		}
		switch mime {
		case "image/jpg":
			mime = "image/jpeg"
			fallthrough
		case "image/jpeg", "image/png", "image/gif", "image/webp":
			return mediaBlock("image", "base64", mime, "data", data, cc), nil
		case "application/pdf":
			return mediaBlock("document", "base64", mime, "data", data, cc), nil
		}
		return block{}, unsupported(param, "unsupported image media type %q: Anthropic accepts image/jpeg, image/png, image/gif, image/webp and application/pdf", mime)
	}
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		return mediaBlock("image", "url", "", "url", u, cc), nil
	}
	return block{}, badRequest(param, "image_url.url must be a data URI or an http(s) URL")
}

// fileBlock converts a `file` part: a PDF or plain-text data URI becomes a
// document block; file ids refer to OpenAI's file store and cannot be read.
func fileBlock(file, cc gjson.Result, param string) (block, error) {
	if present(file.Get("file_id")) && !present(file.Get("file_data")) {
		return block{}, unsupported(param+".file_id", "file ids refer to OpenAI's file storage and cannot be sent to Anthropic; send file_data instead")
	}
	fd := file.Get("file_data")
	if fd.Type != gjson.String {
		if u := file.Get("file_url"); u.Type == gjson.String {
			lower := strings.ToLower(u.Str)
			if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
				return mediaBlock("document", "url", "", "url", u.Str, cc), nil
			}
		}
		return block{}, badRequest(param+".file_data", "file.file_data must be a data URI")
	}
	mime, data, ok := parseDataURI(fd.Str)
	if !ok {
		return block{}, badRequest(param+".file_data", "file.file_data must be a base64 data URI")
	}
	switch mime {
	case "application/pdf":
		return mediaBlock("document", "base64", mime, "data", data, cc), nil
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return mediaBlock("image", "base64", mime, "data", data, cc), nil
	}
	return block{}, unsupported(param+".file_data", "unsupported file media type %q: Anthropic documents accept application/pdf", mime)
}

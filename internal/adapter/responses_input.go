package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// The input of a Responses request read into the shared turn model
// (turns.go), with each block encoded for the target's writer: direction
// A's writer for Messages (raw Anthropic blocks), direction B's for Chat
// Completions (text, OpenAI parts, tool calls by name and input).
// docs/responses.md, "Request: input".

type respTarget uint8

const (
	toChat respTarget = iota
	toMessages
)

// respInput reads input items into turns and system texts.
type respInput struct {
	target respTarget
	tools  *respTools
	system []string
	turns  []turn
}

func (r *respInput) read(input gjson.Result) error {
	switch {
	case input.Type == gjson.String:
		if !isBlank(input.Str) {
			r.turns = appendTurn(r.turns, roleUser, []block{{kind: blockText, text: input.Str}})
		}
		return nil
	case !present(input):
		return badRequest("input", "input is required: a string or an array of items (a converted provider keeps no conversation state)")
	case !input.IsArray():
		return badRequest("input", "input must be a string or an array of items")
	}
	var err error
	i := -1
	input.ForEach(func(_, item gjson.Result) bool {
		i++
		param := "input[" + strconv.Itoa(i) + "]"
		if !item.IsObject() {
			err = badRequest(param, "each input item must be an object")
		} else {
			err = r.item(item, param)
		}
		return err == nil
	})
	return err
}

// inputItem holds the members of an input item the conversion reads.
type inputItem struct {
	typ, role, content, callID, name, namespace, arguments, input, output, encrypted, tools, summary gjson.Result
}

func readInputItem(item gjson.Result) inputItem {
	var it inputItem
	item.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "type":
			it.typ = v
		case "role":
			it.role = v
		case "content":
			it.content = v
		case "call_id":
			it.callID = v
		case "name":
			it.name = v
		case "namespace":
			it.namespace = v
		case "arguments":
			it.arguments = v
		case "input":
			it.input = v
		case "output":
			it.output = v
		case "encrypted_content":
			it.encrypted = v
		case "summary":
			it.summary = v
		case "tools":
			it.tools = v
		}
		return true
	})
	return it
}

// item converts one input item.
func (r *respInput) item(item gjson.Result, param string) error {
	it := readInputItem(item)
	switch typ := it.typ.Str; typ {
	case "message", "":
		if typ == "" && !it.role.Exists() {
			return badRequest(param+".type", "input item type is required")
		}
		return r.message(&it, param)
	case "function_call", "custom_tool_call":
		return r.call(&it, param)
	case "function_call_output", "custom_tool_call_output":
		return r.output(&it, param)
	case "reasoning":
		r.reasoning(&it)
		return nil
	case "additional_tools", "tool_search_output":
		// Tools declared in the input (Codex's Responses Lite requests,
		// client-side tool search) are tools like the request's own.
		return r.tools.readTools(it.tools, param+".tools")
	case "item_reference":
		return badRequest(param+".type", "item_reference points into OpenAI's response store, which a converted provider does not have: send the item itself (store:false)")
	}
	// Hosted tool calls and their results (web_search_call, file_search_call,
	// image_generation_call, code_interpreter_call, computer_call, mcp_*,
	// local_shell_call, tool_search_call, ...), compaction, and unknown
	// types: their effect is in the text around them; dropped.
	return nil
}

func (r *respInput) message(it *inputItem, param string) error {
	switch role := it.role.Str; role {
	case "system", "developer":
		return r.systemMessage(it.content, param)
	case "user":
		blocks, err := r.parts(it.content, param, false)
		if err == nil && len(blocks) > 0 {
			r.turns = appendTurn(r.turns, roleUser, blocks)
		}
		return err
	case "assistant":
		blocks, err := r.parts(it.content, param, true)
		if err == nil && len(blocks) > 0 {
			r.turns = appendTurn(r.turns, roleAssistant, blocks)
		}
		return err
	default:
		return badRequest(param+".role", "role must be user, assistant, system or developer, got %q", role)
	}
}

// systemMessage adds a system or developer message's text to the system
// prompt (both upstreams take it in one place; see docs).
func (r *respInput) systemMessage(content gjson.Result, param string) error {
	switch {
	case content.Type == gjson.String:
		if !isBlank(content.Str) {
			r.system = append(r.system, content.Str)
		}
		return nil
	case !content.IsArray():
		return badRequest(param+".content", "content must be a string or an array of parts")
	}
	var err error
	j := -1
	content.ForEach(func(_, p gjson.Result) bool {
		j++
		pp := param + ".content[" + strconv.Itoa(j) + "]"
		switch typ := p.Get("type").Str; typ {
		case "input_text", "output_text", "text":
			if t := p.Get("text"); t.Type != gjson.String {
				err = badRequest(pp+".text", "text must be a string")
			} else if !isBlank(t.Str) {
				r.system = append(r.system, t.Str)
			}
		default:
			err = unsupported(pp+".type", "system and developer messages may only contain text, got %q", typ)
		}
		return err == nil
	})
	return err
}

// parts reads a user or assistant message's content: text, images, files.
func (r *respInput) parts(content gjson.Result, param string, assistant bool) ([]block, error) {
	switch {
	case content.Type == gjson.String:
		if isBlank(content.Str) {
			return nil, nil
		}
		return []block{{kind: blockText, text: content.Str}}, nil
	case !present(content):
		return nil, nil
	case !content.IsArray():
		return nil, badRequest(param+".content", "content must be a string or an array of parts")
	}
	var out []block
	var err error
	j := -1
	content.ForEach(func(_, p gjson.Result) bool {
		j++
		pp := param + ".content[" + strconv.Itoa(j) + "]"
		var b block
		b, err = r.part(p, pp, assistant)
		if err == nil && b.kind != 0 {
			out = append(out, b)
		}
		return err == nil
	})
	return out, err
}

// part converts one content part; a zero block means nothing to send.
func (r *respInput) part(p gjson.Result, param string, assistant bool) (block, error) {
	switch typ := p.Get("type").Str; typ {
	case "input_text", "output_text", "text":
		t := p.Get("text")
		if t.Type != gjson.String {
			return block{}, badRequest(param+".text", "text must be a string")
		}
		if isBlank(t.Str) {
			return block{}, nil
		}
		return block{kind: blockText, text: t.Str}, nil
	case "refusal":
		if t := p.Get("refusal"); t.Type == gjson.String && !isBlank(t.Str) {
			return block{kind: blockText, text: t.Str}, nil
		}
		return block{}, nil
	case "input_image":
		if assistant {
			return block{}, unsupported(param, "assistant messages cannot contain images")
		}
		return r.image(p, param)
	case "input_file":
		if assistant {
			return block{}, unsupported(param, "assistant messages cannot contain files")
		}
		return r.file(p, param)
	default:
		return block{}, unsupported(param+".type", "content part type %q cannot be converted", typ)
	}
}

func (r *respInput) image(p gjson.Result, param string) (block, error) {
	u := p.Get("image_url")
	if u.IsObject() { // lenient: the Chat Completions shape
		u = u.Get("url")
	}
	if u.Type != gjson.String || u.Str == "" {
		if present(p.Get("file_id")) {
			return block{}, unsupported(param+".file_id", "file_id refers to OpenAI's file storage, which a converted provider cannot read: send the image as image_url (a data URI or an http(s) URL)")
		}
		return block{}, badRequest(param+".image_url", "input_image needs image_url (a data URI or an http(s) URL)")
	}
	if r.target == toMessages {
		return imageBlock(u.Str, gjson.Result{}, param+".image_url")
	}
	return imageURLPart(u.Str), nil
}

func (r *respInput) file(p gjson.Result, param string) (block, error) {
	data, url := p.Get("file_data"), p.Get("file_url")
	switch {
	case data.Type == gjson.String && data.Str != "":
	case url.Type == gjson.String && url.Str != "" && r.target == toMessages:
		lower := strings.ToLower(url.Str)
		if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
			return mediaBlock("document", "url", "", "url", url.Str, gjson.Result{}), nil
		}
		return block{}, badRequest(param+".file_url", "file_url must be an http(s) URL")
	case present(p.Get("file_id")):
		return block{}, unsupported(param+".file_id", "file_id refers to OpenAI's file storage, which a converted provider cannot read: send file_data (a base64 data URI) instead")
	default:
		return block{}, unsupported(param, "input_file needs file_data (a base64 data URI) for this provider")
	}
	if r.target == toMessages {
		return fileBlock(p, gjson.Result{}, param)
	}
	mime, b64, ok := parseDataURI(data.Str)
	if !ok {
		return block{}, badRequest(param+".file_data", "file_data must be a base64 data URI")
	}
	if strings.HasPrefix(mime, "image/") {
		return imageURLPart(data.Str), nil
	}
	if mime != "application/pdf" {
		return block{}, unsupported(param+".file_data", "file media type %q cannot be sent to an OpenAI-compatible upstream; send a PDF", mime)
	}
	return pdfFilePart(p.Get("filename").Str, b64), nil
}

// call converts a function_call or custom_tool_call into a tool call of
// an assistant turn, under the upstream name of the client's tool.
func (r *respInput) call(it *inputItem, param string) error {
	if it.callID.Type != gjson.String || it.callID.Str == "" {
		return badRequest(param+".call_id", "%s needs a call_id", it.typ.Str)
	}
	if it.name.Type != gjson.String || it.name.Str == "" {
		return badRequest(param+".name", "%s needs a name", it.typ.Str)
	}
	kind, args := "function", "{}"
	if it.typ.Str == "custom_tool_call" {
		kind = "custom"
		args = customArguments(it.input.Str)
	} else if a := it.arguments; a.Type == gjson.String && isJSONObject(a.Str) {
		args = strings.TrimSpace(a.Str)
	} else if a.IsObject() { // lenient clients send an object
		args = a.Raw
	}
	id := SanitizeToolID(it.callID.Str)
	name := r.tools.name(kind, it.namespace.Str, it.name.Str)
	b := block{kind: blockToolUse, id: id, name: name, input: args}
	if r.target == toMessages {
		w := jw{b: make([]byte, 0, len(args)+len(id)+len(name)+48)}
		w.open()
		w.key("type")
		w.str("tool_use")
		w.key("id")
		w.str(id)
		w.key("name")
		w.str(name)
		w.key("input")
		w.raw(args)
		w.close()
		b.raw = w.b
	}
	r.turns = appendTurn(r.turns, roleAssistant, []block{b})
	return nil
}

// output converts a function_call_output or custom_tool_call_output into
// a tool result of a user turn; output is a string or an array of parts.
func (r *respInput) output(it *inputItem, param string) error {
	if it.callID.Type != gjson.String || it.callID.Str == "" {
		return badRequest(param+".call_id", "%s needs a call_id", it.typ.Str)
	}
	res := block{kind: blockToolResult, id: SanitizeToolID(it.callID.Str)}
	var parts []block
	switch out := it.output; {
	case out.Type == gjson.String:
		res.text = out.Str
	case out.IsArray():
		var err error
		if parts, err = r.parts(out, param+".output", false); err != nil {
			return err
		}
		var sb strings.Builder
		for _, p := range parts {
			if p.kind != blockText {
				res.media = append(res.media, p)
				continue
			}
			if sb.Len() > 0 {
				sb.WriteByte('\n')
			}
			sb.WriteString(p.text)
		}
		res.text = sb.String()
	case present(out):
		return badRequest(param+".output", "output must be a string or an array of parts")
	}
	if r.target == toMessages {
		res.raw = anthropicToolResult(res.id, res.text, parts)
	}
	r.turns = appendTurn(r.turns, roleUser, []block{res})
	return nil
}

// anthropicToolResult encodes a tool_result: string content, or the
// parts (text and media blocks) when there is media.
func anthropicToolResult(id, text string, parts []block) []byte {
	w := jw{b: make([]byte, 0, len(text)+len(id)+64)}
	w.open()
	w.key("type")
	w.str("tool_result")
	w.key("tool_use_id")
	w.str(id)
	hasMedia := hasKind(parts, blockMedia)
	switch {
	case hasMedia:
		w.key("content")
		w.openArr()
		for _, p := range parts {
			writeAnthropicBlock(&w, p)
		}
		w.closeArr()
	case text != "":
		w.key("content")
		w.str(text)
	}
	w.close()
	return w.b
}

// reasoning turns a reasoning item aigw wrote (its encrypted_content
// holds a Claude thinking block) back into that block, for Messages only;
// every other reasoning item is dropped: OpenAI's encrypted reasoning
// cannot be read elsewhere, and summaries are not the model's thinking.
func (r *respInput) reasoning(it *inputItem) {
	if r.target != toMessages {
		r.chatReasoning(it)
		return
	}
	if it.encrypted.Type != gjson.String {
		return
	}
	rb, ok, err := DecodeReasoning(it.encrypted.Str)
	if !ok || err != nil {
		return
	}
	w := jw{b: make([]byte, 0, len(rb.Thinking)+len(rb.Signature)+len(rb.Redacted)+64)}
	w.open()
	w.key("type")
	if rb.Redacted != "" {
		w.str("redacted_thinking")
		w.key("data")
		w.str(rb.Redacted)
	} else {
		if rb.Signature == "" {
			return // Anthropic rejects unsigned thinking
		}
		w.str("thinking")
		w.key("thinking")
		w.str(rb.Thinking)
		w.key("signature")
		w.str(rb.Signature)
	}
	w.close()
	r.addThinking(block{kind: blockThinking, raw: w.b})
}

// chatReasoning keeps a chat upstream's reasoning (reasoning_content, which
// the answer side put in the item: whole in encrypted_content, and as the
// summary) for the assistant turn it preceded; the chat writer sends it
// back as reasoning_content when that turn calls tools (DeepSeek's
// thinking mode answers 400 otherwise). OpenAI's own encrypted reasoning
// cannot be read and is dropped.
func (r *respInput) chatReasoning(it *inputItem) {
	var text string
	if it.encrypted.Type == gjson.String && it.encrypted.Str != "" {
		rb, ok, err := DecodeReasoning(it.encrypted.Str)
		if !ok || err != nil || rb.Redacted != "" {
			return
		}
		text = rb.Thinking
	} else {
		var sb strings.Builder
		it.summary.ForEach(func(_, s gjson.Result) bool {
			if t := s.Get("text").Str; t != "" {
				if sb.Len() > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(t)
			}
			return true
		})
		text = sb.String()
	}
	if text != "" {
		r.addThinking(block{kind: blockThinking, text: text})
	}
}

// addThinking puts a thinking block at the start of the current assistant
// turn (after the thinking already there, before any text or tool call),
// or opens one.
func (r *respInput) addThinking(th block) {
	n := len(r.turns)
	if n == 0 || r.turns[n-1].role != roleAssistant {
		r.turns = append(r.turns, turn{role: roleAssistant, blocks: []block{th}})
		return
	}
	// Thinking opens its turn: after the thinking already there, before
	// any text or tool call.
	t := &r.turns[n-1]
	at := 0
	for at < len(t.blocks) && t.blocks[at].kind == blockThinking {
		at++
	}
	t.blocks = append(t.blocks[:at], append([]block{th}, t.blocks[at:]...)...)
}

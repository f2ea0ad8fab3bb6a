package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// MessagesRequestOptions configures direction B (Anthropic client →
// OpenAI-compatible upstream).
type MessagesRequestOptions struct {
	// UpstreamModel is the resolved upstream model; empty: the body's model.
	UpstreamModel string
	// MaxCompletionTokens sends max_tokens as max_completion_tokens (OpenAI
	// reasoning models reject max_tokens). Default: max_tokens, which every
	// OpenAI-compatible server accepts.
	MaxCompletionTokens bool
	// ReasoningEffort maps Anthropic `thinking` to reasoning_effort. Off by
	// default: non-reasoning models reject the parameter, and Claude Code
	// sends thinking on most requests.
	ReasoningEffort bool
}

// MessagesMeta carries what the response side of direction B needs.
type MessagesMeta struct {
	Stream         bool
	RequestedModel string
	UpstreamModel  string
	// ToolNames maps tool names shortened/sanitized for OpenAI (64 chars,
	// [a-zA-Z0-9_-]) back to the client's originals; nil when none changed.
	ToolNames map[string]string
	// EstimatedInputTokens is a local estimate for message_start, which
	// must carry usage before the upstream has reported any.
	EstimatedInputTokens int
	// DroppedTools names server/Anthropic-defined tools that have no OpenAI
	// equivalent and were not sent (for the request log).
	DroppedTools []string
	// NewID generates message/tool ids the upstream did not provide; nil
	// means random ids. Tests set it.
	NewID func(prefix string) string
}

func (m *MessagesMeta) newID(prefix string) string {
	if m.NewID != nil {
		return m.NewID(prefix)
	}
	return randomID(prefix)
}

type messagesFields struct {
	model, messages, system, maxTokens, temperature, topP, stopSequences, stream,
	metadata, tools, toolChoice, thinking, outputFormat, outputConfig gjson.Result
}

// MessagesToChatRequest converts an Anthropic Messages request body to an
// OpenAI Chat Completions request body (CONVERSION 5). For streams it
// asks for stream_options.include_usage so the final message_delta can
// carry real counts.
func MessagesToChatRequest(body []byte, opts MessagesRequestOptions) ([]byte, MessagesMeta, error) {
	var meta MessagesMeta
	root, err := parseRequestObject(body)
	if err != nil {
		return nil, meta, err
	}
	var f messagesFields
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "messages":
			f.messages = v
		case "system":
			f.system = v
		case "max_tokens":
			f.maxTokens = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "stop_sequences":
			f.stopSequences = v
		case "stream":
			f.stream = v
		case "metadata":
			f.metadata = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "thinking":
			f.thinking = v
		case "output_format":
			f.outputFormat = v
		case "output_config":
			f.outputConfig = v
		}
		// top_k, service_tier, container, mcp_servers, context_management,
		// cache_control...: no OpenAI equivalent; strict upstreams reject
		// unknown fields, so they are dropped.
		return true
	})
	meta.RequestedModel, meta.UpstreamModel, meta.Stream, err = modelAndStream(f.model, f.stream, opts.UpstreamModel)
	if err != nil {
		return nil, meta, err
	}
	maxTokens := 0
	if present(f.maxTokens) {
		n, ok := positiveInt(f.maxTokens)
		if !ok {
			return nil, meta, badRequest("max_tokens", "max_tokens must be a positive integer")
		}
		maxTokens = n
	}
	if present(f.temperature) && f.temperature.Type != gjson.Number {
		return nil, meta, badRequest("temperature", "temperature must be a number")
	}
	if present(f.topP) && f.topP.Type != gjson.Number {
		return nil, meta, badRequest("top_p", "top_p must be a number")
	}
	if !f.messages.IsArray() {
		return nil, meta, badRequest("messages", "messages must be an array")
	}

	var names toolNames
	w := jw{b: make([]byte, 0, len(body)+512)}
	w.open()
	w.key("model")
	w.str(meta.UpstreamModel)
	w.key("messages")
	w.openArr()
	if err := writeSystem(&w, f.system); err != nil {
		return nil, meta, err
	}
	n, err := writeMessages(&w, f.messages, &names)
	if err != nil {
		return nil, meta, err
	}
	if n == 0 {
		return nil, meta, badRequest("messages", "messages must contain at least one message with content")
	}
	w.closeArr()
	if maxTokens > 0 {
		if opts.MaxCompletionTokens {
			w.key("max_completion_tokens")
		} else {
			w.key("max_tokens")
		}
		w.int(int64(maxTokens))
	}
	if present(f.temperature) {
		w.key("temperature")
		w.raw(f.temperature.Raw)
	}
	if present(f.topP) {
		w.key("top_p")
		w.raw(f.topP.Raw)
	}
	if present(f.stopSequences) {
		if !f.stopSequences.IsArray() {
			return nil, meta, badRequest("stop_sequences", "stop_sequences must be an array of strings")
		}
		var stops []string
		for i, v := range f.stopSequences.Array() {
			if v.Type != gjson.String {
				return nil, meta, badRequest("stop_sequences["+strconv.Itoa(i)+"]", "stop sequences must be strings")
			}
			// OpenAI accepts at most 4 stop sequences.
			if v.Str != "" && len(stops) < 4 {
				stops = append(stops, v.Str)
			}
		}
		if len(stops) > 0 {
			w.key("stop")
			w.openArr()
			for _, st := range stops {
				w.str(st)
			}
			w.closeArr()
		}
	}
	if meta.Stream {
		w.key("stream")
		w.bool(true)
		w.key("stream_options")
		w.raw(`{"include_usage":true}`)
	}
	written, dropped, err := writeMessagesTools(&w, f.tools, &names)
	if err != nil {
		return nil, meta, err
	}
	meta.DroppedTools = dropped
	if len(written) > 0 {
		if err := writeMessagesToolChoice(&w, f.toolChoice, written, &names); err != nil {
			return nil, meta, err
		}
	}
	if u := f.metadata.Get("user_id"); u.Type == gjson.String && u.Str != "" {
		w.key("user")
		w.raw(u.Raw)
	}
	format := f.outputConfig.Get("format")
	if !format.IsObject() {
		format = f.outputFormat
	}
	if format.Get("type").Str == "json_schema" && format.Get("schema").IsObject() {
		w.key("response_format")
		w.open()
		w.key("type")
		w.str("json_schema")
		w.key("json_schema")
		w.open()
		w.key("name")
		w.str("structured_output")
		w.key("schema")
		w.raw(format.Get("schema").Raw)
		w.close()
		w.close()
	}
	if opts.ReasoningEffort && f.thinking.IsObject() {
		// LiteLLM's buckets.
		effort := ""
		switch f.thinking.Get("type").Str {
		case "enabled":
			switch b := f.thinking.Get("budget_tokens").Int(); {
			case b >= 4096:
				effort = "high"
			case b >= 2048:
				effort = "medium"
			default:
				effort = "low"
			}
		case "adaptive":
			effort = "medium"
			if e := f.outputConfig.Get("effort").Str; e == "low" || e == "medium" || e == "high" {
				effort = e
			}
		}
		if effort != "" {
			w.key("reasoning_effort")
			w.str(effort)
		}
	}
	w.close()
	if len(names) > 0 {
		meta.ToolNames = names
	}
	if meta.Stream {
		meta.EstimatedInputTokens = estimateTokens(root)
	}
	return w.b, meta, nil
}

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
	case !present(system):
	default:
		return badRequest("system", "system must be a string or an array of text blocks")
	}
	if text == "" {
		return nil
	}
	w.open()
	w.key("role")
	w.str("system")
	w.key("content")
	w.str(text)
	w.close()
	return nil
}

// oPart is one OpenAI user content part.
type oPart struct {
	text string // text parts
	raw  []byte // non-text parts, encoded
}

// writeMessages converts the Anthropic turns. tool_result blocks become
// role:"tool" messages placed right after the assistant message whose
// tool_calls they answer and before the rest of the user turn; missing
// results get placeholders and unmatched results become user text, since
// OpenAI rejects both (CONVERSION 5.1).
func writeMessages(w *jw, messages gjson.Result, names *toolNames) (int, error) {
	count := 0
	var pending []string // tool_call ids of the last assistant message still unanswered
	flush := func() {
		for _, id := range pending {
			writeToolMsg(w, id, "No result was provided for this tool call (it was interrupted or dropped from the history).")
			count++
		}
		pending = pending[:0]
	}
	var err error
	i := -1
	messages.ForEach(func(_, m gjson.Result) bool {
		i++
		param := "messages[" + strconv.Itoa(i) + "]"
		if !m.IsObject() {
			err = badRequest(param, "each message must be an object")
			return false
		}
		content := m.Get("content")
		switch m.Get("role").Str {
		case "user":
			var parts []oPart
			if content.Type == gjson.String {
				flush()
				if content.Str != "" {
					parts = append(parts, oPart{text: content.Str})
				}
			} else if content.IsArray() {
				parts, err = userTurn(w, content, param, &pending, &count)
				if err != nil {
					return false
				}
				flush()
			} else if present(content) {
				err = badRequest(param+".content", "content must be a string or an array of blocks")
				return false
			}
			if len(parts) > 0 {
				writeUserMsg(w, parts)
				count++
			}
		case "assistant":
			flush()
			var ids []string
			ids, err = writeAssistant(w, content, param, names)
			if err != nil {
				return false
			}
			if ids != nil {
				count++
				pending = append(pending, ids...)
			}
		default:
			err = badRequest(param+".role", "role must be user or assistant, got %q", m.Get("role").Str)
			return false
		}
		return true
	})
	if err != nil {
		return 0, err
	}
	flush()
	return count, nil
}

func writeToolMsg(w *jw, id, content string) {
	w.open()
	w.key("role")
	w.str("tool")
	w.key("tool_call_id")
	w.str(id)
	w.key("content")
	w.str(content)
	w.close()
}

// writeUserMsg writes a user message; text-only content collapses to a
// plain string, which every OpenAI-compatible server accepts.
func writeUserMsg(w *jw, parts []oPart) {
	w.open()
	w.key("role")
	w.str("user")
	w.key("content")
	textOnly := true
	for _, p := range parts {
		if p.raw != nil {
			textOnly = false
			break
		}
	}
	if textOnly {
		if len(parts) == 1 {
			w.str(parts[0].text)
		} else {
			var sb strings.Builder
			for k, p := range parts {
				if k > 0 {
					sb.WriteByte('\n')
				}
				sb.WriteString(p.text)
			}
			w.str(sb.String())
		}
	} else {
		w.openArr()
		for _, p := range parts {
			if p.raw != nil {
				w.rawBytes(p.raw)
				continue
			}
			w.open()
			w.key("type")
			w.str("text")
			w.key("text")
			w.str(p.text)
			w.close()
		}
		w.closeArr()
	}
	w.close()
}

// userTurn writes the tool messages of a user turn and returns its other
// parts (text, images, documents, and anything moved out of tool results).
func userTurn(w *jw, content gjson.Result, param string, pending *[]string, count *int) ([]oPart, error) {
	var parts []oPart
	answered := map[string]bool{}
	open := make(map[string]bool, len(*pending))
	for _, id := range *pending {
		open[id] = true
	}
	var err error
	j := -1
	content.ForEach(func(_, b gjson.Result) bool {
		j++
		pp := param + ".content[" + strconv.Itoa(j) + "]"
		switch typ := b.Get("type").Str; typ {
		case "tool_result":
			id := SanitizeToolID(b.Get("tool_use_id").Str)
			text, media, e := toolResultContent(b, pp)
			if e != nil {
				err = e
				return false
			}
			if open[id] && !answered[id] {
				answered[id] = true
				if len(media) > 0 {
					// OpenAI tool messages are text only: the images go into
					// the user message that follows.
					text += "\n[" + strconv.Itoa(len(media)) + " image(s) from this tool result follow in the next user message]"
				}
				writeToolMsg(w, id, text)
				*count++
			} else {
				parts = append(parts, oPart{text: "Result of tool call " + id + ":\n" + text})
			}
			parts = append(parts, media...)
		case "text":
			if t := b.Get("text").Str; t != "" {
				parts = append(parts, oPart{text: t})
			}
		case "image":
			p, e := imagePart(b, pp)
			if e != nil {
				err = e
				return false
			}
			parts = append(parts, p)
		case "document":
			ps, e := documentParts(b, pp)
			if e != nil {
				err = e
				return false
			}
			parts = append(parts, ps...)
		case "thinking", "redacted_thinking":
			// no signature concept upstream; dropped
		default:
			err = unsupported(pp+".type", "content block type %q cannot be sent to an OpenAI-compatible upstream", typ)
			return false
		}
		return true
	})
	if err != nil {
		return nil, err
	}
	// Unanswered calls get placeholders before the user text, keeping the
	// tool messages contiguous after the assistant message.
	rest := (*pending)[:0]
	for _, id := range *pending {
		if !answered[id] {
			rest = append(rest, id)
		}
	}
	*pending = rest
	return parts, nil
}

// toolResultContent flattens a tool_result's content to text (OpenAI tool
// messages are text) and returns its images separately. is_error has no
// OpenAI field, so it becomes a prefix the model can read.
func toolResultContent(b gjson.Result, param string) (string, []oPart, error) {
	var sb strings.Builder
	if b.Get("is_error").Type == gjson.True {
		sb.WriteString("Error: ")
	}
	var media []oPart
	c := b.Get("content")
	switch {
	case c.Type == gjson.String:
		sb.WriteString(c.Str)
	case c.IsArray():
		first := true
		var err error
		k := -1
		c.ForEach(func(_, cb gjson.Result) bool {
			k++
			pp := param + ".content[" + strconv.Itoa(k) + "]"
			switch cb.Get("type").Str {
			case "text":
				if !first {
					sb.WriteByte('\n')
				}
				sb.WriteString(cb.Get("text").Str)
				first = false
			case "image":
				p, e := imagePart(cb, pp)
				if e != nil {
					err = e
					return false
				}
				media = append(media, p)
			case "document":
				ps, e := documentParts(cb, pp)
				if e != nil {
					err = e
					return false
				}
				for _, p := range ps {
					if p.raw == nil {
						if !first {
							sb.WriteByte('\n')
						}
						sb.WriteString(p.text)
						first = false
					} else {
						media = append(media, p)
					}
				}
			}
			return true
		})
		if err != nil {
			return "", nil, err
		}
	}
	return sb.String(), media, nil
}

func imageURLPart(url string) oPart {
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
	return oPart{raw: w.b}
}

func imagePart(b gjson.Result, param string) (oPart, error) {
	src := b.Get("source")
	switch src.Get("type").Str {
	case "base64":
		return imageURLPart("data:" + src.Get("media_type").Str + ";base64," + src.Get("data").Str), nil
	case "url":
		return imageURLPart(src.Get("url").Str), nil
	}
	return oPart{}, unsupported(param+".source.type", "image source type %q cannot be sent to an OpenAI-compatible upstream", src.Get("type").Str)
}

// documentParts converts a document block: a base64 PDF becomes an OpenAI
// `file` part (supported by OpenAI; many compatible servers reject it,
// which surfaces as their 400), text sources become text.
func documentParts(b gjson.Result, param string) ([]oPart, error) {
	src := b.Get("source")
	title := b.Get("title").Str
	switch src.Get("type").Str {
	case "base64":
		mt := src.Get("media_type").Str
		if mt != "application/pdf" {
			return nil, unsupported(param+".source.media_type", "document media type %q cannot be sent to an OpenAI-compatible upstream", mt)
		}
		name := title
		if name == "" {
			name = "document.pdf"
		}
		w := jw{}
		w.open()
		w.key("type")
		w.str("file")
		w.key("file")
		w.open()
		w.key("filename")
		w.str(name)
		w.key("file_data")
		w.str("data:application/pdf;base64," + src.Get("data").Str)
		w.close()
		w.close()
		return []oPart{{raw: w.b}}, nil
	case "text":
		t := src.Get("data").Str
		if title != "" {
			t = title + "\n\n" + t
		}
		return []oPart{{text: t}}, nil
	case "content":
		var out []oPart
		src.Get("content").ForEach(func(_, cb gjson.Result) bool {
			if cb.Get("type").Str == "text" && cb.Get("text").Str != "" {
				out = append(out, oPart{text: cb.Get("text").Str})
			}
			return true
		})
		return out, nil
	}
	return nil, unsupported(param+".source.type", "document source type %q cannot be sent to an OpenAI-compatible upstream; send the PDF as base64", src.Get("type").Str)
}

// writeAssistant writes an assistant message and returns its tool_call
// ids; nil ids (not just empty) mean nothing was written.
func writeAssistant(w *jw, content gjson.Result, param string, names *toolNames) ([]string, error) {
	var text strings.Builder
	var calls []toolCall
	switch {
	case content.Type == gjson.String:
		text.WriteString(content.Str)
	case content.IsArray():
		var err error
		j := -1
		content.ForEach(func(_, b gjson.Result) bool {
			j++
			switch typ := b.Get("type").Str; typ {
			case "text":
				text.WriteString(b.Get("text").Str)
			case "tool_use":
				input := b.Get("input")
				raw := "{}"
				if input.IsObject() {
					raw = input.Raw
				}
				calls = append(calls, toolCall{
					id:    SanitizeToolID(b.Get("id").Str),
					name:  names.sanitize(b.Get("name").Str, openAIToolNameMax),
					input: raw,
				})
			case "thinking", "redacted_thinking", "server_tool_use", "web_search_tool_result",
				"web_fetch_tool_result", "code_execution_tool_result", "mcp_tool_use", "mcp_tool_result":
				// No OpenAI equivalent in history: thinking has no
				// signature concept upstream, server tools ran on
				// Anthropic's side and their effect is in the text.
			default:
				err = unsupported(param+".content["+strconv.Itoa(j)+"].type", "content block type %q cannot be sent to an OpenAI-compatible upstream", typ)
				return false
			}
			return true
		})
		if err != nil {
			return nil, err
		}
	case !present(content):
	default:
		return nil, badRequest(param+".content", "content must be a string or an array of blocks")
	}
	if text.Len() == 0 && len(calls) == 0 {
		return nil, nil
	}
	w.open()
	w.key("role")
	w.str("assistant")
	w.key("content")
	if text.Len() > 0 {
		w.str(text.String())
	} else {
		w.null()
	}
	ids := make([]string, 0, len(calls))
	if len(calls) > 0 {
		seen := make(map[string]bool, len(calls))
		w.key("tool_calls")
		w.openArr()
		for _, c := range calls {
			if seen[c.id] {
				continue // OpenAI rejects duplicate ids
			}
			seen[c.id] = true
			ids = append(ids, c.id)
			w.toolCall(c)
		}
		w.closeArr()
	}
	w.close()
	return ids, nil
}

// writeMessagesTools converts custom tools to functions. Anthropic server
// tools (web_search, web_fetch, code_execution, ...) and Anthropic-defined
// client tools (bash, text_editor, computer, memory) have no OpenAI
// schema and are dropped; their names are returned.
func writeMessagesTools(w *jw, tools gjson.Result, names *toolNames) ([]string, []string, error) {
	if !present(tools) {
		return nil, nil, nil
	}
	if !tools.IsArray() {
		return nil, nil, badRequest("tools", "tools must be an array")
	}
	var written, dropped []string
	var err error
	i := -1
	tools.ForEach(func(_, t gjson.Result) bool {
		i++
		if typ := t.Get("type").Str; typ != "" && typ != "custom" {
			dropped = append(dropped, t.Get("name").Str)
			return true
		}
		name := t.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			err = badRequest("tools["+strconv.Itoa(i)+"].name", "tool name is required")
			return false
		}
		if len(written) == 0 {
			w.key("tools")
			w.openArr()
		}
		sn := names.sanitize(name.Str, openAIToolNameMax)
		written = append(written, sn)
		w.open()
		w.key("type")
		w.str("function")
		w.key("function")
		w.open()
		w.key("name")
		w.str(sn)
		if d := t.Get("description"); d.Type == gjson.String && d.Str != "" {
			w.key("description")
			w.raw(d.Raw)
		}
		w.key("parameters")
		if schema := t.Get("input_schema"); schema.IsObject() {
			w.raw(schema.Raw)
		} else {
			w.raw(`{"type":"object","properties":{}}`)
		}
		w.close()
		w.close()
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	if len(written) > 0 {
		w.closeArr()
	}
	return written, dropped, nil
}

// writeMessagesToolChoice maps tool_choice (CONVERSION 5); a choice naming
// a dropped server tool falls back to auto rather than name a function the
// upstream was not given.
func writeMessagesToolChoice(w *jw, tc gjson.Result, written []string, names *toolNames) error {
	if !present(tc) {
		return nil
	}
	if !tc.IsObject() {
		return badRequest("tool_choice", "tool_choice must be an object")
	}
	switch tc.Get("type").Str {
	case "auto":
		w.key("tool_choice")
		w.str("auto")
	case "any":
		w.key("tool_choice")
		w.str("required")
	case "none":
		w.key("tool_choice")
		w.str("none")
	case "tool":
		name := tc.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return badRequest("tool_choice.name", "tool_choice.name is required")
		}
		sn := names.sanitize(name.Str, openAIToolNameMax)
		w.key("tool_choice")
		if !contains(written, sn) {
			w.str("auto")
			break
		}
		w.open()
		w.key("type")
		w.str("function")
		w.key("function")
		w.open()
		w.key("name")
		w.str(sn)
		w.close()
		w.close()
	default:
		return badRequest("tool_choice.type", "tool_choice.type must be auto, any, tool or none")
	}
	if tc.Get("disable_parallel_tool_use").Type == gjson.True && tc.Get("type").Str != "none" {
		w.key("parallel_tool_calls")
		w.bool(false)
	}
	return nil
}

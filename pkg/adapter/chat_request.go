package adapter

import (
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"
)

// ChatRequestOptions configures direction A (OpenAI client → Anthropic).
type ChatRequestOptions struct {
	// UpstreamModel is the resolved Anthropic model id; empty: the body's model.
	UpstreamModel string
	// DefaultMaxTokens is sent when the client gives neither
	// max_completion_tokens nor max_tokens (Anthropic requires max_tokens);
	// 4096 when 0.
	DefaultMaxTokens int
	// AdaptiveThinking maps reasoning_effort to thinking {type:"adaptive"}
	// plus output_config.effort, for models (Opus/Sonnet 4.6 and later)
	// where budget_tokens is deprecated. Default: enabled + budget_tokens.
	AdaptiveThinking bool
}

// ChatMeta carries what the response side of direction A needs from the
// request.
type ChatMeta struct {
	Stream         bool
	IncludeUsage   bool // stream_options.include_usage: emit the final usage chunk
	JSONMode       bool // response_format was turned into the json_tool_call tool
	Thinking       bool // extended thinking was enabled upstream
	RequestedModel string
	UpstreamModel  string
	// ToolNames maps tool names sanitized for Anthropic back to the
	// client's originals; nil when none changed.
	ToolNames map[string]string
	// Now is the clock for `created`; nil means time.Now. Tests set it.
	Now func() time.Time
}

const (
	defaultMaxTokens  = 4096
	jsonToolName      = "json_tool_call"
	minThinkingBudget = 1024
)

// reasoningBudget maps OpenAI reasoning_effort to an Anthropic thinking
// budget (LiteLLM's constants; 1024 is Anthropic's minimum).
func reasoningBudget(effort string) (budget int, ok bool) {
	switch effort {
	case "none":
		return 0, true
	case "minimal", "low":
		return 1024, true
	case "medium":
		return 2048, true
	case "high":
		return 4096, true
	case "xhigh":
		return 8192, true
	}
	return 0, false
}

// adaptiveEffort maps reasoning_effort to output_config.effort.
func adaptiveEffort(e string) string {
	switch e {
	case "minimal", "low":
		return "low"
	case "medium":
		return "medium"
	}
	return "high"
}

// chatFields are the top-level fields of a Chat Completions request, read
// in one pass (a 1 MB body is scanned once, not once per field).
type chatFields struct {
	model, messages, maxTokens, maxCompletionTokens, temperature, topP, topK, n,
	stop, stream, streamOptions, user, tools, toolChoice, parallelToolCalls,
	responseFormat, reasoningEffort, thinking, functions, webSearch gjson.Result
}

func present(r gjson.Result) bool { return r.Exists() && r.Type != gjson.Null }

// aBlock is one encoded Anthropic content block plus what the ordering
// and orphan passes need to know about it.
type aBlock struct {
	kind byte   // 't' text, 'r' tool_result, 'u' tool_use, 'h' thinking, 'o' other
	id   string // tool_use id, or tool_result tool_use_id
	text string // text block: its text; tool_result: its text form (orphan fallback)
	cc   bool   // has cache_control
	raw  []byte
	// extra holds non-text blocks (images) of a tool_result, re-emitted
	// when an orphan result is turned into plain user content.
	extra [][]byte
}

type aTurn struct {
	role   string // user | assistant
	blocks []aBlock
}

// ChatToMessagesRequest converts an OpenAI Chat Completions request body to
// an Anthropic Messages request body (CONVERSION 2). Client mistakes are
// returned as *Error (400, param naming the field).
func ChatToMessagesRequest(body []byte, opts ChatRequestOptions) ([]byte, ChatMeta, error) {
	var meta ChatMeta
	root, err := parseRequestObject(body)
	if err != nil {
		return nil, meta, err
	}
	var f chatFields
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "messages":
			f.messages = v
		case "max_tokens":
			f.maxTokens = v
		case "max_completion_tokens":
			f.maxCompletionTokens = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "top_k":
			f.topK = v
		case "n":
			f.n = v
		case "stop":
			f.stop = v
		case "stream":
			f.stream = v
		case "stream_options":
			f.streamOptions = v
		case "user":
			f.user = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "parallel_tool_calls":
			f.parallelToolCalls = v
		case "response_format":
			f.responseFormat = v
		case "reasoning_effort":
			f.reasoningEffort = v
		case "thinking":
			f.thinking = v
		case "functions":
			f.functions = v
		case "web_search_options":
			f.webSearch = v
		}
		// Everything else (metadata, store, seed, logit_bias, penalties,
		// logprobs, top_logprobs, prediction, modalities, audio,
		// service_tier, ...) has no Anthropic equivalent and is dropped
		// (CONVERSION 2.1; Anthropic's own compat layer ignores them).
		return true
	})

	meta.RequestedModel, meta.UpstreamModel, meta.Stream, err = modelAndStream(f.model, f.stream, opts.UpstreamModel)
	if err != nil {
		return nil, meta, err
	}
	meta.IncludeUsage = meta.Stream && f.streamOptions.Get("include_usage").Type == gjson.True

	// max_tokens: max_completion_tokens > max_tokens > default.
	maxTokens := opts.DefaultMaxTokens
	if maxTokens <= 0 {
		maxTokens = defaultMaxTokens
	}
	for _, c := range []struct {
		v     gjson.Result
		param string
	}{{f.maxCompletionTokens, "max_completion_tokens"}, {f.maxTokens, "max_tokens"}} {
		if !present(c.v) {
			continue
		}
		n, ok := positiveInt(c.v)
		if !ok {
			return nil, meta, badRequest(c.param, "%s must be a positive integer", c.param)
		}
		maxTokens = n
		break
	}

	if present(f.n) {
		if n, ok := positiveInt(f.n); !ok || n != 1 {
			return nil, meta, unsupported("n", "n must be 1: Anthropic models return a single choice")
		}
	}
	if present(f.functions) {
		return nil, meta, unsupported("functions", "the deprecated functions parameter is not supported; use tools")
	}

	var temperature, topP float64
	hasTemp, hasTopP := false, false
	if present(f.temperature) {
		if f.temperature.Type != gjson.Number {
			return nil, meta, badRequest("temperature", "temperature must be a number")
		}
		// OpenAI allows 0-2, Anthropic 0-1: cap, as Anthropic's compat layer does.
		temperature, hasTemp = min(max(f.temperature.Num, 0), 1), true
	}
	if present(f.topP) {
		if f.topP.Type != gjson.Number {
			return nil, meta, badRequest("top_p", "top_p must be a number")
		}
		topP, hasTopP = f.topP.Num, true
	}
	var topK int
	if present(f.topK) {
		n, ok := positiveInt(f.topK)
		if !ok {
			return nil, meta, badRequest("top_k", "top_k must be a positive integer")
		}
		topK = n
	}

	stops, err := chatStops(f.stop)
	if err != nil {
		return nil, meta, err
	}

	// Thinking: an explicit Anthropic-style `thinking` object (extension)
	// wins over reasoning_effort.
	budget := 0
	adaptive, effort := "", ""
	if present(f.thinking) {
		if !f.thinking.IsObject() {
			return nil, meta, badRequest("thinking", "thinking must be an object")
		}
		switch f.thinking.Get("type").Str {
		case "enabled":
			b, ok := positiveInt(f.thinking.Get("budget_tokens"))
			if !ok {
				return nil, meta, badRequest("thinking.budget_tokens", "thinking.budget_tokens must be a positive integer")
			}
			budget = max(b, minThinkingBudget)
		case "adaptive":
			adaptive = f.thinking.Raw
		case "disabled":
		default:
			return nil, meta, badRequest("thinking.type", "thinking.type must be enabled, adaptive or disabled")
		}
	} else if present(f.reasoningEffort) {
		b, ok := reasoningBudget(f.reasoningEffort.Str)
		if f.reasoningEffort.Type != gjson.String || !ok {
			return nil, meta, badRequest("reasoning_effort", "reasoning_effort must be one of none, minimal, low, medium, high, xhigh")
		}
		switch {
		case b == 0:
		case opts.AdaptiveThinking:
			adaptive = `{"type":"adaptive"}`
			effort = adaptiveEffort(f.reasoningEffort.Str)
		default:
			budget = b
		}
	}

	var names toolNames
	system := jw{}
	turns, err := chatTurns(f.messages, &system, &names)
	if err != nil {
		return nil, meta, err
	}
	turns = fixToolPairs(turns)
	if len(turns) == 0 {
		return nil, meta, badRequest("messages", "messages must contain at least one user or assistant message with content")
	}

	// Thinking cannot be used with an assistant prefill, and in a tool loop
	// the last assistant turn must start with a signed thinking block that
	// plain OpenAI history cannot carry (CONVERSION 2.2, 2.6): fall back to
	// no thinking rather than let Anthropic reject the request.
	if budget > 0 || adaptive != "" {
		last := turns[len(turns)-1]
		if last.role == "assistant" {
			budget, adaptive = 0, ""
		} else if len(turns) >= 2 && hasKind(last.blocks, 'r') {
			prev := turns[len(turns)-2]
			if len(prev.blocks) == 0 || prev.blocks[0].kind != 'h' {
				budget, adaptive = 0, ""
			}
		}
	}
	meta.Thinking = budget > 0 || adaptive != ""
	if !meta.Thinking {
		// Thinking blocks carried in history are only valid with thinking on.
		for i := range turns {
			if turns[i].role == "assistant" {
				turns[i].blocks = dropThinking(turns[i].blocks)
			}
		}
		turns = dropEmptyTurns(turns)
		if len(turns) == 0 {
			return nil, meta, badRequest("messages", "messages must contain at least one user or assistant message with content")
		}
	}
	if budget > 0 && maxTokens <= budget {
		// budget_tokens counts towards max_tokens and must be below it:
		// keep the client's answer allowance on top of the budget.
		maxTokens += budget
	}
	// A final assistant message is a prefill; Anthropic rejects one ending
	// in whitespace.
	if last := &turns[len(turns)-1]; last.role == "assistant" {
		trimPrefill(last)
	}

	// ---- write ----
	w := jw{b: make([]byte, 0, len(body)+512)}
	w.open()
	w.key("model")
	w.str(meta.UpstreamModel)
	w.key("max_tokens")
	w.int(int64(maxTokens))
	if len(system.b) > 0 {
		w.key("system")
		w.openArr()
		w.b = append(w.b, system.b...)
		w.closeArr()
	}
	w.key("messages")
	w.openArr()
	for _, t := range turns {
		w.open()
		w.key("role")
		w.str(t.role)
		w.key("content")
		w.openArr()
		if t.role == "user" {
			// tool_result blocks must come first in a user turn [ANT-tools].
			for _, b := range t.blocks {
				if b.kind == 'r' {
					w.rawBytes(b.raw)
				}
			}
			for _, b := range t.blocks {
				if b.kind != 'r' {
					w.rawBytes(b.raw)
				}
			}
		} else {
			for _, b := range t.blocks {
				w.rawBytes(b.raw)
			}
		}
		w.closeArr()
		w.close()
	}
	w.closeArr()

	nTools, userTools, jsonMode, err := writeChatTools(&w, f.tools, f.responseFormat, f.webSearch, &names)
	if err != nil {
		return nil, meta, err
	}
	meta.JSONMode = jsonMode
	if nTools > 0 {
		if err := writeChatToolChoice(&w, f.toolChoice, f.parallelToolCalls, userTools, meta.JSONMode, meta.Thinking, &names); err != nil {
			return nil, meta, err
		}
	}
	if len(stops) > 0 {
		w.key("stop_sequences")
		w.openArr()
		for _, st := range stops {
			w.str(st)
		}
		w.closeArr()
	}
	if meta.Thinking {
		// Thinking is incompatible with temperature/top_k; top_p only in
		// [0.95, 1] [ANT-think].
		if hasTopP && topP >= 0.95 && topP <= 1 {
			w.key("top_p")
			w.float(topP)
		}
		w.key("thinking")
		if adaptive != "" {
			w.rawCompact(adaptive)
			if effort != "" {
				w.key("output_config")
				w.open()
				w.key("effort")
				w.str(effort)
				w.close()
			}
		} else {
			w.open()
			w.key("type")
			w.str("enabled")
			w.key("budget_tokens")
			w.int(int64(budget))
			w.close()
		}
	} else {
		// Newer Claude models reject temperature together with top_p:
		// send only temperature.
		if hasTemp {
			w.key("temperature")
			w.float(temperature)
		} else if hasTopP {
			w.key("top_p")
			w.float(topP)
		}
		if topK > 0 {
			w.key("top_k")
			w.int(int64(topK))
		}
	}
	if f.user.Type == gjson.String && f.user.Str != "" && !looksLikeEmail(f.user.Str) && !looksLikePhone(f.user.Str) {
		w.key("metadata")
		w.open()
		w.key("user_id")
		w.str(f.user.Str)
		w.close()
	}
	if meta.Stream {
		w.key("stream")
		w.bool(true)
	}
	w.close()
	if len(names) > 0 {
		meta.ToolNames = names
	}
	return w.b, meta, nil
}

// positiveInt reads a JSON number that is a positive integer.
func positiveInt(r gjson.Result) (int, bool) {
	if r.Type != gjson.Number {
		return 0, false
	}
	f := r.Num
	if f < 1 || f != float64(int64(f)) || f > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// chatStops converts `stop` (string or array) to stop_sequences, dropping
// whitespace-only entries that Anthropic rejects.
func chatStops(r gjson.Result) ([]string, error) {
	if !present(r) {
		return nil, nil
	}
	var out []string
	switch {
	case r.Type == gjson.String:
		if strings.TrimSpace(r.Str) != "" {
			out = append(out, r.Str)
		}
	case r.IsArray():
		for i, v := range r.Array() {
			if v.Type != gjson.String {
				return nil, badRequest("stop["+strconv.Itoa(i)+"]", "stop entries must be strings")
			}
			if strings.TrimSpace(v.Str) != "" {
				out = append(out, v.Str)
			}
		}
	default:
		return nil, badRequest("stop", "stop must be a string or an array of strings")
	}
	return out, nil
}

// chatTurns converts the OpenAI messages to Anthropic turns: system and
// developer messages are hoisted into sys (text blocks, in order), tool
// messages become tool_result blocks of a user turn, and consecutive turns
// of the same role are merged.
func chatTurns(messages gjson.Result, sys *jw, names *toolNames) ([]aTurn, error) {
	if !messages.IsArray() {
		return nil, badRequest("messages", "messages must be an array")
	}
	var turns []aTurn
	i := -1
	var ferr error
	messages.ForEach(func(_, m gjson.Result) bool {
		i++
		param := "messages[" + strconv.Itoa(i) + "]"
		if !m.IsObject() {
			ferr = badRequest(param, "each message must be an object")
			return false
		}
		var role, content, toolCalls, toolCallID, cc, thinkingBlocks gjson.Result
		m.ForEach(func(k, v gjson.Result) bool {
			switch k.Str {
			case "role":
				role = v
			case "content":
				content = v
			case "tool_calls":
				toolCalls = v
			case "tool_call_id":
				toolCallID = v
			case "cache_control":
				cc = v
			case "thinking_blocks":
				thinkingBlocks = v
			}
			return true
		})
		var blocks []aBlock
		var err error
		turnRole := "user"
		switch role.Str {
		case "system", "developer":
			err = systemBlocks(content, cc, param, sys)
			if err != nil {
				ferr = err
				return false
			}
			return true
		case "user":
			blocks, err = userBlocks(content, param)
		case "assistant":
			turnRole = "assistant"
			blocks, err = assistantBlocks(content, toolCalls, thinkingBlocks, param, names)
		case "tool":
			var b aBlock
			b, err = toolResultBlock(content, toolCallID, param)
			blocks = []aBlock{b}
		case "function":
			err = unsupported(param+".role", "role function (deprecated functions API) is not supported; use tool messages")
		default:
			err = badRequest(param+".role", "unknown message role %q", role.Str)
		}
		if err != nil {
			ferr = err
			return false
		}
		if len(blocks) == 0 {
			return true // e.g. assistant content "" without tool calls
		}
		if cc.IsObject() {
			// Message-level cache_control (extension) marks the end of the
			// message: put it on its last block, as LiteLLM does.
			lb := &blocks[len(blocks)-1]
			if !lb.cc && lb.kind != 'h' {
				lb.raw = addCacheControl(lb.raw, cc.Raw)
				lb.cc = true
			}
		}
		if n := len(turns); n > 0 && turns[n-1].role == turnRole {
			turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
		} else {
			turns = append(turns, aTurn{role: turnRole, blocks: blocks})
		}
		return true
	})
	return turns, ferr
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

func textBlock(text gjson.Result, cc gjson.Result) aBlock {
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
	return aBlock{kind: 't', text: text.Str, cc: hasCC, raw: w.b}
}

func textBlockStr(text string) aBlock {
	w := jw{b: make([]byte, 0, len(text)+32)}
	w.open()
	w.key("type")
	w.str("text")
	w.key("text")
	w.str(text)
	w.close()
	return aBlock{kind: 't', text: text, raw: w.b}
}

func isBlank(s string) bool { return strings.TrimSpace(s) == "" }

func systemBlocks(content, msgCC gjson.Result, param string, sys *jw) error {
	var blocks []aBlock
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
func userBlocks(content gjson.Result, param string) ([]aBlock, error) {
	switch {
	case content.Type == gjson.String:
		if isBlank(content.Str) {
			return nil, nil
		}
		return []aBlock{textBlock(content, gjson.Result{})}, nil
	case content.IsArray():
		return contentParts(content, param, false)
	case !present(content):
		return nil, nil
	}
	return nil, badRequest(param+".content", "content must be a string or an array of parts")
}

// contentParts converts OpenAI content parts. assistant allows refusal
// parts; tool results reuse it for text and images.
func contentParts(content gjson.Result, param string, assistant bool) ([]aBlock, error) {
	var out []aBlock
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
			var b aBlock
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
			var b aBlock
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

func mediaBlock(kind, srcType, mediaType, dataKey, data string, cc gjson.Result) aBlock {
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
	return aBlock{kind: 'o', cc: hasCC, raw: w.b}
}

// imageBlock converts an image_url: data URIs to base64 image (or PDF
// document) blocks, http(s) URLs to url sources. The gateway never
// downloads URLs (latency, SSRF).
func imageBlock(u string, cc gjson.Result, param string) (aBlock, error) {
	if mime, data, ok := parseDataURI(u); strings.HasPrefix(u, "data:") {
		if !ok {
			return aBlock{}, badRequest(param, "image data URIs must be base64-encoded")
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
		return aBlock{}, unsupported(param, "unsupported image media type %q: Anthropic accepts image/jpeg, image/png, image/gif, image/webp and application/pdf", mime)
	}
	lower := strings.ToLower(u)
	if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
		return mediaBlock("image", "url", "", "url", u, cc), nil
	}
	return aBlock{}, badRequest(param, "image_url.url must be a data URI or an http(s) URL")
}

// fileBlock converts a `file` part: a PDF or plain-text data URI becomes a
// document block; file ids refer to OpenAI's file store and cannot be read.
func fileBlock(file, cc gjson.Result, param string) (aBlock, error) {
	if present(file.Get("file_id")) && !present(file.Get("file_data")) {
		return aBlock{}, unsupported(param+".file_id", "file ids refer to OpenAI's file storage and cannot be sent to Anthropic; send file_data instead")
	}
	fd := file.Get("file_data")
	if fd.Type != gjson.String {
		if u := file.Get("file_url"); u.Type == gjson.String {
			lower := strings.ToLower(u.Str)
			if strings.HasPrefix(lower, "https://") || strings.HasPrefix(lower, "http://") {
				return mediaBlock("document", "url", "", "url", u.Str, cc), nil
			}
		}
		return aBlock{}, badRequest(param+".file_data", "file.file_data must be a data URI")
	}
	mime, data, ok := parseDataURI(fd.Str)
	if !ok {
		return aBlock{}, badRequest(param+".file_data", "file.file_data must be a base64 data URI")
	}
	switch mime {
	case "application/pdf":
		return mediaBlock("document", "base64", mime, "data", data, cc), nil
	case "image/jpeg", "image/png", "image/gif", "image/webp":
		return mediaBlock("image", "base64", mime, "data", data, cc), nil
	}
	return aBlock{}, unsupported(param+".file_data", "unsupported file media type %q: Anthropic documents accept application/pdf", mime)
}

// assistantBlocks converts an assistant message: carried thinking blocks
// first (Anthropic requires them before text/tool_use), then text, then one
// tool_use per tool call.
func assistantBlocks(content, toolCalls, thinkingBlocks gjson.Result, param string, names *toolNames) ([]aBlock, error) {
	var out []aBlock
	if thinkingBlocks.IsArray() {
		// LiteLLM's extension: signed thinking blocks echoed back by the
		// client, which keep thinking usable across tool loops.
		thinkingBlocks.ForEach(func(_, tb gjson.Result) bool {
			switch tb.Get("type").Str {
			case "thinking":
				if tb.Get("thinking").Type == gjson.String && tb.Get("signature").Type == gjson.String {
					w := jw{}
					w.open()
					w.key("type")
					w.str("thinking")
					w.key("thinking")
					w.raw(tb.Get("thinking").Raw)
					w.key("signature")
					w.raw(tb.Get("signature").Raw)
					w.close()
					out = append(out, aBlock{kind: 'h', raw: w.b})
				}
			case "redacted_thinking":
				if tb.Get("data").Type == gjson.String {
					w := jw{}
					w.open()
					w.key("type")
					w.str("redacted_thinking")
					w.key("data")
					w.raw(tb.Get("data").Raw)
					w.close()
					out = append(out, aBlock{kind: 'h', raw: w.b})
				}
			}
			return true
		})
	}
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
	case !present(content):
	default:
		return nil, badRequest(param+".content", "content must be a string, an array of parts or null")
	}
	if present(toolCalls) && !toolCalls.IsArray() {
		return nil, badRequest(param+".tool_calls", "tool_calls must be an array")
	}
	var err error
	k := -1
	toolCalls.ForEach(func(_, tc gjson.Result) bool {
		k++
		pp := param + ".tool_calls[" + strconv.Itoa(k) + "]"
		if t := tc.Get("type").Str; t != "" && t != "function" {
			err = unsupported(pp+".type", "tool call type %q is not supported", t)
			return false
		}
		fn := tc.Get("function")
		name := fn.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			err = badRequest(pp+".function.name", "tool call function.name is required")
			return false
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
		out = append(out, aBlock{kind: 'u', id: id, raw: w.b})
		return true
	})
	return out, err
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
func toolResultBlock(content, toolCallID gjson.Result, param string) (aBlock, error) {
	if toolCallID.Type != gjson.String || toolCallID.Str == "" {
		return aBlock{}, badRequest(param+".tool_call_id", "tool messages need a tool_call_id")
	}
	id := SanitizeToolID(toolCallID.Str)
	b := aBlock{kind: 'r', id: id}
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
			return aBlock{}, err
		}
		if len(parts) > 0 {
			w.key("content")
			w.openArr()
			var sb strings.Builder
			for _, p := range parts {
				if p.kind == 't' {
					if sb.Len() > 0 {
						sb.WriteByte('\n')
					}
					sb.WriteString(p.text)
				} else {
					b.extra = append(b.extra, p.raw)
				}
				w.rawBytes(p.raw)
			}
			w.closeArr()
			b.text = sb.String()
		}
	case !present(content):
	default:
		return aBlock{}, badRequest(param+".content", "content must be a string or an array of parts")
	}
	w.close()
	b.raw = w.b
	return b, nil
}

// fixToolPairs enforces Anthropic's pairing rule: every tool_use must get a
// tool_result in the very next user turn, and every tool_result must answer
// a tool_use of the turn right before (CONVERSION 2.2). A missing result
// gets a placeholder (the call was interrupted); a result without its call
// becomes plain user text, so no information is lost.
func fixToolPairs(turns []aTurn) []aTurn {
	need := false
	for _, t := range turns {
		for _, b := range t.blocks {
			if b.kind == 'u' || b.kind == 'r' {
				need = true
			}
		}
	}
	if !need {
		return turns
	}
	out := make([]aTurn, 0, len(turns)+1)
	var pending []string            // tool_use ids of the previous assistant turn
	pendingSet := map[string]bool{} // the same, for lookups (no quadratic scans)
	for _, t := range turns {
		if t.role == "assistant" {
			if len(pending) > 0 {
				out = append(out, aTurn{role: "user", blocks: placeholders(pending, nil)})
			}
			pending = pending[:0]
			clear(pendingSet)
			blocks := t.blocks[:0:0]
			for _, b := range t.blocks {
				if b.kind == 'u' {
					if pendingSet[b.id] {
						continue // a duplicate id would be rejected
					}
					pendingSet[b.id] = true
					pending = append(pending, b.id)
				}
				blocks = append(blocks, b)
			}
			t.blocks = blocks
			out = append(out, t)
			continue
		}
		answered := map[string]bool{}
		blocks := make([]aBlock, 0, len(t.blocks))
		for _, b := range t.blocks {
			if b.kind != 'r' {
				blocks = append(blocks, b)
				continue
			}
			if pendingSet[b.id] && !answered[b.id] {
				answered[b.id] = true
				blocks = append(blocks, b)
				continue
			}
			// Orphan result: keep its content as user text.
			txt := "Result of tool call " + b.id + ":"
			if b.text != "" {
				txt += "\n" + b.text
			}
			blocks = append(blocks, textBlockStr(txt))
			for _, x := range b.extra {
				blocks = append(blocks, aBlock{kind: 'o', raw: x})
			}
		}
		var missing []string
		for _, id := range pending {
			if !answered[id] {
				missing = append(missing, id)
			}
		}
		t.blocks = placeholders(missing, blocks)
		out = append(out, t)
		pending = pending[:0]
		clear(pendingSet)
	}
	if len(pending) > 0 {
		out = append(out, aTurn{role: "user", blocks: placeholders(pending, nil)})
	}
	return out
}

func hasKind(blocks []aBlock, k byte) bool {
	for _, b := range blocks {
		if b.kind == k {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// placeholders appends a tool_result for each id to blocks.
func placeholders(ids []string, blocks []aBlock) []aBlock {
	for _, id := range ids {
		w := jw{}
		w.open()
		w.key("type")
		w.str("tool_result")
		w.key("tool_use_id")
		w.str(id)
		w.key("content")
		w.str("No result was provided for this tool call (it was interrupted or dropped from the history).")
		w.key("is_error")
		w.bool(true)
		w.close()
		blocks = append(blocks, aBlock{kind: 'r', id: id, raw: w.b})
	}
	return blocks
}

func dropThinking(blocks []aBlock) []aBlock {
	out := blocks[:0]
	for _, b := range blocks {
		if b.kind != 'h' {
			out = append(out, b)
		}
	}
	return out
}

// dropEmptyTurns removes turns left without blocks and merges the
// same-role neighbours this can create.
func dropEmptyTurns(turns []aTurn) []aTurn {
	out := turns[:0]
	for _, t := range turns {
		if len(t.blocks) == 0 {
			continue
		}
		if n := len(out); n > 0 && out[n-1].role == t.role {
			out[n-1].blocks = append(out[n-1].blocks, t.blocks...)
			continue
		}
		out = append(out, t)
	}
	return out
}

// trimPrefill strips trailing whitespace from a final assistant turn's last
// text block; a prefill that ends in whitespace is rejected.
func trimPrefill(t *aTurn) {
	if len(t.blocks) == 0 {
		return
	}
	lb := &t.blocks[len(t.blocks)-1]
	if lb.kind != 't' {
		return
	}
	trimmed := strings.TrimRight(lb.text, " \t\r\n")
	if trimmed == lb.text {
		return
	}
	if trimmed == "" {
		t.blocks = t.blocks[:len(t.blocks)-1]
		return
	}
	nb := textBlockStr(trimmed)
	if lb.cc {
		// keep the cache breakpoint
		cc := gjson.GetBytes(lb.raw, "cache_control").Raw
		nb.raw = addCacheControl(nb.raw, cc)
		nb.cc = true
	}
	*lb = nb
}

// writeChatTools writes `tools`: the client's functions, the json_tool_call
// tool for response_format, and the web_search server tool for
// web_search_options. It returns the total and the client's count.
func writeChatTools(w *jw, tools, rf, webSearch gjson.Result, names *toolNames) (total, user int, jsonMode bool, err error) {
	if present(tools) && !tools.IsArray() {
		return 0, 0, false, badRequest("tools", "tools must be an array")
	}
	started := false
	start := func() {
		if !started {
			w.key("tools")
			w.openArr()
			started = true
		}
	}
	i := -1
	tools.ForEach(func(_, t gjson.Result) bool {
		i++
		pp := "tools[" + strconv.Itoa(i) + "]"
		if typ := t.Get("type").Str; typ != "function" && typ != "" {
			err = unsupported(pp+".type", "tool type %q is not supported; only function tools convert to Anthropic", typ)
			return false
		}
		fn := t.Get("function")
		name := fn.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			err = badRequest(pp+".function.name", "function.name is required")
			return false
		}
		start()
		w.open()
		w.key("name")
		w.str(names.sanitize(name.Str, anthropicToolNameMax))
		if d := fn.Get("description"); d.Type == gjson.String && d.Str != "" {
			w.key("description")
			w.raw(d.Raw)
		}
		w.key("input_schema")
		writeSchema(w, fn.Get("parameters"))
		cc := t.Get("cache_control")
		if !cc.IsObject() {
			cc = fn.Get("cache_control")
		}
		if cc.IsObject() {
			w.key("cache_control")
			w.rawCompact(cc.Raw)
		}
		w.close()
		user++
		return true
	})
	if err != nil {
		return 0, 0, false, err
	}
	total = user
	switch rf.Get("type").Str {
	case "json_object", "json_schema":
		// No native JSON mode on every Claude model: force a tool whose
		// input is the answer (LiteLLM's json_tool_call), turned back into
		// content on the way out.
		start()
		w.open()
		w.key("name")
		w.str(jsonToolName)
		w.key("description")
		w.str("Respond with a JSON object matching this schema.")
		w.key("input_schema")
		schema := rf.Get("json_schema.schema")
		if schema.IsObject() {
			writeSchema(w, schema)
		} else {
			w.raw(`{"type":"object","additionalProperties":true,"properties":{}}`)
		}
		w.close()
		total++
		jsonMode = true
	case "", "text":
	default:
		if present(rf) {
			return 0, 0, false, unsupported("response_format.type", "unsupported response_format type %q", rf.Get("type").Str)
		}
	}
	if webSearch.IsObject() {
		start()
		w.open()
		w.key("type")
		w.str("web_search_20250305")
		w.key("name")
		w.str("web_search")
		switch webSearch.Get("search_context_size").Str {
		case "low":
			w.key("max_uses")
			w.int(1)
		case "high":
			w.key("max_uses")
			w.int(10)
		default:
			w.key("max_uses")
			w.int(5)
		}
		if loc := webSearch.Get("user_location.approximate"); loc.IsObject() {
			w.key("user_location")
			w.open()
			w.key("type")
			w.str("approximate")
			for _, k := range []string{"city", "region", "country", "timezone"} {
				if v := loc.Get(k); v.Type == gjson.String {
					w.key(k)
					w.raw(v.Raw)
				}
			}
			w.close()
		}
		w.close()
		total++
	}
	if started {
		w.closeArr()
	}
	return total, user, jsonMode, nil
}

// writeSchema writes a JSON schema as an Anthropic input_schema, which must
// be an object with type "object".
func writeSchema(w *jw, schema gjson.Result) {
	if !schema.IsObject() {
		w.raw(`{"type":"object","properties":{}}`)
		return
	}
	if schema.Get("type").Exists() {
		w.raw(schema.Raw)
		return
	}
	// Missing type: insert it rather than let Anthropic reject the tool.
	raw := strings.TrimSpace(schema.Raw)
	inner := strings.TrimSpace(raw[1 : len(raw)-1])
	w.sep()
	w.b = append(w.b, `{"type":"object"`...)
	if inner != "" {
		w.b = append(w.b, ',')
		w.b = append(w.b, inner...)
	}
	w.b = append(w.b, '}')
}

// writeChatToolChoice maps tool_choice/parallel_tool_calls (CONVERSION 2.4).
func writeChatToolChoice(w *jw, tc, parallel gjson.Result, userTools int, jsonMode, thinking bool, names *toolNames) error {
	typ, name := "", ""
	switch {
	case !present(tc):
	case tc.Type == gjson.String:
		switch tc.Str {
		case "auto":
			typ = "auto"
		case "required":
			typ = "any"
		case "none":
			typ = "none"
		default:
			return badRequest("tool_choice", "tool_choice must be auto, required, none or a function object")
		}
	case tc.IsObject():
		switch tc.Get("type").Str {
		case "function":
			n := tc.Get("function.name")
			if n.Type != gjson.String || n.Str == "" {
				return badRequest("tool_choice.function.name", "tool_choice.function.name is required")
			}
			typ, name = "tool", names.sanitize(n.Str, anthropicToolNameMax)
		default:
			return unsupported("tool_choice.type", "unsupported tool_choice type %q", tc.Get("type").Str)
		}
	default:
		return badRequest("tool_choice", "tool_choice must be a string or an object")
	}
	if userTools == 0 && typ != "" {
		// tool_choice only applies to the client's tools.
		typ, name = "", ""
	}
	if jsonMode && userTools == 0 {
		typ, name = "tool", jsonToolName
	}
	if thinking && (typ == "any" || typ == "tool") {
		// "Thinking may not be enabled when tool_choice forces tool use."
		typ, name = "auto", ""
	}
	disableParallel := parallel.Type == gjson.False && typ != "none"
	if disableParallel && typ == "" {
		typ = "auto"
	}
	if typ == "" {
		return nil
	}
	w.key("tool_choice")
	w.open()
	w.key("type")
	w.str(typ)
	if name != "" {
		w.key("name")
		w.str(name)
	}
	if disableParallel {
		w.key("disable_parallel_tool_use")
		w.bool(true)
	}
	w.close()
	return nil
}

// modelAndStream reads the fields both request directions share: the
// requested model (the upstream one from opts wins) and the stream flag.
func modelAndStream(model, stream gjson.Result, upstream string) (requested, up string, isStream bool, err error) {
	if present(model) && model.Type != gjson.String {
		return "", "", false, badRequest("model", "model must be a string")
	}
	requested, up = model.Str, upstream
	if up == "" {
		up = model.Str
	}
	if up == "" {
		return "", "", false, badRequest("model", "model is required")
	}
	if present(stream) {
		if stream.Type != gjson.True && stream.Type != gjson.False {
			return "", "", false, badRequest("stream", "stream must be a boolean")
		}
		isStream = stream.Type == gjson.True
	}
	return requested, up, isStream, nil
}

// parseRequestObject checks a request body (depth-guarded JSON, an object)
// and parses it. The body is copied to a string once; every result points
// into that copy.
func parseRequestObject(body []byte) (gjson.Result, error) {
	s := string(body)
	if !validJSON(s) {
		return gjson.Result{}, badRequest("", "request body is not valid JSON")
	}
	root := gjson.Parse(s)
	if !root.IsObject() {
		return gjson.Result{}, badRequest("", "request body must be a JSON object")
	}
	return root, nil
}

package adapter

import (
	"bytes"
	"errors"
	"slices"
	"strings"

	"github.com/tidwall/gjson"
)

// responsesFields are the top-level fields of a Responses request, read in
// one pass. Everything else (store, service_tier, truncation,
// top_logprobs, max_tool_calls, stream_options, text.verbosity, ...) has
// no equivalent both kinds of upstream accept and is not sent
// (docs/responses.md, "Request"); prompt_cache_key is not sent either but
// turns on Anthropic prompt caching (cachePoints).
type responsesFields struct {
	model, input, instructions, tools, toolChoice, parallelToolCalls,
	maxOutputTokens, temperature, topP, text, reasoning, stream, metadata,
	user, safetyIdentifier, include, previousResponseID, conversation,
	background, prompt, truncation, promptCacheKey gjson.Result
}

func readResponsesFields(root gjson.Result) responsesFields {
	var f responsesFields
	root.ForEach(func(k, v gjson.Result) bool {
		switch k.Str {
		case "model":
			f.model = v
		case "input":
			f.input = v
		case "prompt_cache_key":
			f.promptCacheKey = v
		case "instructions":
			f.instructions = v
		case "tools":
			f.tools = v
		case "tool_choice":
			f.toolChoice = v
		case "parallel_tool_calls":
			f.parallelToolCalls = v
		case "max_output_tokens":
			f.maxOutputTokens = v
		case "temperature":
			f.temperature = v
		case "top_p":
			f.topP = v
		case "text":
			f.text = v
		case "reasoning":
			f.reasoning = v
		case "stream":
			f.stream = v
		case "metadata":
			f.metadata = v
		case "user":
			f.user = v
		case "safety_identifier":
			f.safetyIdentifier = v
		case "include":
			f.include = v
		case "previous_response_id":
			f.previousResponseID = v
		case "conversation":
			f.conversation = v
		case "background":
			f.background = v
		case "prompt":
			f.prompt = v
		case "truncation":
			f.truncation = v
		}
		return true
	})
	return f
}

// respRequest is a Responses request read for one target.
type respRequest struct {
	f      responsesFields
	meta   ResponsesMeta
	in     respInput
	tools  respTools
	format gjson.Result // text.format, an object with a type other than text
	effort gjson.Result // reasoning.effort
}

// readResponses reads everything both targets share: the checks, the
// tools, the input as turns (paired), the meta and its Echo.
func readResponses(body []byte, opts ResponsesRequestOptions, target respTarget) (*respRequest, error) {
	root, err := parseBody(body)
	if err != nil {
		return nil, err
	}
	r := &respRequest{f: readResponsesFields(root)}
	f := &r.f
	r.meta.RequestedModel, r.meta.UpstreamModel, r.meta.Stream, err = modelAndStream(f.model, f.stream, opts.UpstreamModel)
	if err != nil {
		return nil, err
	}
	if err := checkStateless(f); err != nil {
		return nil, err
	}
	if err := r.readOptions(); err != nil {
		return nil, err
	}
	if err := r.tools.readTools(f.tools, "tools"); err != nil {
		return nil, err
	}
	r.in = respInput{target: target, tools: &r.tools}
	if err := r.readInstructions(); err != nil {
		return nil, err
	}
	if err := r.in.read(f.input); err != nil {
		return nil, err
	}
	r.in.turns = pairTools(r.in.turns)
	if len(r.in.turns) == 0 {
		return nil, badRequest("input", "input must contain at least one user or assistant message with content")
	}
	r.meta.Tools = r.tools.back
	r.meta.DroppedTools = r.tools.dropped
	r.meta.Echo = responsesEcho(f)
	return r, nil
}

// checkStateless refuses what needs OpenAI's stored state or a job runner.
func checkStateless(f *responsesFields) error {
	if id := f.previousResponseID; present(id) && (id.Type != gjson.String || id.Str != "") {
		return badRequest("previous_response_id", "previous_response_id cannot be used with this model: its provider is reached through a conversion, which cannot resume a stored response; send the whole conversation in input and set store to false")
	}
	if present(f.conversation) {
		return badRequest("conversation", "conversation cannot be used with this model: its provider is reached through a conversion, which keeps no conversation state; send the whole conversation in input and set store to false")
	}
	if f.background.Type == gjson.True {
		return badRequest("background", "background responses cannot be used with this model: its provider is reached through a conversion; send the request without background (stream it for long answers)")
	}
	if present(f.prompt) {
		return badRequest("prompt", "stored prompt templates live in OpenAI's store, which a converted provider does not have; send instructions and input instead")
	}
	return nil
}

// readOptions checks the scalar options and reads text.format,
// reasoning.effort and include.
func (r *respRequest) readOptions() error {
	f := &r.f
	if present(f.maxOutputTokens) {
		if _, err := positiveIntParam(f.maxOutputTokens, "max_output_tokens"); err != nil {
			return err
		}
	}
	if present(f.temperature) && f.temperature.Type != gjson.Number {
		return badRequest("temperature", "temperature must be a number")
	}
	if present(f.topP) && f.topP.Type != gjson.Number {
		return badRequest("top_p", "top_p must be a number")
	}
	if present(f.parallelToolCalls) && f.parallelToolCalls.Type != gjson.True && f.parallelToolCalls.Type != gjson.False {
		return badRequest("parallel_tool_calls", "parallel_tool_calls must be a boolean")
	}
	if present(f.text) {
		if !f.text.IsObject() {
			return badRequest("text", "text must be an object")
		}
		switch format := f.text.Get("format"); format.Get("type").Str {
		case "json_schema":
			if s := format.Get("schema"); !s.IsObject() {
				return badRequest("text.format.schema", "text.format.schema must be a JSON schema object")
			}
			r.format = format
		case "json_object":
			r.format = format
		case "text", "":
		default:
			return unsupported("text.format.type", "text.format.type %q cannot be converted; use text, json_schema or json_object", format.Get("type").Str)
		}
	}
	if present(f.reasoning) {
		if !f.reasoning.IsObject() {
			return badRequest("reasoning", "reasoning must be an object")
		}
		if e := f.reasoning.Get("effort"); present(e) {
			if _, ok := reasoningBudget(e.Str); e.Type != gjson.String || !ok {
				return badRequest("reasoning.effort", "reasoning.effort must be one of none, minimal, low, medium, high, xhigh")
			}
			r.effort = e
		}
	}
	if present(f.include) && !f.include.IsArray() {
		return badRequest("include", "include must be an array of strings")
	}
	f.include.ForEach(func(_, v gjson.Result) bool {
		if v.Str == "reasoning.encrypted_content" {
			r.meta.IncludeEncryptedReasoning = true
		}
		return true
	})
	return nil
}

// readInstructions adds instructions (a string, or an array of messages)
// to the system prompt, before any system message of the input.
func (r *respRequest) readInstructions() error {
	ins := r.f.instructions
	switch {
	case !present(ins):
		return nil
	case ins.Type == gjson.String:
		return r.in.systemMessage(ins, "instructions")
	case ins.IsArray():
		var err error
		ins.ForEach(func(_, m gjson.Result) bool {
			err = r.in.systemMessage(m.Get("content"), "instructions")
			return err == nil
		})
		return err
	}
	return badRequest("instructions", "instructions must be a string")
}

// userID is the end-user id to pass on: user, else safety_identifier.
func (f *responsesFields) userID() string {
	if u := f.user; u.Type == gjson.String && u.Str != "" {
		return u.Str
	}
	if u := f.safetyIdentifier; u.Type == gjson.String {
		return u.Str
	}
	return ""
}

// ResponsesToChatRequest converts a Responses request body to a Chat
// Completions request body (docs/responses.md, "Request"). body must be
// what the gateway's request check accepted; it is read in place. Client
// mistakes are returned as *Error (400, param naming the field).
func ResponsesToChatRequest(body []byte, opts ResponsesRequestOptions) ([]byte, ResponsesMeta, error) {
	r, err := readResponses(body, opts, toChat)
	if err != nil {
		return nil, ResponsesMeta{}, err
	}
	f := &r.f
	w := jw{b: make([]byte, 0, len(body)+512)}
	w.open()
	w.key("model")
	w.str(r.meta.UpstreamModel)
	w.key("messages")
	w.openArr()
	if len(r.in.system) > 0 {
		writeMessage(&w, "system", "", strings.Join(r.in.system, "\n\n"))
	}
	if writeChatMessages(&w, r.in.turns) == 0 {
		return nil, ResponsesMeta{}, badRequest("input", "input must contain at least one message with content")
	}
	w.closeArr()
	if present(f.maxOutputTokens) {
		w.key("max_tokens")
		w.int(f.maxOutputTokens.Int())
	}
	if present(f.temperature) {
		w.key("temperature")
		w.raw(f.temperature.Raw)
	}
	if present(f.topP) {
		w.key("top_p")
		w.raw(f.topP.Raw)
	}
	if r.meta.Stream {
		w.key("stream")
		w.bool(true)
		w.key("stream_options")
		w.raw(`{"include_usage":true}`)
	}
	if len(r.tools.funcs) > 0 {
		r.tools.writeChatFuncs(&w)
		mode, name, err := r.tools.choice(f.toolChoice)
		if err != nil {
			return nil, ResponsesMeta{}, err
		}
		writeChatChoice(&w, mode, name)
		if present(f.parallelToolCalls) {
			w.key("parallel_tool_calls")
			w.raw(f.parallelToolCalls.Raw)
		}
	} else if _, _, err := r.tools.choice(f.toolChoice); err != nil {
		return nil, ResponsesMeta{}, err
	}
	if present(r.effort) {
		w.key("reasoning_effort")
		w.str(r.effort.Str)
		r.meta.Thinking = r.effort.Str != "none"
	}
	writeChatResponseFormat(&w, r.format)
	if u := f.userID(); u != "" {
		w.key("user")
		w.str(u)
	}
	w.close()
	return w.b, r.meta, nil
}

func writeChatChoice(w *jw, mode, name string) {
	switch mode {
	case "":
	case "tool":
		w.key("tool_choice")
		w.open()
		w.key("type")
		w.str("function")
		w.key("function")
		w.open()
		w.key("name")
		w.str(name)
		w.close()
		w.close()
	default:
		w.key("tool_choice")
		w.str(mode)
	}
}

// writeChatResponseFormat maps text.format to response_format.
func writeChatResponseFormat(w *jw, format gjson.Result) {
	switch format.Get("type").Str {
	case "json_object":
		w.key("response_format")
		w.raw(`{"type":"json_object"}`)
	case "json_schema":
		w.key("response_format")
		w.open()
		w.key("type")
		w.str("json_schema")
		w.key("json_schema")
		w.open()
		w.key("name")
		if n := format.Get("name"); n.Type == gjson.String && n.Str != "" {
			w.str(n.Str)
		} else {
			w.str("response")
		}
		if d := format.Get("description"); d.Type == gjson.String {
			w.key("description")
			w.str(d.Str)
		}
		w.key("schema")
		w.raw(format.Get("schema").Raw)
		if s := format.Get("strict"); s.Type == gjson.True || s.Type == gjson.False {
			w.key("strict")
			w.raw(s.Raw)
		}
		w.close()
		w.close()
	}
}

// ResponsesToMessagesRequest converts a Responses request body to an
// Anthropic Messages request body (docs/responses.md, "Request"). body
// must be what the gateway's request check accepted; it is read in place.
// Client mistakes are returned as *Error (400, param naming the field).
func ResponsesToMessagesRequest(body []byte, opts ResponsesRequestOptions) ([]byte, ResponsesMeta, error) {
	r, err := readResponses(body, opts, toMessages)
	if err != nil {
		return nil, ResponsesMeta{}, err
	}
	f := &r.f
	cf := chatFields{maxCompletionTokens: f.maxOutputTokens, temperature: f.temperature, topP: f.topP, reasoningEffort: r.effort}
	sampling, err := readChatSampling(&cf, ChatRequestOptions{DefaultMaxTokens: opts.DefaultMaxTokens, AdaptiveThinking: opts.AdaptiveThinking})
	if err != nil {
		return nil, ResponsesMeta{}, responsesParam(err)
	}
	turns := r.in.turns
	sampling.fitHistory(turns)
	if r.meta.Thinking = sampling.thinking(); !r.meta.Thinking {
		if turns = dropThinking(turns); len(turns) == 0 {
			return nil, ResponsesMeta{}, badRequest("input", "input must contain at least one user or assistant message with content")
		}
	}
	if last := &turns[len(turns)-1]; last.role == roleAssistant {
		trimPrefill(last) // a final assistant message is a prefill
	}

	w := jw{b: make([]byte, 0, len(body)+512)}
	w.open()
	w.key("model")
	w.str(r.meta.UpstreamModel)
	w.key("max_tokens")
	w.int(int64(sampling.maxTokens))
	cache := r.f.promptCacheKey.Type == gjson.String && r.f.promptCacheKey.Str != ""
	if len(r.in.system) > 0 {
		w.key("system")
		w.openArr()
		for _, s := range r.in.system {
			writeAnthropicBlock(&w, block{kind: blockText, text: s})
		}
		w.closeArr()
		if cache {
			cachePoint(&w, "]")
		}
	}
	writeAnthropicMessages(&w, turns)
	if cache && cacheableLast(turns[len(turns)-1]) {
		cachePoint(&w, "]}]")
	}
	toolsAt := len(w.b)
	if r.meta.JSONMode, err = r.writeAnthropicTools(&w); err != nil {
		return nil, ResponsesMeta{}, err
	}
	if len(w.b) == toolsAt {
		writeHistoryTools(&w, turns)
	}
	if cache && len(w.b) > toolsAt {
		cacheLastTool(&w, toolsAt)
	}
	sampling.write(&w)
	if u := f.userID(); u != "" && !looksLikeEmail(u) && !looksLikePhone(u) {
		w.key("metadata")
		w.open()
		w.key("user_id")
		w.str(u)
		w.close()
	}
	if r.meta.Stream {
		w.key("stream")
		w.bool(true)
	}
	w.close()
	return w.b, r.meta, nil
}

// writeAnthropicTools writes tools and tool_choice: the client's functions
// and, for text.format json_schema or json_object, the json_tool_call tool
// whose input is the answer (direction A's JSON mode).
func (r *respRequest) writeAnthropicTools(w *jw) (jsonMode bool, err error) {
	mode, name, err := r.tools.choice(r.f.toolChoice)
	if err != nil {
		return false, err
	}
	jsonMode = r.format.Exists()
	if len(r.tools.funcs) == 0 && !jsonMode {
		return false, nil
	}
	w.key("tools")
	w.openArr()
	r.tools.writeAnthropicFuncs(w)
	if jsonMode {
		writeJSONTool(w, r.format.Get("schema"))
	}
	w.closeArr()
	typ := mode
	if mode == "required" {
		typ = "any"
	}
	writeAnthropicToolChoice(w, typ, name, r.f.parallelToolCalls.Type == gjson.False, len(r.tools.funcs), jsonMode, r.meta.Thinking)
	return jsonMode, nil
}

// responsesParam renames the Chat Completions fields in an error of the
// shared sampling code to the Responses fields they were read from.
func responsesParam(err error) error {
	var e *Error
	if !errors.As(err, &e) {
		return err
	}
	for _, p := range [][2]string{{"max_completion_tokens", "max_output_tokens"}, {"reasoning_effort", "reasoning.effort"}} {
		if e.Param == p[0] {
			e.Param = p[1]
			e.Message = strings.ReplaceAll(e.Message, p[0], p[1])
		}
	}
	return err
}

// responsesEcho is the object of request parameters every response
// object repeats, with OpenAI's defaults for those the client left out;
// store is false: a conversion never stores.
func responsesEcho(f *responsesFields) []byte {
	w := jw{b: make([]byte, 0, 256+len(f.tools.Raw)+len(f.instructions.Raw))}
	w.open()
	echo := func(key string, v gjson.Result, def string) {
		w.key(key)
		if present(v) {
			w.rawCompact(v.Raw)
		} else {
			w.raw(def)
		}
	}
	echo("instructions", f.instructions, "null")
	echo("max_output_tokens", f.maxOutputTokens, "null")
	echo("temperature", f.temperature, "1.0")
	echo("top_p", f.topP, "1.0")
	echo("tool_choice", f.toolChoice, `"auto"`)
	echo("tools", f.tools, "[]")
	echo("parallel_tool_calls", f.parallelToolCalls, "true")
	echo("text", f.text, `{"format":{"type":"text"}}`)
	echo("reasoning", f.reasoning, `{"effort":null,"summary":null}`)
	echo("metadata", f.metadata, "{}")
	echo("user", f.user, "null")
	echo("truncation", f.truncation, `"disabled"`)
	w.key("store")
	w.bool(false)
	w.close()
	return w.b
}

// ephemeralCache is the cache_control of a prompt caching breakpoint.
const ephemeralCache = `,"cache_control":{"type":"ephemeral"}`

// cachePoint marks the block that w ends with, followed by closers (the
// brackets of the arrays and objects it is in), as an Anthropic prompt
// caching breakpoint. A Responses client asks for caching with
// prompt_cache_key (Codex always sends it) and cannot send cache_control:
// without breakpoints Claude caches nothing and every agent turn pays for
// the whole prompt again (docs/responses.md, "Request: pitfalls"). Three
// breakpoints at most (system, tools, the last message) stay under
// Anthropic's limit of four; a prefix shorter than the model's minimum is
// simply not cached.
func cachePoint(w *jw, closers string) {
	end := len(w.b) - len(closers) - 1
	if end < 0 || w.b[end] != '}' || string(w.b[end+1:]) != closers {
		return // not the shape written above: leave the body as it is
	}
	w.b = slices.Insert(w.b, end, []byte(ephemeralCache)...)
}

// cacheLastTool marks the last tool definition (the tools member starts at
// from): tools come first in Anthropic's prompt order, so the breakpoint
// on them caches them even when the system prompt changes.
func cacheLastTool(w *jw, from int) {
	tools := w.b[from:]
	i := bytes.LastIndex(tools, []byte("}]"))
	if i < 0 || !bytes.HasPrefix(tools, []byte(`,"tools":[`)) && !bytes.HasPrefix(tools, []byte(`"tools":[`)) {
		return
	}
	w.b = slices.Insert(w.b, from+i, []byte(ephemeralCache)...)
}

// cacheableLast reports whether the block written last for the turn may
// carry cache_control: thinking blocks may not.
func cacheableLast(t turn) bool {
	var last *block
	if t.role == roleUser {
		for i := range t.blocks { // tool results are written first
			if t.blocks[i].kind != blockToolResult {
				last = &t.blocks[i]
			}
		}
	}
	if last == nil && len(t.blocks) > 0 {
		last = &t.blocks[len(t.blocks)-1]
	}
	return last != nil && last.kind != blockThinking
}

package adapter

import (
	"strconv"

	"github.com/tidwall/gjson"
)

// MessagesRequestOptions configures direction B (Anthropic client →
// OpenAI-compatible upstream).
type MessagesRequestOptions struct {
	// UpstreamModel is the resolved upstream model; empty: the body's model.
	UpstreamModel string
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
	metadata, tools, toolChoice, outputFormat, outputConfig gjson.Result
}

// MessagesToChatRequest converts an Anthropic Messages request body to an
// OpenAI Chat Completions request body (docs/conversion.md, "Requests").
// body must be what the gateway's request check accepted (one JSON object
// in UTF-8, nested within its depth limit); it is read in place, not
// copied or checked again. For streams it asks for
// stream_options.include_usage so the final message_delta can carry real
// counts. Client mistakes are returned as *Error (400, param naming the
// field).
func MessagesToChatRequest(body []byte, opts MessagesRequestOptions) ([]byte, MessagesMeta, error) {
	var meta MessagesMeta
	root, err := parseBody(body)
	if err != nil {
		return nil, meta, err
	}
	f := readMessagesFields(root)
	meta.RequestedModel, meta.UpstreamModel, meta.Stream, err = modelAndStream(f.model, f.stream, opts.UpstreamModel)
	if err != nil {
		return nil, meta, err
	}
	if err := checkMessagesSampling(&f); err != nil {
		return nil, meta, err
	}
	var names toolNames
	turns, err := messagesTurns(f.messages, &names)
	if err != nil {
		return nil, meta, err
	}
	turns = pairTools(turns)

	w := jw{b: make([]byte, 0, len(body)+512)}
	w.open()
	w.key("model")
	w.str(meta.UpstreamModel)
	w.key("messages")
	w.openArr()
	if err := writeSystem(&w, f.system); err != nil {
		return nil, meta, err
	}
	if writeChatMessages(&w, turns) == 0 {
		return nil, meta, badRequest("messages", "messages must contain at least one message with content")
	}
	w.closeArr()
	if err := writeMessagesSampling(&w, &f); err != nil {
		return nil, meta, err
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
	writeResponseFormat(&w, &f)
	w.close()
	meta.ToolNames = names.kept()
	if meta.Stream {
		meta.EstimatedInputTokens = estimateTokens(root)
	}
	return w.b, meta, nil
}

// readMessagesFields reads the top-level fields in one pass. top_k,
// thinking, service_tier, container, mcp_servers, context_management,
// cache_control...: no OpenAI equivalent every compatible server accepts;
// strict upstreams reject unknown fields, so they are dropped.
func readMessagesFields(root gjson.Result) messagesFields {
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
		case "output_format":
			f.outputFormat = v
		case "output_config":
			f.outputConfig = v
		}
		return true
	})
	return f
}

// checkMessagesSampling checks the sampling fields before anything is
// written.
func checkMessagesSampling(f *messagesFields) error {
	if present(f.maxTokens) {
		if _, err := positiveIntParam(f.maxTokens, "max_tokens"); err != nil {
			return err
		}
	}
	if present(f.temperature) && f.temperature.Type != gjson.Number {
		return badRequest("temperature", "temperature must be a number")
	}
	if present(f.topP) && f.topP.Type != gjson.Number {
		return badRequest("top_p", "top_p must be a number")
	}
	if !f.messages.IsArray() {
		return badRequest("messages", "messages must be an array")
	}
	return nil
}

// writeMessagesSampling writes max_tokens, temperature, top_p and stop
// (OpenAI accepts at most 4 stop sequences).
func writeMessagesSampling(w *jw, f *messagesFields) error {
	if present(f.maxTokens) {
		w.key("max_tokens")
		w.int(int64(f.maxTokens.Int()))
	}
	if present(f.temperature) {
		w.key("temperature")
		w.raw(f.temperature.Raw)
	}
	if present(f.topP) {
		w.key("top_p")
		w.raw(f.topP.Raw)
	}
	if !present(f.stopSequences) {
		return nil
	}
	if !f.stopSequences.IsArray() {
		return badRequest("stop_sequences", "stop_sequences must be an array of strings")
	}
	var stops []string
	for i, v := range f.stopSequences.Array() {
		if v.Type != gjson.String {
			return badRequest("stop_sequences["+strconv.Itoa(i)+"]", "stop sequences must be strings")
		}
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
	return nil
}

// writeResponseFormat maps output_config.format (or the older
// output_format) with a json_schema to response_format.
func writeResponseFormat(w *jw, f *messagesFields) {
	format := f.outputConfig.Get("format")
	if !format.IsObject() {
		format = f.outputFormat
	}
	if format.Get("type").Str != "json_schema" || !format.Get("schema").IsObject() {
		return
	}
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

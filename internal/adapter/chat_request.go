package adapter

import (
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

// jsonToolName is the tool response_format becomes.
const jsonToolName = "json_tool_call"

// chatFields are the top-level fields of a Chat Completions request, read
// in one pass (a 1 MB body is scanned once, not once per field).
type chatFields struct {
	model, messages, maxTokens, maxCompletionTokens, temperature, topP, topK, n,
	stop, stream, streamOptions, user, tools, toolChoice, parallelToolCalls,
	responseFormat, reasoningEffort, thinking, functions, webSearch gjson.Result
}

func present(r gjson.Result) bool { return r.Exists() && r.Type != gjson.Null }

// ChatToMessagesRequest converts an OpenAI Chat Completions request body to
// an Anthropic Messages request body (docs/conversion.md, "Requests").
// body must be what the gateway's request check accepted: one JSON object
// in UTF-8, nested within its depth limit; it is read in place, not
// copied or checked again. Client mistakes are returned as *Error (400,
// param naming the field).
func ChatToMessagesRequest(body []byte, opts ChatRequestOptions) ([]byte, ChatMeta, error) {
	var meta ChatMeta
	root, err := parseBody(body)
	if err != nil {
		return nil, meta, err
	}
	f := readChatFields(root)
	meta.RequestedModel, meta.UpstreamModel, meta.Stream, err = modelAndStream(f.model, f.stream, opts.UpstreamModel)
	if err != nil {
		return nil, meta, err
	}
	meta.IncludeUsage = meta.Stream && f.streamOptions.Get("include_usage").Type == gjson.True
	if err := checkChatUnsupported(&f); err != nil {
		return nil, meta, err
	}
	sampling, err := readChatSampling(&f, opts)
	if err != nil {
		return nil, meta, err
	}
	var names toolNames
	system := jw{}
	turns, err := chatTurns(f.messages, &system, &names)
	if err != nil {
		return nil, meta, err
	}
	if turns = pairTools(turns); len(turns) > 0 {
		sampling.fitHistory(turns)
	}
	if meta.Thinking = sampling.thinking(); !meta.Thinking {
		turns = dropThinking(turns)
	}
	if len(turns) == 0 {
		return nil, meta, badRequest("messages", "messages must contain at least one user or assistant message with content")
	}
	if last := &turns[len(turns)-1]; last.role == roleAssistant {
		trimPrefill(last) // a final assistant message is a prefill
	}

	w := jw{b: make([]byte, 0, len(body)+512)}
	w.open()
	w.key("model")
	w.str(meta.UpstreamModel)
	w.key("max_tokens")
	w.int(int64(sampling.maxTokens))
	if len(system.b) > 0 {
		w.key("system")
		w.openArr()
		w.b = append(w.b, system.b...)
		w.closeArr()
	}
	writeAnthropicMessages(&w, turns)
	toolsAt := len(w.b)
	if meta.JSONMode, err = writeChatTools(&w, &f, meta.Thinking, &names); err != nil {
		return nil, meta, err
	}
	if len(w.b) == toolsAt {
		writeHistoryTools(&w, turns)
	}
	sampling.write(&w)
	if u := f.user; u.Type == gjson.String && u.Str != "" && !looksLikeEmail(u.Str) && !looksLikePhone(u.Str) {
		w.key("metadata")
		w.open()
		w.key("user_id")
		w.str(u.Str)
		w.close()
	}
	if meta.Stream {
		w.key("stream")
		w.bool(true)
	}
	w.close()
	meta.ToolNames = names.kept()
	return w.b, meta, nil
}

// readChatFields reads the top-level fields in one pass (a 1 MB body is
// crossed once, not once per field). Everything else (metadata, store,
// seed, logit_bias, penalties, logprobs, top_logprobs, prediction,
// modalities, audio, service_tier, ...) has no Anthropic equivalent and is
// dropped, as Anthropic's own compatibility layer does.
func readChatFields(root gjson.Result) chatFields {
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
		return true
	})
	return f
}

// checkChatUnsupported rejects what Anthropic cannot do at all.
func checkChatUnsupported(f *chatFields) error {
	if present(f.n) {
		if n, ok := positiveInt(f.n); !ok || n != 1 {
			return unsupported("n", "n must be 1: Anthropic models return a single choice")
		}
	}
	if present(f.functions) {
		return unsupported("functions", "the deprecated functions parameter is not supported; use tools")
	}
	return nil
}

// modelAndStream reads the fields both request directions share: the
// requested model (the upstream one from opts wins) and the stream flag.
func modelAndStream(model, stream gjson.Result, upstream string) (requested, up string, isStream bool, err error) {
	if present(model) && model.Type != gjson.String {
		return "", "", false, badRequest("model", "model must be a string")
	}
	requested, up = keep(model.Str), upstream
	if up == "" {
		up = requested
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

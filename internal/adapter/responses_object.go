package adapter

import (
	"strings"

	"github.com/tidwall/gjson"
)

// The Responses object and its output items, written for a whole answer
// and for the events of a stream alike (docs/responses.md, "Response").

type respItemKind uint8

const (
	itemMessage respItemKind = iota + 1
	itemFunction
	itemCustom
	itemReasoning
)

// respItem is one output item as it is being built. Only what the done
// events and the final object repeat is kept: the text, the arguments, the
// reasoning summary and signature.
type respItem struct {
	kind  respItemKind
	id    string
	index int    // output_index
	ref   []byte // `,"item_id":…,"output_index":…` (ResponsesStream.itemRef)
	open  bool
	// status when closed: "completed", or "incomplete" for an item a
	// length cut ended.
	status string

	// message: one content part, output_text or (refusal) a refusal.
	refusal  bool
	partOpen bool
	// jsonTool: the message is the input of the json_tool_call tool that
	// text.format became for Messages (ResponsesMeta.JSONMode): its
	// input_json_delta pieces are the text.
	jsonTool bool
	// text is the message part's text, the reasoning summary, or a custom
	// tool call's input decoded so far.
	text []byte

	// function_call / custom_tool_call
	callID, name, namespace string
	args                    []byte
	streamIdx               int64 // the upstream's tool_calls index (chat)
	custom                  customDecoder

	// reasoning
	signature []byte
	redacted  string
	encrypted string // encrypted_content, set when the item closes
}

// toolItem builds a tool call item for the upstream function name,
// mapped back through meta.Tools (docs/responses.md, "Response").
func toolItem(meta *ResponsesMeta, callID, upstreamName string) *respItem {
	// The names may point into the upstream's event: they are kept.
	it := &respItem{kind: itemFunction, callID: strings.Clone(callID), name: strings.Clone(upstreamName)}
	if t, ok := meta.Tools[upstreamName]; ok {
		if t.Name != "" {
			it.name = t.Name
		}
		it.namespace = t.Namespace
		if t.Kind == "custom" {
			it.kind = itemCustom
		}
	}
	switch it.kind {
	case itemCustom:
		it.id = meta.newID("ctc_")
	default:
		it.id = meta.newID("fc_")
	}
	if it.callID == "" {
		it.callID = meta.newID("call_")
	}
	return it
}

// finalArgs is a function call's arguments as the done event and the final
// object give them: "{}" for none (clients JSON-parse them).
func (it *respItem) finalArgs() []byte {
	if len(it.args) == 0 {
		return []byte("{}")
	}
	return it.args
}

// customInput is a custom tool call's input: the string member "input" of
// the function arguments the upstream produced, or the arguments as they
// are when they are not such an object (the model answered free-form).
func customInput(args string) string {
	if isJSONObject(args) {
		if in := gjson.Get(args, "input"); in.Type == gjson.String {
			return in.Str
		}
	}
	return args
}

// sealReasoning sets encrypted_content from an Anthropic thinking block
// when the client asked for it (include reasoning.encrypted_content).
func (it *respItem) sealReasoning(meta *ResponsesMeta) {
	if !meta.IncludeEncryptedReasoning {
		return
	}
	switch {
	case it.redacted != "":
		it.encrypted = EncodeReasoning(ReasoningBlock{Redacted: it.redacted})
	case len(it.signature) > 0:
		it.encrypted = EncodeReasoning(ReasoningBlock{Thinking: string(it.text), Signature: string(it.signature)})
	case len(it.text) > 0:
		// A chat upstream's reasoning_content: carried whole, so the next
		// turn can send it back (docs/responses.md, "Response").
		it.encrypted = EncodeReasoning(ReasoningBlock{Thinking: string(it.text)})
	}
}

// writeCallName writes a tool call item's call_id, name and, for a tool of
// a namespace, the namespace the client declared it in.
func writeCallName(w *jw, it *respItem) {
	w.key("call_id")
	w.str(it.callID)
	w.key("name")
	w.str(it.name)
	if it.namespace != "" {
		w.key("namespace")
		w.str(it.namespace)
	}
}

// writeItem writes the item: full (its content and final status) for the
// done event and the final object, or as just added (in_progress, empty).
func writeItem(w *jw, it *respItem, full bool) {
	status := "in_progress"
	if full {
		status = it.status
		if status == "" {
			status = "completed"
		}
	}
	w.open()
	w.key("id")
	w.str(it.id)
	switch it.kind {
	case itemMessage:
		w.key("type")
		w.str("message")
		w.key("status")
		w.str(status)
		w.key("content")
		w.openArr()
		if full {
			writePart(w, it, true)
		}
		w.closeArr()
		w.key("role")
		w.str("assistant")
	case itemFunction:
		w.key("type")
		w.str("function_call")
		w.key("status")
		w.str(status)
		w.key("arguments")
		if full {
			w.sep()
			w.b = appendStringBytes(w.b, it.finalArgs())
		} else {
			w.str("")
		}
		writeCallName(w, it)
	case itemCustom:
		w.key("type")
		w.str("custom_tool_call")
		writeCallName(w, it)
		w.key("input")
		if full {
			w.str(customInput(string(it.args)))
		} else {
			w.str("")
		}
	case itemReasoning:
		w.key("type")
		w.str("reasoning")
		w.key("summary")
		w.openArr()
		if full && len(it.text) > 0 {
			writeSummaryPart(w, it.text)
		}
		w.closeArr()
		if full && it.encrypted != "" {
			w.key("encrypted_content")
			w.str(it.encrypted)
		}
	}
	w.close()
}

// writePart writes a message's content part: output_text (annotations and
// logprobs empty, as the SDKs expect them present) or refusal.
func writePart(w *jw, it *respItem, full bool) {
	w.open()
	w.key("type")
	if it.refusal {
		w.str("refusal")
		w.key("refusal")
	} else {
		w.str("output_text")
		w.key("annotations")
		w.raw("[]")
		w.key("logprobs")
		w.raw("[]")
		w.key("text")
	}
	if full {
		w.sep()
		w.b = appendStringBytes(w.b, it.text)
	} else {
		w.str("")
	}
	w.close()
}

func writeSummaryPart(w *jw, text []byte) {
	w.open()
	w.key("type")
	w.str("summary_text")
	w.key("text")
	w.sep()
	w.b = appendStringBytes(w.b, text)
	w.close()
}

// writeResponsesUsage writes the Responses usage object: input_tokens
// counts every prompt token, cache included (OpenAI's meaning), and
// cached_tokens the cache read (docs/responses.md, "Response").
func writeResponsesUsage(w *jw, u Usage) {
	w.open()
	w.key("input_tokens")
	w.int(u.PromptTokens)
	w.key("input_tokens_details")
	w.open()
	w.key("cached_tokens")
	w.int(u.CacheReadTokens)
	w.close()
	w.key("output_tokens")
	w.int(u.CompletionTokens)
	w.key("output_tokens_details")
	w.open()
	w.key("reasoning_tokens")
	w.int(u.ReasoningTokens)
	w.close()
	w.key("total_tokens")
	w.int(u.PromptTokens + u.CompletionTokens)
	w.close()
}

// respObject is what every response object of one answer shares: the id,
// the creation time, the model and the members echoed from the request.
type respObject struct {
	id        string
	created   int64
	completed int64 // completed_at, for a completed response
	model     string
	// tail is the echoed request members and the defaults, each preceded
	// by a comma, ready to append before the object's closing brace.
	tail []byte
}

// The members the answer side writes itself; an Echo member of the same
// name is left out. store is always false for a conversion.
var ownMembers = [...]string{"id", "object", "created_at", "status", "completed_at", "error",
	"incomplete_details", "model", "output", "usage", "store"}

// echoDefaults are members the SDKs read (the Go SDK marks most of them
// required) with the value OpenAI gives when the request left them out.
var echoDefaults = [...]struct{ key, value string }{
	{"background", "false"},
	{"instructions", "null"},
	{"max_output_tokens", "null"},
	{"metadata", "{}"},
	{"parallel_tool_calls", "true"},
	{"previous_response_id", "null"},
	{"reasoning", "null"},
	{"temperature", "1"},
	{"text", `{"format":{"type":"text"}}`},
	{"tool_choice", `"auto"`},
	{"tools", "[]"},
	{"top_p", "1"},
	{"truncation", `"disabled"`},
}

func newRespObject(meta *ResponsesMeta, upstreamModel string) respObject {
	o := respObject{id: meta.ResponseID, created: meta.now().Unix(), model: meta.RequestedModel}
	o.completed = o.created
	if o.id == "" {
		o.id = randomID("resp_")
	}
	if o.model == "" {
		o.model = strings.Clone(upstreamModel)
	}
	if o.model == "" {
		o.model = meta.UpstreamModel
	}
	w := jw{b: make([]byte, 0, len(meta.Echo)+320)}
	var given [len(echoDefaults)]bool // defaults the echo has a value for
	// Echo comes from the request side; it is checked all the same, since
	// a broken member would break every event of the stream.
	if len(meta.Echo) > 0 && checkUpstream(meta.Echo) == "" {
		if echo := gjson.ParseBytes(meta.Echo); echo.IsObject() {
			echo.ForEach(func(k, v gjson.Result) bool {
				if k.Type != gjson.String || isOwnMember(k.Str) {
					return true
				}
				for i, d := range echoDefaults {
					if d.key == k.Str {
						if given[i] {
							return true // a repeated member: the first one counts
						}
						given[i] = true
					}
				}
				w.b = append(w.b, ',')
				w.b = appendString(w.b, k.Str)
				w.b = append(w.b, ':')
				w.b = appendCompact(w.b, v.Raw)
				return true
			})
		}
	}
	w.b = append(w.b, `,"store":false`...)
	for i, d := range echoDefaults {
		if !given[i] {
			w.b = append(w.b, ',', '"')
			w.b = append(w.b, d.key...)
			w.b = append(w.b, '"', ':')
			w.b = append(w.b, d.value...)
		}
	}
	o.tail = w.b
	return o
}

func isOwnMember(k string) bool {
	for _, m := range ownMembers {
		if k == m {
			return true
		}
	}
	return false
}

// respEnd is how an answer ended, for the response object's status.
type respEnd struct {
	status     string // in_progress, completed, incomplete, failed
	incomplete string // incomplete_details.reason
	errCode    string
	errMsg     string
}

// write writes the response object. items are written in full (only
// closed ones are passed for a stream); usage is null while in progress.
func (o *respObject) write(w *jw, end respEnd, items []*respItem, usage *Usage) {
	w.open()
	w.key("id")
	w.str(o.id)
	w.key("object")
	w.str("response")
	w.key("created_at")
	w.int(o.created)
	w.key("status")
	w.str(end.status)
	if end.status == "completed" {
		w.key("completed_at")
		w.int(o.completed)
	}
	w.key("error")
	if end.errCode != "" {
		w.open()
		w.key("code")
		w.str(end.errCode)
		w.key("message")
		w.str(end.errMsg)
		w.close()
	} else {
		w.null()
	}
	w.key("incomplete_details")
	if end.incomplete != "" {
		w.open()
		w.key("reason")
		w.str(end.incomplete)
		w.close()
	} else {
		w.null()
	}
	w.key("model")
	w.str(o.model)
	w.key("output")
	w.openArr()
	for _, it := range items {
		writeItem(w, it, true)
	}
	w.closeArr()
	w.key("usage")
	if usage != nil {
		writeResponsesUsage(w, *usage)
	} else {
		w.null()
	}
	w.b = append(w.b, o.tail...)
	w.close()
}

// endFor maps how the upstream stopped to the response's status: a length
// cut is incomplete (max_output_tokens), a content filter too.
func endFor(finish string) respEnd {
	switch finish {
	case "length":
		return respEnd{status: "incomplete", incomplete: "max_output_tokens"}
	case "content_filter":
		return respEnd{status: "incomplete", incomplete: "content_filter"}
	}
	return respEnd{status: "completed"}
}

package gateway

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/sse"
)

// The passthrough stream converters: the client speaks the upstream's
// protocol, so events go out as they came. Each reads the usage, notices
// the protocol's last event and its error events, and refuses what is not
// an event stream of that protocol (a 200 with garbage must not be logged
// as a good answer).

// errNotJSON is an event whose data is not a JSON object.
var errNotJSON = errors.New("an event's data is not a JSON object")

// checkEvent refuses frames no upstream of these protocols sends: lines
// that are no SSE field, and data that is not a JSON object.
func checkEvent(ev sse.Event) error {
	if ev.Unknown {
		return fmt.Errorf("a line is not a server-sent event: %.60q", ev.Raw)
	}
	if len(ev.Data) > 0 && ev.Data[0] != '{' {
		return fmt.Errorf("%w: %.60q", errNotJSON, ev.Data)
	}
	return nil
}

// errorMessage reads an upstream error event's message at path, or says
// what happened when it has none.
func errorMessage(data []byte, path, otherwise string) string {
	if m := gjson.GetBytes(data, path).String(); m != "" {
		return m
	}
	return otherwise
}

// chatRelay passes an OpenAI Chat Completions (or legacy Completions)
// stream through. The stream ends with data: [DONE].
type chatRelay struct {
	// hideUsageChunk: the gateway asked for include_usage, the client did
	// not, so the usage-only chunk is read and dropped.
	hideUsageChunk bool
	usage          adapter.Usage
	done           bool
	failed         bool
	failMsg        string
}

var doneData = []byte("[DONE]")

func (r *chatRelay) Event(ev sse.Event) ([]byte, error) {
	if ev.Comment {
		return ev.Raw, nil
	}
	if bytes.Equal(ev.Data, doneData) {
		r.done = true
		return ev.Raw, nil
	}
	if err := checkEvent(ev); err != nil {
		return nil, err
	}
	if mayCarryUsage(ev.Data) {
		if u := gjson.GetBytes(ev.Data, "usage"); u.IsObject() {
			r.usage = adapter.OpenAIUsage([]byte(u.Raw))
			if r.hideUsageChunk {
				if ch := gjson.GetBytes(ev.Data, "choices"); ch.IsArray() && len(ch.Array()) == 0 {
					return nil, nil // the usage-only chunk this client did not ask for
				}
			}
		}
	}
	if ev.Name == "error" || bytes.HasPrefix(ev.Data, []byte(`{"error"`)) {
		r.failed, r.failMsg = true, errorMessage(ev.Data, "error.message", "upstream sent an error event")
	}
	return ev.Raw, nil
}

func (r *chatRelay) Finish() []byte {
	if r.done || r.failed {
		return nil
	}
	r.failed, r.failMsg = true, "upstream stream ended before data: [DONE]"
	return sse.AppendData(nil, adapter.OpenAIErrorBody(http.StatusBadGateway, "server_error", "stream_interrupted", "", r.failMsg))
}

func (r *chatRelay) Usage() adapter.Usage   { return r.usage }
func (r *chatRelay) Failed() (bool, string) { return r.failed, r.failMsg }
func (r *chatRelay) Done() bool             { return r.done }

// responsesRelay passes an OpenAI Responses API stream through. It has no
// [DONE]: it ends with response.completed, response.incomplete or
// response.failed, and reports errors as an "error" event.
type responsesRelay struct {
	usage   adapter.Usage
	done    bool
	failed  bool
	failMsg string
	seq     int64 // the last sequence_number seen, for the gateway's own error event
}

func (r *responsesRelay) Event(ev sse.Event) ([]byte, error) {
	if ev.Comment || len(ev.Data) == 0 {
		return ev.Raw, checkEvent(ev)
	}
	if err := checkEvent(ev); err != nil {
		return nil, err
	}
	res := gjson.GetManyBytes(ev.Data, "type", "sequence_number")
	r.seq = res[1].Int()
	switch typ := res[0].Str; typ {
	case "response.completed", "response.incomplete":
		r.done = true
		r.takeUsage(ev.Data)
	case "response.failed":
		r.done, r.failed = true, true
		r.takeUsage(ev.Data)
		r.failMsg = errorMessage(ev.Data, "response.error.message", "upstream reported response.failed")
	case "error":
		r.failed, r.failMsg = true, errorMessage(ev.Data, "message", "upstream sent an error event")
	}
	return ev.Raw, nil
}

func (r *responsesRelay) takeUsage(data []byte) {
	if u := gjson.GetBytes(data, "response.usage"); u.IsObject() {
		r.usage = adapter.OpenAIUsage([]byte(u.Raw))
	}
}

func (r *responsesRelay) Finish() []byte {
	if r.done || r.failed {
		return nil
	}
	r.failed, r.failMsg = true, "upstream stream ended before response.completed"
	return r.ErrorFrame(r.failMsg)
}

// ErrorFrame is the Responses API's error event.
func (r *responsesRelay) ErrorFrame(msg string) []byte {
	body, _ := json.Marshal(struct {
		Type    string  `json:"type"`
		Code    string  `json:"code"`
		Message string  `json:"message"`
		Param   *string `json:"param"`
		Seq     int64   `json:"sequence_number"`
	}{"error", "stream_interrupted", msg, nil, r.seq + 1})
	return sse.AppendEvent(nil, "error", body)
}

func (r *responsesRelay) Usage() adapter.Usage   { return r.usage }
func (r *responsesRelay) Failed() (bool, string) { return r.failed, r.failMsg }
func (r *responsesRelay) Done() bool             { return r.done }

// messagesRelay passes an Anthropic Messages stream through. It ends with
// message_stop; usage comes in message_start (input) and message_delta
// (cumulative output).
type messagesRelay struct {
	usage   adapter.Usage
	done    bool
	failed  bool
	failMsg string
}

func (r *messagesRelay) Event(ev sse.Event) ([]byte, error) {
	if ev.Comment {
		return ev.Raw, nil
	}
	if err := checkEvent(ev); err != nil {
		return nil, err
	}
	switch ev.Name {
	case "message_start":
		r.usage = mergeAnthropicUsage(r.usage, gjson.GetBytes(ev.Data, "message.usage"))
	case "message_delta":
		r.usage = mergeAnthropicUsage(r.usage, gjson.GetBytes(ev.Data, "usage"))
	case "message_stop":
		r.done = true
	case "error":
		r.failed, r.failMsg = true, errorMessage(ev.Data, "error.message", "upstream sent an error event")
	}
	return ev.Raw, nil
}

func (r *messagesRelay) Finish() []byte {
	if r.done || r.failed {
		return nil
	}
	r.failed, r.failMsg = true, "upstream stream ended before message_stop"
	return sse.AppendEvent(nil, "error", adapter.AnthropicErrorBody(http.StatusBadGateway, r.failMsg))
}

func (r *messagesRelay) Usage() adapter.Usage   { return r.usage }
func (r *messagesRelay) Failed() (bool, string) { return r.failed, r.failMsg }
func (r *messagesRelay) Done() bool             { return r.done }

// mergeAnthropicUsage folds a usage object into u: message_start carries
// the input side, message_delta the cumulative output (and, on some
// upstreams, the input again).
func mergeAnthropicUsage(u adapter.Usage, obj gjson.Result) adapter.Usage {
	if !obj.IsObject() {
		return u
	}
	n := adapter.AnthropicUsage([]byte(obj.Raw))
	if obj.Get("input_tokens").Exists() {
		u.PromptTokens = n.PromptTokens
		u.CacheReadTokens = n.CacheReadTokens
		u.CacheCreationTokens = n.CacheCreationTokens
		u.CacheCreation1hTokens = n.CacheCreation1hTokens
	}
	if obj.Get("output_tokens").Exists() {
		u.CompletionTokens = n.CompletionTokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// mayCarryUsage reports whether a chunk may hold a usage object. With
// include_usage every chat chunk but the last says "usage":null; those
// are skipped without a JSON lookup. Any other mention of "usage" counts.
func mayCarryUsage(data []byte) bool {
	key := []byte(`"usage"`)
	for rest := data; ; {
		i := bytes.Index(rest, key)
		if i < 0 {
			return false
		}
		rest = rest[i+len(key):]
		v := bytes.TrimLeft(rest, " \t\r\n")
		if len(v) == 0 || v[0] != ':' {
			return true
		}
		if !bytes.HasPrefix(bytes.TrimLeft(v[1:], " \t\r\n"), []byte("null")) {
			return true
		}
	}
}

// The whole-body converters of the passthrough: the answer goes out as it
// came; only its usage is read.

func wholeOpenAI(raw []byte) ([]byte, adapter.Usage, error) {
	// Chat and Completions carry "usage"; the Responses API's object has
	// it too, at the top.
	if u := gjson.GetBytes(raw, "usage"); u.IsObject() {
		return raw, adapter.OpenAIUsage([]byte(u.Raw)), nil
	}
	return raw, adapter.Usage{}, nil
}

func wholeAnthropic(raw []byte) ([]byte, adapter.Usage, error) {
	if u := gjson.GetBytes(raw, "usage"); u.IsObject() {
		return raw, adapter.AnthropicUsage([]byte(u.Raw)), nil
	}
	return raw, adapter.Usage{}, nil
}

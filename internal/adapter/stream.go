package adapter

import (
	"strconv"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/clip"
	"github.com/aigw/aigw/internal/jsonx"
	"github.com/aigw/aigw/internal/sse"
)

// maxUpstreamDepth bounds the nesting of what upstreams send (response
// bodies, stream events), which reach this package unchecked: gjson
// recurses per level, so a few million '[' would overflow the stack. It is
// the gateway's limit for request bodies; real payloads stay far below.
const maxUpstreamDepth = 256

// checkUpstream validates an upstream body or event data in one pass
// (syntax, UTF-8, nesting) and says what is wrong, or "" when nothing is.
func checkUpstream(b []byte) string {
	switch problem, at := jsonx.Check(b, maxUpstreamDepth); problem {
	case jsonx.OK:
		return ""
	case jsonx.TooDeep:
		return "nests deeper than " + strconv.Itoa(maxUpstreamDepth) + " levels"
	default:
		return "is not JSON (at byte " + strconv.Itoa(at) + ": " + strconv.Quote(clip.UTF8(string(b), 64)) + ")"
	}
}

// eventObject parses one SSE event's data, which must be a JSON object.
// The reason says what is wrong when it is not (docs/conversion.md,
// "Streams: malformed upstream streams").
func eventObject(data []byte) (gjson.Result, string) {
	if why := checkUpstream(data); why != "" {
		return gjson.Result{}, "event data " + why
	}
	root := gjson.Parse(string(data))
	if !root.IsObject() {
		return gjson.Result{}, "event data is not a JSON object: " + strconv.Quote(clip.UTF8(string(data), 64))
	}
	return root, ""
}

// messagesEventHead reads an Anthropic stream event's object and name (the
// event: line, else the data's "type"), and checks that content does not
// come before message_start. why is not empty when the event cannot be
// converted.
func messagesEventHead(ev sse.Event, started bool) (root gjson.Result, name, why string) {
	root, why = eventObject(ev.Data)
	name = ev.Name
	if why == "" && name == "" {
		if name = root.Get("type").Str; name == "" {
			why = "event has no event type (neither an event: line nor a \"type\")"
		}
	}
	if why == "" && !started {
		switch name {
		case "content_block_start", "content_block_delta", "content_block_stop", "message_delta", "message_stop":
			why = "the stream did not begin with message_start (" + name + " came first)"
		}
	}
	return root, name, why
}

// toolCallIndex is the tool call a chat stream's delta.tool_calls entry
// belongs to: its index; without one, a new call after the seen ones when
// it has an id, else the last call (a continuation). Some servers omit the
// index (docs/conversion.md, "Streams").
func toolCallIndex(tc gjson.Result, id string, seen int, last int64) int64 {
	switch iv := tc.Get("index"); {
	case iv.Type == gjson.Number:
		return iv.Int()
	case id != "":
		return int64(seen)
	default:
		return last
	}
}

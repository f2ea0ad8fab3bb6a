package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/clip"
	"github.com/aigw/aigw/internal/jsonx"
	"github.com/aigw/aigw/internal/sse"
)

// The members of a chunk, of a choice and of its delta the conversion reads.
var (
	chatRootMembers = [...]string{"error", "model", "usage", "choices"}
	choiceMembers   = [...]string{"index", "delta", "finish_reason"}
	deltaMembers    = [...]string{"reasoning_content", "reasoning", "content", "refusal", "tool_calls"}
)

// chatEvent converts one chat.completion.chunk (docs/responses.md,
// "Stream"). Parallel tool calls arrive interleaved by their index, so a
// call's item stays open until the finish_reason; text and reasoning are
// sequential (a new kind closes the open one). The terminal event waits
// for the usage chunk (include_usage) or [DONE].
func (s *ResponsesStream) chatEvent(ev sse.Event) error {
	if string(ev.Data) == "[DONE]" {
		s.complete()
		return nil
	}
	// One pass validates the chunk and finds the root members; gjson then
	// reads only the choices. This runs for every chunk, so each level is
	// read once instead of once per member (bench/responses_test.go).
	var spans [len(chatRootMembers)]jsonx.Span
	switch problem, at := jsonx.CheckMembers(ev.Data, maxUpstreamDepth, chatRootMembers[:], spans[:]); {
	case problem == jsonx.TooDeep:
		return s.fail("openai stream: event data nests deeper than " + strconv.Itoa(maxUpstreamDepth) + " levels")
	case problem == jsonx.Duplicate:
		return s.fail("openai stream: event data repeats the member at byte " + strconv.Itoa(at))
	case problem != jsonx.OK:
		return s.fail("openai stream: event data is not JSON (at byte " + strconv.Itoa(at) + ": " + strconv.Quote(clip.UTF8(string(ev.Data), 64)) + ")")
	case ev.Data[skipJSONSpace(ev.Data)] != '{':
		return s.fail("openai stream: event data is not a JSON object: " + strconv.Quote(clip.UTF8(string(ev.Data), 64)))
	}
	data := ev.Data
	errv := view(span(data, spans[0]))
	if present(errv) || ev.Name == "error" {
		s.chatError(errv)
		return nil
	}
	if !s.started {
		model, _ := stringValue(span(data, spans[1]))
		s.start(model)
	}
	if u := span(data, spans[2]); len(u) > 0 && u[0] == '{' {
		s.usage, s.usageSeen = openAIUsage(view(u)), true
	}
	var delta, finish []byte
	found := false
	if choices := span(data, spans[3]); len(choices) > 0 && choices[0] == '[' {
		elements(choices, func(c []byte) bool {
			if c[0] != '{' {
				return true
			}
			var cs [3]jsonx.Span
			members(c, choiceMembers[:], cs[:])
			if idx := span(c, cs[0]); idx != nil && string(idx) != "0" && view(idx).Int() != 0 {
				return true
			}
			delta, finish, found = span(c, cs[1]), span(c, cs[2]), true
			return false
		})
	}
	if !found {
		// The usage chunk (choices []) comes after the finish chunk.
		if s.finishSeen && s.usageSeen {
			s.complete()
		}
		return nil
	}
	var ds [len(deltaMembers)]jsonx.Span
	if len(delta) > 0 && delta[0] == '{' {
		members(delta, deltaMembers[:], ds[:])
	}
	reasoning, _ := stringValue(span(delta, ds[0]))
	if reasoning == "" {
		reasoning, _ = stringValue(span(delta, ds[1])) // OpenRouter, Ollama
	}
	content, _ := stringValue(span(delta, ds[2]))
	refusal, _ := stringValue(span(delta, ds[3]))
	// Within one chunk: reasoning, text, refusal, tool calls, then the
	// finish (fake-streaming servers send all of it in one chunk).
	if reasoning != "" {
		it := s.cur
		if it == nil || it.kind != itemReasoning {
			it = s.openReasoning()
		}
		s.reasoning(it, reasoning)
	}
	s.text(content, false)
	s.text(refusal, true)
	if calls := span(delta, ds[4]); len(calls) > 0 && calls[0] == '[' {
		view(calls).ForEach(func(_, tc gjson.Result) bool {
			s.chatToolCall(tc)
			return true
		})
	}
	if fr, _ := stringValue(finish); fr != "" && !s.finishSeen {
		s.finish, s.finishSeen = strings.Clone(fr), true
		status := "completed"
		if fr == "length" {
			status = "incomplete"
		}
		// The items are done; the terminal event waits for the usage.
		s.closeAll(status)
	}
	return nil
}

// chatToolCall handles one delta.tool_calls entry: a new call (an id, or
// an index not seen) opens an item; a continuation adds to its arguments.
func (s *ResponsesStream) chatToolCall(tc gjson.Result) {
	id := tc.Get("id").Str
	fn := tc.Get("function")
	args := fn.Get("arguments").Str
	idx := toolCallIndex(tc, id, len(s.byIndex), s.lastIdx)
	s.lastIdx = idx
	it := s.byIndex[idx]
	if it == nil || (id != "" && id != it.callID) {
		name := fn.Get("name").Str
		if it == nil && id == "" && name == "" && args == "" {
			return // nothing to open an item with
		}
		if s.cur != nil {
			s.closeCur() // text or reasoning before the call is done
		}
		it = toolItem(&s.meta, id, name)
		it.streamIdx = idx
		s.byIndex[idx] = it
		s.addItem(it)
	}
	// xAI and Gemini send the name and the whole arguments in one entry.
	s.toolArgs(it, args)
}

// chatError ends the stream with response.failed for an in-stream error
// object, its code mapped to the one OpenAI clients act on.
func (s *ResponsesStream) chatError(e gjson.Result) {
	msg, typ, code := "", "", ""
	switch {
	case e.IsObject():
		msg = e.Get("message").Str
		typ = e.Get("type").Str
		code = e.Get("code").String()
	case e.Type == gjson.String:
		msg = e.Str
	}
	if msg == "" {
		msg = "upstream stream error"
	}
	s.failWith(responsesErrorCode(typ, code, msg), msg)
}

// skipJSONSpace is the index of the first byte of b that is not JSON
// whitespace (b holds a checked value, so there is one).
func skipJSONSpace(b []byte) int {
	i := 0
	for i < len(b)-1 && isJSONSpace(b[i]) {
		i++
	}
	return i
}

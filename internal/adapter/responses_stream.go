package adapter

import (
	"errors"
	"strconv"
	"strings"

	"github.com/aigw/aigw/internal/sse"
)

// ResponsesStream converts an upstream stream (chat.completion.chunk frames
// or Messages events) to Responses API events, one upstream event at a time
// (docs/responses.md, "Stream"). Every event is `event: <type>` plus a data
// object carrying the same "type" and a sequence_number counted from 0
// without gaps. The stream ends with exactly one of response.completed,
// response.incomplete or response.failed; Done reports it went out.
//
// It has the methods of the gateway's stream converter (Event, Finish,
// Usage, Failed, Done) and ErrorFrame for an error the gateway itself ends
// the stream with. The frames a call returns are valid until the next
// call: the output buffer is reused. It is not safe for concurrent use.
type ResponsesStream struct {
	meta ResponsesMeta
	src  streamSource
	obj  respObject

	out jw // frames of the current call
	seq int64

	started bool
	done    bool
	failed  bool
	failMsg string

	items []*respItem // every item, in output_index order
	cur   *respItem   // the open message or reasoning item, nil if none

	// chat: the item of each tool_calls index; Messages: the item of each
	// content block index.
	byIndex map[int64]*respItem
	lastIdx int64 // chat: the tool_calls index of the last call seen

	finish     string // the upstream's stop, in finish_reason terms
	finishSeen bool
	usage      Usage
	usageSeen  bool

	// Messages usage, folded as message_start and message_delta come.
	antUsage anthropicStreamUsage
}

type streamSource uint8

const (
	sourceChat streamSource = iota + 1
	sourceMessages
)

// NewChatToResponsesStream returns a converter of a Chat Completions stream.
func NewChatToResponsesStream(meta ResponsesMeta) *ResponsesStream {
	return newResponsesStream(meta, sourceChat)
}

// NewMessagesToResponsesStream returns a converter of a Messages stream.
func NewMessagesToResponsesStream(meta ResponsesMeta) *ResponsesStream {
	return newResponsesStream(meta, sourceMessages)
}

func newResponsesStream(meta ResponsesMeta, src streamSource) *ResponsesStream {
	return &ResponsesStream{meta: meta, src: src, byIndex: make(map[int64]*respItem), out: jw{b: make([]byte, 0, 1024)}}
}

// Event converts one upstream SSE event and returns the frames to write
// now. An event that cannot be converted (data that is not a JSON object,
// content before the start) ends the stream with response.failed; the
// error returned says why.
func (s *ResponsesStream) Event(ev sse.Event) ([]byte, error) {
	if s.done || ev.Comment || len(ev.Data) == 0 {
		return nil, nil
	}
	s.out.b = s.out.b[:0]
	var err error
	if s.src == sourceChat {
		err = s.chatEvent(ev)
	} else {
		err = s.messagesEvent(ev)
	}
	return s.out.b, err
}

// Finish is called when the upstream's body ended. A stream that ended
// without its last event gets response.failed; a chat stream that gave a
// finish_reason but no [DONE] is complete.
func (s *ResponsesStream) Finish() []byte {
	if s.done {
		return nil
	}
	s.out.b = s.out.b[:0]
	if s.src == sourceChat && s.finishSeen {
		s.complete()
	} else {
		msg := "upstream stream ended before message_stop"
		if s.src == sourceChat {
			msg = "upstream stream ended before finish_reason or [DONE]"
		}
		s.failWith("server_error", msg)
	}
	return s.out.b
}

// Usage is the usage the upstream reported so far (final at the end).
func (s *ResponsesStream) Usage() Usage {
	if s.src == sourceMessages {
		return s.antUsage.usage()
	}
	return s.usage
}

// Failed reports an upstream error event, an event that could not be
// converted, a stream cut before its end, or an ErrorFrame, with the reason.
func (s *ResponsesStream) Failed() (bool, string) { return s.failed, s.failMsg }

// Done reports that the terminal event went out: nothing follows it.
func (s *ResponsesStream) Done() bool { return s.done }

// ErrorFrame ends the stream with response.failed (server_error) for an
// error of the gateway's own (the upstream broke off, the server shuts
// down). Nothing when the stream already ended.
func (s *ResponsesStream) ErrorFrame(msg string) []byte {
	if s.done {
		return nil
	}
	s.out.b = s.out.b[:0]
	s.failWith("server_error", msg)
	return append([]byte(nil), s.out.b...)
}

// begin starts an event frame up to its sequence_number; the caller adds
// the members and calls end.
func (s *ResponsesStream) begin(typ string) *jw {
	b := append(s.out.b, "event: "...)
	b = append(b, typ...)
	b = append(b, "\ndata: {\"type\":\""...)
	b = append(b, typ...)
	b = append(b, `","sequence_number":`...)
	b = strconv.AppendInt(b, s.seq, 10)
	s.seq++
	s.out.b = b
	return &s.out
}

func (s *ResponsesStream) end() { s.out.b = append(s.out.b, "}\n\n"...) }

// itemRef writes the item_id and output_index members, formatted once
// per item: most events of a stream are deltas of one item.
func (s *ResponsesStream) itemRef(it *respItem) *jw {
	if it.ref == nil {
		it.ref = append(it.ref, `,"item_id":`...)
		it.ref = appendString(it.ref, it.id)
		it.ref = append(it.ref, `,"output_index":`...)
		it.ref = strconv.AppendInt(it.ref, int64(it.index), 10)
	}
	s.out.b = append(s.out.b, it.ref...)
	return &s.out
}

// start writes response.created and response.in_progress once.
func (s *ResponsesStream) start(upstreamModel string) {
	if s.started {
		return
	}
	s.started = true
	s.obj = newRespObject(&s.meta, upstreamModel)
	// The two events carry the same object: written once, copied once.
	w := s.begin("response.created")
	w.key("response")
	at := len(w.b)
	s.obj.write(w, respEnd{status: "in_progress"}, nil, nil)
	obj := w.b[at:]
	s.end()
	w = s.begin("response.in_progress")
	w.key("response")
	w.b = append(w.b, obj...)
	s.end()
}

// addItem opens an item: response.output_item.added.
func (s *ResponsesStream) addItem(it *respItem) {
	it.index, it.open = len(s.items), true
	s.items = append(s.items, it)
	w := s.begin("response.output_item.added")
	w.key("output_index")
	w.int(int64(it.index))
	w.key("item")
	writeItem(w, it, false)
	s.end()
}

// openText makes sure a message item whose part is of the given kind
// (output_text or refusal) is the open one, closing another.
func (s *ResponsesStream) openText(refusal bool) *respItem {
	if c := s.cur; c != nil && c.kind == itemMessage && c.refusal == refusal {
		return c
	}
	s.closeCur()
	it := &respItem{kind: itemMessage, id: s.meta.newID("msg_"), refusal: refusal}
	s.addItem(it)
	s.cur = it
	w := s.begin("response.content_part.added")
	s.itemRef(it)
	w.key("content_index")
	w.int(0)
	w.key("part")
	writePart(w, it, false)
	s.end()
	it.partOpen = true
	return it
}

// text streams a piece of the answer's text (or refusal).
func (s *ResponsesStream) text(t string, refusal bool) {
	if t == "" {
		return
	}
	it := s.openText(refusal)
	it.text = append(it.text, t...)
	typ := "response.output_text.delta"
	if refusal {
		typ = "response.refusal.delta"
	}
	w := s.begin(typ)
	s.itemRef(it)
	w.key("content_index")
	w.int(0)
	w.key("delta")
	w.str(t)
	if !refusal {
		w.key("logprobs")
		w.raw("[]")
	}
	s.end()
}

// openReasoning opens a reasoning item (closing the open message or
// reasoning item).
func (s *ResponsesStream) openReasoning() *respItem {
	s.closeCur()
	it := &respItem{kind: itemReasoning, id: s.meta.newID("rs_")}
	s.addItem(it)
	s.cur = it
	return it
}

// reasoning streams a piece of reasoning as the item's summary text.
func (s *ResponsesStream) reasoning(it *respItem, t string) {
	if t == "" || it == nil || !it.open {
		return
	}
	if !it.partOpen {
		it.partOpen = true
		w := s.begin("response.reasoning_summary_part.added")
		s.itemRef(it)
		w.key("summary_index")
		w.int(0)
		w.key("part")
		w.raw(`{"type":"summary_text","text":""}`)
		s.end()
	}
	it.text = append(it.text, t...)
	w := s.begin("response.reasoning_summary_text.delta")
	s.itemRef(it)
	w.key("summary_index")
	w.int(0)
	w.key("delta")
	w.str(t)
	s.end()
}

// toolArgs streams a piece of a tool call's arguments: function call
// arguments as they come, a custom tool's input as far as it decodes.
func (s *ResponsesStream) toolArgs(it *respItem, piece string) {
	if piece == "" || !it.open {
		return
	}
	it.args = append(it.args, piece...)
	if it.kind == itemFunction {
		w := s.begin("response.function_call_arguments.delta")
		s.itemRef(it)
		w.key("delta")
		w.str(piece)
		s.end()
		return
	}
	n := len(it.text)
	it.text = it.custom.feed(it.text, it.args)
	s.customDelta(it, it.text[n:])
}

func (s *ResponsesStream) customDelta(it *respItem, d []byte) {
	if len(d) == 0 {
		return
	}
	w := s.begin("response.custom_tool_call_input.delta")
	s.itemRef(it)
	w.key("delta")
	w.sep()
	w.b = appendStringBytes(w.b, d)
	s.end()
}

// closeCur closes the open message or reasoning item, if any.
func (s *ResponsesStream) closeCur() {
	if s.cur != nil {
		s.closeItem(s.cur, "completed")
	}
}

// closeItem writes an item's done events, the complete item last
// (response.output_item.done: Codex takes tool calls from it alone).
func (s *ResponsesStream) closeItem(it *respItem, status string) {
	if !it.open {
		return
	}
	it.open, it.status = false, status
	if s.cur == it {
		s.cur = nil
	}
	switch it.kind {
	case itemMessage:
		typ, field := "response.output_text.done", "text"
		if it.refusal {
			typ, field = "response.refusal.done", "refusal"
		}
		w := s.begin(typ)
		s.itemRef(it)
		w.key("content_index")
		w.int(0)
		w.key(field)
		w.sep()
		w.b = appendStringBytes(w.b, it.text)
		if !it.refusal {
			w.key("logprobs")
			w.raw("[]")
		}
		s.end()
		w = s.begin("response.content_part.done")
		s.itemRef(it)
		w.key("content_index")
		w.int(0)
		w.key("part")
		writePart(w, it, true)
		s.end()
	case itemReasoning:
		if it.partOpen {
			w := s.begin("response.reasoning_summary_text.done")
			s.itemRef(it)
			w.key("summary_index")
			w.int(0)
			w.key("text")
			w.sep()
			w.b = appendStringBytes(w.b, it.text)
			s.end()
			w = s.begin("response.reasoning_summary_part.done")
			s.itemRef(it)
			w.key("summary_index")
			w.int(0)
			w.key("part")
			writeSummaryPart(w, it.text)
			s.end()
		}
		it.sealReasoning(&s.meta)
	case itemFunction:
		w := s.begin("response.function_call_arguments.done")
		s.itemRef(it)
		w.key("arguments")
		w.sep()
		w.b = appendStringBytes(w.b, it.finalArgs())
		s.end()
	case itemCustom:
		input := customInput(string(it.args))
		// What streamed is a prefix of the input unless the arguments
		// took another shape; the rest goes out before the done event.
		if streamed := string(it.text); len(streamed) < len(input) && input[:len(streamed)] == streamed {
			s.customDelta(it, []byte(input[len(streamed):]))
		}
		w := s.begin("response.custom_tool_call_input.done")
		s.itemRef(it)
		w.key("input")
		w.str(input)
		s.end()
	}
	w := s.begin("response.output_item.done")
	w.key("output_index")
	w.int(int64(it.index))
	w.key("item")
	writeItem(w, it, true)
	s.end()
}

// closeAll closes every open item in output_index order; status is
// "incomplete" for the ones a length cut ended.
func (s *ResponsesStream) closeAll(status string) {
	for _, it := range s.items {
		s.closeItem(it, status)
	}
}

// complete ends the stream with response.completed or, for a length cut or
// a content filter, response.incomplete.
func (s *ResponsesStream) complete() {
	s.start("")
	end := endFor(s.finish)
	status := "completed"
	if end.incomplete == "max_output_tokens" {
		status = "incomplete"
	}
	s.closeAll(status)
	typ := "response.completed"
	if end.status == "incomplete" {
		typ = "response.incomplete"
	}
	u := s.Usage()
	s.obj.completed = s.meta.now().Unix()
	w := s.begin(typ)
	w.key("response")
	s.obj.write(w, end, s.items, &u)
	s.end()
	s.done = true
}

// failWith ends the stream with response.failed: the items already closed,
// the usage so far, and the error with an OpenAI code.
func (s *ResponsesStream) failWith(code, msg string) {
	s.start("")
	s.failed, s.failMsg, s.done = true, strings.Clone(msg), true
	closed := make([]*respItem, 0, len(s.items))
	for _, it := range s.items {
		if !it.open {
			closed = append(closed, it)
		}
	}
	u := s.Usage()
	w := s.begin("response.failed")
	w.key("response")
	s.obj.write(w, respEnd{status: "failed", errCode: code, errMsg: retryHint(code, msg)}, closed, &u)
	s.end()
}

// fail ends the stream for an upstream event that cannot be converted.
func (s *ResponsesStream) fail(reason string) error {
	s.failWith("server_error", reason)
	return errors.New(reason)
}

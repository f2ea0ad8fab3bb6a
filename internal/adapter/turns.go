package adapter

import (
	"strconv"
	"strings"
	"unsafe"

	"github.com/tidwall/gjson"
)

// Both request directions read the client's messages into the same model,
// a list of turns made of typed blocks, repair it once (pairTools) and
// write it in the upstream's protocol. docs/conversion.md, "Requests:
// turns and blocks".

// role is the speaker of a turn. System prompts are not turns: each
// direction writes them where its upstream wants them.
type role uint8

const (
	roleUser role = iota
	roleAssistant
)

func (r role) String() string {
	if r == roleAssistant {
		return "assistant"
	}
	return "user"
}

// blockKind says what a block is; the passes below only need the kind,
// the id and the text form, never the encoding.
type blockKind uint8

const (
	blockText       blockKind = iota + 1
	blockMedia                // image or document
	blockToolUse              // a tool call of an assistant turn
	blockToolResult           // the answer to a tool call, in a user turn
	blockThinking             // thinking or redacted_thinking (direction A only)
)

// block is one piece of a turn.
type block struct {
	kind blockKind
	// cc: the encoded block carries cache_control (direction A).
	cc bool
	// isError: a tool result that reports a failure.
	isError bool
	// id is a tool call's id, or the id a tool result answers.
	id string
	// text: a text block's text; a tool result's content as text (what
	// is kept when the result turns into user text).
	text string
	// name and input: a tool call's name (as sent upstream) and its input
	// as a JSON object (direction B writes them as tool_calls).
	name, input string
	// raw is the block already encoded in the upstream's protocol; nil for
	// blocks made by the repairs, which the writer encodes from the
	// fields above.
	raw []byte
	// media are a tool result's images and documents, encoded; they
	// become user content of their own when the result cannot stay a
	// tool result.
	media []block
}

// turn is one message: consecutive blocks of one role.
type turn struct {
	role   role
	blocks []block
}

const (
	// noResultText answers a tool call the history left unanswered.
	noResultText = "No result was provided for this tool call (it was interrupted or dropped from the history)."
	// orphanPrefix introduces a tool result kept as user text.
	orphanPrefix = "Result of tool call "
)

// pairTools enforces the rule both protocols share: a tool call is
// answered in the very next turn, a user turn, and a tool result answers
// a call of the assistant turn right before it. A call left unanswered
// gets a placeholder result (is_error); a result without its call becomes
// user text followed by its media, so nothing the client sent is lost; a
// repeated call id within one assistant turn is dropped (both upstreams
// reject it). Results keep their place in the turn; writers put them
// first. docs/conversion.md, "Requests: tool calls and results".
func pairTools(turns []turn) []turn {
	if !anyToolBlock(turns) {
		return turns
	}
	var out []turn                // nil until a turn has to be inserted
	var pending []string          // call ids of the last assistant turn, in order
	open := make(map[string]bool) // the same ids, unanswered so far
	for i, t := range turns {
		if t.role == roleAssistant {
			if len(pending) > 0 {
				if out == nil {
					out = append(make([]turn, 0, len(turns)+2), turns[:i]...)
				}
				out = append(out, turn{role: roleUser, blocks: placeholders(pending, open, nil)})
			}
			pending, t.blocks = uniqueCalls(t.blocks, pending[:0], open)
		} else {
			t.blocks = placeholders(pending, open, answerCalls(t.blocks, open))
			pending = pending[:0]
		}
		if out != nil {
			out = append(out, t)
		} else {
			turns[i] = t
		}
	}
	if out == nil {
		out = turns
	}
	if len(pending) > 0 {
		out = append(out, turn{role: roleUser, blocks: placeholders(pending, open, nil)})
	}
	return out
}

func anyToolBlock(turns []turn) bool {
	for _, t := range turns {
		for _, b := range t.blocks {
			if b.kind == blockToolUse || b.kind == blockToolResult {
				return true
			}
		}
	}
	return false
}

// uniqueCalls drops repeated call ids from an assistant turn's blocks and
// records its calls in pending and open (empty on entry).
func uniqueCalls(blocks []block, pending []string, open map[string]bool) ([]string, []block) {
	var kept []block // a copy, made at the first repeated id
	for i, b := range blocks {
		repeated := b.kind == blockToolUse && open[b.id]
		if repeated && kept == nil {
			kept = append(make([]block, 0, len(blocks)-1), blocks[:i]...)
		}
		if b.kind == blockToolUse && !repeated {
			open[b.id] = true
			pending = append(pending, b.id)
		}
		if kept != nil && !repeated {
			kept = append(kept, b)
		}
	}
	if kept == nil {
		return pending, blocks
	}
	return pending, kept
}

// answerCalls keeps, in a user turn, the results that answer an open call
// (closing it) and turns every other result into user text plus its
// media.
func answerCalls(blocks []block, open map[string]bool) []block {
	var out []block // a copy, made at the first orphan
	for i, b := range blocks {
		if b.kind == blockToolResult && open[b.id] {
			delete(open, b.id)
		} else if b.kind == blockToolResult {
			if out == nil {
				out = append(make([]block, 0, len(blocks)+len(b.media)), blocks[:i]...)
			}
			out = append(out, orphanText(b))
			out = append(out, b.media...)
			continue
		}
		if out != nil {
			out = append(out, b)
		}
	}
	if out == nil {
		return blocks
	}
	return out
}

// orphanText is the user text a result without its call becomes.
func orphanText(b block) block {
	txt := orphanPrefix + b.id + ":"
	if b.text != "" {
		txt += "\n" + b.text
	}
	return block{kind: blockText, text: txt}
}

// placeholders appends a failed result for each call in pending that is
// still open, then clears open.
func placeholders(pending []string, open map[string]bool, blocks []block) []block {
	for _, id := range pending {
		if open[id] {
			blocks = append(blocks, block{kind: blockToolResult, id: id, text: noResultText, isError: true})
		}
	}
	clear(open)
	return blocks
}

func hasKind(blocks []block, k blockKind) bool {
	for _, b := range blocks {
		if b.kind == k {
			return true
		}
	}
	return false
}

// eachMessage calls fn for each message of a request's messages array,
// which must be an array of objects, with the param naming it, and stops at
// the first error.
func eachMessage(messages gjson.Result, fn func(m gjson.Result, param string) error) error {
	if !messages.IsArray() {
		return badRequest("messages", "messages must be an array")
	}
	var err error
	i := -1
	messages.ForEach(func(_, m gjson.Result) bool {
		i++
		param := "messages[" + strconv.Itoa(i) + "]"
		if !m.IsObject() {
			err = badRequest(param, "each message must be an object")
		} else {
			err = fn(m, param)
		}
		return err == nil
	})
	return err
}

// appendTurn adds blocks as a turn of role r, merging them into the last
// turn when it has the same role (Anthropic combines consecutive turns of
// one role itself).
func appendTurn(turns []turn, r role, blocks []block) []turn {
	if n := len(turns); n > 0 && turns[n-1].role == r {
		turns[n-1].blocks = append(turns[n-1].blocks, blocks...)
		return turns
	}
	return append(turns, turn{role: r, blocks: blocks})
}

// parseBody reads a request body the gateway has already checked (one
// JSON object in UTF-8, nested within its limit) without copying it: the
// results point into body, which must not change while they are used.
// Nothing this package returns keeps such a pointer (see keep).
func parseBody(body []byte) (gjson.Result, error) {
	root := gjson.Parse(unsafe.String(unsafe.SliceData(body), len(body)))
	if !root.IsObject() {
		return gjson.Result{}, badRequest("", "request body must be a JSON object")
	}
	return root, nil
}

// keep copies a string read by parseBody that outlives the call (meta
// fields), so the caller's body can be reused.
func keep(s string) string { return strings.Clone(s) }

package adapter

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"strings"
	"time"
)

// This file is the contract between the two halves of the OpenAI Responses
// API conversion (docs/responses.md): the request side (responses_request*.go:
// a Responses request to Chat Completions or to Messages) and the answer side
// (responses_answer*.go: a Chat Completions or Messages answer, whole or
// streamed, to a Responses object or event stream).

// ResponsesRequestOptions configures a Responses request conversion.
type ResponsesRequestOptions struct {
	// UpstreamModel is the resolved upstream model id; empty: the body's model.
	UpstreamModel string
	// DefaultMaxTokens is sent to Messages when the client gives no
	// max_output_tokens (Anthropic requires max_tokens); 4096 when 0.
	DefaultMaxTokens int
	// AdaptiveThinking maps reasoning.effort to thinking {type:"adaptive"}
	// plus output_config.effort instead of a budget (as ChatRequestOptions).
	AdaptiveThinking bool
}

// ResponsesTool says what an upstream function name stands for on the
// client's side, so a tool call maps back exactly.
type ResponsesTool struct {
	// Kind is "function" (a function_call item goes back) or "custom" (a
	// custom_tool_call item goes back, its input taken from the function's
	// one string parameter "input").
	Kind string
	// Name is the client's tool name; Namespace the namespace tool it was
	// declared in ("" for a top-level tool).
	Name, Namespace string
}

// ResponsesMeta carries what the answer side needs from the request.
type ResponsesMeta struct {
	Stream bool
	// RequestedModel is echoed as the response object's model.
	RequestedModel string
	UpstreamModel  string
	// Echo is a JSON object of the request parameters the response object
	// repeats (instructions, max_output_tokens, temperature, top_p,
	// tool_choice, tools, parallel_tool_calls, text, reasoning, metadata,
	// user, truncation; store is always false for a conversion). The answer
	// side merges its members into every response object it writes.
	Echo []byte
	// Tools maps each upstream function name to the client's tool; a name
	// not in it comes back as a function_call with the name unchanged.
	Tools map[string]ResponsesTool
	// DroppedTools names the hosted tools left out (web_search, ...), for
	// the X-Aigw-Dropped-Tools header.
	DroppedTools []string
	// IncludeEncryptedReasoning: include had "reasoning.encrypted_content";
	// reasoning items then carry encrypted_content (EncodeReasoning).
	IncludeEncryptedReasoning bool
	// Thinking: reasoning was asked of the upstream (Anthropic thinking or
	// reasoning_effort).
	Thinking bool
	// JSONMode (Messages only): text.format asked for JSON and the request
	// carries the json_tool_call tool (as direction A does for
	// response_format); that tool's input is the answer's output text, as
	// in MessagesToChatResponse with ChatMeta.JSONMode.
	JSONMode bool

	// ResponseID is the response object's id ("resp_…"); the gateway sets
	// it after the request conversion. Empty: a random one.
	ResponseID string
	// Now is the clock for created_at; nil means time.Now. Tests set it.
	Now func() time.Time
	// NewID generates item ids (msg_…, fc_…, rs_…, ctc_…); nil means
	// random ids. Tests set it.
	NewID func(prefix string) string
}

func (m *ResponsesMeta) newID(prefix string) string {
	if m.NewID != nil {
		return m.NewID(prefix)
	}
	return randomID(prefix)
}

func (m *ResponsesMeta) now() time.Time {
	if m.Now != nil {
		return m.Now()
	}
	return time.Now()
}

// reasoningPrefix marks encrypted_content written by aigw: a reasoning item
// the client got from a converted Anthropic answer and sends back in a
// later turn's input. What it holds is Claude's thinking block, which
// Anthropic requires unchanged (text and signature) before a tool result
// when thinking is on.
const reasoningPrefix = "aigw.r1."

// ReasoningBlock is an Anthropic thinking block carried in a Responses
// reasoning item's encrypted_content.
type ReasoningBlock struct {
	Thinking  string `json:"t,omitempty"`
	Signature string `json:"s,omitempty"`
	// Redacted is a redacted_thinking block's data (then Thinking and
	// Signature are empty).
	Redacted string `json:"r,omitempty"`
}

// EncodeReasoning returns the encrypted_content for a thinking block.
func EncodeReasoning(b ReasoningBlock) string {
	raw, _ := json.Marshal(b) // strings only: cannot fail
	return reasoningPrefix + base64.RawURLEncoding.EncodeToString(raw)
}

// DecodeReasoning reads encrypted_content written by EncodeReasoning. ok is
// false for content aigw did not write (OpenAI's own encrypted reasoning),
// which a conversion drops.
func DecodeReasoning(s string) (b ReasoningBlock, ok bool, err error) {
	rest, found := strings.CutPrefix(s, reasoningPrefix)
	if !found {
		return b, false, nil
	}
	raw, err := base64.RawURLEncoding.DecodeString(rest)
	if err == nil {
		err = json.Unmarshal(raw, &b)
	}
	if err != nil {
		return b, true, errors.Join(errors.New("encrypted_content written by aigw is damaged"), err)
	}
	return b, true, nil
}

package adapter

import (
	"errors"

	"github.com/aigw/aigw/internal/sse"
)

// Stubs replaced by the answer side (responses_answer*.go).

// ChatToResponsesResponse converts a whole Chat Completions answer to a
// Responses object (docs/responses.md, "Response").
func ChatToResponsesResponse(body []byte, meta ResponsesMeta) ([]byte, Usage, error) {
	return nil, Usage{}, errors.New("not implemented")
}

// MessagesToResponsesResponse converts a whole Messages answer to a
// Responses object.
func MessagesToResponsesResponse(body []byte, meta ResponsesMeta) ([]byte, Usage, error) {
	return nil, Usage{}, errors.New("not implemented")
}

// ResponsesStream converts an upstream stream (chat.completion.chunk frames
// or Messages events) to Responses events, one upstream event at a time.
// It has the methods of the gateway's stream converter (Event, Finish,
// Usage, Failed, Done) and ErrorFrame(msg) for an error the gateway itself
// ends the stream with (a response.failed event).
type ResponsesStream struct{ meta ResponsesMeta }

// NewChatToResponsesStream returns a converter of a Chat Completions stream.
func NewChatToResponsesStream(meta ResponsesMeta) *ResponsesStream {
	return &ResponsesStream{meta: meta}
}

// NewMessagesToResponsesStream returns a converter of a Messages stream.
func NewMessagesToResponsesStream(meta ResponsesMeta) *ResponsesStream {
	return &ResponsesStream{meta: meta}
}

func (s *ResponsesStream) Event(ev sse.Event) ([]byte, error) {
	return nil, errors.New("not implemented")
}
func (s *ResponsesStream) Finish() []byte               { return nil }
func (s *ResponsesStream) Usage() Usage                 { return Usage{} }
func (s *ResponsesStream) Failed() (bool, string)       { return true, "not implemented" }
func (s *ResponsesStream) Done() bool                   { return false }
func (s *ResponsesStream) ErrorFrame(msg string) []byte { return nil }

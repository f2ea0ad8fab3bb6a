package adapter

import "errors"

// Stubs replaced by the request side (responses_request*.go).

// ResponsesToChatRequest converts a Responses request body to a Chat
// Completions request body (docs/responses.md, "Request").
func ResponsesToChatRequest(body []byte, opts ResponsesRequestOptions) ([]byte, ResponsesMeta, error) {
	return nil, ResponsesMeta{}, errors.New("not implemented")
}

// ResponsesToMessagesRequest converts a Responses request body to an
// Anthropic Messages request body (docs/responses.md, "Request").
func ResponsesToMessagesRequest(body []byte, opts ResponsesRequestOptions) ([]byte, ResponsesMeta, error) {
	return nil, ResponsesMeta{}, errors.New("not implemented")
}

package gateway

import (
	"errors"
	"net/http"
	"regexp"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/provider"
)

// conversionError turns an adapter error into the gateway's.
func conversionError(err error) *apiError {
	var ae *adapter.Error
	if errors.As(err, &ae) {
		return &apiError{status: ae.Status, typ: ae.Type, code: ae.Code, param: ae.Param, message: ae.Message}
	}
	return newAPIError(http.StatusBadRequest, codeInvalidParameter, err.Error())
}

// chatViaAnthropic serves an OpenAI Chat Completions request with an
// anthropic provider (docs/conversion.md, OpenAI client to Anthropic).
func chatViaAnthropic(route provider.Route, in *inbound) (exchange, *apiError) {
	out, meta, err := adapter.ChatToMessagesRequest(in.body, adapter.ChatRequestOptions{
		UpstreamModel:    route.UpstreamModel,
		DefaultMaxTokens: route.Provider.DefaultMaxTokens,
		AdaptiveThinking: adaptiveThinkingModel(route.UpstreamModel),
	})
	if err != nil {
		return exchange{}, conversionError(err)
	}
	return exchange{route: route, path: "/v1/messages", body: out,
		whole:  func(body []byte) ([]byte, adapter.Usage, error) { return adapter.MessagesToChatResponse(body, meta) },
		stream: func() streamConverter { return adapter.NewMessagesToChatStream(meta) }}, nil
}

// adaptiveModel matches Claude Opus/Sonnet 4.6 and later, where thinking
// budgets are deprecated in favour of {type:"adaptive"} plus an effort.
var adaptiveModel = regexp.MustCompile(`^claude-(opus|sonnet)-(4-([6-9]|\d\d)|[5-9])(\b|[-.@])`)

// adaptiveThinkingModel reports whether reasoning_effort should become
// adaptive thinking for this upstream model.
func adaptiveThinkingModel(model string) bool {
	return adaptiveModel.MatchString(model)
}

// messagesViaOpenAI serves an Anthropic Messages request with an openai
// provider (docs/conversion.md, Anthropic client to OpenAI).
func messagesViaOpenAI(route provider.Route, in *inbound) (exchange, *apiError) {
	out, meta, err := adapter.MessagesToChatRequest(in.body, adapter.MessagesRequestOptions{UpstreamModel: route.UpstreamModel})
	if err != nil {
		return exchange{}, conversionError(err)
	}
	return exchange{route: route, path: "/chat/completions", body: out,
		whole:  func(body []byte) ([]byte, adapter.Usage, error) { return adapter.ChatToMessagesResponse(body, meta) },
		stream: func() streamConverter { return adapter.NewChatToMessagesStream(meta) }}, nil
}

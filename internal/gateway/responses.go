package gateway

import (
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

// droppedToolsHeader names the hosted tools a conversion left out
// (docs/responses.md): the upstream cannot run them, and Codex sends
// web_search by default, so they are not refused.
const droppedToolsHeader = "X-Aigw-Dropped-Tools"

// handleResponses serves POST /v1/responses (README, "Responses API"):
// passed through to openai providers with responses = "native", converted
// to Chat Completions for those with "chat", to Messages for anthropic
// providers. A route converts per target.
func (s *Server) handleResponses(c *gin.Context, rs *reqState) {
	in, ok := s.readAndResolve(c, rs)
	if !ok {
		return
	}
	s.serveTargets(c, rs, in, func(route provider.Route, body []byte) (exchange, *apiError) {
		c.Writer.Header().Del(droppedToolsHeader) // a previous target's conversion
		switch {
		case route.Provider.Type == config.TypeAnthropic:
			return responsesViaAnthropic(c, rs, route, in)
		case route.Provider.Responses == config.ResponsesChat:
			return responsesViaChat(c, rs, route, in)
		}
		return openAIExchange(route, in, body, "/responses"), nil
	})
}

// responsesViaChat serves a Responses request with an openai provider
// that has only Chat Completions.
func responsesViaChat(c *gin.Context, rs *reqState, route provider.Route, in *inbound) (exchange, *apiError) {
	out, meta, err := adapter.ResponsesToChatRequest(in.body, adapter.ResponsesRequestOptions{UpstreamModel: route.UpstreamModel})
	if err != nil {
		return exchange{}, conversionError(err)
	}
	prepareResponsesMeta(c, rs, &meta)
	return exchange{route: route, path: "/chat/completions", body: out,
		whole:  func(body []byte) ([]byte, adapter.Usage, error) { return adapter.ChatToResponsesResponse(body, meta) },
		stream: func() streamConverter { return adapter.NewChatToResponsesStream(meta) }}, nil
}

// responsesViaAnthropic serves a Responses request with an anthropic
// provider.
func responsesViaAnthropic(c *gin.Context, rs *reqState, route provider.Route, in *inbound) (exchange, *apiError) {
	out, meta, err := adapter.ResponsesToMessagesRequest(in.body, adapter.ResponsesRequestOptions{
		UpstreamModel:    route.UpstreamModel,
		DefaultMaxTokens: route.Provider.DefaultMaxTokens,
		AdaptiveThinking: adaptiveThinkingModel(route.UpstreamModel),
	})
	if err != nil {
		return exchange{}, conversionError(err)
	}
	prepareResponsesMeta(c, rs, &meta)
	return exchange{route: route, path: "/v1/messages", body: out,
		whole:  func(body []byte) ([]byte, adapter.Usage, error) { return adapter.MessagesToResponsesResponse(body, meta) },
		stream: func() streamConverter { return adapter.NewMessagesToResponsesStream(meta) }}, nil
}

// prepareResponsesMeta gives the converted answer the request's id (the
// response object's id is resp_ + the log row's id, so a client's
// response id finds its row) and announces dropped tools.
func prepareResponsesMeta(c *gin.Context, rs *reqState, meta *adapter.ResponsesMeta) {
	meta.ResponseID = "resp_" + strings.TrimPrefix(rs.id, "req_")
	if len(meta.DroppedTools) > 0 {
		c.Writer.Header().Set(droppedToolsHeader, strings.Join(meta.DroppedTools, ", "))
	}
}

package gateway

import (
	"errors"
	"fmt"
	"net/http"
	"regexp"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/pkg/adapter"
	"github.com/aigw/aigw/pkg/provider"
	"github.com/aigw/aigw/pkg/sse"
)

// streamConverter is the common shape of the two stream adapters.
type streamConverter interface {
	Event(ev sse.Event) ([]byte, error)
	Finish() []byte
	Usage() adapter.Usage
	Failed() (bool, string)
}

// conversionError turns an adapter error into the gateway's.
func conversionError(err error) *apiError {
	var ae *adapter.Error
	if errors.As(err, &ae) {
		return &apiError{status: ae.Status, typ: ae.Type, code: ae.Code, param: ae.Param, message: ae.Message}
	}
	return newAPIError(http.StatusBadRequest, codeInvalidParameter, err.Error())
}

// chatViaAnthropic serves an OpenAI Chat Completions request with an
// anthropic provider (CONVERSION.md direction A).
func (s *Server) chatViaAnthropic(c *gin.Context, route provider.Route, in *inbound) {
	out, meta, err := adapter.ChatToMessagesRequest(in.body, adapter.ChatRequestOptions{
		UpstreamModel:    route.UpstreamModel,
		DefaultMaxTokens: route.Provider.DefaultMaxTokens,
		AdaptiveThinking: adaptiveThinkingModel(route.UpstreamModel),
	})
	if err != nil {
		abortWithError(c, conversionError(err))
		return
	}
	s.convertCall(c, route, out, "/v1/messages", in.stream,
		func(body []byte) ([]byte, adapter.Usage, error) { return adapter.MessagesToChatResponse(body, meta) },
		func() streamConverter { return adapter.NewMessagesToChatStream(meta) })
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
// provider (CONVERSION.md direction B).
func (s *Server) messagesViaOpenAI(c *gin.Context, route provider.Route, in *inbound) {
	out, meta, err := adapter.MessagesToChatRequest(in.body, adapter.MessagesRequestOptions{UpstreamModel: route.UpstreamModel})
	if err != nil {
		abortWithError(c, conversionError(err))
		return
	}
	s.convertCall(c, route, out, "/chat/completions", in.stream,
		func(body []byte) ([]byte, adapter.Usage, error) { return adapter.ChatToMessagesResponse(body, meta) },
		func() streamConverter { return adapter.NewChatToMessagesStream(meta) })
}

// convertCall sends a converted request and converts the answer back.
func (s *Server) convertCall(c *gin.Context, route provider.Route, body []byte, path string, stream bool,
	convertBody func([]byte) ([]byte, adapter.Usage, error), newStream func() streamConverter) {
	rs := state(c)
	resp, aerr := s.send(c.Request.Context(), rs, &upstreamCall{route: route, path: path, body: body, header: c.Request.Header})
	if aerr != nil {
		s.fail(c, aerr)
		return
	}
	defer resp.done()
	if resp.StatusCode >= 400 {
		s.relayError(c, resp)
		return
	}
	if stream && isEventStream(resp.Header) {
		s.relayConverted(c, resp, route.Provider, newStream())
		return
	}
	raw, err := readUpstreamBody(resp.Response)
	if err != nil {
		if c.Request.Context().Err() != nil {
			s.fail(c, clientGone())
			return
		}
		abortWithError(c, newAPIError(http.StatusBadGateway, codeUpstreamError,
			fmt.Sprintf("provider %s broke off its answer: %v", route.Provider.Name, err)))
		return
	}
	out, usage, err := convertBody(raw)
	if err != nil {
		abortWithError(c, newAPIError(http.StatusBadGateway, codeUpstreamError,
			fmt.Sprintf("provider %s sent an answer aigw cannot convert: %v", route.Provider.Name, err)))
		return
	}
	setUsage(&rs.row, usage)
	if s.cfg.Logging.StoreBodies {
		rs.row.ResponseBody = string(raw)
	}
	c.Data(http.StatusOK, "application/json", out)
}

// relayConverted converts an upstream stream event by event.
func (s *Server) relayConverted(c *gin.Context, resp *upstreamResponse, p *provider.Provider, conv streamConverter) {
	rs := state(c)
	startStream(c, nil)
	r := s.newStreamRelay(c, resp, p)
	for {
		ev, err := r.next()
		if err == nil {
			out, cerr := conv.Event(ev)
			if cerr != nil {
				s.log.Warn("stream conversion error", "request_id", rs.id, "error", cerr)
			}
			if !r.write(out) {
				setUsage(&rs.row, conv.Usage())
				s.finishStream(c, r, true, "")
				return
			}
		}
		if err != nil {
			break
		}
	}
	gone := c.Request.Context().Err() != nil
	if !gone {
		gone = !r.write(conv.Finish())
	}
	setUsage(&rs.row, conv.Usage())
	broken := ""
	if failed, msg := conv.Failed(); failed {
		broken = msg
	}
	s.finishStream(c, r, gone, broken)
}

// handleCountTokens serves POST /v1/messages/count_tokens: passed to
// anthropic providers, estimated locally for openai ones.
func (s *Server) handleCountTokens(c *gin.Context) {
	in, ok := s.readBody(c)
	if !ok {
		return
	}
	route, ok := s.resolve(c, in.model)
	if !ok {
		return
	}
	if route.Provider.Type != "openai" {
		s.proxyAnthropic(c, route, in, "/v1/messages/count_tokens")
		return
	}
	n, err := adapter.EstimateInputTokens(in.body)
	if err != nil {
		abortWithError(c, conversionError(err))
		return
	}
	state(c).row.PromptTokens = int64(n)
	c.JSON(http.StatusOK, gin.H{"input_tokens": n})
}

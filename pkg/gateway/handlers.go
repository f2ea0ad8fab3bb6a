package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/aigw/aigw/pkg/config"
	"github.com/aigw/aigw/pkg/jsonx"
	"github.com/aigw/aigw/pkg/provider"
)

// handleChatCompletions serves POST /v1/chat/completions.
func (s *Server) handleChatCompletions(c *gin.Context) {
	in, ok := s.readBody(c)
	if !ok {
		return
	}
	route, ok := s.resolve(c, in.model)
	if !ok {
		return
	}
	if route.Provider.Type == config.TypeAnthropic {
		s.chatViaAnthropic(c, route, in)
		return
	}
	s.proxyOpenAI(c, route, in, "/chat/completions")
}

// handleMessages serves POST /v1/messages (Anthropic in).
func (s *Server) handleMessages(c *gin.Context) {
	in, ok := s.readBody(c)
	if !ok {
		return
	}
	route, ok := s.resolve(c, in.model)
	if !ok {
		return
	}
	if route.Provider.Type == config.TypeAnthropic {
		s.proxyAnthropic(c, route, in, "/v1/messages")
		return
	}
	s.messagesViaOpenAI(c, route, in)
}

// handlePassthrough serves the other POST /v1/* endpoints that carry a
// model (embeddings, completions, responses, ...) for openai providers.
func (s *Server) handlePassthrough(c *gin.Context) {
	in, ok := s.readBody(c)
	if !ok {
		return
	}
	route, ok := s.resolve(c, in.model)
	if !ok {
		return
	}
	path := c.Param("path")
	if !safeUpstreamPath(path) {
		abortWithError(c, newAPIError(http.StatusBadRequest, codeUnsupported,
			"invalid path: it may not contain '..', '//', '%', '?', '#' or '\\' (the gateway never lets a request steer the upstream URL)"))
		return
	}
	if route.Provider.Type != config.TypeOpenAI {
		abortWithError(c, newAPIError(http.StatusBadRequest, codeUnsupported,
			"POST /v1"+path+" is only served by openai-type providers; "+route.Provider.Name+" is "+route.Provider.Type+
				" (use /v1/chat/completions or /v1/messages for it)"))
		return
	}
	s.proxyOpenAI(c, route, in, path)
}

// safeUpstreamPath reports whether a client path can be appended to a
// provider's base URL as is: no dot segments or doubled slashes that an
// upstream would resolve outside the base path, no characters that would
// turn into a query or fragment.
func safeUpstreamPath(p string) bool {
	return !strings.Contains(p, "..") && !strings.Contains(p, "//") && !strings.ContainsAny(p, "%?#\\")
}

// modelEdit renames the model to the upstream's name with a byte-level
// edit: the body is never decoded whole on the passthrough path. It
// returns false when the name does not change.
func modelEdit(in *inbound, route provider.Route) (jsonx.Edit, bool) {
	if route.UpstreamModel == route.Requested {
		return jsonx.Edit{}, false
	}
	name, _ := json.Marshal(route.UpstreamModel)
	return jsonx.Edit{At: in.members[memberModel], Value: name}, true
}

// rewriteModel returns the body with the upstream model name. The body is
// the gateway's own copy, edited in place when it fits (the usual case: the
// provider prefix goes), so a large body is not copied once more.
func rewriteModel(in *inbound, route provider.Route) []byte {
	e, ok := modelEdit(in, route)
	if !ok {
		return in.body
	}
	return jsonx.Splice(in.body, []jsonx.Edit{e})
}

// includeUsageEdit sets stream_options.include_usage to true, unless the
// client asked for it already. Only the small stream_options value is
// edited, or the member is added at the end of the body.
func includeUsageEdit(in *inbound) (jsonx.Edit, bool) {
	sp := in.members[memberStreamOptions]
	if !sp.Found() {
		end := bytes.LastIndexByte(in.body, '}') // the root object's closer: CheckMembers accepted it
		return jsonx.Edit{At: jsonx.Span{Start: end, End: end}, Value: []byte(`,"stream_options":{"include_usage":true}`)}, true
	}
	opts := in.body[sp.Start:sp.End]
	if opts[0] != '{' { // the span is a valid value: CheckMembers read it
		// null or another non-object: replaced, as the upstream would
		// reject it anyway.
		return jsonx.Edit{At: sp, Value: []byte(`{"include_usage":true}`)}, true
	}
	if gjson.GetBytes(opts, "include_usage").Bool() {
		return jsonx.Edit{}, false
	}
	v, err := sjson.SetBytes(opts, "include_usage", true)
	if err != nil {
		return jsonx.Edit{}, false // cannot happen for a valid object; the stream then goes without usage
	}
	return jsonx.Edit{At: sp, Value: v}, true
}

// usageInjectable lists the OpenAI endpoints whose streams report usage
// only when stream_options.include_usage is set.
func usageInjectable(path string) bool {
	return path == "/chat/completions" || path == "/completions"
}

// proxyOpenAI forwards an OpenAI-protocol request to an openai provider.
func (s *Server) proxyOpenAI(c *gin.Context, route provider.Route, in *inbound, path string) {
	edits := make([]jsonx.Edit, 0, 2)
	if e, ok := modelEdit(in, route); ok {
		edits = append(edits, e)
	}
	clientWantsUsage := true
	if in.stream && usageInjectable(path) {
		if e, ok := includeUsageEdit(in); ok {
			// Ask for usage so the log row has token counts; the extra
			// chunk is removed from what this client sees.
			clientWantsUsage = false
			edits = append(edits, e)
		}
	}
	body := jsonx.Splice(in.body, edits)
	s.passthrough(c, route, body, path, usageOpenAI, func(resp *upstreamResponse) {
		s.relayOpenAIStream(c, resp, route.Provider, clientWantsUsage)
	})
}

// proxyAnthropic forwards an Anthropic-protocol request to an anthropic
// provider, model rewritten, stream relayed as is.
func (s *Server) proxyAnthropic(c *gin.Context, route provider.Route, in *inbound, path string) {
	body := rewriteModel(in, route)
	s.passthrough(c, route, body, path, usageAnthropic, func(resp *upstreamResponse) {
		s.relayAnthropicStream(c, resp, route.Provider)
	})
}

// passthrough sends body upstream in the client's own protocol and relays
// the answer: errors converted to the inbound shape, streams with relay,
// whole bodies as they are.
func (s *Server) passthrough(c *gin.Context, route provider.Route, body []byte, path string,
	usage usageFunc, relay func(*upstreamResponse)) {
	resp, aerr := s.send(c.Request.Context(), state(c), &upstreamCall{
		route: route, path: path, query: c.Request.URL.RawQuery, body: body, header: c.Request.Header,
	})
	if aerr != nil {
		s.fail(c, aerr)
		return
	}
	defer resp.done()
	switch {
	case resp.StatusCode >= 400:
		s.relayError(c, resp)
	case isEventStream(resp.Header):
		relay(resp)
	default:
		s.relayBody(c, resp, usage)
	}
}

// fail answers a request that got no usable upstream response.
func (s *Server) fail(c *gin.Context, aerr *apiError) {
	if aerr.status == statusClientClosed {
		rs := state(c)
		rs.row.StatusCode = statusClientClosed
		rs.row.Error = aerr.message
		c.Abort()
		return
	}
	abortWithError(c, aerr)
}

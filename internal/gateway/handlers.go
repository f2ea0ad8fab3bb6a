package gateway

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/jsonx"
	"github.com/aigw/aigw/internal/provider"
)

func (s *Server) dispatchPost(c *gin.Context, rs *reqState, path string) {
	switch path {
	case "/chat/completions":
		s.handleChatCompletions(c, rs)
	case "/messages":
		s.handleMessages(c, rs)
	case "/messages/count_tokens":
		s.handleCountTokens(c, rs)
	case "/responses":
		s.handleResponses(c, rs)
	default:
		s.handlePassthrough(c, rs, path)
	}
}

func (s *Server) dispatchGet(c *gin.Context, rs *reqState, path string) {
	switch {
	case path == "/models" || path == "/models/":
		s.handleModels(c, rs)
	case strings.HasPrefix(path, "/models/"):
		s.handleModel(c, rs, strings.TrimPrefix(path, "/models/"))
	default:
		rs.reject(c, newAPIError(http.StatusNotFound, "not_found", "no route for GET /v1"+sanitizePath(path)))
	}
}

// handleChatCompletions serves POST /v1/chat/completions.
func (s *Server) handleChatCompletions(c *gin.Context, rs *reqState) {
	in, ok := s.readAndResolve(c, rs)
	if !ok {
		return
	}
	s.serveTargets(c, rs, in, func(route provider.Route, body []byte) (exchange, *apiError) {
		if route.Provider.Type == config.TypeAnthropic {
			return chatViaAnthropic(route, in)
		}
		return openAIExchange(route, in, body, "/chat/completions"), nil
	})
}

// handleMessages serves POST /v1/messages (Anthropic in).
func (s *Server) handleMessages(c *gin.Context, rs *reqState) {
	in, ok := s.readAndResolve(c, rs)
	if !ok {
		return
	}
	s.serveTargets(c, rs, in, func(route provider.Route, body []byte) (exchange, *apiError) {
		if route.Provider.Type == config.TypeAnthropic {
			return anthropicExchange(route, in, body, "/v1/messages"), nil
		}
		return messagesViaOpenAI(route, in)
	})
}

// handleCountTokens serves POST /v1/messages/count_tokens: passed to
// anthropic providers, estimated locally for openai ones. A route counts
// with its first target: nothing is generated, nothing fails over.
func (s *Server) handleCountTokens(c *gin.Context, rs *reqState) {
	in, ok := s.readAndResolve(c, rs)
	if !ok {
		return
	}
	route := rs.route
	if route.Provider.Type != config.TypeOpenAI {
		ex := anthropicExchange(route, in, in.body, "/v1/messages/count_tokens")
		s.forward(c, rs, ex, false)
		return
	}
	n, err := adapter.EstimateInputTokens(in.body)
	if err != nil {
		rs.reject(c, conversionError(err))
		return
	}
	rs.row.PromptTokens = int64(n)
	c.JSON(http.StatusOK, gin.H{"input_tokens": n})
}

func (s *Server) readAndResolve(c *gin.Context, rs *reqState) (*inbound, bool) {
	in, ok := s.readBody(c, rs)
	if !ok {
		return nil, false
	}
	return in, s.resolve(c, rs, in.model)
}

// builtinPassthrough are the POST /v1 paths forwarded to openai providers
// besides chat completions: endpoints that answer a model call. Others
// (files, fine-tuning, batches, assistants, realtime sessions that mint
// tokens) would spend the operator's key beyond the gateway's view; a
// provider opens them with passthrough_paths. A trailing "/*" takes every
// path below.
var builtinPassthrough = []string{"/completions", "/embeddings", "/responses", "/moderations", "/audio/*", "/images/*", "/rerank"}

// pathAllowed reports whether path matches one of the patterns.
func pathAllowed(path string, patterns []string) bool {
	for _, p := range patterns {
		if dir, ok := strings.CutSuffix(p, "/*"); ok {
			if strings.HasPrefix(path, dir+"/") {
				return true
			}
		} else if path == p {
			return true
		}
	}
	return false
}

// anyProviderAllows reports whether some provider's passthrough_paths
// opens path; the body is read only then.
func (s *Server) anyProviderAllows(path string) bool {
	for _, p := range s.reg.Providers() {
		if pathAllowed(path, p.PassthroughPaths) {
			return true
		}
	}
	return false
}

// handlePassthrough serves the other POST /v1 endpoints that carry a model
// (embeddings, completions, responses, ...) for openai providers. The path
// is checked before the body is read.
func (s *Server) handlePassthrough(c *gin.Context, rs *reqState, path string) {
	if !safeUpstreamPath(path) {
		rs.reject(c, newAPIError(http.StatusBadRequest, codeUnsupported,
			"invalid path: it may not contain control characters, '..', '//', '%', '?', '#' or '\\\\' (the gateway never lets a request steer the upstream URL)"))
		return
	}
	builtin := pathAllowed(path, builtinPassthrough)
	if !builtin && !s.anyProviderAllows(path) {
		rs.reject(c, unforwardedPath(path))
		return
	}
	in, ok := s.readAndResolve(c, rs)
	if !ok {
		return
	}
	s.serveTargets(c, rs, in, func(route provider.Route, body []byte) (exchange, *apiError) {
		if !builtin && !pathAllowed(path, route.Provider.PassthroughPaths) {
			return exchange{}, skipTarget(unforwardedPath(path))
		}
		if route.Provider.Type != config.TypeOpenAI {
			return exchange{}, skipTarget(newAPIError(http.StatusBadRequest, codeUnsupported,
				"POST /v1"+path+" is only served by openai-type providers; "+route.Provider.Name+" is "+route.Provider.Type+
					" (use /v1/chat/completions or /v1/messages for it)"))
		}
		return openAIExchange(route, in, body, path), nil
	})
}

func unforwardedPath(path string) *apiError {
	return newAPIError(http.StatusNotFound, codeUnsupported,
		"POST /v1"+path+" is not forwarded: aigw forwards chat/completions, completions, embeddings, responses, moderations, audio, images and rerank; "+
			"an operator can open other paths for a provider with passthrough_paths")
}

// safeUpstreamPath reports whether a client path can be appended to a
// provider's base URL as is: no dot segments or doubled slashes that an
// upstream would resolve outside the base path, no characters that would
// turn into a query or fragment, no control characters.
func safeUpstreamPath(p string) bool {
	return !strings.Contains(p, "..") && !strings.Contains(p, "//") && !strings.ContainsAny(p, "%?#\\") &&
		strings.IndexFunc(p, isControl) < 0
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

// openAIExchange forwards an OpenAI-protocol request to an openai
// provider, the model renamed by a byte-level edit of body (in's body or
// a copy of it: the edit may work in place).
func openAIExchange(route provider.Route, in *inbound, body []byte, path string) exchange {
	edits := make([]jsonx.Edit, 0, 2)
	if e, ok := modelEdit(in, route); ok {
		edits = append(edits, e)
	}
	hideUsage := false
	if in.stream && usageInjectable(path) {
		if e, ok := includeUsageEdit(in); ok {
			// Ask for usage so the log row has token counts; the extra
			// chunk is removed from what this client sees.
			hideUsage = true
			edits = append(edits, e)
		}
	}
	stream := func() streamConverter { return &chatRelay{hideUsageChunk: hideUsage} }
	if path == "/responses" {
		stream = func() streamConverter { return &responsesRelay{} }
	}
	return exchange{route: route, path: path, body: jsonx.Splice(body, edits),
		whole: wholeOpenAI, stream: stream, upstreamHeaders: true}
}

// anthropicExchange forwards an Anthropic-protocol request to an anthropic
// provider, model renamed, stream relayed as is.
func anthropicExchange(route provider.Route, in *inbound, body []byte, path string) exchange {
	var edits []jsonx.Edit
	if e, ok := modelEdit(in, route); ok {
		edits = append(edits, e)
	}
	return exchange{route: route, path: path, body: jsonx.Splice(body, edits),
		whole: wholeAnthropic, stream: func() streamConverter { return &messagesRelay{} }, upstreamHeaders: true}
}

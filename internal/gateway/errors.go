package gateway

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/adapter"
)

// Inbound protocol of a request, which decides the shape of its errors.
const (
	formatOpenAI    = "openai"
	formatAnthropic = "anthropic"
	// formatResponses is the OpenAI Responses API: OpenAI's error shape,
	// its own stream events; logged as inbound_format "responses".
	formatResponses = "responses"
)

// apiError is an error the gateway itself answers with.
type apiError struct {
	status  int
	typ     string // OpenAI error type
	code    string // OpenAI error code
	param   string
	message string
	// retryAfter, when set, is sent as the Retry-After header (seconds).
	retryAfter int
	// skip: the error rules out one target of a route, not the request.
	skip bool
}

// Error codes of the gateway's own errors.
const (
	codeInvalidJSON        = "invalid_json"
	codeMissingModel       = "missing_model"
	codeModelNotFound      = "model_not_found"
	codeBodyTooLarge       = "request_too_large"
	codeBodyTimeout        = "request_timeout"
	codeBodyRead           = "body_read_error"
	codeInvalidAPIKey      = "invalid_api_key"
	codeUpstreamError      = "upstream_unreachable"
	codeUpstreamTimeout    = "upstream_timeout"
	codeUpstreamAuth       = "upstream_auth_failed"
	codeUpstreamTooLarge   = "upstream_response_too_large"
	codeUpstreamBadAnswer  = "upstream_bad_response"
	codeUnsupported        = "unsupported_endpoint"
	codeInternal           = "internal_error"
	codeInvalidParameter   = "invalid_parameter"
	codeShuttingDown       = "shutting_down"
	codeRateLimitExhausted = "rate_limit_exceeded"
	codeModelNotAllowed    = "model_not_allowed"
	codeInsufficientQuota  = "insufficient_quota"
	codeLimitsUnavailable  = "limits_unavailable"
)

// statusClientClosed is nginx's code for a client that went away.
const statusClientClosed = 499

func newAPIError(status int, code, message string) *apiError {
	return &apiError{status: status, typ: adapter.OpenAIErrorType(status), code: code, message: message}
}

// clientGone is the outcome when the client disconnected first; nothing
// can be written, but the log row shows 499.
func clientGone() *apiError {
	return &apiError{status: statusClientClosed, typ: "client_closed", message: "client closed the connection"}
}

// body renders the error in the inbound protocol's shape.
func (e *apiError) body(format string) []byte {
	if format == formatAnthropic {
		return adapter.AnthropicErrorBody(e.status, e.message)
	}
	return adapter.OpenAIErrorBody(e.status, e.typ, e.code, e.param, e.message)
}

// writeError answers with err in the given protocol's shape and stops the
// handler chain. The content type is set, not defaulted: headers copied
// from an upstream (text/html error pages) must not survive into it.
func writeError(c *gin.Context, format string, err *apiError) {
	if err.retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(err.retryAfter))
	}
	c.Header("Content-Type", "application/json")
	c.Data(err.status, "application/json", err.body(format))
	c.Abort()
}

// reject answers a /v1 request with the gateway's own error and records it
// on the request's log row. A client that is gone gets nothing written.
func (rs *reqState) reject(c *gin.Context, err *apiError) {
	if rs.row.Error == "" {
		rs.row.Error = err.message
	}
	if err.status == statusClientClosed {
		rs.row.StatusCode = statusClientClosed
		c.Abort()
		return
	}
	if !rs.bodyRead && c.Request.ContentLength != 0 {
		// The body was not read (an unauthenticated client, a refused
		// path, a slow or broken body): close the connection after the
		// answer instead of letting net/http drain what is left.
		c.Header("Connection", "close")
	}
	writeError(c, rs.format, err)
}

// notFound answers a path no route serves.
func notFound(c *gin.Context, format string) {
	writeError(c, format, newAPIError(http.StatusNotFound, "not_found",
		"no route for "+c.Request.Method+" "+sanitizePath(c.Request.URL.Path)))
}

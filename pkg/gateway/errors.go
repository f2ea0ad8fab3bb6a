package gateway

import (
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/pkg/adapter"
)

// Inbound protocol of a request, which decides the shape of its errors.
const (
	formatOpenAI    = "openai"
	formatAnthropic = "anthropic"
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
}

// Error codes of the gateway's own errors.
const (
	codeInvalidJSON      = "invalid_json"
	codeMissingModel     = "missing_model"
	codeModelNotFound    = "model_not_found"
	codeBodyTooLarge     = "request_too_large"
	codeInvalidAPIKey    = "invalid_api_key"
	codeUpstreamError    = "upstream_unreachable"
	codeUpstreamTimeout  = "upstream_timeout"
	codeUpstreamAuth     = "upstream_auth_failed"
	codeNoUsableKey      = "no_usable_key"
	codeUnsupported      = "unsupported_endpoint"
	codeInternal         = "internal_error"
	codeInvalidParameter = "invalid_parameter"
)

func newAPIError(status int, code, message string) *apiError {
	return &apiError{status: status, typ: adapter.OpenAIErrorType(status), code: code, message: message}
}

// body renders the error in the inbound protocol's shape.
func (e *apiError) body(format string) []byte {
	if format == formatAnthropic {
		return adapter.AnthropicErrorBody(e.status, e.message)
	}
	return adapter.OpenAIErrorBody(e.status, e.typ, e.code, e.param, e.message)
}

// abortWithError writes err in the request's inbound shape, records it on
// the log row and stops the handler chain.
func abortWithError(c *gin.Context, err *apiError) {
	rs := state(c)
	if rs != nil && rs.row.Error == "" {
		rs.row.Error = err.message
	}
	format := formatOpenAI
	if rs != nil {
		format = rs.format
	}
	if err.retryAfter > 0 {
		c.Header("Retry-After", strconv.Itoa(err.retryAfter))
	}
	c.Data(err.status, "application/json", err.body(format))
	c.Abort()
}

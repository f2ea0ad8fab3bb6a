package adapter

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/clip"
)

// Error is a conversion/validation failure the gateway renders in the
// inbound protocol's shape.
type Error struct {
	Status  int
	Type    string // OpenAI-style type, e.g. invalid_request_error
	Param   string
	Code    string
	Message string
}

func (e *Error) Error() string {
	if e.Param != "" {
		return fmt.Sprintf("%s (param %s)", e.Message, e.Param)
	}
	return e.Message
}

// badRequest is the common client-mistake error: 400 invalid_request_error
// naming the offending field.
func badRequest(param, format string, args ...any) *Error {
	return &Error{
		Status:  http.StatusBadRequest,
		Type:    "invalid_request_error",
		Param:   param,
		Code:    "invalid_parameter",
		Message: fmt.Sprintf(format, args...),
	}
}

// unsupported is a 400 for a field that is valid in the inbound protocol
// but has no equivalent upstream.
func unsupported(param, format string, args ...any) *Error {
	e := badRequest(param, format, args...)
	e.Code = "unsupported_parameter"
	return e
}

// OpenAIErrorBody renders {"error":{"message","type","param","code"}};
// param and code are null when empty. An empty typ is derived from status.
func OpenAIErrorBody(status int, typ, code, param, message string) []byte {
	if typ == "" {
		typ = OpenAIErrorType(status)
	}
	w := jw{b: make([]byte, 0, 96+len(message))}
	w.open()
	w.key("error")
	w.open()
	w.key("message")
	w.str(message)
	w.key("type")
	w.str(typ)
	w.key("param")
	if param == "" {
		w.null()
	} else {
		w.str(param)
	}
	w.key("code")
	if code == "" {
		w.null()
	} else {
		w.str(code)
	}
	w.close()
	w.close()
	return w.b
}

// OpenAIErrorType is the OpenAI-style error type for a status, used when
// the upstream gave none.
func OpenAIErrorType(status int) string {
	switch {
	case status == http.StatusUnauthorized:
		return "authentication_error"
	case status == http.StatusForbidden:
		return "permission_error"
	case status == http.StatusNotFound:
		return "not_found_error"
	case status == http.StatusTooManyRequests:
		return "rate_limit_error"
	case status >= 500:
		return "server_error"
	default:
		return "invalid_request_error"
	}
}

// AnthropicErrorBody renders {"type":"error","error":{"type","message"}}
// with the type derived from status (docs/conversion.md, "Errors").
func AnthropicErrorBody(status int, message string) []byte {
	return anthropicErrorBody(AnthropicErrorType(status), message)
}

func anthropicErrorBody(typ, message string) []byte {
	w := jw{b: make([]byte, 0, 64+len(message))}
	w.open()
	w.key("type")
	w.str("error")
	w.key("error")
	w.open()
	w.key("type")
	w.str(typ)
	w.key("message")
	w.str(message)
	w.close()
	w.close()
	return w.b
}

// AnthropicErrorType maps an HTTP status to Anthropic's error type (docs/conversion.md, "Errors").
func AnthropicErrorType(status int) string {
	switch status {
	case http.StatusBadRequest:
		return "invalid_request_error"
	case http.StatusUnauthorized:
		return "authentication_error"
	case http.StatusForbidden:
		return "permission_error"
	case http.StatusNotFound:
		return "not_found_error"
	case http.StatusRequestEntityTooLarge:
		return "request_too_large"
	case http.StatusTooManyRequests:
		return "rate_limit_error"
	case http.StatusServiceUnavailable, 529:
		return "overloaded_error"
	}
	if status >= 500 {
		return "api_error"
	}
	if status >= 400 {
		// 402, 405, 409, 422...: the request was refused for a reason the
		// client must fix; Anthropic has no finer type.
		return "invalid_request_error"
	}
	return "api_error"
}

// anthropicErrorTypes is the documented set; anything else from an
// upstream is replaced by the status-derived type so clients never see an
// invented type.
func isAnthropicErrorType(t string) bool {
	switch t {
	case "invalid_request_error", "authentication_error", "permission_error", "not_found_error",
		"request_too_large", "rate_limit_error", "api_error", "overloaded_error", "billing_error", "timeout_error":
		return true
	}
	return false
}

// upstreamMessage extracts a human-readable message from any upstream error
// body: Anthropic {"type":"error","error":{...}}, OpenAI {"error":{...}},
// {"error":"text"}, {"message":"text"}, HTML or plain text.
func upstreamMessage(status int, body []byte) string {
	s := string(body)
	if checkUpstream(body) == "" {
		r := gjson.Parse(s)
		e := r.Get("error")
		switch {
		case e.IsObject():
			if m := e.Get("message"); m.Type == gjson.String && m.Str != "" {
				return withRequestID(m.Str, r)
			}
			if m := e.Get("msg"); m.Type == gjson.String && m.Str != "" {
				return withRequestID(m.Str, r)
			}
		case e.Type == gjson.String && e.Str != "":
			if m := r.Get("message"); m.Type == gjson.String && m.Str != "" {
				return e.Str + ": " + m.Str
			}
			return e.Str
		}
		if m := r.Get("message"); m.Type == gjson.String && m.Str != "" {
			return m.Str
		}
		if m := r.Get("detail"); m.Type == gjson.String && m.Str != "" {
			return m.Str
		}
	}
	text := strings.TrimSpace(s)
	if strings.HasPrefix(text, "<") {
		// HTML from a proxy or load balancer: its title says the most.
		text = htmlTitle(text)
	}
	text = strings.Join(strings.Fields(text), " ")
	if len(text) > 300 {
		text = clip.UTF8(text, 300) + "..."
	}
	statusText := http.StatusText(status)
	if statusText == "" {
		statusText = "error"
	}
	if text == "" {
		return fmt.Sprintf("upstream returned HTTP %d %s", status, statusText)
	}
	return fmt.Sprintf("upstream returned HTTP %d %s: %s", status, statusText, text)
}

// withRequestID appends the upstream's request_id (Anthropic puts it in the
// body) so the operator can quote it to the provider.
func withRequestID(msg string, r gjson.Result) string {
	if id := r.Get("request_id"); id.Type == gjson.String && id.Str != "" && !strings.Contains(msg, id.Str) {
		return msg + " (request_id: " + id.Str + ")"
	}
	return msg
}

func htmlTitle(h string) string {
	lower := strings.ToLower(h)
	if i := strings.Index(lower, "<title>"); i >= 0 {
		rest := h[i+len("<title>"):]
		if j := strings.Index(strings.ToLower(rest), "</title>"); j >= 0 {
			return rest[:j]
		}
	}
	// No title: strip tags crudely; this only feeds an error message.
	var b strings.Builder
	in := false
	for _, r := range h {
		switch {
		case r == '<':
			in = true
			b.WriteByte(' ')
		case r == '>':
			in = false
		case !in:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// OpenAIErrorFromUpstream converts any upstream error body (Anthropic,
// OpenAI or garbage/HTML) to the OpenAI shape, preserving the message.
func OpenAIErrorFromUpstream(status int, upstreamBody []byte) []byte {
	msg := upstreamMessage(status, upstreamBody)
	typ, code, param := "", "", ""
	s := string(upstreamBody)
	if checkUpstream(upstreamBody) == "" {
		e := gjson.Get(s, "error")
		if e.IsObject() {
			if t := e.Get("type"); t.Type == gjson.String {
				typ = t.Str
			}
			switch c := e.Get("code"); c.Type {
			case gjson.String:
				code = c.Str
			case gjson.Number:
				code = c.Raw
			}
			if p := e.Get("param"); p.Type == gjson.String {
				param = p.Str
			}
		}
	}
	return OpenAIErrorBody(status, typ, code, param, msg)
}

// AnthropicErrorFromUpstream converts any upstream error body to the
// Anthropic shape; an Anthropic-shaped body is passed through unchanged.
func AnthropicErrorFromUpstream(status int, upstreamBody []byte) []byte {
	s := string(upstreamBody)
	valid := checkUpstream(upstreamBody) == ""
	if valid {
		r := gjson.Parse(s)
		if r.Get("type").Str == "error" && r.Get("error").IsObject() &&
			r.Get("error.type").Type == gjson.String && r.Get("error.message").Type == gjson.String {
			return upstreamBody
		}
	}
	typ := AnthropicErrorType(status)
	if valid {
		// An OpenAI-compatible upstream sometimes already uses an Anthropic
		// type name (e.g. a proxy in front of Claude); keep it when valid.
		if t := gjson.Get(s, "error.type"); t.Type == gjson.String && isAnthropicErrorType(t.Str) {
			typ = t.Str
		}
	}
	return anthropicErrorBody(typ, upstreamMessage(status, upstreamBody))
}

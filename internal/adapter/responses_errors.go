package adapter

import "strings"

// responsesErrorCode maps an upstream error (OpenAI type and code, or an
// Anthropic type, and its message) to the code of a Responses error. Codex
// acts on four of them: context_length_exceeded and insufficient_quota stop
// it, rate_limit_exceeded makes it wait the time the message names, the
// rest are retried (docs/responses.md, "Errors").
func responsesErrorCode(typ, code, msg string) string {
	for _, c := range [...]string{code, typ} {
		switch c {
		case "rate_limit_exceeded", "context_length_exceeded", "insufficient_quota",
			"server_is_overloaded", "server_error", "invalid_prompt", "usage_not_included":
			return c
		case "rate_limit_error", "requests", "tokens", "too_many_requests":
			return "rate_limit_exceeded"
		case "overloaded_error", "server_overloaded", "overloaded":
			return "server_is_overloaded"
		case "billing_error", "quota_exceeded":
			return "insufficient_quota"
		}
	}
	if mentionsContextLimit(msg) {
		return "context_length_exceeded"
	}
	return "server_error"
}

// mentionsContextLimit recognises the providers' words for a prompt over
// the context window (Anthropic: "prompt is too long"; OpenAI-compatible
// servers: "maximum context length", "context window").
func mentionsContextLimit(msg string) bool {
	m := strings.ToLower(msg)
	for _, p := range [...]string{"prompt is too long", "context length", "context_length", "context window", "maximum context"} {
		if strings.Contains(m, p) {
			return true
		}
	}
	return false
}

// retryAfterHint is the wait named in a rate-limit message that does not
// name one. An error inside a stream comes without Retry-After, and Codex
// reads the wait from the message only ("try again in 1.5s").
const retryAfterHint = " Please try again in 5s."

// retryHint makes a rate_limit_exceeded message say when to try again.
func retryHint(code, msg string) string {
	if code != "rate_limit_exceeded" || hasRetryDelay(msg) {
		return msg
	}
	return strings.TrimRight(msg, " ") + retryAfterHint
}

// hasRetryDelay reports whether msg names a wait the way Codex parses it:
// "try again in", spaces, a number, spaces, then s, ms or second(s),
// case-insensitive.
func hasRetryDelay(msg string) bool {
	m := strings.ToLower(msg)
	for {
		i := strings.Index(m, "try again in")
		if i < 0 {
			return false
		}
		rest := strings.TrimLeft(m[i+len("try again in"):], " \t\n\r")
		digits := 0
		for digits < len(rest) && (rest[digits] >= '0' && rest[digits] <= '9' || rest[digits] == '.') {
			digits++
		}
		if digits > 0 && rest[0] != '.' {
			unit := strings.TrimLeft(rest[digits:], " \t\n\r")
			if strings.HasPrefix(unit, "s") || strings.HasPrefix(unit, "ms") {
				return true
			}
		}
		m = m[i+1:]
	}
}

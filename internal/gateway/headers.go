package gateway

import (
	"net/http"
	"strings"
)

// forwardedRequestHeaders are the only client headers sent upstream. An
// allowlist, not a denylist: clients send credentials under many names
// (Authorization, x-api-key, api-key, cookies, vendor headers) and none of
// them may reach a provider.
var forwardedRequestHeaders = []string{
	"Content-Type",
	"Accept",
	"User-Agent",
	"Openai-Beta",
	"Idempotency-Key",
}

// forwardedResponseHeaders are the only upstream response headers a client
// sees, besides those under forwardedResponsePrefixes. The same reasoning
// as for requests, the other way: upstreams send account names
// (openai-organization, openai-project), debug headers that carried the
// key, cookies and hop-by-hop fields, none of which is the client's.
var forwardedResponseHeaders = map[string]bool{
	"Content-Type":         true,
	"Retry-After":          true,
	"Retry-After-Ms":       true,
	"Request-Id":           true, // Anthropic's request id
	"Openai-Processing-Ms": true,
	"Openai-Version":       true,
}

// forwardedResponsePrefixes: the rate-limit headers of both protocols
// (x-ratelimit-remaining-requests, anthropic-ratelimit-tokens-reset, ...),
// which clients use to pace themselves.
var forwardedResponsePrefixes = []string{"X-Ratelimit-", "Anthropic-Ratelimit-"}

// copyResponseHeaders copies the allowed upstream headers to dst. The
// upstream's X-Request-Id arrives as X-Upstream-Request-Id: X-Request-Id is
// the gateway's own.
func copyResponseHeaders(dst, src http.Header) {
	for k, vv := range src {
		if forwardedResponseHeaders[k] || hasAnyPrefix(k, forwardedResponsePrefixes) {
			dst[k] = append(dst[k][:0:0], vv...)
		}
	}
	if id := src.Get("X-Request-Id"); id != "" {
		dst.Set("X-Upstream-Request-Id", id)
	}
}

func hasAnyPrefix(s string, prefixes []string) bool {
	for _, p := range prefixes {
		if strings.HasPrefix(s, p) {
			return true
		}
	}
	return false
}

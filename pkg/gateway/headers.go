package gateway

import (
	"net/http"
	"net/textproto"
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

// hopHeaders are connection-level headers that a proxy must not pass on
// (RFC 9110 section 7.6.1), as in net/http/httputil.ReverseProxy.
var hopHeaders = map[string]bool{
	"Connection":          true,
	"Proxy-Connection":    true,
	"Keep-Alive":          true,
	"Proxy-Authenticate":  true,
	"Proxy-Authorization": true,
	"Te":                  true,
	"Trailer":             true,
	"Transfer-Encoding":   true,
	"Upgrade":             true,
}

// droppedResponseHeaders are upstream response headers that must not reach
// the client: hop-by-hop ones, lengths and encodings the gateway recomputes,
// and cookies set by the provider's edge.
var droppedResponseHeaders = map[string]bool{
	"Content-Length":   true,
	"Content-Encoding": true,
	"Set-Cookie":       true,
	"Alt-Svc":          true,
	"X-Request-Id":     true, // replaced by the gateway's own; kept as X-Upstream-Request-Id
	"Date":             true,
	"Server":           true,
}

// copyResponseHeaders copies upstream headers to dst, minus hop-by-hop and
// dropped ones, and minus any header the upstream's Connection header names.
func copyResponseHeaders(dst, src http.Header) {
	var named map[string]bool
	for _, v := range src["Connection"] {
		for _, f := range strings.Split(v, ",") {
			if f = textproto.TrimString(f); f != "" {
				if named == nil {
					named = map[string]bool{}
				}
				named[http.CanonicalHeaderKey(f)] = true
			}
		}
	}
	for k, vv := range src {
		if hopHeaders[k] || droppedResponseHeaders[k] || named[k] {
			continue
		}
		dst[k] = append(dst[k][:0:0], vv...)
	}
	if id := src.Get("X-Request-Id"); id != "" {
		dst.Set("X-Upstream-Request-Id", id)
	}
}

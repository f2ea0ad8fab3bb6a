package gateway

import (
	"context"
	"net"
	"net/http"
	"time"
)

type connectTimeoutKey struct{}

// withConnectTimeout tells the shared transport how long this request may
// spend dialing. One transport serves every provider, so the per-provider
// value travels in the context.
func withConnectTimeout(ctx context.Context, d time.Duration) context.Context {
	return context.WithValue(ctx, connectTimeoutKey{}, d)
}

// NewTransport returns the shared upstream transport: keep-alive pools sized
// for hundreds of concurrent requests per upstream, HTTP/2 where the
// upstream offers it over TLS, and no response-header timeout (the gateway
// applies each provider's time-to-first-byte itself).
func NewTransport() *http.Transport {
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	return &http.Transport{
		Proxy: http.ProxyFromEnvironment,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if d, ok := ctx.Value(connectTimeoutKey{}).(time.Duration); ok && d > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, d)
				defer cancel()
			}
			return dialer.DialContext(ctx, network, addr)
		},
		ForceAttemptHTTP2:     true,
		MaxIdleConns:          2048,
		MaxIdleConnsPerHost:   512,
		IdleConnTimeout:       90 * time.Second,
		TLSHandshakeTimeout:   10 * time.Second,
		ExpectContinueTimeout: time.Second,
		WriteBufferSize:       32 << 10,
		ReadBufferSize:        32 << 10,
	}
}

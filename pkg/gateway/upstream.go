package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aigw/aigw/pkg/config"
	"github.com/aigw/aigw/pkg/provider"
)

// defaultAnthropicVersion is sent when the client gave none.
const defaultAnthropicVersion = "2023-06-01"

var (
	errFirstByteTimeout = errors.New("upstream sent no response within the provider's timeout")
	errStreamIdle       = errors.New("upstream stream was silent longer than the provider's stream_idle_timeout")
)

// upstreamCall is one logical request to a provider; it may take several
// attempts, each with another key.
type upstreamCall struct {
	route  provider.Route
	path   string // appended to the provider's base URL
	query  string
	body   []byte
	header http.Header // client headers (filtered when copied)
}

// upstreamResponse is a response whose body is still open. done must be
// called when the body is finished with: it releases the attempt's context.
type upstreamResponse struct {
	*http.Response
	key     *provider.Key
	ctx     context.Context
	cancel  context.CancelCauseFunc
	attempt int
}

func (u *upstreamResponse) done() {
	u.Body.Close()
	u.cancel(nil)
}

// retryable reports whether another key may succeed where this one failed.
// 400 never is: the request itself is wrong.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusUnauthorized ||
		status == http.StatusForbidden || status >= 500
}

// send performs the call, moving to the next usable key on 429, 5xx,
// 401/403 or a connection error, each key at most once, within the
// provider's max_attempts. Nothing has reached the client yet when send
// retries, so a retry is invisible to it. Keys answering 401/403 are set
// aside and keys answering 429 cool down, so later requests skip them.
func (s *Server) send(ctx context.Context, rs *reqState, call *upstreamCall) (*upstreamResponse, *apiError) {
	p := call.route.Provider
	budget := min(p.Pool.Size(), max(p.MaxAttempts, 1))
	// Keys are few and attempts fewer: a small slice beats a map here.
	var triedBuf [4]*provider.Key
	tried := triedBuf[:0]
	skipTried := func(k *provider.Key) bool { return slices.Contains(tried, k) }
	var lastErr *apiError
	authRejected := 0
	for attempt := 1; attempt <= budget; attempt++ {
		key := p.Pool.Pick(skipTried)
		if key == nil {
			break
		}
		tried = append(tried, key)
		rs.row.Attempts = attempt
		rs.row.KeyHint = key.Hint
		if attempt > 1 {
			s.metrics.Retry(p.Name)
		}

		resp, err := s.attempt(ctx, p, key, call)
		if err != nil {
			if ctx.Err() != nil {
				return nil, clientGone()
			}
			if errors.Is(err, errFirstByteTimeout) {
				// Not retried: another key would wait just as long.
				return nil, newAPIError(http.StatusGatewayTimeout, codeUpstreamTimeout,
					fmt.Sprintf("provider %s did not answer within %s (its timeout setting)", p.Name, p.Timeout))
			}
			lastErr = newAPIError(http.StatusBadGateway, codeUpstreamError,
				fmt.Sprintf("provider %s is unreachable: %s", p.Name, redactURL(err.Error(), p.BaseURL)))
			s.log.Warn("upstream attempt failed", "provider", p.Name, "key", key.Hint, "attempt", attempt, "error", lastErr.message)
			continue
		}
		resp.attempt = attempt
		status := resp.StatusCode
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			key.SetAside()
			authRejected++
			s.log.Warn("upstream rejected a key; set aside until a probe finds it working",
				"provider", p.Name, "key", key.Hint, "status", status)
		case status == http.StatusTooManyRequests:
			d := key.CoolDown(time.Now(), time.Duration(retryAfter(resp.Header))*time.Second)
			s.log.Warn("upstream rate-limited a key; cooling down", "provider", p.Name, "key", key.Hint, "for", d)
		case status < 400:
			key.Succeeded()
		}
		if !retryable(status) {
			return resp, nil
		}
		if attempt < budget && p.Pool.Pick(skipTried) != nil {
			_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
			resp.done()
			continue
		}
		if authRejected == attempt {
			resp.done()
			return nil, newAPIError(http.StatusBadGateway, codeUpstreamAuth,
				fmt.Sprintf("provider %s rejected every key tried (%d, last %s with status %d): check its api_keys, then run `aigw keys test %s`",
					p.Name, attempt, key.Hint, status, p.Name))
		}
		return resp, nil
	}
	if lastErr != nil && rs.row.Attempts > 0 {
		return nil, lastErr
	}
	return nil, s.noUsableKey(p)
}

// noUsableKey answers at once, without contacting the upstream, when every
// key of the pool is set aside or cooling down.
func (s *Server) noUsableKey(p *provider.Provider) *apiError {
	a := p.Pool.Availability(time.Now())
	if a.Cooling > 0 {
		secs := int(a.RetryIn.Round(time.Second) / time.Second)
		e := newAPIError(http.StatusTooManyRequests, "rate_limit_exceeded",
			fmt.Sprintf("every key of provider %s is rate-limited; retry in %ds", p.Name, max(secs, 1)))
		e.retryAfter = max(secs, 1)
		return e
	}
	return newAPIError(http.StatusBadGateway, codeUpstreamAuth,
		fmt.Sprintf("every key of provider %s was rejected by the upstream (401/403) and is set aside: fix api_keys, then run `aigw keys test %s`", p.Name, p.Name))
}

// attempt sends one request with one key. The returned response's body is
// bound to a context that the caller releases with done().
func (s *Server) attempt(ctx context.Context, p *provider.Provider, key *provider.Key, call *upstreamCall) (*upstreamResponse, error) {
	actx, cancel := context.WithCancelCause(withConnectTimeout(ctx, p.ConnectTimeout))
	req, err := http.NewRequestWithContext(actx, http.MethodPost, p.BaseURL+call.path, bytes.NewReader(call.body))
	if err != nil {
		cancel(nil)
		return nil, fmt.Errorf("build upstream request: %w", err)
	}
	if call.query != "" {
		req.URL.RawQuery = call.query
	}
	setUpstreamHeaders(req.Header, call.header, p, key)
	req.ContentLength = int64(len(call.body))

	timer := time.AfterFunc(p.Timeout, func() { cancel(errFirstByteTimeout) })
	resp, err := s.roundTrip.RoundTrip(req)
	stopped := timer.Stop()
	if err != nil {
		cause := context.Cause(actx)
		cancel(nil)
		if !stopped && errors.Is(cause, errFirstByteTimeout) {
			return nil, errFirstByteTimeout
		}
		return nil, err
	}
	return &upstreamResponse{Response: resp, key: key, ctx: actx, cancel: cancel}, nil
}

// setUpstreamHeaders copies the allowed client headers and sets the
// provider's credentials. The client's own credentials are never copied.
func setUpstreamHeaders(dst, client http.Header, p *provider.Provider, key *provider.Key) {
	for _, h := range forwardedRequestHeaders {
		if v := client.Values(h); len(v) > 0 {
			dst[h] = append([]string(nil), v...)
		}
	}
	if dst.Get("Content-Type") == "" {
		dst.Set("Content-Type", "application/json")
	}
	for k, v := range p.Headers {
		dst.Set(k, v)
	}
	switch p.Type {
	case config.TypeAnthropic:
		dst.Set("X-Api-Key", key.Secret)
		v := client.Get("Anthropic-Version")
		if v == "" {
			v = defaultAnthropicVersion
		}
		dst.Set("Anthropic-Version", v)
		if beta := client.Values("Anthropic-Beta"); len(beta) > 0 {
			dst["Anthropic-Beta"] = append([]string(nil), beta...)
		}
	default:
		dst.Set("Authorization", "Bearer "+key.Secret)
	}
}

// redactURL keeps error text about an upstream short and free of query
// strings (some providers take keys in the URL).
func redactURL(msg, base string) string {
	if i := strings.Index(msg, "?"); i >= 0 && strings.Contains(msg[:i], base) {
		if j := strings.IndexAny(msg[i:], "\": "); j >= 0 {
			msg = msg[:i] + msg[i+j:]
		} else {
			msg = msg[:i]
		}
	}
	return msg
}

// clientGone is the outcome when the client disconnected first; nothing
// can be written, but the log row shows 499.
func clientGone() *apiError {
	return &apiError{status: statusClientClosed, typ: "client_closed", message: "client closed the connection"}
}

// statusClientClosed is nginx's code for a client that went away.
const statusClientClosed = 499

// retryAfter returns the Retry-After header in seconds, or 0.
func retryAfter(h http.Header) int {
	if v := h.Get("Retry-After"); v != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return 0
}

package gateway

import (
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

// defaultAnthropicVersion is sent when the client gave none.
const defaultAnthropicVersion = "2023-06-01"

// maxErrorBody bounds how much of an upstream error body is read.
const maxErrorBody = 1 << 20

// maxRetryAfter caps how long an upstream's Retry-After may rest a key: a
// faulty or hostile upstream must not take a key away for days.
const maxRetryAfter = 10 * time.Minute

var (
	errFirstByteTimeout = errors.New("upstream sent no response within the provider's timeout")
	errStreamIdle       = errors.New("upstream was silent longer than the provider's stream_idle_timeout")
)

// upstreamCall is one logical request to a provider; it may take several
// attempts, each with another key.
type upstreamCall struct {
	route provider.Route
	// prefer is the key to try first when it is usable (session affinity).
	prefer *provider.Key
	path   string // appended to the provider's base URL (before its query)
	body   []byte
	header http.Header // client headers (filtered when copied)
}

// upstreamResponse is a response whose body is still open. done must be
// called when the body is finished with: it releases the attempt's context.
// An error answer (status >= 400) has its body already read into errBody.
type upstreamResponse struct {
	*http.Response
	key     *provider.Key
	ctx     context.Context
	cancel  context.CancelCauseFunc
	errBody []byte
	// unwatch stops the shutdown watch of the attempt.
	unwatch func() bool
}

func (u *upstreamResponse) done() {
	u.Body.Close()
	u.unwatch()
	u.cancel(nil)
}

// cutByShutdown reports whether the server's shutdown grace ended the
// exchange.
func (u *upstreamResponse) cutByShutdown() bool {
	return errors.Is(context.Cause(u.ctx), ErrShutdown)
}

// retryable reports whether another key may succeed where this one failed.
// 400 never is: the request itself is wrong.
func retryable(status int) bool {
	return status == http.StatusTooManyRequests || status == http.StatusUnauthorized ||
		status == http.StatusForbidden || status >= 500
}

// send performs the call, moving to the next usable key on 429, 5xx,
// 401/403 or a connection error, each key at most once, within the
// provider's max_attempts: one upstream call per attempt, counted in the
// row's attempts. Nothing has reached the client yet when send retries, so
// a retry is invisible to it.
func (s *Server) send(ctx context.Context, rs *reqState, call *upstreamCall) (*upstreamResponse, *apiError) {
	p := call.route.Provider
	budget := min(p.Pool.Size(), max(p.MaxAttempts, 1))
	// Keys are few and attempts fewer: a small slice beats a map here.
	var triedBuf [4]*provider.Key
	tried := triedBuf[:0]
	skipTried := func(k *provider.Key) bool { return slices.Contains(tried, k) }
	var lastErr *apiError
	// keyRejected counts attempts whose key the upstream called invalid
	// (and that were set aside for it): when every attempt was one, the
	// client's request was fine and the gateway's keys are at fault.
	keyRejected := 0
	for attempt := 1; attempt <= budget; attempt++ {
		var key *provider.Key
		if attempt == 1 && call.prefer != nil && call.prefer.Usable(time.Now()) {
			key = call.prefer
		} else {
			key = p.Pool.Pick(skipTried)
		}
		if key == nil {
			break
		}
		rs.key = key
		tried = append(tried, key)
		rs.row.Attempts = attempt
		rs.row.KeyHint = key.Hint
		if attempt > 1 {
			s.metrics.Retry(p.Name)
		}

		resp, err := s.attempt(ctx, p, key, call)
		if err != nil {
			if errors.Is(err, ErrShutdown) {
				return nil, newAPIError(http.StatusServiceUnavailable, codeShuttingDown, ErrShutdown.Error())
			}
			if ctx.Err() != nil {
				return nil, clientGone()
			}
			if errors.Is(err, errFirstByteTimeout) {
				// Not retried: another key would wait just as long.
				return nil, newAPIError(http.StatusGatewayTimeout, codeUpstreamTimeout,
					fmt.Sprintf("provider %s did not answer within %s (its timeout setting)", p.Name, p.Timeout))
			}
			lastErr = newAPIError(http.StatusBadGateway, codeUpstreamError,
				fmt.Sprintf("provider %s is unreachable (%s); check its base_url and that the upstream is up", p.Name, connFailure(err)))
			key.NoteError("unreachable: "+connFailure(err), time.Now())
			s.log.Warn("upstream attempt failed", "provider", p.Name, "key", key.Hint, "attempt", attempt, "error", s.reg.Redact(err.Error()))
			continue
		}
		status := resp.StatusCode
		if status >= 400 {
			resp.errBody, _ = io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
		}
		switch {
		case status == http.StatusUnauthorized || status == http.StatusForbidden:
			invalid := keyInvalid(resp.errBody)
			key.NoteError(fmt.Sprintf("%d %s", status, http.StatusText(status)), time.Now())
			if key.RefusedAuth(call.route.UpstreamModel, invalid) {
				s.log.Warn("upstream refused a key; set aside until a probe finds it working",
					"provider", p.Name, "key", key.Hint, "status", status)
				s.shareSetAside(p, key)
				if invalid || status == http.StatusUnauthorized {
					keyRejected++
				}
			}
		case status == http.StatusTooManyRequests:
			d := key.CoolDown(time.Now(), retryAfter(resp.Header, time.Now()))
			key.NoteError(fmt.Sprintf("429 Too Many Requests (cooling down %s)", d.Round(time.Second)), time.Now())
			s.log.Warn("upstream rate-limited a key; cooling down", "provider", p.Name, "key", key.Hint, "for", d)
			s.shareCoolDown(p, key, d)
		case status < 400:
			key.Succeeded()
		}
		if !retryable(status) {
			return resp, nil
		}
		if attempt < budget && p.Pool.HasUsable(skipTried) {
			resp.done()
			continue
		}
		if keyRejected == attempt {
			resp.done()
			return nil, newAPIError(http.StatusBadGateway, codeUpstreamAuth,
				fmt.Sprintf("provider %s rejected every key tried as invalid (%d, last %s with status %d): check its api_keys, then run `aigw keys test %s`",
					p.Name, attempt, key.Hint, status, p.Name))
		}
		return resp, nil
	}
	if lastErr != nil && rs.row.Attempts > 0 {
		return nil, lastErr
	}
	return nil, s.noUsableKey(p)
}

// keyInvalid reports whether a 401/403 body says the key itself is bad
// (OpenAI's invalid_api_key, Anthropic's authentication_error), rather
// than that this key may not use this model or endpoint.
func keyInvalid(body []byte) bool {
	return gjson.GetBytes(body, "error.code").Str == "invalid_api_key" ||
		gjson.GetBytes(body, "error.type").Str == "authentication_error"
}

// noUsableKey answers at once, without contacting the upstream, when every
// key of the pool is set aside or cooling down.
func (s *Server) noUsableKey(p *provider.Provider) *apiError {
	a := p.Pool.Availability(time.Now())
	if a.Cooling > 0 {
		secs := int(a.RetryIn.Round(time.Second) / time.Second)
		e := newAPIError(http.StatusTooManyRequests, codeRateLimitExhausted,
			fmt.Sprintf("every key of provider %s is rate-limited; retry in %ds", p.Name, max(secs, 1)))
		e.retryAfter = max(secs, 1)
		return e
	}
	return newAPIError(http.StatusBadGateway, codeUpstreamAuth,
		fmt.Sprintf("every key of provider %s was rejected by the upstream (401/403) and is set aside: fix api_keys, then run `aigw keys test %s`", p.Name, p.Name))
}

// attempt sends one request with one key. The returned response's body is
// bound to a context that the caller releases with done(). The three
// upstream timeouts are all set up here: connect (in the dialer, through
// the context), first byte (a timer cancelling this attempt), and idle
// (the body's reads: between stream events, or within a whole body).
func (s *Server) attempt(ctx context.Context, p *provider.Provider, key *provider.Key, call *upstreamCall) (*upstreamResponse, error) {
	actx, cancel := context.WithCancelCause(withConnectTimeout(ctx, p.ConnectTimeout))
	// The shutdown grace's end (Interrupt) cuts the exchange, so the
	// handler returns and logs it as the server's doing.
	unwatch := context.AfterFunc(s.shutdown, func() { cancel(ErrShutdown) })
	req, err := http.NewRequestWithContext(actx, http.MethodPost, upstreamURL(p.BaseURL, call.path), bytes.NewReader(call.body))
	if err != nil {
		unwatch()
		cancel(nil)
		return nil, fmt.Errorf("build upstream request: %w", err)
	}
	setUpstreamHeaders(req.Header, call.header, p, key)
	req.ContentLength = int64(len(call.body))

	timer := time.AfterFunc(p.Timeout, func() { cancel(errFirstByteTimeout) })
	resp, err := s.roundTrip.RoundTrip(req)
	stopped := timer.Stop()
	if err != nil {
		cause := context.Cause(actx)
		unwatch()
		cancel(nil)
		switch {
		case !stopped && errors.Is(cause, errFirstByteTimeout):
			return nil, errFirstByteTimeout
		case errors.Is(cause, ErrShutdown):
			return nil, ErrShutdown
		}
		return nil, err
	}
	if p.StreamIdleTimeout > 0 {
		resp.Body = newIdleBody(resp.Body, p.StreamIdleTimeout, func() { cancel(errStreamIdle) })
	}
	return &upstreamResponse{Response: resp, key: key, ctx: actx, cancel: cancel, unwatch: unwatch}, nil
}

// idleBody cancels the exchange when the upstream sends nothing for
// limit: between two stream events, or in the middle of a whole body.
type idleBody struct {
	io.ReadCloser
	timer *time.Timer
	limit time.Duration
}

func newIdleBody(b io.ReadCloser, limit time.Duration, onIdle func()) *idleBody {
	return &idleBody{ReadCloser: b, timer: time.AfterFunc(limit, onIdle), limit: limit}
}

func (b *idleBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 {
		b.timer.Reset(b.limit)
	}
	return n, err
}

func (b *idleBody) Close() error {
	b.timer.Stop()
	return b.ReadCloser.Close()
}

// Buffered passes on how many bytes the transport holds already read
// (internal/h1's body tells), so the relay can send events that arrived
// together in one write.
func (b *idleBody) Buffered() int {
	if bb, ok := b.ReadCloser.(interface{ Buffered() int }); ok {
		return bb.Buffered()
	}
	return 0
}

// upstreamURL puts path after the base URL's path and before its query, so
// a base_url such as https://x.openai.azure.com/openai?api-version=2024-10-21
// keeps its query. The client's own query string is never forwarded.
func upstreamURL(base, path string) string {
	if b, q, ok := strings.Cut(base, "?"); ok {
		return b + path + "?" + q
	}
	return base + path
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

// connFailure names what went wrong with a connection in words that do not
// show the upstream's address (that is the operator's business: it goes to
// the server log, not to clients).
func connFailure(err error) string {
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var certErr *tls.CertificateVerificationError
	switch {
	case errors.As(err, &dnsErr):
		return "its host name could not be resolved"
	case errors.Is(err, syscall.ECONNREFUSED):
		return "connection refused"
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE):
		return "connection reset by the upstream"
	case errors.As(err, &certErr):
		return "its TLS certificate could not be verified"
	case errors.Is(err, os.ErrDeadlineExceeded), errors.Is(err, context.DeadlineExceeded):
		return "connect timeout (its connect_timeout setting)"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "the upstream closed the connection without an answer"
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return "could not connect"
	}
	return "connection failed"
}

// retryAfter reads Retry-After in either form RFC 9110 section 10.2.3
// allows (seconds, or an HTTP date), capped by maxRetryAfter; 0 when absent
// or in the past.
func retryAfter(h http.Header, now time.Time) time.Duration {
	v := strings.TrimSpace(h.Get("Retry-After"))
	if v == "" {
		return 0
	}
	var d time.Duration
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n > int64(maxRetryAfter/time.Second) {
			return maxRetryAfter
		}
		d = time.Duration(n) * time.Second
	} else if t, err := http.ParseTime(v); err == nil {
		d = t.Sub(now)
	}
	return min(max(d, 0), maxRetryAfter)
}

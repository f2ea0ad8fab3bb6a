package gateway

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/provider"
)

// exchange is what a handler asks of forward: a body for an upstream path,
// and how to turn each kind of answer into the client's. Passthrough and
// conversion differ only in these converters.
type exchange struct {
	route provider.Route
	path  string
	body  []byte
	// whole converts a non-stream answer and reads its usage.
	whole func(raw []byte) ([]byte, adapter.Usage, error)
	// stream returns the converter of a stream answer.
	stream func() streamConverter
	// upstreamHeaders: the client sees the upstream's allowed response
	// headers (content type, request ids, rate limits). A converted answer
	// has the gateway's own.
	upstreamHeaders bool
	// prefer is the key to try first (session affinity).
	prefer *provider.Key
}

// forward sends the exchange upstream and relays the answer: an error
// status in the inbound protocol's shape, a stream event by event, a whole
// body at once. Every request that reaches an upstream goes through here.
//
// With mayFailover (a route's target with others left to try) a failure
// the next target may not share is not relayed: forward reports it and
// returns true, nothing having reached the client (README, "路由").
func (s *Server) forward(c *gin.Context, rs *reqState, ex exchange, mayFailover bool) (failover bool) {
	start := time.Now()
	resp, aerr := s.send(c.Request.Context(), rs, &upstreamCall{route: ex.route, prefer: ex.prefer, path: ex.path, body: ex.body, header: c.Request.Header})
	if aerr != nil {
		if mayFailover && targetFailure(aerr) {
			s.targetFailed(rs, aerr.status, aerr.message)
			return true
		}
		rs.reject(c, aerr)
		return false
	}
	defer resp.done()
	switch {
	case resp.StatusCode >= 400:
		if mayFailover && failoverStatus(resp.StatusCode) {
			s.targetFailed(rs, resp.StatusCode, fmt.Sprintf("upstream status %d", resp.StatusCode))
			return true
		}
		s.relayError(c, rs, resp)
	case isEventStream(resp.Header):
		var h http.Header
		if ex.upstreamHeaders {
			h = resp.Header
		}
		conv := ex.stream()
		var held *heldStream
		if mayFailover {
			var why string
			if held, why = s.holdStream(rs, resp, ex); held == nil {
				s.targetFailed(rs, http.StatusBadGateway, why)
				return true
			}
		}
		s.targetAnswered(rs, time.Since(start))
		s.relayStream(c, rs, resp, h, conv, held)
	default:
		s.targetAnswered(rs, time.Since(start))
		s.relayWhole(c, rs, resp, ex)
	}
	return false
}

// failoverStatus reports whether an upstream status fails a route's
// target over to the next: what a key pool retries (429, 5xx). Another
// 4xx is about the request, which the next target would refuse too.
func failoverStatus(status int) bool {
	return status == http.StatusTooManyRequests || status >= 500
}

// targetFailure reports whether send's error is the target's failure (no
// usable key, every key rejected, unreachable, no first byte in time), not
// the server's shutdown (a 503 too). The client's leaving (499) is no
// failover status.
func targetFailure(e *apiError) bool {
	return e.code != codeShuttingDown && failoverStatus(e.status)
}

func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

// relayError passes an upstream error status on, with the body in the
// inbound protocol's shape and any echoed key replaced by its hint.
func (s *Server) relayError(c *gin.Context, rs *reqState, resp *upstreamResponse) {
	raw := s.reg.RedactBytes(resp.errBody)
	var body []byte
	if rs.format == formatAnthropic {
		body = adapter.AnthropicErrorFromUpstream(resp.StatusCode, raw)
	} else {
		body = adapter.OpenAIErrorFromUpstream(resp.StatusCode, raw)
	}
	rs.row.Error = gjson.GetBytes(body, "error.message").String()
	if rs.row.Error == "" {
		rs.row.Error = fmt.Sprintf("upstream status %d", resp.StatusCode)
	}
	if s.cfg.Logging.StoreBodies {
		rs.row.ResponseBody = string(raw)
	}
	copyResponseHeaders(c.Writer.Header(), resp.Header)
	c.Header("Content-Type", "application/json")
	c.Data(resp.StatusCode, "application/json", body)
}

// relayWhole reads a whole (non-stream) answer within max_response_mb,
// converts it and writes it.
func (s *Server) relayWhole(c *gin.Context, rs *reqState, resp *upstreamResponse, ex exchange) {
	p := ex.route.Provider
	raw, err := readUpstreamBody(resp.Response, s.maxResponse)
	if err != nil {
		switch {
		case resp.cutByShutdown():
			rs.reject(c, newAPIError(http.StatusServiceUnavailable, codeShuttingDown, ErrShutdown.Error()))
		case c.Request.Context().Err() != nil:
			rs.reject(c, clientGone())
		case errors.Is(context.Cause(resp.ctx), errStreamIdle):
			rs.reject(c, newAPIError(http.StatusGatewayTimeout, codeUpstreamTimeout,
				fmt.Sprintf("provider %s: %v", p.Name, errStreamIdle)))
		case errors.Is(err, errResponseTooLarge):
			rs.reject(c, newAPIError(http.StatusBadGateway, codeUpstreamTooLarge,
				fmt.Sprintf("provider %s sent an answer over %d MiB (server.max_response_mb)", p.Name, s.maxResponse>>20)))
		default:
			rs.reject(c, newAPIError(http.StatusBadGateway, codeUpstreamError,
				fmt.Sprintf("provider %s broke off its answer: %s", p.Name, connFailure(err))))
		}
		return
	}
	out, usage, err := ex.whole(raw)
	if err != nil {
		rs.reject(c, newAPIError(http.StatusBadGateway, codeUpstreamBadAnswer,
			fmt.Sprintf("provider %s sent an answer aigw cannot convert: %v", p.Name, err)))
		return
	}
	setUsage(rs, usage)
	if s.cfg.Logging.StoreBodies {
		rs.row.ResponseBody = s.reg.Redact(string(raw))
	}
	h := c.Writer.Header()
	if ex.upstreamHeaders {
		copyResponseHeaders(h, resp.Header)
	} else {
		h.Set("Content-Type", "application/json")
	}
	h.Set("Content-Length", strconv.Itoa(len(out)))
	c.Status(resp.StatusCode)
	_, _ = c.Writer.Write(out)
}

// errResponseTooLarge: the upstream's answer is over max_response_mb.
var errResponseTooLarge = errors.New("upstream answer over the size limit")

// maxSizedUpstreamBody is the largest announced Content-Length read into a
// buffer of that size at once; a larger length grows a buffer as the bytes
// come, so a bogus length cannot make the gateway allocate it.
const maxSizedUpstreamBody = 8 << 20

// readUpstreamBody reads a whole upstream answer of at most limit bytes,
// into one buffer of the announced size when there is one. A body shorter
// than announced is an error (io.ErrUnexpectedEOF), not a shorter answer;
// a longer one than limit is errResponseTooLarge.
func readUpstreamBody(resp *http.Response, limit int64) ([]byte, error) {
	n := resp.ContentLength
	if n > limit {
		return nil, errResponseTooLarge
	}
	if n <= 0 || n > maxSizedUpstreamBody {
		b, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
		if err == nil && int64(len(b)) > limit {
			return nil, errResponseTooLarge
		}
		return b, err
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		return nil, err
	}
	// The transport keeps the connection only for a body read to its end;
	// net/http's body reader usually reports EOF with the last bytes, and
	// then this read costs nothing. More than announced is a broken answer.
	var probe [1]byte
	for {
		m, err := resp.Body.Read(probe[:])
		if m > 0 {
			return nil, errors.New("upstream sent more than its Content-Length")
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// setUsage keeps what the upstream reported having used, for the cost,
// and copies the token counts to the row.
func setUsage(rs *reqState, u adapter.Usage) {
	// A stream cut before its usage, or an upstream that reports none,
	// leaves the cost unknown rather than 0.
	rs.usage, rs.usageSeen = u, u.PromptTokens > 0 || u.CompletionTokens > 0
	row := &rs.row
	row.PromptTokens = u.PromptTokens
	row.CompletionTokens = u.CompletionTokens
	row.CacheReadTokens = u.CacheReadTokens
	row.CacheWriteTokens = u.CacheCreationTokens
	row.ReasoningTokens = u.ReasoningTokens
	row.TotalTokens = u.TotalTokens
	if row.TotalTokens == 0 {
		row.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
}

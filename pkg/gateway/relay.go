package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/pkg/adapter"
	"github.com/aigw/aigw/pkg/provider"
	"github.com/aigw/aigw/pkg/sse"
	"github.com/aigw/aigw/pkg/store"
)

// maxErrorBody bounds how much of an upstream error body is read.
const maxErrorBody = 1 << 20

func isEventStream(h http.Header) bool {
	mt, _, _ := mime.ParseMediaType(h.Get("Content-Type"))
	return mt == "text/event-stream"
}

// usageFunc fills the row's token counts from a whole response body.
type usageFunc func(row *store.RequestLog, body []byte)

func usageOpenAI(row *store.RequestLog, body []byte) {
	// Chat streams with include_usage carry "usage":null in every chunk;
	// only a body without a top-level usage can be a Responses API event.
	if u := gjson.GetBytes(body, "usage"); u.IsObject() {
		setUsage(row, adapter.OpenAIUsage([]byte(u.Raw)))
	} else if u.Exists() {
		return
	} else if u := gjson.GetBytes(body, "response.usage"); u.IsObject() {
		setUsage(row, adapter.OpenAIUsage([]byte(u.Raw)))
	}
}

func usageAnthropic(row *store.RequestLog, body []byte) {
	if u := gjson.GetBytes(body, "usage"); u.IsObject() {
		setUsage(row, adapter.AnthropicUsage([]byte(u.Raw)))
	}
}

func setUsage(row *store.RequestLog, u adapter.Usage) {
	row.PromptTokens = u.PromptTokens
	row.CompletionTokens = u.CompletionTokens
	row.TotalTokens = u.TotalTokens
	if row.TotalTokens == 0 {
		row.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
}

// maxSizedUpstreamBody is the largest announced Content-Length read into a
// buffer of that size at once; a larger (or absent) length grows a buffer
// as the bytes come, so a bogus length cannot make the gateway allocate it.
const maxSizedUpstreamBody = 8 << 20

// readUpstreamBody reads a whole upstream answer, into one buffer of the
// announced size when there is one. A body shorter than announced is an
// error (io.ErrUnexpectedEOF), not a shorter answer.
func readUpstreamBody(resp *http.Response) ([]byte, error) {
	n := resp.ContentLength
	if n <= 0 || n > maxSizedUpstreamBody {
		return io.ReadAll(resp.Body)
	}
	buf := make([]byte, n)
	if _, err := io.ReadFull(resp.Body, buf); err != nil {
		return nil, err
	}
	// The transport keeps the connection only for a body read to its end;
	// net/http's body reader usually reports EOF with the last bytes, and
	// then this read costs nothing.
	var probe [1]byte
	for {
		m, err := resp.Body.Read(probe[:])
		if m > 0 { // more than announced: keep it, as io.ReadAll would
			rest, err := io.ReadAll(resp.Body)
			return append(append(buf, probe[0]), rest...), err
		}
		if err == io.EOF {
			return buf, nil
		}
		if err != nil {
			return nil, err
		}
	}
}

// relayBody copies a whole (non-stream) upstream answer to the client.
func (s *Server) relayBody(c *gin.Context, resp *upstreamResponse, usage usageFunc) {
	rs := state(c)
	body, err := readUpstreamBody(resp.Response)
	if err != nil {
		if c.Request.Context().Err() != nil {
			s.fail(c, clientGone())
			return
		}
		abortWithError(c, newAPIError(http.StatusBadGateway, codeUpstreamError,
			fmt.Sprintf("provider %s broke off its answer: %v", resp.key.Hint, err)))
		return
	}
	usage(&rs.row, body)
	if s.cfg.Logging.StoreBodies {
		rs.row.ResponseBody = string(body)
	}
	copyResponseHeaders(c.Writer.Header(), resp.Header)
	c.Writer.Header().Set("Content-Length", strconv.Itoa(len(body)))
	c.Status(resp.StatusCode)
	_, _ = c.Writer.Write(body)
}

// relayError passes an upstream error status on, with the body in the
// inbound protocol's shape.
func (s *Server) relayError(c *gin.Context, resp *upstreamResponse) {
	rs := state(c)
	raw, _ := io.ReadAll(io.LimitReader(resp.Body, maxErrorBody))
	var body []byte
	if rs.format == formatAnthropic {
		body = adapter.AnthropicErrorFromUpstream(resp.StatusCode, raw)
		rs.row.Error = gjson.GetBytes(body, "error.message").String()
	} else {
		body = adapter.OpenAIErrorFromUpstream(resp.StatusCode, raw)
		rs.row.Error = gjson.GetBytes(body, "error.message").String()
	}
	if rs.row.Error == "" {
		rs.row.Error = fmt.Sprintf("upstream status %d", resp.StatusCode)
	}
	if s.cfg.Logging.StoreBodies {
		rs.row.ResponseBody = string(raw)
	}
	copyResponseHeaders(c.Writer.Header(), resp.Header)
	c.Data(resp.StatusCode, "application/json", body)
}

// startStream writes the status and headers of an SSE answer.
func startStream(c *gin.Context, upstream http.Header) {
	h := c.Writer.Header()
	if upstream != nil {
		copyResponseHeaders(h, upstream)
	}
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no") // nginx in front must not buffer the stream
	c.Status(http.StatusOK)
	// Sent by the relay's first flush: with the first event when it came
	// with the upstream's headers, else alone before the relay waits.
	c.Writer.WriteHeaderNow()
}

// streamRelay reads upstream events with an idle timer and writes frames
// to the client. Writes are flushed before the relay waits for the
// upstream (and when it stops): every event leaves the moment it arrives,
// and events that arrived together cost one write to the client. While the upstream is silent it sends
// keep-alive pings in the inbound protocol's form, so proxies and clients
// in between do not close a slow stream.
type streamRelay struct {
	c      *gin.Context
	resp   *upstreamResponse
	reader *sse.Reader
	idle   *time.Timer
	limit  time.Duration
	body   bytes.Buffer // kept only with store_bodies
	keep   bool

	mu        sync.Mutex // guards writes: the ping timer writes too
	lastWrite time.Time
	gone      bool
	stopped   bool
	pending   bool // written but not flushed
	// headersOnly: nothing but the status and headers is pending (before
	// the first event).
	headersOnly bool
	ping        []byte
	pingEvery   time.Duration
	pinger      *time.Timer
}

func (s *Server) newStreamRelay(c *gin.Context, resp *upstreamResponse, p *provider.Provider) *streamRelay {
	r := &streamRelay{c: c, resp: resp, reader: sse.NewReader(resp.Body), limit: p.StreamIdleTimeout,
		keep: s.cfg.Logging.StoreBodies, lastWrite: time.Now(), pending: true, headersOnly: true}
	if r.limit > 0 {
		r.idle = time.AfterFunc(r.limit, func() { resp.cancel(errStreamIdle) })
	}
	if s.pingEvery > 0 {
		r.pingEvery = s.pingEvery
		r.ping = []byte(": ping\n\n")
		if state(c).format == formatAnthropic {
			r.ping = []byte("event: ping\ndata: {\"type\": \"ping\"}\n\n")
		}
		// A timer, not a goroutine per stream: it fires only on silence.
		r.pinger = time.AfterFunc(r.pingEvery, r.pingIfSilent)
	}
	return r
}

// pingIfSilent writes a ping when nothing was written for pingEvery, then
// re-arms itself for the next possible silence.
func (r *streamRelay) pingIfSilent() {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.stopped || r.gone {
		return
	}
	wait := r.pingEvery - time.Since(r.lastWrite)
	if wait <= 0 {
		if _, err := r.c.Writer.Write(r.ping); err != nil {
			r.gone = true
			return
		}
		r.c.Writer.Flush()
		r.lastWrite = time.Now()
		wait = r.pingEvery
	}
	r.pinger.Reset(wait)
}

func (r *streamRelay) next() (sse.Event, error) {
	// About to wait for the upstream: nothing may wait with us. Only the
	// headers may, when upstream bytes are already here (the first event
	// came with the upstream's headers): they then leave together, one
	// write instead of two.
	if !r.reader.EventBuffered() && !(r.headersOnly && upstreamBuffered(r.resp.Body)) {
		r.flush()
	}
	r.headersOnly = false
	ev, err := r.reader.Next()
	if r.idle != nil {
		r.idle.Reset(r.limit)
	}
	return ev, err
}

// upstreamBuffered reports whether the upstream body has bytes read from
// the network and not yet consumed (pkg/h1's body tells; others do not).
func upstreamBuffered(b io.Reader) bool {
	bb, ok := b.(interface{ Buffered() int })
	return ok && bb.Buffered() > 0
}

// write sends frames to the client (flushed by next, or by net/http when
// the handler returns); false when the client is gone.
func (r *streamRelay) write(b []byte) bool {
	if len(b) == 0 {
		return true
	}
	if r.keep {
		r.body.Write(b)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.gone {
		return false
	}
	if _, err := r.c.Writer.Write(b); err != nil {
		r.gone = true
		return false
	}
	r.pending = true
	r.lastWrite = time.Now()
	return true
}

func (r *streamRelay) flush() {
	r.mu.Lock()
	if r.pending && !r.gone {
		r.c.Writer.Flush()
		r.pending = false
	}
	r.mu.Unlock()
}

// stop ends the idle timer and the pings; after it nothing else writes.
// What the last writes left buffered is not flushed here: the handler
// returns at once and net/http sends it together with the end of the
// chunked body, one write instead of two.
func (r *streamRelay) stop() {
	if r.idle != nil {
		r.idle.Stop()
	}
	r.mu.Lock()
	r.stopped = true
	if r.pinger != nil {
		r.pinger.Stop()
	}
	r.mu.Unlock()
}

// brokenReason explains why an upstream stream ended early.
func (r *streamRelay) brokenReason(err error) string {
	if errors.Is(context.Cause(r.resp.ctx), errStreamIdle) {
		return errStreamIdle.Error()
	}
	if err == nil || errors.Is(err, io.EOF) {
		return "upstream stream ended before it was complete"
	}
	return "upstream stream broke: " + err.Error()
}

// finishStream records the outcome of a relayed stream on the log row.
func (s *Server) finishStream(c *gin.Context, r *streamRelay, clientGone bool, broken string) {
	rs := state(c)
	r.stop()
	if r.keep {
		rs.row.ResponseBody = r.body.String()
	}
	switch {
	case clientGone || c.Request.Context().Err() != nil:
		rs.row.StatusCode = statusClientClosed
		rs.row.Error = "client closed the connection during the stream"
	case broken != "":
		rs.row.Error = broken
		rs.row.StatusCode = http.StatusBadGateway
	}
}

// mayCarryUsage reports whether a chunk may hold a usage object. With
// include_usage every chat chunk but the last says "usage":null; those
// are skipped without a JSON lookup. Any other mention of "usage" counts.
func mayCarryUsage(data []byte) bool {
	key := []byte(`"usage"`)
	for rest := data; ; {
		i := bytes.Index(rest, key)
		if i < 0 {
			return false
		}
		rest = rest[i+len(key):]
		v := bytes.TrimLeft(rest, " \t\r\n")
		if len(v) == 0 || v[0] != ':' {
			return true
		}
		if !bytes.HasPrefix(bytes.TrimLeft(v[1:], " \t\r\n"), []byte("null")) {
			return true
		}
	}
}

// relayOpenAIStream relays an OpenAI SSE stream event by event, reading
// usage from the chunks and hiding the usage chunk the gateway asked for
// when the client did not.
func (s *Server) relayOpenAIStream(c *gin.Context, resp *upstreamResponse, p *provider.Provider, clientWantsUsage bool) {
	rs := state(c)
	startStream(c, resp.Header)
	r := s.newStreamRelay(c, resp, p)
	for {
		ev, err := r.next()
		if err == nil && !ev.Comment && len(ev.Data) > 0 {
			if bytes.Equal(ev.Data, []byte("[DONE]")) {
				ok := r.write(ev.Raw)
				s.finishStream(c, r, !ok, "")
				return
			}
			if mayCarryUsage(ev.Data) {
				usageOpenAI(&rs.row, ev.Data)
				if !clientWantsUsage {
					if ch := gjson.GetBytes(ev.Data, "choices"); ch.IsArray() && len(ch.Array()) == 0 {
						continue // the usage-only chunk this client did not ask for
					}
				}
			}
			if ev.Name == "error" || (bytes.HasPrefix(ev.Data, []byte(`{"error"`))) {
				rs.row.Error = gjson.GetBytes(ev.Data, "error.message").String()
			}
		}
		if err == nil {
			if !r.write(ev.Raw) {
				s.finishStream(c, r, true, "")
				return
			}
			continue
		}
		// The upstream ended without [DONE]: tell the client it failed
		// rather than letting it take a cut answer for a whole one.
		reason := r.brokenReason(err)
		if rs.row.Error != "" {
			reason = rs.row.Error // the upstream already said why, in an error frame
		} else if c.Request.Context().Err() == nil {
			r.write(sse.AppendData(nil, adapter.OpenAIErrorBody(http.StatusBadGateway, "server_error", "stream_interrupted", "", reason)))
		}
		s.finishStream(c, r, false, reason)
		return
	}
}

// relayAnthropicStream relays an Anthropic SSE stream as is, reading usage
// from message_start and message_delta.
func (s *Server) relayAnthropicStream(c *gin.Context, resp *upstreamResponse, p *provider.Provider) {
	rs := state(c)
	startStream(c, resp.Header)
	r := s.newStreamRelay(c, resp, p)
	var usage adapter.Usage
	for {
		ev, err := r.next()
		if err == nil {
			switch ev.Name {
			case "message_start":
				usage = mergeAnthropicUsage(usage, gjson.GetBytes(ev.Data, "message.usage"))
			case "message_delta":
				usage = mergeAnthropicUsage(usage, gjson.GetBytes(ev.Data, "usage"))
			case "error":
				rs.row.Error = gjson.GetBytes(ev.Data, "error.message").String()
			}
			setUsage(&rs.row, usage)
			if !r.write(ev.Raw) {
				s.finishStream(c, r, true, "")
				return
			}
			if ev.Name == "message_stop" {
				s.finishStream(c, r, false, "")
				return
			}
			continue
		}
		reason := r.brokenReason(err)
		if rs.row.Error != "" {
			reason = rs.row.Error
		} else if c.Request.Context().Err() == nil {
			r.write(sse.AppendEvent(nil, "error", adapter.AnthropicErrorBody(http.StatusBadGateway, reason)))
		}
		s.finishStream(c, r, false, reason)
		return
	}
}

// mergeAnthropicUsage folds a usage object into u: message_start carries
// the input side, message_delta the cumulative output (and, on some
// upstreams, the input again).
func mergeAnthropicUsage(u adapter.Usage, obj gjson.Result) adapter.Usage {
	if !obj.IsObject() {
		return u
	}
	n := adapter.AnthropicUsage([]byte(obj.Raw))
	if obj.Get("input_tokens").Exists() {
		u.PromptTokens = n.PromptTokens
		u.CacheReadTokens = n.CacheReadTokens
		u.CacheCreationTokens = n.CacheCreationTokens
	}
	if obj.Get("output_tokens").Exists() {
		u.CompletionTokens = n.CompletionTokens
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/sse"
)

// streamConverter turns upstream events into the client's frames. The
// passthrough relays (streams.go) and the protocol converters of
// internal/adapter have this one shape, so every stream goes through one loop.
type streamConverter interface {
	// Event returns the frames to write for ev (none to drop it). An error
	// means the stream cannot be read or converted any further.
	Event(ev sse.Event) ([]byte, error)
	// Finish is called once when the upstream's body ended; it returns the
	// closing frames (an error frame when the stream was not complete).
	Finish() []byte
	Usage() adapter.Usage
	// Failed reports an upstream error event or an incomplete stream.
	Failed() (bool, string)
}

// ender is implemented by converters that know when the stream's last
// event went by, so the relay stops without waiting for the body's end.
type ender interface{ Done() bool }

// relayStream relays an upstream SSE answer event by event through conv,
// and records on the log row how it ended: complete, broken by the
// upstream (502, with an error frame in the client's protocol), or
// abandoned by the client (499).
//
// held, when not nil, is the start of the stream already read (a route's
// target is held until its first content, see holdStream).
func (s *Server) relayStream(c *gin.Context, rs *reqState, resp *upstreamResponse, upstreamHeaders http.Header, conv streamConverter, held *heldStream) {
	startStream(c, upstreamHeaders)
	r := s.newStreamRelay(c, rs, resp, held)
	defer r.stop()
	end, broken := r.pump(conv)
	setUsage(rs, conv.Usage())
	defer func() {
		if r.keep {
			rs.row.ResponseBody = s.reg.Redact(r.body.String())
		}
	}()
	switch {
	case resp.cutByShutdown() && end != endClientGone:
		r.write(streamErrorFrame(rs, conv, ErrShutdown.Error()))
		rs.row.StatusCode = http.StatusServiceUnavailable
		rs.row.Error = ErrShutdown.Error()
		return
	case end == endClientGone || end != endUpstreamDone && c.Request.Context().Err() != nil:
		// A stream that went through to its end is complete even when the
		// client hangs up right after the last frame (SDKs close on
		// [DONE]): only an unfinished one is the client's doing.
		rs.row.StatusCode = statusClientClosed
		rs.row.Error = "client closed the connection during the stream"
		return
	case end == endUpstreamDone:
		r.write(conv.Finish())
	}
	failed, msg := conv.Failed()
	switch {
	case end == endUnreadable && !failed:
		// The converter could not say it in the client's protocol.
		r.write(streamErrorFrame(rs, conv, broken))
	case end == endBroken && !failed:
		r.write(streamErrorFrame(rs, conv, broken))
	case end != endUnreadable && failed:
		broken = msg // the upstream's own words (an error event), or the converter's
	}
	if broken != "" {
		rs.row.StatusCode = http.StatusBadGateway
		rs.row.Error = s.reg.Redact(broken)
	}
}

// How a stream's pump ended.
type streamEnd int

const (
	endUpstreamDone streamEnd = iota // the body ended, or the converter saw the last event
	endBroken                        // the upstream's body failed (idle, cut, too large)
	endUnreadable                    // an event could not be parsed or converted
	endClientGone
)

// pump moves events until the stream ends; broken says why when it did
// not end well.
func (r *streamRelay) pump(conv streamConverter) (end streamEnd, broken string) {
	en, _ := conv.(ender)
	for {
		ev, err := r.next()
		if err != nil {
			if errors.Is(err, io.EOF) && !errors.Is(context.Cause(r.resp.ctx), errStreamIdle) {
				return endUpstreamDone, ""
			}
			return endBroken, r.brokenReason(err)
		}
		out, cerr := conv.Event(ev)
		if failed, _ := conv.Failed(); failed {
			out = r.redact(out) // an upstream error event may quote the key
		}
		if !r.write(out) {
			return endClientGone, ""
		}
		if cerr != nil {
			return endUnreadable, fmt.Sprintf("provider %s sent a stream aigw cannot read: %v", r.provider, cerr)
		}
		if en != nil && en.Done() {
			return endUpstreamDone, ""
		}
	}
}

// errorFramer is implemented by converters whose client protocol has its
// own error event (the Responses API).
type errorFramer interface{ ErrorFrame(msg string) []byte }

// streamErrorFrame is the frame that tells a client its stream failed, in
// its protocol.
func streamErrorFrame(rs *reqState, conv streamConverter, msg string) []byte {
	if f, ok := conv.(errorFramer); ok {
		return f.ErrorFrame(msg)
	}
	if rs.format == formatAnthropic {
		return sse.AppendEvent(nil, "error", adapter.AnthropicErrorBody(http.StatusBadGateway, msg))
	}
	return sse.AppendData(nil, adapter.OpenAIErrorBody(http.StatusBadGateway, "server_error", "stream_interrupted", "", msg))
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

// streamRelay reads upstream events and writes frames
// to the client. Writes are flushed before the relay waits for the
// upstream (and when it stops): every event leaves the moment it arrives,
// and events that arrived together cost one write to the client. While the
// upstream is silent it sends keep-alive pings in the inbound protocol's
// form, so proxies and clients in between do not close a slow stream.
type streamRelay struct {
	c        *gin.Context
	resp     *upstreamResponse
	provider string
	redact   func([]byte) []byte
	reader   *sse.Reader
	held     []sse.Event  // read before the relay started, sent first
	body     bytes.Buffer // kept only with store_bodies
	keep     bool

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

func (s *Server) newStreamRelay(c *gin.Context, rs *reqState, resp *upstreamResponse, held *heldStream) *streamRelay {
	p := rs.route.Provider
	r := &streamRelay{c: c, resp: resp, provider: p.Name, redact: s.reg.RedactBytes,
		keep: s.cfg.Logging.StoreBodies, lastWrite: time.Now(), pending: true, headersOnly: true}
	if held != nil {
		r.reader, r.held = held.reader, held.events
	} else {
		r.reader = sse.NewLimitedReader(resp.Body, int(s.maxResponse))
	}
	if s.pingEvery > 0 {
		r.pingEvery = s.pingEvery
		r.ping = []byte(": ping\n\n")
		if rs.format == formatAnthropic {
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
	if len(r.held) > 0 {
		ev := r.held[0]
		r.held = r.held[1:]
		return ev, nil
	}
	// About to wait for the upstream: nothing may wait with us. Only the
	// headers may, when upstream bytes are already here (the first event
	// came with the upstream's headers): they then leave together, one
	// write instead of two.
	if !r.reader.EventBuffered() && !(r.headersOnly && upstreamBuffered(r.resp.Body)) {
		r.flush()
	}
	r.headersOnly = false
	return r.reader.Next()
}

// upstreamBuffered reports whether the upstream body has bytes read from
// the network and not yet consumed (internal/h1's body tells; others do not).
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

// stop ends the pings; after it nothing else writes.
// What the last writes left buffered is not flushed here: the handler
// returns at once and net/http sends it together with the end of the
// chunked body, one write instead of two.
func (r *streamRelay) stop() {
	r.mu.Lock()
	r.stopped = true
	if r.pinger != nil {
		r.pinger.Stop()
	}
	r.mu.Unlock()
}

// brokenReason explains why an upstream stream ended early, naming the
// provider (never a key).
func (r *streamRelay) brokenReason(err error) string {
	switch {
	case errors.Is(context.Cause(r.resp.ctx), errStreamIdle):
		return fmt.Sprintf("provider %s: %v", r.provider, errStreamIdle)
	case errors.Is(err, sse.ErrEventTooLarge):
		return fmt.Sprintf("provider %s sent a stream event over the size limit (server.max_response_mb)", r.provider)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Sprintf("provider %s broke off its stream: the connection closed before the stream's end", r.provider)
	}
	return fmt.Sprintf("provider %s broke off its stream: %s", r.provider, connFailure(err))
}

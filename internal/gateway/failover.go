package gateway

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/sse"
)

// targetBuilder makes the exchange for one target from body (the
// request's body, or a copy when another target may need it after).
type targetBuilder func(route provider.Route, body []byte) (exchange, *apiError)

// skipTarget marks a builder's error as ruling out this target only (it
// cannot serve the endpoint): the next target is tried.
func skipTarget(e *apiError) *apiError {
	e.skip = true
	return e
}

// serveTargets serves the request with the resolution's targets in the
// order the route's strategy and health give, moving to the next one on
// a failure the next may not share, while nothing has reached the client
// (README, "路由"). A plain model is a route of one target.
func (s *Server) serveTargets(c *gin.Context, rs *reqState, in *inbound, build targetBuilder) {
	now := time.Now()
	rs.session = sessionOf(c.Request, in)
	targets := s.applyPin(rs, s.health.order(rs.res, now), now)
	var lastSkip *apiError
	for i, t := range targets {
		last := i == len(targets)-1
		s.health.begin(rs.res.Route, t, time.Now())
		s.useTarget(c, rs, t)
		body := in.body
		if !last {
			// The byte edits may work in place; a later target needs
			// the body as the client sent it.
			body = bytes.Clone(in.body)
		}
		ex, aerr := build(t, body)
		if aerr != nil {
			if aerr.skip {
				rs.tried = append(rs.tried, targetName(t)+" skipped")
				lastSkip = aerr
				continue
			}
			rs.reject(c, aerr)
			return
		}
		ex.prefer = preferredKey(rs, t)
		if !s.forward(c, rs, ex, !last) {
			return
		}
		s.metrics.Failover(rs.res.Route, t.Provider.Name, t.UpstreamModel)
		s.log.Warn("route target failed; trying the next", "route", rs.res.Route, "target", targetName(t), "reason", rs.lastFailure)
	}
	if lastSkip != nil {
		rs.reject(c, lastSkip)
	}
}

// useTarget makes t the request's upstream: the log row's provider and
// model, and the X-Aigw-Provider / X-Aigw-Model headers of the answer.
func (s *Server) useTarget(c *gin.Context, rs *reqState, t provider.Route) {
	rs.route = t
	rs.row.Provider = t.Provider.Name
	rs.row.UpstreamModel = t.UpstreamModel
	rs.knownModel = t.Resolved != t.Requested || s.reg.Knows(t.Provider, t.UpstreamModel)
	h := c.Writer.Header()
	h.Set("X-Aigw-Provider", t.Provider.Name)
	h.Set("X-Aigw-Model", t.UpstreamModel)
}

// targetFailed records a route target's failure before the next target.
func (s *Server) targetFailed(rs *reqState, status int, why string) {
	rs.tried = append(rs.tried, targetName(rs.route)+" "+strconv.Itoa(status))
	rs.lastFailure = s.reg.Redact(why)
	if s.health.failed(rs.res.Route, rs.route, time.Now()) {
		s.log.Warn("route target ejected", "route", rs.res.Route, "target", targetName(rs.route))
		s.metrics.TargetHealth(rs.res.Route, targetName(rs.route), false)
		s.shareEjection(rs.res.Route, rs.route, s.health.ejectedUntil(rs.res.Route, rs.route))
	}
}

// targetAnswered records that the target answered (its time to the first
// byte feeds the latency strategy); an error status is judged at the end.
func (s *Server) targetAnswered(rs *reqState, ttfb time.Duration) {
	rs.answeredIn = ttfb
}

// settleTarget records the final target's outcome once the row's status
// is known, and fills the row's route and tried.
func (s *Server) settleTarget(rs *reqState) {
	if rs.route.Provider == nil {
		return
	}
	if rs.res.Route == "" {
		// A plain model: the session sticks to the key that served it.
		if rs.row.StatusCode < 400 {
			s.repin(rs, time.Now())
		}
		return
	}
	row := &rs.row
	row.Route = rs.res.Route
	row.Tried = strings.Join(append(rs.tried, targetName(rs.route)+" "+strconv.Itoa(row.StatusCode)), "; ")
	switch {
	case row.StatusCode < 400 || row.StatusCode == statusClientClosed && rs.answeredIn > 0:
		s.health.succeeded(rs.res.Route, rs.route, rs.answeredIn, time.Now())
		if s.repin(rs, time.Now()) {
			row.Tried += "; session re-pinned from " + rs.pinned.target
		}
	case failoverStatus(row.StatusCode) && row.Error != ErrShutdown.Error():
		if s.health.failed(rs.res.Route, rs.route, time.Now()) {
			s.shareEjection(rs.res.Route, rs.route, s.health.ejectedUntil(rs.res.Route, rs.route))
		}
	default:
		s.health.release(rs.res.Route, rs.route)
	}
	s.metrics.TargetHealth(rs.res.Route, targetName(rs.route), s.health.healthy(rs.res.Route, rs.route, time.Now()))
}

// heldStream is the start of an upstream stream read before anything was
// sent to the client: the events up to the first one with content.
type heldStream struct {
	reader *sse.Reader
	events []sse.Event
}

// holdStream reads a route target's stream up to its first content
// event. It returns nil and the reason when the stream fails first: an
// error event (200 and then `event: error`), a stream that ends or breaks
// before any content, or bytes that are no event stream. Nothing has been
// written to the client then, so the next target can be tried.
func (s *Server) holdStream(rs *reqState, resp *upstreamResponse, ex exchange) (*heldStream, string) {
	h := &heldStream{reader: sse.NewLimitedReader(resp.Body, int(s.maxResponse))}
	kind := streamKindOf(ex)
	name := targetName(rs.route)
	for {
		ev, err := h.reader.Next()
		if err != nil {
			return nil, fmt.Sprintf("%s: the stream ended before any content (%s)", name, connFailure(err))
		}
		if ev.Unknown {
			return nil, name + ": the answer is not an event stream"
		}
		ev.Raw, ev.Data = bytes.Clone(ev.Raw), bytes.Clone(ev.Data)
		switch classifyEvent(kind, ev) {
		case eventFailure:
			return nil, fmt.Sprintf("%s: the stream opened with an error: %s", name, errorMessage(ev.Data, "error.message", string(ev.Data)))
		case eventContent:
			h.events = append(h.events, ev)
			return h, ""
		}
		h.events = append(h.events, ev)
	}
}

// The upstream protocols a stream can be in.
type streamKind int

const (
	kindChat streamKind = iota
	kindResponses
	kindMessages
)

func streamKindOf(ex exchange) streamKind {
	switch {
	case ex.route.Provider.Type == config.TypeAnthropic:
		return kindMessages
	case ex.path == "/responses":
		return kindResponses
	}
	return kindChat
}

type eventClass int

const (
	eventPreamble eventClass = iota // nothing the client needs yet
	eventContent
	eventFailure
)

// classifyEvent tells the preamble of a stream (the role chunk,
// message_start, response.created, pings) from its first content, and
// both from an error.
func classifyEvent(kind streamKind, ev sse.Event) eventClass {
	if ev.Comment {
		return eventPreamble
	}
	if ev.Name == "error" {
		return eventFailure
	}
	switch kind {
	case kindMessages:
		switch ev.Name {
		case "message_start", "ping", "":
			return eventPreamble
		}
		return eventContent
	case kindResponses:
		switch ev.Name {
		case "response.failed":
			return eventFailure
		case "response.created", "response.in_progress":
			return eventPreamble
		}
		return eventContent
	}
	if bytes.Equal(ev.Data, doneData) {
		return eventFailure // [DONE] before any content
	}
	d := gjson.ParseBytes(ev.Data)
	if d.Get("error").Exists() {
		return eventFailure
	}
	choice := d.Get("choices.0")
	if !choice.Exists() {
		if d.Get("usage").IsObject() {
			return eventContent
		}
		return eventPreamble
	}
	if fr := choice.Get("finish_reason"); fr.Exists() && fr.Type != gjson.Null {
		return eventContent
	}
	delta := choice.Get("delta")
	for _, k := range []string{"content", "tool_calls", "reasoning_content", "refusal", "function_call"} {
		if v := delta.Get(k); v.Exists() && v.Type != gjson.Null && v.String() != "" {
			return eventContent
		}
	}
	return eventPreamble
}

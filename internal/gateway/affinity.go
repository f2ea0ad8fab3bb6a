package gateway

import (
	"net/http"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/provider"
)

// Session affinity (README, "路由"): the requests of one session go to the
// same target and the same key while they are healthy, so the upstream's
// prompt cache keeps hitting. Agents such as Claude Code and Codex pay for
// every cache miss a balancer causes by spreading their turns.

// sessionHeaders name a client's session, in the order they are read.
var sessionHeaders = [...]string{"session_id", "session-id", "x-session-id", "thread-id"}

// maxSessionID bounds the session id kept per pin.
const maxSessionID = 256

// sessionOf is the request's session: the first of the session headers,
// the body's prompt_cache_key, Anthropic's metadata.user_id; "" for none.
func sessionOf(r *http.Request, in *inbound) string {
	for _, h := range sessionHeaders {
		if v := r.Header.Get(h); v != "" {
			return clip(v, maxSessionID)
		}
	}
	if v := in.member(memberPromptCacheKey); v.Type == gjson.String && v.Str != "" {
		return clip(v.Str, maxSessionID)
	}
	if v := in.member(memberMetadata).Get("user_id"); v.Type == gjson.String && v.Str != "" {
		return clip(v.Str, maxSessionID)
	}
	return ""
}

// sessionPin is where a session goes: a target of a route (or the
// provider of a plain model) and a key.
type sessionPin struct {
	target string // provider/model
	key    *provider.Key
	used   time.Time
}

// Bounds of the pin table: a pin unused for pinIdle is forgotten, and the
// table holds at most maxPins (a client inventing session ids cannot grow
// it without bound; new sessions then go unpinned until pins expire).
const (
	pinIdle = time.Hour
	maxPins = 1 << 16
)

// sessionPins holds the pins, keyed by scope (route name, or provider for
// a plain model) and session.
type sessionPins struct {
	mu        sync.Mutex
	m         map[string]sessionPin
	lastSweep time.Time
}

func newSessionPins() *sessionPins { return &sessionPins{m: map[string]sessionPin{}} }

func pinKey(scope, session string) string { return scope + "\x00" + session }

func (p *sessionPins) get(scope, session string, now time.Time) (sessionPin, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	pin, ok := p.m[pinKey(scope, session)]
	if !ok || now.Sub(pin.used) > pinIdle {
		return sessionPin{}, false
	}
	return pin, true
}

func (p *sessionPins) set(scope, session string, pin sessionPin) {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := pinKey(scope, session)
	if _, ok := p.m[k]; !ok && len(p.m) >= maxPins {
		if pin.used.Sub(p.lastSweep) < time.Minute {
			return
		}
		p.lastSweep = pin.used
		for key, old := range p.m {
			if pin.used.Sub(old.used) > pinIdle {
				delete(p.m, key)
			}
		}
		if len(p.m) >= maxPins {
			return
		}
	}
	p.m[k] = pin
}

// pinScope is what a session is pinned within: the route, or the
// provider of a plain model (whose key pool it sticks to).
func pinScope(rs *reqState) string {
	if rs.res.Route != "" {
		return "route:" + rs.res.Route
	}
	return "provider:" + rs.route.Provider.Name
}

// applyPin moves the session's pinned target to the front while it is
// healthy, and returns the key to prefer on it.
func (s *Server) applyPin(rs *reqState, targets []provider.Route, now time.Time) []provider.Route {
	if rs.session == "" {
		return targets
	}
	pin, ok := s.pins.get(pinScope(rs), rs.session, now)
	if !ok {
		return targets
	}
	rs.pinned = pin
	for i, t := range targets {
		if targetName(t) != pin.target {
			continue
		}
		if i == 0 || rs.res.Route == "" || s.health.healthy(rs.res.Route, t, now) {
			out := make([]provider.Route, 0, len(targets))
			out = append(out, t)
			out = append(out, targets[:i]...)
			return append(out, targets[i+1:]...)
		}
		break
	}
	return targets
}

// preferredKey is the session's pinned key when t is its pinned target.
func preferredKey(rs *reqState, t provider.Route) *provider.Key {
	if rs.pinned.key != nil && rs.pinned.target == targetName(t) {
		return rs.pinned.key
	}
	return nil
}

// repin records where the session went after a success. It reports
// whether the session moved from another target (the row says so).
func (s *Server) repin(rs *reqState, now time.Time) (moved bool) {
	if rs.session == "" || rs.key == nil {
		return false
	}
	target := targetName(rs.route)
	moved = rs.pinned.target != "" && rs.pinned.target != target
	s.pins.set(pinScope(rs), rs.session, sessionPin{target: target, key: rs.key, used: now})
	return moved
}

package gateway

import (
	"context"
	"net/http"
	"net/url"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

// apiKey is one upstream key as the dashboard shows it: its hint only.
type apiKey struct {
	Hint        string     `json:"hint"`
	State       string     `json:"state"` // ok, cooling or set_aside
	Until       *time.Time `json:"until"` // end of the cool-down
	LastError   string     `json:"last_error"`
	LastErrorAt *time.Time `json:"last_error_at"`
}

type apiProvider struct {
	Name     string `json:"name"`
	Type     string `json:"type"`
	BaseURL  string `json:"base_url"`
	Strategy string `json:"strategy"`
	// Responses is how /v1/responses is served: native, chat (openai) or
	// messages (anthropic; always converted).
	Responses string   `json:"responses"`
	Models    int      `json:"models"` // static and added
	Keys      []apiKey `json:"keys"`
}

type apiTarget struct {
	Target       string     `json:"target"` // provider/model as the route names it
	Resolved     string     `json:"resolved"`
	Weight       int        `json:"weight,omitempty"`
	Healthy      bool       `json:"healthy"`
	EjectedUntil *time.Time `json:"ejected_until"`
}

type apiRoute struct {
	Name     string      `json:"name"`
	Strategy string      `json:"strategy"`
	Targets  []apiTarget `json:"targets"`
}

// shownBaseURL is a base URL without a password it may carry.
func shownBaseURL(u string) string {
	p, err := url.Parse(u)
	if err != nil {
		return "(unparsable base_url)"
	}
	return p.Redacted()
}

// apiProviders serves GET /admin/api/providers: each provider's keys
// with their state, and each route's targets with their health.
func (s *Server) apiProviders(c *gin.Context) {
	now := time.Now()
	providers := make([]apiProvider, 0, len(s.reg.Providers()))
	for _, p := range s.reg.Providers() {
		ap := apiProvider{Name: p.Name, Type: p.Type, BaseURL: shownBaseURL(p.BaseURL), Strategy: p.Pool.Strategy(),
			Responses: p.Responses, Models: len(p.Models) + len(s.reg.Fetched(p.Name)), Keys: []apiKey{}}
		if p.Type == config.TypeAnthropic {
			ap.Responses = "messages"
		}
		if ap.Strategy == config.StrategyFirst {
			ap.Strategy = "first" // the first usable key, in config order
		}
		for _, k := range p.Pool.Keys() {
			st := k.Status(now)
			ap.Keys = append(ap.Keys, apiKey{Hint: k.Hint, State: st.State, Until: s.localTime(st.Until),
				LastError: s.reg.Redact(st.LastError), LastErrorAt: s.localTime(st.LastErrorAt)})
		}
		providers = append(providers, ap)
	}
	routes := s.reg.Routes()
	out := make([]apiRoute, 0, len(routes))
	for _, name := range routes.Names() {
		spec := routes[name]
		r := apiRoute{Name: name, Strategy: spec.Strategy, Targets: []apiTarget{}}
		if r.Strategy == "" {
			r.Strategy = config.StrategyPriority
		}
		for i, target := range spec.Targets {
			at := apiTarget{Target: target}
			if r.Strategy == config.StrategyWeighted && i < len(spec.Weights) {
				at.Weight = spec.Weights[i]
			}
			if t, err := s.reg.Resolve(target); err == nil && t.Provider != nil {
				at.Resolved = targetName(t)
				until := s.health.peekEjection(name, at.Resolved)
				at.Healthy = !now.Before(until)
				if at.Healthy {
					until = time.Time{}
				}
				at.EjectedUntil = s.localTime(until)
			}
			r.Targets = append(r.Targets, at)
		}
		out = append(out, r)
	}
	c.JSON(http.StatusOK, gin.H{"providers": providers, "routes": out})
}

// keyTestTimeout bounds POST /admin/api/providers/{name}/test; each key's
// check has its own, shorter bound (catalog.TestKeys).
const keyTestTimeout = 60 * time.Second

// apiKeyResult is one key's test.
type apiKeyResult struct {
	Hint      string `json:"hint"`
	OK        bool   `json:"ok"`
	Result    string `json:"result"` // ok, unauthorized, rate-limited, unreachable, other
	Status    int    `json:"status"`
	LatencyMs int64  `json:"latency_ms"`
	Error     string `json:"error"`
	// Restored: the key was set aside and works again, so it is back in
	// rotation (as the server's own probe does).
	Restored bool `json:"restored"`
}

// apiTestProvider serves POST /admin/api/providers/{name}/test: the
// models-list call of `aigw keys test` with every key of the provider.
func (s *Server) apiTestProvider(c *gin.Context) {
	p, ok := s.adminProvider(c)
	if !ok {
		return
	}
	ctx, cancel := context.WithTimeout(withConnectTimeout(c.Request.Context(), p.ConnectTimeout), keyTestTimeout)
	defer cancel()
	results := catalog.TestKeys(ctx, s.client, []*provider.Provider{p}, 8)
	keys := p.Pool.Keys()
	out := make([]apiKeyResult, 0, len(results))
	now := time.Now()
	for i, r := range results {
		ar := apiKeyResult{Hint: r.KeyHint, OK: r.OK(), Result: r.Result, Status: r.Status, LatencyMs: r.LatencyMs,
			Error: s.reg.Redact(r.Error)}
		if i < len(keys) {
			k := keys[i]
			switch {
			case r.OK() && k.Status(now).State == provider.KeySetAside:
				k.Restore()
				ar.Restored = true
			case !r.OK():
				k.NoteError("key test: "+ar.Result+" "+clip(ar.Error, 200), now)
			}
		}
		out = append(out, ar)
	}
	s.log.Info("admin api: keys tested", "provider", p.Name, "keys", len(out))
	c.JSON(http.StatusOK, gin.H{"provider": p.Name, "results": out})
}

// peekEjection is when the named target's ejection from route ends (zero
// when it is not ejected), without creating a record for it.
func (h *routeHealth) peekEjection(route, target string) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	if st := h.m[route+"\x00"+target]; st != nil {
		return st.ejectedUntil
	}
	return time.Time{}
}

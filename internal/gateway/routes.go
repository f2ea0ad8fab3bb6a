package gateway

import (
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"time"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

// Health of a route's targets (README, "路由"): 3 failures in a row eject
// a target for 30 s, doubling on each repeat ejection up to 5 min; after
// that it gets one trial request, and a success makes it healthy again.
const (
	ejectAfterFailures = 3
	firstEjection      = 30 * time.Second
	maxEjection        = 5 * time.Minute
	// ewmaDecay is the time constant of the moving average of time to
	// first byte that the latency strategy compares.
	ewmaDecay = 30 * time.Second
)

// targetState is the health of one target of one route.
type targetState struct {
	fails        int       // failures in a row
	ejections    int       // ejections in a row (the next one lasts twice as long)
	ejectedUntil time.Time // zero when not ejected
	trial        bool      // the one request let through after an ejection is running
	ewma         float64   // peak EWMA of time to first byte, in seconds
	ewmaAt       time.Time
}

// routeHealth holds every route target's state, keyed by route name and
// target; it outlives redirect file reloads (a target keeps its record).
type routeHealth struct {
	mu sync.Mutex
	m  map[string]*targetState
	// first and max are the first ejection's length and the cap of the
	// doubling (30 s and 5 min; shorter in tests, in the same ratio).
	first, max time.Duration
}

func newRouteHealth(first time.Duration) *routeHealth {
	if first <= 0 {
		first = firstEjection
	}
	return &routeHealth{m: map[string]*targetState{}, first: first, max: first * (maxEjection / firstEjection)}
}

func targetName(t provider.Route) string { return t.Provider.Name + "/" + t.UpstreamModel }

func healthKey(route string, t provider.Route) string { return route + "\x00" + targetName(t) }

// stateLocked returns the state of a target, creating it.
func (h *routeHealth) stateLocked(route string, t provider.Route) *targetState {
	k := healthKey(route, t)
	st := h.m[k]
	if st == nil {
		st = &targetState{}
		h.m[k] = st
	}
	return st
}

// order returns the targets of res in the order to try them: the healthy
// ones by the route's strategy, then the ejected ones, soonest back first
// (a route never refuses without trying). A target whose ejection is over
// is healthy again for one trial request at a time.
func (h *routeHealth) order(res provider.Resolution, now time.Time) []provider.Route {
	if res.Route == "" || len(res.Targets) == 1 {
		return res.Targets
	}
	type cand struct {
		t      provider.Route
		weight int
		until  time.Time
		ewma   float64
	}
	healthy := make([]cand, 0, len(res.Targets))
	var ejected []cand
	h.mu.Lock()
	for i, t := range res.Targets {
		st := h.stateLocked(res.Route, t)
		c := cand{t: t, weight: 1, ewma: st.ewma}
		if i < len(res.Weights) {
			c.weight = res.Weights[i]
		}
		switch {
		case st.ejectedUntil.IsZero():
			healthy = append(healthy, c)
		case now.Before(st.ejectedUntil) || st.trial:
			c.until = st.ejectedUntil
			ejected = append(ejected, c)
		default:
			// The ejection is over and no trial runs: the request that
			// uses it (begin) makes the trial.
			healthy = append(healthy, c)
		}
	}
	h.mu.Unlock()

	switch res.Strategy {
	case config.StrategyWeighted:
		// The first drawn with probability weight/sum, the rest after
		// it the same way: weighted sampling without replacement.
		for i := range healthy {
			sum := 0
			for _, c := range healthy[i:] {
				sum += c.weight
			}
			if sum <= 0 {
				break
			}
			n := rand.IntN(sum)
			for j := i; j < len(healthy); j++ {
				if n < healthy[j].weight {
					healthy[i], healthy[j] = healthy[j], healthy[i]
					break
				}
				n -= healthy[j].weight
			}
		}
	case config.StrategyLatency:
		// Two drawn at random, the lower moving average of time to
		// first byte first (power of two choices), the rest as listed.
		if len(healthy) >= 2 {
			i := rand.IntN(len(healthy))
			j := rand.IntN(len(healthy) - 1)
			if j >= i {
				j++
			}
			best, other := i, j
			if healthy[j].ewma < healthy[i].ewma {
				best, other = j, i
			}
			first, second := healthy[best], healthy[other]
			rest := make([]cand, 0, len(healthy))
			rest = append(rest, first, second)
			for k, c := range healthy {
				if k != best && k != other {
					rest = append(rest, c)
				}
			}
			healthy = rest
		}
	}
	slices.SortStableFunc(ejected, func(a, b cand) int { return a.until.Compare(b.until) })
	out := make([]provider.Route, 0, len(res.Targets))
	for _, c := range healthy {
		out = append(out, c.t)
	}
	for _, c := range ejected {
		out = append(out, c.t)
	}
	return out
}

// begin notes that a request uses the target: when its ejection is over,
// this request is its one trial.
func (h *routeHealth) begin(route string, t provider.Route, now time.Time) {
	if route == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stateLocked(route, t)
	if !st.ejectedUntil.IsZero() && !now.Before(st.ejectedUntil) {
		st.trial = true
	}
}

// release ends a use that was neither a success nor a failure of the
// target (the client left first): a trial may run again.
func (h *routeHealth) release(route string, t provider.Route) {
	if route == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.stateLocked(route, t).trial = false
}

// failed records a failure of a target; it reports whether the target
// was ejected by it.
func (h *routeHealth) failed(route string, t provider.Route, now time.Time) bool {
	if route == "" {
		return false
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stateLocked(route, t)
	st.fails++
	wasTrial := st.trial
	st.trial = false
	if st.fails < ejectAfterFailures && !wasTrial {
		return false
	}
	d := h.first << min(st.ejections, 10)
	st.ejections++
	st.ejectedUntil = now.Add(min(d, h.max))
	return true
}

// succeeded records a success and the time to first byte it took.
func (h *routeHealth) succeeded(route string, t provider.Route, ttfb time.Duration, now time.Time) {
	if route == "" {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stateLocked(route, t)
	st.fails, st.ejections, st.trial = 0, 0, false
	st.ejectedUntil = time.Time{}
	st.ewma = peakEWMA(st.ewma, st.ewmaAt, ttfb.Seconds(), now)
	st.ewmaAt = now
}

// ejectRemote applies another instance's ejection of a target (shared over
// Redis): the target is out until then, here too.
func (h *routeHealth) ejectRemote(route, target string, until time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	k := route + "\x00" + target
	st := h.m[k]
	if st == nil {
		st = &targetState{}
		h.m[k] = st
	}
	if until.After(st.ejectedUntil) {
		st.ejectedUntil = until
		st.fails = max(st.fails, ejectAfterFailures)
	}
}

// ejectedUntil is when the target's current ejection ends (zero if none).
func (h *routeHealth) ejectedUntil(route string, t provider.Route) time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.stateLocked(route, t).ejectedUntil
}

// healthy reports whether the target is not ejected now (for /metrics).
func (h *routeHealth) healthy(route string, t provider.Route, now time.Time) bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	st := h.stateLocked(route, t)
	return st.ejectedUntil.IsZero() || !now.Before(st.ejectedUntil)
}

// peakEWMA folds a sample into a moving average that decays with
// ewmaDecay but jumps straight up to a slower sample, so a target that
// turned slow loses its place at once and wins it back gradually.
func peakEWMA(avg float64, at time.Time, sample float64, now time.Time) float64 {
	if at.IsZero() || sample > avg {
		return sample
	}
	w := math.Exp(-float64(now.Sub(at)) / float64(ewmaDecay))
	return avg*w + sample*(1-w)
}

package provider

import (
	"fmt"

	"github.com/aigw/aigw/internal/config"
)

// Resolution is where a requested model goes: one target for a model, the
// route's targets (each resolved) for a route name.
type Resolution struct {
	// Route is the route's name; "" when the model is not a route.
	Route    string
	Strategy string // config.StrategyPriority, ...Weighted or ...Latency
	Weights  []int  // weighted only, one per target
	// Targets in the route's order; exactly one for a plain model.
	Targets []Route
}

// SetRoutes replaces the routes (hot reload of the redirect file).
func (r *Registry) SetRoutes(rt config.Routes) {
	if rt == nil {
		rt = config.Routes{}
	}
	r.routes.Store(&rt)
}

// Routes returns the routes in force.
func (r *Registry) Routes() config.Routes { return *r.routes.Load() }

// ResolveAll resolves model through the aliases; a route name then yields
// its targets, each resolved as a model is (alias, provider/ prefix, known
// lists, default provider). A target that no longer resolves (a fetched
// model removed since the file was checked) is left out; a route left
// with none is ErrModelNotFound.
func (r *Registry) ResolveAll(model string) (Resolution, error) {
	resolved, err := r.Aliases().Resolve(model)
	if err != nil {
		return Resolution{}, fmt.Errorf("%w: %v", ErrModelNotFound, err)
	}
	spec, ok := r.Routes()[resolved]
	if !ok {
		// A model: the aliases are resolved already.
		t, err := r.resolveResolved(model, resolved)
		if err != nil {
			return Resolution{Targets: []Route{t}}, err
		}
		return Resolution{Strategy: config.StrategyPriority, Targets: []Route{t}}, nil
	}
	res := Resolution{Route: resolved, Strategy: spec.Strategy}
	if res.Strategy == "" {
		res.Strategy = config.StrategyPriority
	}
	for i, target := range spec.Targets {
		t, err := r.Resolve(target)
		if err != nil {
			continue
		}
		t.Requested = model
		res.Targets = append(res.Targets, t)
		if res.Strategy == config.StrategyWeighted && i < len(spec.Weights) {
			res.Weights = append(res.Weights, spec.Weights[i])
		}
	}
	if len(res.Targets) == 0 {
		return res, fmt.Errorf("%w: route %q: none of its targets resolves", ErrModelNotFound, resolved)
	}
	return res, nil
}

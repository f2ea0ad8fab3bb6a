package config

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
)

// Route is one [routes."NAME"] of the redirect file: one public model
// name served by several targets with failover (README, "路由").
type Route struct {
	// Targets are "provider/model" or an alias of one, tried in the
	// order the strategy gives.
	Targets []string `toml:"targets"`
	// Strategy is priority (default), weighted or latency.
	Strategy string `toml:"strategy"`
	// Weights, for weighted only: one positive integer per target.
	Weights []int `toml:"weights"`
}

// Route strategies.
const (
	StrategyPriority = "priority"
	StrategyWeighted = "weighted"
	StrategyLatency  = "latency"
)

// Routes maps a route name to its route.
type Routes map[string]Route

// Names returns the route names sorted, for stable output.
func (rt Routes) Names() []string {
	names := make([]string, 0, len(rt))
	for k := range rt {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// StrategyOrDefault is the route's strategy, priority when none is written.
func (r Route) StrategyOrDefault() string {
	if r.Strategy == "" {
		return StrategyPriority
	}
	return r.Strategy
}

// Equal reports whether two routes are written the same way.
func (r Route) Equal(o Route) bool {
	return r.Strategy == o.Strategy && slices.Equal(r.Targets, o.Targets) && slices.Equal(r.Weights, o.Weights)
}

// Validate checks the aliases (names, cycles) and every route: a name that
// is also an alias, an empty target list, an empty or duplicate target, a
// target that is a route (directly or through aliases), an unknown
// strategy, weights without strategy weighted, weighted without weights,
// weights that do not match the targets or are not positive. Each error
// names the route as routes."NAME".
func (r Redirect) Validate() error {
	var errs []error
	if err := r.Aliases.Validate(); err != nil {
		errs = append(errs, err)
	}
	for _, name := range r.Routes.Names() {
		for _, err := range r.routeErrors(name) {
			errs = append(errs, fmt.Errorf("routes.%q: %w", name, err))
		}
	}
	return errors.Join(errs...)
}

// routeErrors lists what is wrong with route name.
func (r Redirect) routeErrors(name string) []error {
	var errs []error
	rt := r.Routes[name]
	if strings.TrimSpace(name) == "" {
		errs = append(errs, errors.New("a route name is empty"))
	}
	if _, ok := r.Aliases[name]; ok {
		errs = append(errs, fmt.Errorf("%q is also an alias; a name is an alias or a route, not both", name))
	}
	if len(rt.Targets) == 0 {
		errs = append(errs, errors.New("targets is empty: list at least one provider/model"))
	}
	resolvedAt := map[string]int{}
	for i, target := range rt.Targets {
		if strings.TrimSpace(target) == "" {
			errs = append(errs, fmt.Errorf("targets[%d] is empty", i))
			continue
		}
		resolved, err := r.Aliases.Resolve(target)
		if err != nil {
			errs = append(errs, fmt.Errorf("targets[%d] %q: %w", i, target, err))
			continue
		}
		if _, isRoute := r.Routes[resolved]; isRoute {
			via := ""
			if resolved != target {
				via = fmt.Sprintf(" (through alias %q)", target)
			}
			errs = append(errs, fmt.Errorf("targets[%d] %q is route %q%s; a target is provider/model or an alias of one, not a route",
				i, target, resolved, via))
			continue
		}
		if j, dup := resolvedAt[resolved]; dup {
			same := ""
			if rt.Targets[j] != target || resolved != target {
				same = fmt.Sprintf(" (both are %q)", resolved)
			}
			errs = append(errs, fmt.Errorf("targets[%d] %q duplicates targets[%d] %q%s; each target at most once",
				i, target, j, rt.Targets[j], same))
			continue
		}
		resolvedAt[resolved] = i
	}
	switch rt.Strategy {
	case "", StrategyPriority, StrategyLatency:
		if len(rt.Weights) > 0 {
			errs = append(errs, fmt.Errorf("weights are for strategy %q only (strategy is %q)", StrategyWeighted, rt.StrategyOrDefault()))
		}
	case StrategyWeighted:
		switch {
		case len(rt.Weights) == 0:
			errs = append(errs, fmt.Errorf("strategy %q needs weights, one positive integer per target", StrategyWeighted))
		case len(rt.Weights) != len(rt.Targets):
			errs = append(errs, fmt.Errorf("weights has %d entries for %d targets", len(rt.Weights), len(rt.Targets)))
		}
		for i, w := range rt.Weights {
			if w <= 0 {
				errs = append(errs, fmt.Errorf("weights[%d] is %d; each weight must be a positive integer", i, w))
			}
		}
	default:
		errs = append(errs, fmt.Errorf("unknown strategy %q (%s, %s or %s)", rt.Strategy, StrategyPriority, StrategyWeighted, StrategyLatency))
	}
	return errs
}

// CheckProviders refuses route targets that name a provider which is not
// configured: a target resolving (through aliases) to "P/x" where P is not
// in providers, unless listed reports "P/x" as a model id some provider
// lists as is (OpenRouter-style ids hold a '/'); listed may be nil. A bare
// model name is not checked: it goes to a provider listing it or to
// default_provider (README "模型解析规则", steps 3-4).
func (r Redirect) CheckProviders(providers []string, listed func(model string) bool) error {
	known := map[string]bool{}
	for _, p := range providers {
		known[p] = true
	}
	var errs []error
	for _, name := range r.Routes.Names() {
		for i, target := range r.Routes[name].Targets {
			resolved, err := r.Aliases.Resolve(target)
			if err != nil {
				continue // reported by Validate
			}
			prefix, rest, ok := strings.Cut(resolved, "/")
			if !ok {
				continue
			}
			via := ""
			if resolved != target {
				via = fmt.Sprintf(" (alias of %q)", resolved)
			}
			switch {
			case known[prefix] && rest == "":
				errs = append(errs, fmt.Errorf("routes.%q: targets[%d] %q%s names provider %s but no model after the '/'",
					name, i, target, via, prefix))
			case known[prefix], listed != nil && listed(resolved):
			default:
				errs = append(errs, fmt.Errorf("routes.%q: targets[%d] %q%s: %q is not a configured provider (providers: %s)",
					name, i, target, via, prefix, strings.Join(providers, ", ")))
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		if r.Path != "" {
			return fmt.Errorf("redirect file %s: %w", r.Path, err)
		}
		return err
	}
	return nil
}

// routeTable renders one [routes."NAME"] table, lines ended by eol.
func routeTable(name string, r Route, eol string) string {
	return "[routes." + quoteTOML(name) + "]" + eol + strings.Join(routeLines(r), eol) + eol
}

// routeLines renders a route's keys, one line each: targets, then
// strategy and weights when set.
func routeLines(r Route) []string {
	lines := []string{"targets = " + routeValue(r, "targets")}
	if r.Strategy != "" {
		lines = append(lines, "strategy = "+routeValue(r, "strategy"))
	}
	if len(r.Weights) > 0 {
		lines = append(lines, "weights = "+routeValue(r, "weights"))
	}
	return lines
}

// routeValue renders one key of r as a TOML value, "" when it is unset.
func routeValue(r Route, key string) string {
	switch key {
	case "targets":
		q := make([]string, len(r.Targets))
		for i, t := range r.Targets {
			q[i] = quoteTOML(t)
		}
		return "[" + strings.Join(q, ", ") + "]"
	case "strategy":
		if r.Strategy == "" {
			return ""
		}
		return quoteTOML(r.Strategy)
	case "weights":
		if len(r.Weights) == 0 {
			return ""
		}
		q := make([]string, len(r.Weights))
		for i, w := range r.Weights {
			q[i] = strconv.Itoa(w)
		}
		return "[" + strings.Join(q, ", ") + "]"
	}
	return ""
}

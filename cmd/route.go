package cmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

func newCmdRoute(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "route",
		Short: "Edit routes (one model name, several providers, failover) in the redirect file",
		Long: "Routes live in the redirect file beside the aliases (server.redirect_file), one namespace:\n" +
			"a name is an alias or a route. A route serves one model name from several provider/model\n" +
			"targets and fails over between them. set and rm edit the file atomically, keeping the\n" +
			"aliases, the other routes and the comments; a running `aigw serve` reloads it within a second.",
	}
	c.AddCommand(newCmdRouteSet(f, nil), newCmdRouteList(f, nil), newCmdRouteRm(f, nil))
	return c
}

// ---- route set ----

type routeSetOptions struct {
	dbDeps
	out, errOut io.Writer
	name        string
	targets     []string
	strategy    string
	weights     []int
}

func newCmdRouteSet(f *factory, runF func(*routeSetOptions) error) *cobra.Command {
	o := &routeSetOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	c := &cobra.Command{
		Use:   "set <name> <target>...",
		Short: "Add or replace a route; each target is provider/model or an alias of one",
		Example: "  aigw route set smart anthropic/claude-sonnet-4-5 openai/gpt-4o\n" +
			"  aigw route set deepseek-chat deepseek/deepseek-chat volc/deepseek-v3 --strategy weighted --weights 3,1\n" +
			"  aigw route set fast openai/gpt-4o-mini azure/gpt-4o-mini --strategy latency",
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name, o.targets = args[0], args[1:]
			if strings.TrimSpace(o.name) == "" {
				return fmt.Errorf("the route name must not be empty")
			}
			for _, t := range o.targets {
				if strings.TrimSpace(t) == "" {
					return fmt.Errorf("a target must not be empty")
				}
			}
			// --weights alone means weighted.
			if len(o.weights) > 0 && !cmd.Flags().Changed("strategy") {
				o.strategy = config.StrategyWeighted
			}
			if runF != nil {
				return runF(o)
			}
			return runRouteSet(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&o.strategy, "strategy", config.StrategyPriority, "priority, weighted or latency")
	c.Flags().IntSliceVar(&o.weights, "weights", nil, "weighted only: one positive integer per target, e.g. 3,1")
	return c
}

func runRouteSet(ctx context.Context, o *routeSetOptions) error {
	out, errOut := o.out, o.errOut
	env, path, err := openAliasEnv(ctx, o.dbDeps)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.dbErr != nil {
		fmt.Fprintf(errOut, "warning: fetched models unknown (%v); checking the targets against static models only\n", env.dbErr)
	}

	rt := config.Route{Targets: o.targets, Strategy: o.strategy, Weights: o.weights}
	next := env.redirect
	next.Routes = maps.Clone(env.redirect.Routes)
	next.Routes[o.name] = rt
	if err := next.Validate(); err != nil {
		return fmt.Errorf("refused: route %s: %w", o.name, err)
	}
	if err := next.CheckProviders(env.reg.ProviderNames(), env.reg.Lists); err != nil {
		return fmt.Errorf("refused: route %s: %w", o.name, err)
	}
	if err := config.WriteRedirect(path, next); err != nil {
		return fmt.Errorf("refused: %w", err)
	}

	if old, ok := env.redirect.Routes[o.name]; ok && !old.Equal(rt) {
		fmt.Fprintf(out, "route %s (%s): %s (was %s: %s)\n", o.name, rt.StrategyOrDefault(), targetsText(rt),
			old.StrategyOrDefault(), targetsText(old))
	} else {
		fmt.Fprintf(out, "route %s (%s): %s\n", o.name, rt.StrategyOrDefault(), targetsText(rt))
	}
	env.reg.SetRoutes(next.Routes)
	for _, r := range routeRows(env.reg, config.Routes{o.name: rt})[0].Targets {
		fmt.Fprintf(out, "  %s -> %s\n", r.Target, r.served())
		if warn := aliasTargetWarning(env.reg, r.Target); warn != "" {
			fmt.Fprintln(errOut, "warning:", warn)
		}
	}
	fmt.Fprintf(out, "saved %s; a running aigw serve reloads it within a second\n", path)
	return nil
}

// targetsText renders a route's targets with their weights.
func targetsText(r config.Route) string {
	parts := make([]string, len(r.Targets))
	for i, t := range r.Targets {
		parts[i] = t
		if i < len(r.Weights) {
			parts[i] += " ×" + strconv.Itoa(r.Weights[i])
		}
	}
	return strings.Join(parts, ", ")
}

// ---- route list ----

type routeListOptions struct {
	dbDeps
	out, errOut io.Writer
	json        bool
}

func newCmdRouteList(f *factory, runF func(*routeListOptions) error) *cobra.Command {
	o := &routeListOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	c := &cobra.Command{
		Use:   "list",
		Short: "List routes, their targets and where each target is served now",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return runRouteList(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return c
}

// routeRow is one route of `route list`.
type routeRow struct {
	Route    string           `json:"route"`
	Strategy string           `json:"strategy"`
	Targets  []routeTargetRow `json:"targets"`
}

// routeTargetRow is one target and where it resolves now; Provider is
// empty when it does not resolve (the gateway skips it).
type routeTargetRow struct {
	Target        string `json:"target"`
	Weight        int    `json:"weight,omitempty"`
	Provider      string `json:"provider,omitempty"`
	UpstreamModel string `json:"upstream_model,omitempty"`
}

func (r routeTargetRow) served() string {
	if r.Provider == "" {
		return "(unknown: skipped)"
	}
	return r.Provider + "/" + r.UpstreamModel
}

// routeRows resolves every target of routes, in name order.
func routeRows(reg *provider.Registry, routes config.Routes) []routeRow {
	rows := []routeRow{}
	for _, name := range routes.Names() {
		rt := routes[name]
		row := routeRow{Route: name, Strategy: rt.StrategyOrDefault(), Targets: []routeTargetRow{}}
		for i, target := range rt.Targets {
			tr := routeTargetRow{Target: target}
			if i < len(rt.Weights) {
				tr.Weight = rt.Weights[i]
			}
			if res, err := reg.Resolve(target); err == nil {
				tr.Provider, tr.UpstreamModel = res.Provider.Name, res.UpstreamModel
			}
			row.Targets = append(row.Targets, tr)
		}
		rows = append(rows, row)
	}
	return rows
}

// renderRoutes prints one line per target, the route and its strategy on
// the first.
func renderRoutes(w io.Writer, rows []routeRow) {
	t := newTable(w, "route", "strategy", "target", "weight", "served by")
	for _, r := range rows {
		for i, tr := range r.Targets {
			name, strategy, weight := "", "", ""
			if i == 0 {
				name, strategy = r.Route, r.Strategy
			}
			if tr.Weight > 0 {
				weight = strconv.Itoa(tr.Weight)
			}
			t.row(name, strategy, tr.Target, weight, tr.served())
		}
	}
	t.render()
}

func runRouteList(ctx context.Context, o *routeListOptions) error {
	out, errOut := o.out, o.errOut
	env, err := openCatalogEnv(ctx, o.dbDeps, true)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.dbErr != nil {
		fmt.Fprintf(errOut, "warning: fetched models unknown (%v)\n", env.dbErr)
	}
	rows := routeRows(env.reg, env.redirect.Routes)
	if o.json {
		return writeJSON(out, rows)
	}
	renderRoutes(out, rows)
	fmt.Fprintf(out, "%d routes in %s\n", len(rows), env.cfg.RedirectPath())
	return nil
}

// ---- route rm ----

type routeRmOptions struct {
	dbDeps
	out, errOut io.Writer
	name        string
}

func newCmdRouteRm(f *factory, runF func(*routeRmOptions) error) *cobra.Command {
	o := &routeRmOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	return &cobra.Command{
		Use:   "rm <name>",
		Short: "Remove a route, keeping the aliases and the other routes",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			if runF != nil {
				return runF(o)
			}
			return runRouteRm(cmd.Context(), o)
		},
	}
}

func runRouteRm(ctx context.Context, o *routeRmOptions) error {
	out, errOut, name := o.out, o.errOut, o.name
	env, path, err := openAliasEnv(ctx, o.dbDeps)
	if err != nil {
		return err
	}
	defer env.Close()
	old, ok := env.redirect.Routes[name]
	if !ok {
		return fmt.Errorf("no route %q in %s (routes: %s); names are case-sensitive",
			name, path, joinOrNone(env.redirect.Routes.Names()))
	}
	next := env.redirect
	next.Routes = maps.Clone(env.redirect.Routes)
	delete(next.Routes, name)
	if err := config.WriteRedirect(path, next); err != nil {
		return err
	}
	fmt.Fprintf(out, "removed route %s (was %s: %s); %d left in %s; a running aigw serve reloads it within a second\n",
		name, old.StrategyOrDefault(), targetsText(old), len(next.Routes), path)
	for _, alias := range next.Aliases.Names() {
		if next.Aliases[alias] == name {
			fmt.Fprintf(errOut, "warning: alias %s pointed to route %s, which is now a plain model name\n", alias, name)
		}
	}
	return nil
}

package cmd

import (
	"context"
	"fmt"
	"io"
	"maps"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

func newCmdAlias(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "alias",
		Short: "Edit model aliases in the redirect file (a running serve reloads it)",
		Long: "Model aliases live in the redirect file (server.redirect_file, default redirect.toml beside\n" +
			"the config). set and rm edit it atomically, keeping the other entries, comments and order;\n" +
			"a running `aigw serve` reloads it within a second. Names keep their case and dots.",
	}
	c.AddCommand(newCmdAliasSet(f, nil), newCmdAliasList(f, nil), newCmdAliasRm(f, nil))
	return c
}

// openAliasEnv opens what alias set and rm edit: the catalog env, with a
// redirect file that must be readable, and the file's path, or says how
// to configure one.
func openAliasEnv(ctx context.Context, d dbDeps) (*catalogEnv, string, error) {
	env, err := openCatalogEnv(ctx, d, true)
	if err != nil {
		return nil, "", err
	}
	p := env.cfg.RedirectPath()
	if p == "" {
		env.Close()
		return nil, "", fmt.Errorf("server.redirect_file is empty in %s: set it (e.g. redirect.toml) to use aliases and routes", env.cfg.Path)
	}
	return env, p, nil
}

// ---- alias set ----

type aliasSetOptions struct {
	dbDeps
	out, errOut  io.Writer
	name, target string
}

func newCmdAliasSet(f *factory, runF func(*aliasSetOptions) error) *cobra.Command {
	o := &aliasSetOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	return &cobra.Command{
		Use:   "set <alias> <target>",
		Short: "Add or change an alias; target is a model name or provider/model",
		Example: "  aigw alias set GPT-4.1-Fast openai/gpt-4.1-mini\n" +
			"  aigw alias set claude anthropic/claude-sonnet-4-5",
		Args: cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name, o.target = args[0], args[1]
			if strings.TrimSpace(o.name) == "" || strings.TrimSpace(o.target) == "" {
				return fmt.Errorf("alias and target must not be empty")
			}
			if runF != nil {
				return runF(o)
			}
			return runAliasSet(cmd.Context(), o)
		},
	}
}

func runAliasSet(ctx context.Context, o *aliasSetOptions) error {
	out, errOut, name, target := o.out, o.errOut, o.name, o.target
	env, path, err := openAliasEnv(ctx, o.dbDeps)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.dbErr != nil {
		fmt.Fprintf(errOut, "warning: fetched models unknown (%v); checking the target against static models only\n", env.dbErr)
	}

	next := maps.Clone(env.aliases)
	next[name] = target
	if chain := aliasCycle(next, name); chain != nil {
		return fmt.Errorf("refused: alias %s -> %s would make a cycle: %s", name, target, strings.Join(chain, " -> "))
	}
	nextFile := env.redirect
	nextFile.Aliases = next
	if err := nextFile.Validate(); err != nil {
		return fmt.Errorf("refused: %s -> %s: %w", name, target, err)
	}
	if err := checkAliasTarget(env.reg, next, target); err != nil {
		return err
	}
	if err := nextFile.CheckProviders(env.reg.ProviderNames(), env.reg.Lists); err != nil {
		return fmt.Errorf("refused: %s -> %s: %w", name, target, err)
	}
	if err := config.WriteRedirect(path, nextFile); err != nil {
		return fmt.Errorf("refused: %w", err)
	}

	if old, ok := env.aliases[name]; ok && old != target {
		fmt.Fprintf(out, "alias %s -> %s (was %s)\n", name, target, old)
	} else {
		fmt.Fprintf(out, "alias %s -> %s\n", name, target)
	}
	env.reg.SetAliases(next)
	if to, err := next.Resolve(name); err == nil && env.redirect.Routes[to].Targets != nil {
		fmt.Fprintf(out, "served by route %s\n", to)
	} else if warn := aliasTargetWarning(env.reg, name); warn != "" {
		fmt.Fprintln(errOut, "warning:", warn)
	} else if route, err := env.reg.Resolve(name); err == nil {
		fmt.Fprintf(out, "served by %s as %s\n", route.Provider.Name, route.UpstreamModel)
	}
	fmt.Fprintf(out, "saved %s; a running aigw serve reloads it within a second\n", path)
	return nil
}

// aliasCycle returns the chain from name back to an alias already on it,
// or nil. It names only the cycle the new entry closes, where Validate
// would list it once per member.
func aliasCycle(a config.Aliases, name string) []string {
	chain := []string{name}
	seen := map[string]bool{name: true}
	for cur := name; ; {
		next, ok := a[cur]
		if !ok {
			return nil
		}
		chain = append(chain, next)
		if seen[next] {
			return chain
		}
		seen[next], cur = true, next
	}
}

// checkAliasTarget refuses a target "P/x" whose P is not a provider, since
// it would 404 (or go to default_provider with the prefix attached, which
// is never what was meant). A bare model id may itself hold a '/'
// (OpenRouter-style "anthropic/claude-3.5"): it is accepted when another
// alias has that name or some provider lists it.
func checkAliasTarget(reg *provider.Registry, aliases config.Aliases, target string) error {
	prefix, rest, ok := strings.Cut(target, "/")
	if !ok {
		return nil
	}
	if _, isProvider := reg.Get(prefix); isProvider {
		if rest == "" {
			return fmt.Errorf("refused: target %q names provider %s but no model after the '/'", target, prefix)
		}
		return nil
	}
	if _, isAlias := aliases[target]; isAlias {
		return nil
	}
	for _, p := range reg.Providers() {
		if reg.Knows(p, target) {
			return nil
		}
	}
	hint := ""
	if len(reg.Providers()) > 0 {
		hint = fmt.Sprintf("; to send a model id with '/' as is, prefix its provider: %s/%s", reg.Providers()[0].Name, target)
	}
	return fmt.Errorf("refused: target %q starts with %q, which is not a configured provider (providers: %s), "+
		"and no provider lists %q as a model%s", target, prefix, strings.Join(providerNames(reg), ", "), target, hint)
}

// aliasTargetWarning says when an alias would route somewhere unexpected:
// to a model its provider does not list, to the default provider, or
// nowhere. It is a warning, not a refusal: upstreams serve models they do
// not list, and the catalog may be filled later.
func aliasTargetWarning(reg *provider.Registry, name string) string {
	route, err := reg.Resolve(name)
	if err != nil {
		return fmt.Sprintf("%s resolves to %q, which no provider lists: requests for it get 404 until one does "+
			"(aigw models fetch <provider> --add, or a provider's models in the config)", name, route.Resolved)
	}
	if reg.Knows(route.Provider, route.UpstreamModel) {
		return ""
	}
	if route.Resolved == route.Provider.Name+"/"+route.UpstreamModel {
		return fmt.Sprintf("provider %s does not list %q (static or fetched); requests are sent to it as is "+
			"(aigw models fetch %s shows what it lists)", route.Provider.Name, route.UpstreamModel, route.Provider.Name)
	}
	return fmt.Sprintf("no provider lists %q; requests go to default_provider %s as is", route.Resolved, route.Provider.Name)
}

// ---- alias list ----

type aliasListOptions struct {
	dbDeps
	out, errOut io.Writer
	json        bool
}

func newCmdAliasList(f *factory, runF func(*aliasListOptions) error) *cobra.Command {
	o := &aliasListOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	c := &cobra.Command{
		Use:   "list",
		Short: "List aliases and where each one is served",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return runAliasList(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return c
}

// aliasRow is one line of `alias list`.
type aliasRow struct {
	Alias         string `json:"alias"`
	Target        string `json:"target"`
	Provider      string `json:"provider,omitempty"`
	UpstreamModel string `json:"upstream_model,omitempty"`
}

func runAliasList(ctx context.Context, o *aliasListOptions) error {
	out, errOut := o.out, o.errOut
	env, err := openCatalogEnv(ctx, o.dbDeps, true)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.dbErr != nil {
		fmt.Fprintf(errOut, "warning: fetched models unknown (%v)\n", env.dbErr)
	}
	rows := []aliasRow{}
	for _, name := range env.aliases.Names() {
		r := aliasRow{Alias: name, Target: env.aliases[name]}
		if route, err := env.reg.Resolve(name); err == nil {
			r.Provider, r.UpstreamModel = route.Provider.Name, route.UpstreamModel
		}
		rows = append(rows, r)
	}
	if o.json {
		return writeJSON(out, rows)
	}
	t := newTable(out, "alias", "target", "served by")
	for _, r := range rows {
		served := "(no provider: 404)"
		if r.Provider != "" {
			served = r.Provider + " as " + r.UpstreamModel
		}
		t.row(r.Alias, r.Target, served)
	}
	t.render()
	fmt.Fprintf(out, "%d aliases in %s\n", len(rows), env.cfg.RedirectPath())
	return nil
}

// ---- alias rm ----

type aliasRmOptions struct {
	dbDeps
	out, errOut io.Writer
	name        string
}

func newCmdAliasRm(f *factory, runF func(*aliasRmOptions) error) *cobra.Command {
	o := &aliasRmOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	return &cobra.Command{
		Use:   "rm <alias>",
		Short: "Remove an alias, keeping the others",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.name = args[0]
			if runF != nil {
				return runF(o)
			}
			return runAliasRm(cmd.Context(), o)
		},
	}
}

func runAliasRm(ctx context.Context, o *aliasRmOptions) error {
	out, errOut, name := o.out, o.errOut, o.name
	env, path, err := openAliasEnv(ctx, o.dbDeps)
	if err != nil {
		return err
	}
	defer env.Close()
	target, ok := env.aliases[name]
	if !ok {
		return fmt.Errorf("no alias %q in %s (aliases: %s); names are case-sensitive",
			name, path, joinOrNone(env.aliases.Names()))
	}
	next := maps.Clone(env.aliases)
	delete(next, name)
	nextFile := env.redirect
	nextFile.Aliases = next
	if err := nextFile.CheckProviders(env.reg.ProviderNames(), env.reg.Lists); err != nil {
		return fmt.Errorf("refused: a route uses alias %s: %w", name, err)
	}
	if err := config.WriteRedirect(path, nextFile); err != nil {
		return err
	}
	fmt.Fprintf(out, "removed alias %s (was -> %s); %d left in %s\n", name, target, len(next), path)
	for _, other := range next.Names() {
		if next[other] == name {
			fmt.Fprintf(errOut, "warning: alias %s pointed to %s, which is now a plain model name\n", other, name)
		}
	}
	return nil
}

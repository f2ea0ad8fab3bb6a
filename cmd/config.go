package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/pricing"
	"github.com/aigw/aigw/internal/provider"
)

func newCmdConfig(f *factory) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	c.AddCommand(newCmdConfigCheck(f, nil))
	return c
}

type configCheckOptions struct {
	out    io.Writer
	config func() (*config.Config, error)
}

func newCmdConfigCheck(f *factory, runF func(*configCheckOptions) error) *cobra.Command {
	opts := &configCheckOptions{out: f.out, config: f.config}
	return &cobra.Command{
		Use:   "check",
		Short: "Validate the config and redirect file and print what would be served",
		Args:  cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runConfigCheck(opts)
		},
	}
}

// runConfigCheck loads the config and the redirect file and prints the
// providers and aliases a server would start with. Passwords in the DSN
// and in base URLs are masked; keys are shown by their hints.
func runConfigCheck(opts *configCheckOptions) error {
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	redirect, err := config.LoadRedirect(cfg.RedirectPath())
	if err != nil {
		return err
	}
	aliases := redirect.Aliases
	w := opts.out
	reg := provider.NewRegistry(cfg, aliases)
	reg.SetRoutes(redirect.Routes)
	if err := redirect.CheckProviders(reg.ProviderNames(), reg.Lists); err != nil {
		return err
	}
	fmt.Fprintf(w, "config %s: OK\n", cfg.Path)
	fmt.Fprintf(w, "listen %s, database %s (%s), time zone %s, client keys: %d, admin keys: %d\n\n",
		cfg.Server.Listen, cfg.Database.Driver, redactPassword(cfg.Database.DSN), cfg.Database.Timezone,
		len(cfg.Auth.Keys), len(cfg.Auth.AdminKeys))

	t := newTable(w, "provider", "type", "base_url", "keys", "strategy", "models")
	for _, p := range reg.Providers() {
		hints := make([]string, 0, p.Pool.Size())
		for _, k := range p.Pool.Keys() {
			hints = append(hints, k.Hint)
		}
		strategy := p.Strategy
		if strategy == "" {
			strategy = "first key"
		}
		t.row(p.Name, p.Type, redactPassword(p.BaseURL),
			fmt.Sprintf("%d (%s)", p.Pool.Size(), strings.Join(hints, ", ")), strategy, strings.Join(p.Models, ", "))
	}
	t.render()

	fmt.Fprintf(w, "\naliases from %s: %d\n", cfg.RedirectPath(), len(aliases))
	if len(aliases) > 0 {
		at := newTable(w, "alias", "target", "served by")
		for _, name := range aliases.Names() {
			served := "(unknown model: 404 until a provider lists it)"
			if to, err := aliases.Resolve(name); err == nil && redirect.Routes[to].Targets != nil {
				served = "route " + to
			} else if r, err := reg.Resolve(name); err == nil {
				served = r.Provider.Name + " as " + r.UpstreamModel
			}
			at.row(name, aliases[name], served)
		}
		at.render()
	}
	fmt.Fprintf(w, "\nroutes from %s: %d\n", cfg.RedirectPath(), len(redirect.Routes))
	if len(redirect.Routes) > 0 {
		renderRoutes(w, routeRows(reg, redirect.Routes))
	}
	return checkPrices(w, cfg, reg)
}

// checkPrices loads the prices file as serve would (a broken one is an
// error here too) and names the configured models no price applies to:
// their requests will be logged with an unknown cost.
func checkPrices(w io.Writer, cfg *config.Config, reg *provider.Registry) error {
	table, err := pricing.Load(cfg.PricesPath())
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "\nprices: %s, currency %s\n", escapeCell(cfg.PricesPath()), escapeCell(table.Currency()))
	if note := table.BuiltinNote(); note != "" {
		fmt.Fprintf(w, "built-in prices unused: %s\n", escapeCell(note))
	}
	var unpriced []string
	for _, p := range reg.Providers() {
		for _, m := range p.Models {
			if _, ok := table.Lookup(p.Name, m); !ok {
				unpriced = append(unpriced, escapeCell(p.Name+"/"+m))
			}
		}
	}
	if len(unpriced) > 0 {
		fmt.Fprintf(w, "no price (cost logged as unknown; add one with aigw prices set): %s\n", strings.Join(unpriced, ", "))
	}
	return nil
}

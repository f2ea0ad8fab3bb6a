package cmd

import (
	"fmt"
	"io"
	"strings"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/aigw/aigw/pkg/config"
	"github.com/aigw/aigw/pkg/provider"
)

func newConfigCmd(g *globalOptions) *cobra.Command {
	c := &cobra.Command{Use: "config", Short: "Inspect the configuration"}
	c.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Validate the config and redirect file and print what would be served",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := g.loadConfig()
			if err != nil {
				return err
			}
			return runConfigCheck(cmd.OutOrStdout(), cfg)
		},
	})
	return c
}

func runConfigCheck(w io.Writer, cfg *config.Config) error {
	aliases, err := config.LoadAliases(cfg.RedirectPath())
	if err != nil {
		return err
	}
	reg := provider.NewRegistry(cfg, aliases)
	fmt.Fprintf(w, "config %s: OK\n", cfg.Path)
	fmt.Fprintf(w, "listen %s, database %s (%s), time zone %s, client keys: %d, admin keys: %d\n\n",
		cfg.Server.Listen, cfg.Database.Driver, redactDSN(cfg.Database.DSN), cfg.Database.Timezone,
		len(cfg.Auth.Keys), len(cfg.Auth.AdminKeys))

	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"provider", "type", "base_url", "keys", "strategy", "models"})
	for _, p := range reg.Providers() {
		hints := make([]string, 0, p.Pool.Size())
		for _, k := range p.Pool.Keys() {
			hints = append(hints, k.Hint)
		}
		strategy := p.Strategy
		if strategy == "" {
			strategy = "first key"
		}
		t.AppendRow(table.Row{p.Name, p.Type, p.BaseURL,
			fmt.Sprintf("%d (%s)", p.Pool.Size(), strings.Join(hints, ", ")), strategy, strings.Join(p.Models, ", ")})
	}
	t.Render()

	fmt.Fprintf(w, "\naliases from %s: %d\n", cfg.RedirectPath(), len(aliases))
	if len(aliases) > 0 {
		at := table.NewWriter()
		at.SetOutputMirror(w)
		at.SetStyle(table.StyleLight)
		at.AppendHeader(table.Row{"alias", "target", "served by"})
		for _, name := range aliases.Names() {
			served := "(unknown model: 404 until a provider lists it)"
			if r, err := reg.Resolve(name); err == nil {
				served = r.Provider.Name + " as " + r.UpstreamModel
			}
			at.AppendRow(table.Row{name, aliases[name], served})
		}
		at.Render()
	}
	return nil
}

// redactDSN hides a password in a postgres URL or key=value DSN.
func redactDSN(dsn string) string {
	if i := strings.Index(dsn, "://"); i >= 0 {
		if at := strings.LastIndex(dsn, "@"); at > i {
			userinfo := dsn[i+3 : at]
			if u, _, ok := strings.Cut(userinfo, ":"); ok {
				return dsn[:i+3] + u + ":***" + dsn[at:]
			}
		}
		return dsn
	}
	fields := strings.Fields(dsn)
	for j, f := range fields {
		if strings.HasPrefix(strings.ToLower(f), "password=") {
			fields[j] = "password=***"
		}
	}
	return strings.Join(fields, " ")
}

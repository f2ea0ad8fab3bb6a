package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/aigw/aigw/pkg/catalog"
	"github.com/aigw/aigw/pkg/provider"
)

func init() { extraCommands = append(extraCommands, newKeysCmd) }

func newKeysCmd(g *globalOptions) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Check the upstream API keys of the provider pools"}
	c.AddCommand(newKeysTestCmd(g))
	return c
}

type keysTestOptions struct {
	provider    string
	json        bool
	concurrency int
}

func newKeysTestCmd(g *globalOptions) *cobra.Command {
	o := &keysTestOptions{}
	c := &cobra.Command{
		Use:   "test [provider]",
		Short: "Try every key of each pool (or of one provider) with a models-list call",
		Long: "Try every key of every pool, or of the named provider, with the cheapest authenticated\n" +
			"call (the upstream's models list). A row per key: provider, key hint, result (ok,\n" +
			"unauthorized, rate-limited, unreachable, other), HTTP status, latency. Keys are shown\n" +
			"by their hint only. Exit status 1 when any key is not ok.",
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				o.provider = args[0]
			}
			return runKeysTest(cmd.Context(), g, cmd.OutOrStdout(), o)
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	c.Flags().IntVar(&o.concurrency, "concurrency", 8, "keys checked at once")
	return c
}

func runKeysTest(ctx context.Context, g *globalOptions, out io.Writer, o *keysTestOptions) error {
	cfg, err := g.loadConfig()
	if err != nil {
		return err
	}
	reg := provider.NewRegistry(cfg, nil)
	providers := reg.Providers()
	if o.provider != "" {
		p, ok := reg.Get(o.provider)
		if !ok {
			return fmt.Errorf("no provider %q in %s (providers: %s)", o.provider, cfg.Path, joinOrNone(providerNames(reg)))
		}
		providers = []*provider.Provider{p}
	}

	results := catalog.TestKeys(ctx, &http.Client{}, providers, o.concurrency)
	bad := 0
	for _, r := range results {
		if !r.OK() {
			bad++
		}
	}
	if o.json {
		if err := writeJSON(out, results); err != nil {
			return err
		}
	} else {
		t := newTable(out, "provider", "key", "result", "status", "latency", "detail")
		for _, r := range results {
			status := "-"
			if r.Status != 0 {
				status = fmt.Sprint(r.Status)
			}
			detail := ""
			if !r.OK() {
				detail = keyDetail(r.Error)
			}
			t.AppendRow(table.Row{r.Provider, r.KeyHint, r.Result, status, fmt.Sprintf("%d ms", r.LatencyMs), detail})
		}
		t.Render()
		fmt.Fprintf(out, "%d of %d keys ok\n", len(results)-bad, len(results))
	}
	if bad > 0 {
		// The table already says which keys failed; the message is the summary.
		return &exitError{code: 1, msg: fmt.Sprintf("%d of %d keys are not ok", bad, len(results))}
	}
	return nil
}

// keyDetail keeps the table narrow: the upstream's message, cut short.
func keyDetail(msg string) string {
	const width = 80
	if r := []rune(msg); len(r) > width {
		return string(r[:width]) + "..."
	}
	return msg
}

package cmd

import (
	"context"
	"fmt"
	"io"
	"net/http"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

func newCmdKeys(f *factory) *cobra.Command {
	c := &cobra.Command{Use: "keys", Short: "Check the upstream API keys of the provider pools"}
	c.AddCommand(newCmdKeysTest(f, nil))
	return c
}

type keysTestOptions struct {
	out        io.Writer
	config     func() (*config.Config, error)
	httpClient *http.Client

	provider    string
	json        bool
	concurrency int
}

func newCmdKeysTest(f *factory, runF func(*keysTestOptions) error) *cobra.Command {
	opts := &keysTestOptions{out: f.out, config: f.config, httpClient: f.httpClient}
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
				opts.provider = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runKeysTest(cmd.Context(), opts)
		},
	}
	c.Flags().BoolVar(&opts.json, "json", false, "print a JSON array")
	c.Flags().IntVar(&opts.concurrency, "concurrency", 8, "keys checked at once")
	return c
}

func runKeysTest(ctx context.Context, opts *keysTestOptions) error {
	cfg, err := opts.config()
	if err != nil {
		return err
	}
	reg := provider.NewRegistry(cfg, nil)
	providers := reg.Providers()
	if opts.provider != "" {
		p, err := lookupProvider(reg, cfg.Path, opts.provider)
		if err != nil {
			return err
		}
		providers = []*provider.Provider{p}
	}

	results := catalog.TestKeys(ctx, opts.httpClient, providers, opts.concurrency)
	bad := 0
	for _, r := range results {
		if !r.OK() {
			bad++
		}
	}
	if opts.json {
		if err := writeJSON(opts.out, results); err != nil {
			return err
		}
	} else {
		t := newTable(opts.out, "provider", "key", "result", "status", "latency", "detail")
		for _, r := range results {
			status := "-"
			if r.Status != 0 {
				status = fmt.Sprint(r.Status)
			}
			detail := ""
			if !r.OK() {
				detail = keyDetail(r.Error)
			}
			t.row(r.Provider, r.KeyHint, r.Result, status, fmt.Sprintf("%d ms", r.LatencyMs), detail)
		}
		t.render()
		fmt.Fprintf(opts.out, "%d of %d keys ok\n", len(results)-bad, len(results))
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

package cmd

import (
	"context"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/pkg/config"
	"github.com/aigw/aigw/pkg/store"
	"github.com/aigw/aigw/pkg/store/logcli"
)

func init() { extraCommands = append(extraCommands, newLogsCmd) }

func newLogsCmd(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "logs",
		Short: "Read, summarise and prune the request log",
	}
	c.AddCommand(newLogsTailCmd(g), newLogsStatsCmd(g), newLogsPruneCmd(g))
	return c
}

// openLogDB loads the config and opens its database (applying pending
// migrations, as serve does). The caller closes it.
func openLogDB(ctx context.Context, g *globalOptions, opts ...store.OpenOption) (*store.DB, *config.Config, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	db, err := store.Open(ctx, cfg.Database, opts...)
	if err != nil {
		return nil, nil, fmt.Errorf("%w\ncheck [database] in %s", err, cfg.Path)
	}
	return db, cfg, nil
}

func newLogsTailCmd(g *globalOptions) *cobra.Command {
	o := logcli.TailOptions{}
	c := &cobra.Command{
		Use:   "tail",
		Short: "Show the newest request log rows; -f follows new ones",
		Example: "  aigw logs tail -n 50 --status 5xx\n" +
			"  aigw logs tail --model gpt-4o -f\n" +
			"  aigw logs tail --json | jq .latency_ms",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if o.Limit <= 0 {
				return fmt.Errorf("-n %d: give a positive number of rows", o.Limit)
			}
			db, _, err := openLogDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			return logcli.Tail(cmd.Context(), cmd.OutOrStdout(), db, o)
		},
	}
	f := c.Flags()
	f.IntVarP(&o.Limit, "lines", "n", 20, "number of rows to show")
	f.StringVar(&o.Model, "model", "", "only rows whose requested or upstream model is this")
	f.StringVar(&o.Provider, "provider", "", "only rows of this provider")
	f.StringVar(&o.Status, "status", "", "only this status: a code (200, 429) or a class (2xx, 4xx, 5xx)")
	f.BoolVarP(&o.Follow, "follow", "f", false, "keep printing new rows until interrupted (Ctrl-C)")
	f.BoolVar(&o.JSON, "json", false, "one JSON object per line")
	return c
}

func newLogsStatsCmd(g *globalOptions) *cobra.Command {
	o := logcli.StatsOptions{}
	var since string
	c := &cobra.Command{
		Use:     "stats",
		Short:   "Requests, error rate, p50/p95 latency and tokens per model, provider or key",
		Example: "  aigw logs stats --since 7d --by provider",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			d, err := logcli.ParseAge(since)
			if err != nil {
				return fmt.Errorf("--since: %w", err)
			}
			o.Since = d
			switch o.By {
			case "model", "provider", "key":
			default:
				return fmt.Errorf("--by %q: use model, provider or key", o.By)
			}
			db, _, err := openLogDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			return logcli.Stats(cmd.Context(), cmd.OutOrStdout(), db, o)
		},
	}
	f := c.Flags()
	f.StringVar(&since, "since", "24h", "how far back: days like 7d, or a duration like 24h or 90m")
	f.StringVar(&o.By, "by", "model", "group by model (requested), provider or key")
	f.BoolVar(&o.JSON, "json", false, "a JSON array")
	return c
}

func newLogsPruneCmd(g *globalOptions) *cobra.Command {
	o := logcli.PruneOptions{}
	var older string
	c := &cobra.Command{
		Use:     "prune",
		Short:   "Delete request log rows older than an age, in small batches",
		Long:    "Delete request log rows older than --older-than, in small batches so a running\nserver keeps writing. [logging] retention_days makes serve do this by itself.",
		Example: "  aigw logs prune --older-than 30d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if older == "" {
				return fmt.Errorf("--older-than is required, e.g. aigw logs prune --older-than 30d")
			}
			d, err := logcli.ParseAge(older)
			if err != nil {
				return fmt.Errorf("--older-than: %w", err)
			}
			o.OlderThan = d
			db, _, err := openLogDB(cmd.Context(), g)
			if err != nil {
				return err
			}
			defer db.Close()
			return logcli.Prune(cmd.Context(), cmd.OutOrStdout(), db, o)
		},
	}
	c.Flags().StringVar(&older, "older-than", "", "age of the rows to delete: days like 30d, or a duration like 12h")
	c.Flags().IntVar(&o.Batch, "batch", 1000, "rows deleted per statement")
	return c
}

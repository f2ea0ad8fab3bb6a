package cmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/store"
)

type logsStatsOptions struct {
	dbDeps
	out io.Writer
	now func() time.Time

	since time.Duration
	by    string
	json  bool
}

func newCmdLogsStats(f *factory, runF func(*logsStatsOptions) error) *cobra.Command {
	opts := &logsStatsOptions{dbDeps: f.dbDeps(), out: f.out, now: f.now, since: 24 * time.Hour}
	c := &cobra.Command{
		Use:     "stats",
		Short:   "Requests, error rate, p50/p95 latency, tokens and cost per model, provider, key, client or day",
		Example: "  aigw logs stats --since 7d --by provider\n  aigw logs stats --since 30d --by day\n  aigw logs stats --since 30d --by client",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			switch opts.by {
			case "model", "provider", "key", "client", "day":
			default:
				return fmt.Errorf("--by %q: use model, provider, key, client or day", opts.by)
			}
			if runF != nil {
				return runF(opts)
			}
			return runLogsStats(cmd.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.Var(ageFlag{&opts.since}, "since", "how far back: days like 7d, or a duration like 24h or 90m")
	fl.StringVar(&opts.by, "by", "model", "group by model (requested), provider, key, client (client key name; "+store.StaticKeyGroup+" for the static keys) or day (in the configured time zone)")
	fl.BoolVar(&opts.json, "json", false, "a JSON array")
	return c
}

// runLogsStats prints per-group counts, error rate, latency percentiles
// and tokens: a table, or with json an array of objects.
func runLogsStats(ctx context.Context, opts *logsStatsOptions) error {
	db, err := opts.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	now := opts.now()
	rows, err := db.Stats(ctx, store.StatsFilter{Since: opts.since, By: opts.by, Now: now})
	if err != nil {
		return err
	}
	if opts.json {
		if rows == nil {
			rows = []store.StatsRow{}
		}
		return writeJSON(opts.out, rows)
	}

	from := now.Add(-opts.since).In(db.Location()).Format(displayTime)
	fmt.Fprintf(opts.out, "requests since %s (last %s), by %s\n", from, shortDuration(opts.since), opts.by)
	if len(rows) == 0 {
		fmt.Fprintln(opts.out, "no requests in this window: try a longer --since")
		return nil
	}
	t := newTable(opts.out, opts.by, "requests", "errors", "error rate", "p50 ms", "p95 ms", "prompt tokens", "completion tokens", "total tokens", "cost")
	t.alignRight(2, 3, 4, 5, 6, 7, 8, 9, 10)
	var total store.StatsRow
	for _, r := range rows {
		t.row(r.Group, r.Requests, r.Errors, percent(r.ErrorRate), r.P50LatencyMs, r.P95LatencyMs,
			r.PromptTokens, r.CompletionTokens, r.TotalTokens, statsCost(r))
		total.Requests += r.Requests
		total.Errors += r.Errors
		total.PromptTokens += r.PromptTokens
		total.CompletionTokens += r.CompletionTokens
		total.TotalTokens += r.TotalTokens
		total.Unpriced += r.Unpriced
		if r.Cost != nil {
			c := *r.Cost
			if total.Cost != nil {
				c += *total.Cost
			}
			total.Cost = &c
		}
	}
	if len(rows) > 1 {
		t.footer("total", total.Requests, total.Errors,
			percent(float64(total.Errors)/float64(total.Requests)), "", "",
			total.PromptTokens, total.CompletionTokens, total.TotalTokens, statsCost(total))
	}
	t.render()
	if total.Unpriced > 0 {
		fmt.Fprintf(opts.out, "%d requests used tokens of models without a price: their cost is unknown, and a cost marked + is a lower bound (aigw prices list --model M; aigw prices set)\n", total.Unpriced)
	}
	return nil
}

// statsCost is a group's cost: - when no row had a price, and marked +
// when some rows had none (the sum is then a lower bound).
func statsCost(r store.StatsRow) string {
	if r.Cost == nil {
		return "-"
	}
	s := strconv.FormatFloat(*r.Cost, 'f', 6, 64)
	if r.Unpriced > 0 {
		s += "+"
	}
	return s
}

func percent(f float64) string { return fmt.Sprintf("%.1f%%", 100*f) }

// shortDuration prints 24h rather than 24h0m0s, and whole days as 7d.
func shortDuration(d time.Duration) string {
	switch {
	case d%(24*time.Hour) == 0:
		return fmt.Sprintf("%dd", d/(24*time.Hour))
	case d%time.Hour == 0:
		return fmt.Sprintf("%dh", d/time.Hour)
	case d%time.Minute == 0:
		return strings.TrimSuffix(d.String(), "0s")
	default:
		return d.String()
	}
}

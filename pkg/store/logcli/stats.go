package logcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/aigw/aigw/pkg/store"
)

// StatsOptions are the flags of `aigw logs stats`.
type StatsOptions struct {
	Since time.Duration
	By    string
	JSON  bool
	// Now is the end of the window (default time.Now); tests pin it.
	Now time.Time
}

// Stats prints per-group counts, error rate, latency percentiles and
// tokens: a table, or with JSON an array of objects.
func Stats(ctx context.Context, w io.Writer, db *store.DB, o StatsOptions) error {
	if o.Since <= 0 {
		o.Since = 24 * time.Hour
	}
	if o.By == "" {
		o.By = "model"
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	rows, err := db.Stats(ctx, store.StatsFilter{Since: o.Since, By: o.By, Now: o.Now})
	if err != nil {
		return err
	}
	if o.JSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []store.StatsRow{}
		}
		if err := enc.Encode(rows); err != nil {
			return fmt.Errorf("write stats as JSON: %w", err)
		}
		return nil
	}

	from := o.Now.Add(-o.Since).In(db.Location()).Format(DisplayTime)
	fmt.Fprintf(w, "requests since %s (last %s), by %s\n", from, shortDuration(o.Since), o.By)
	if len(rows) == 0 {
		fmt.Fprintln(w, "no requests in this window: try a longer --since")
		return nil
	}
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{o.By, "requests", "errors", "error rate", "p50 ms", "p95 ms", "prompt tokens", "completion tokens", "total tokens"})
	cfgs := make([]table.ColumnConfig, 0, 8)
	for n := 2; n <= 9; n++ {
		cfgs = append(cfgs, table.ColumnConfig{Number: n, Align: text.AlignRight, AlignFooter: text.AlignRight})
	}
	t.SetColumnConfigs(cfgs)
	var total store.StatsRow
	for _, r := range rows {
		t.AppendRow(table.Row{r.Group, r.Requests, r.Errors, percent(r.ErrorRate), r.P50LatencyMs, r.P95LatencyMs,
			r.PromptTokens, r.CompletionTokens, r.TotalTokens})
		total.Requests += r.Requests
		total.Errors += r.Errors
		total.PromptTokens += r.PromptTokens
		total.CompletionTokens += r.CompletionTokens
		total.TotalTokens += r.TotalTokens
	}
	if len(rows) > 1 {
		t.AppendFooter(table.Row{"total", total.Requests, total.Errors,
			percent(float64(total.Errors) / float64(total.Requests)), "", "",
			total.PromptTokens, total.CompletionTokens, total.TotalTokens})
	}
	t.Render()
	return nil
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

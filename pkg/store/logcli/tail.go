// Package logcli holds what the `aigw logs` and `aigw migrate` commands
// do, with options structs and an io.Writer, so the commands stay thin and
// tests can run them without a process.
package logcli

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strconv"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"

	"github.com/aigw/aigw/pkg/store"
)

// TailOptions are the flags of `aigw logs tail`.
type TailOptions struct {
	Limit    int
	Model    string
	Provider string
	Status   string
	Follow   bool
	JSON     bool
	// Interval is how often follow mode polls (default 500ms).
	Interval time.Duration
}

// DisplayTime is how times are printed: the configured zone, to the
// millisecond, with the offset so that it is never ambiguous.
const DisplayTime = "2006-01-02 15:04:05.000 -07:00"

// Tail prints the newest rows (oldest of them first, so the newest is at
// the bottom as with tail(1)); with Follow it then prints new rows as they
// arrive until ctx is cancelled (Ctrl-C), which is not an error.
func Tail(ctx context.Context, w io.Writer, db *store.DB, o TailOptions) error {
	if o.Limit <= 0 {
		o.Limit = 20
	}
	if o.Interval <= 0 {
		o.Interval = 500 * time.Millisecond
	}
	if o.Status != "" {
		if _, _, err := store.ParseStatus(o.Status); err != nil {
			return err
		}
	}
	filter := store.TailFilter{Limit: o.Limit, Model: o.Model, Provider: o.Provider, Status: o.Status}

	// The follow position is read before the first page, so no row
	// inserted in between is missed; rows already shown are skipped.
	last, err := db.LastID(ctx)
	if err != nil {
		return fmt.Errorf("%w (check [database] in the config, or run aigw migrate)", err)
	}
	rows, err := db.Tail(ctx, filter)
	if err != nil {
		return err
	}
	slices.Reverse(rows)
	shown := make(map[int64]bool, len(rows))
	for _, r := range rows {
		shown[r.ID] = true
	}

	p := printer{w: w, json: o.JSON, loc: db.Location()}
	switch {
	case o.JSON:
		if err := p.jsonLines(rows); err != nil {
			return err
		}
	case o.Follow:
		p.lineHeader()
		p.lines(rows)
	default:
		if len(rows) == 0 {
			fmt.Fprintln(w, "no request logs match (yet): send a request through aigw serve, or loosen the filters")
			return nil
		}
		p.table(rows)
		return nil
	}
	if !o.Follow {
		return nil
	}

	t := time.NewTicker(o.Interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		filter.AfterID = last
		filter.Limit = 1000
		for {
			rows, err := db.Tail(ctx, filter)
			if err != nil {
				if ctx.Err() != nil {
					return nil
				}
				return err
			}
			fresh := rows[:0]
			for _, r := range rows {
				filter.AfterID = max(filter.AfterID, r.ID)
				if !shown[r.ID] {
					fresh = append(fresh, r)
				}
			}
			clear(shown) // only the first page can repeat rows
			if o.JSON {
				if err := p.jsonLines(fresh); err != nil {
					return err
				}
			} else {
				p.lines(fresh)
			}
			if len(rows) < filter.Limit {
				break
			}
		}
		last = filter.AfterID
	}
}

type printer struct {
	w    io.Writer
	json bool
	loc  *time.Location
}

// jsonLines prints one JSON object per row and line (`logs tail --json`).
func (p printer) jsonLines(rows []store.RequestLog) error {
	enc := json.NewEncoder(p.w)
	enc.SetEscapeHTML(false)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return fmt.Errorf("write log row as JSON: %w", err)
		}
	}
	return nil
}

func (p printer) table(rows []store.RequestLog) {
	t := table.NewWriter()
	t.SetOutputMirror(p.w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row{"time", "status", "provider", "model (requested -> upstream)", "latency ms", "tokens (in/out)", "path"})
	t.SetColumnConfigs([]table.ColumnConfig{
		{Number: 2, Align: text.AlignRight},
		{Number: 5, Align: text.AlignRight},
		{Number: 6, Align: text.AlignRight},
	})
	for _, r := range rows {
		t.AppendRow(table.Row{r.CreatedAt.In(p.loc).Format(DisplayTime), r.StatusCode, dash(r.Provider),
			modelPair(r), r.LatencyMs, tokens(r), r.Path})
	}
	t.Render()
}

// Follow mode prints fixed-width lines: a table cannot grow row by row.
const lineFormat = "%-30s  %6s  %-12s  %-44s  %10s  %15s  %s\n"

func (p printer) lineHeader() {
	fmt.Fprintf(p.w, lineFormat, "time", "status", "provider", "model (requested -> upstream)", "latency ms", "tokens (in/out)", "path")
}

func (p printer) lines(rows []store.RequestLog) {
	for _, r := range rows {
		fmt.Fprintf(p.w, lineFormat, r.CreatedAt.In(p.loc).Format(DisplayTime), strconv.Itoa(r.StatusCode),
			dash(r.Provider), modelPair(r), strconv.FormatInt(r.LatencyMs, 10), tokens(r), r.Path)
	}
}

func modelPair(r store.RequestLog) string {
	switch {
	case r.UpstreamModel == "" || r.UpstreamModel == r.RequestedModel:
		return dash(r.RequestedModel)
	default:
		return dash(r.RequestedModel) + " -> " + r.UpstreamModel
	}
}

func tokens(r store.RequestLog) string {
	return strconv.FormatInt(r.PromptTokens, 10) + "/" + strconv.FormatInt(r.CompletionTokens, 10)
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

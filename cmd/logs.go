package cmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/changes"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
	"github.com/aigw/aigw/internal/store/logtail"
)

func newCmdLogs(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "logs",
		Short: "Read, summarise and prune the request log",
	}
	c.AddCommand(newCmdLogsTail(f, nil), newCmdLogsStats(f, nil), newCmdLogsPrune(f, nil))
	return c
}

// dbDeps are what a command that works on the database needs.
type dbDeps struct {
	config    func() (*config.Config, error)
	openStore storeOpener
}

func (f *factory) dbDeps() dbDeps { return dbDeps{config: f.config, openStore: f.openStore} }

// announce tells running servers that what changed in the database, over
// the config's Redis when it has one (internal/changes); without Redis, or
// when Redis does not answer, the servers' polls apply it within seconds.
func (d dbDeps) announce(ctx context.Context, errOut io.Writer, what string) {
	cfg, err := d.config()
	if err != nil || cfg.Redis.URL == "" {
		return
	}
	opts, err := redis.ParseURL(cfg.Redis.URL)
	if err != nil {
		return
	}
	opts.DialTimeout, opts.MaxRetries = 500*time.Millisecond, -1
	rdb := redis.NewClient(opts)
	defer rdb.Close()
	if err := changes.Publish(ctx, rdb, cfg.Redis.KeyPrefix, what); err != nil {
		fmt.Fprintf(errOut, "note: %v; running servers apply the change at their next poll (a few seconds)\n", err)
	}
}

// openDB loads the config and opens its database (applying pending
// migrations, as serve does, unless told otherwise). The caller closes it.
func (d dbDeps) openDB(ctx context.Context, opts ...store.OpenOption) (*store.DB, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	db, err := d.openStore(ctx, cfg.Database, opts...)
	if err != nil {
		return nil, fmt.Errorf("%w\ncheck [database] in %s", err, cfg.Path)
	}
	return db, nil
}

// ---- logs tail ----

type logsTailOptions struct {
	dbDeps
	out io.Writer
	// interval is how often follow mode polls.
	interval time.Duration

	limit    int
	model    string
	provider string
	client   string
	status   string
	follow   bool
	json     bool
}

func newCmdLogsTail(f *factory, runF func(*logsTailOptions) error) *cobra.Command {
	opts := &logsTailOptions{dbDeps: f.dbDeps(), out: f.out, interval: 500 * time.Millisecond}
	c := &cobra.Command{
		Use:   "tail",
		Short: "Show the newest request log rows; -f follows new ones",
		Example: "  aigw logs tail -n 50 --status 5xx\n" +
			"  aigw logs tail --model gpt-4o -f\n" +
			"  aigw logs tail --json | jq .latency_ms",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.limit <= 0 {
				return fmt.Errorf("-n %d: give a positive number of rows", opts.limit)
			}
			if opts.status != "" {
				if _, _, err := store.ParseStatus(opts.status); err != nil {
					return err
				}
			}
			if runF != nil {
				return runF(opts)
			}
			return runLogsTail(cmd.Context(), opts)
		},
	}
	fl := c.Flags()
	fl.IntVarP(&opts.limit, "lines", "n", 20, "number of rows to show")
	fl.StringVar(&opts.model, "model", "", "only rows whose requested or upstream model is this")
	fl.StringVar(&opts.provider, "provider", "", "only rows of this provider")
	fl.StringVar(&opts.client, "client", "", "only rows of this client key (its name, as in aigw clients list)")
	fl.StringVar(&opts.status, "status", "", "only this status: a code (200, 429) or a class (2xx, 4xx, 5xx)")
	fl.BoolVarP(&opts.follow, "follow", "f", false, "keep printing new rows until interrupted (Ctrl-C)")
	fl.BoolVar(&opts.json, "json", false, "one JSON object per line")
	return c
}

// runLogsTail prints the newest rows; with follow it then prints new rows
// as they arrive until ctx is cancelled (Ctrl-C), which is not an error.
func runLogsTail(ctx context.Context, opts *logsTailOptions) error {
	db, err := opts.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	filter := store.TailFilter{Limit: opts.limit, Model: opts.model, Provider: opts.provider, Client: opts.client, Status: opts.status}
	rows, follower, err := logtail.Start(ctx, db, filter)
	if err != nil {
		return err
	}

	p := logPrinter{w: opts.out, loc: db.Location()}
	print := p.lines
	switch {
	case opts.json:
		print = p.jsonLines
	case opts.follow:
		p.lineHeader()
	case len(rows) == 0:
		fmt.Fprintln(opts.out, "no request logs match (yet): send a request through aigw serve, or loosen the filters")
		return nil
	default:
		p.table(rows)
		return nil
	}
	if err := print(rows); err != nil || !opts.follow {
		return err
	}

	t := time.NewTicker(opts.interval)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-t.C:
		}
		rows, err := follower.Next(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return err
		}
		if err := print(rows); err != nil {
			return err
		}
	}
}

// logPrinter renders request log rows: a table, fixed-width lines (follow
// mode: a table cannot grow row by row) or JSON lines.
type logPrinter struct {
	w   io.Writer
	loc *time.Location
}

var logColumns = []any{"time", "status", "provider", "model (requested -> upstream)", "latency ms", "tokens (in/out)", "cost", "path"}

// logCells are the columns of one row, as text.
func (p logPrinter) logCells(r store.RequestLog) []any {
	return []any{r.CreatedAt.In(p.loc).Format(displayTime), strconv.Itoa(r.StatusCode), dash(r.Provider),
		modelPair(r), strconv.FormatInt(r.LatencyMs, 10), tokens(r), costText(r.Cost), r.Path}
}

func (p logPrinter) table(rows []store.RequestLog) {
	t := newTable(p.w, logColumns...)
	t.alignRight(2, 5, 6, 7)
	for _, r := range rows {
		t.row(p.logCells(r)...)
	}
	t.render()
}

const lineFormat = "%-30s  %6s  %-12s  %-44s  %10s  %15s  %10s  %s\n"

func (p logPrinter) lineHeader() {
	fmt.Fprintf(p.w, lineFormat, logColumns...)
}

func (p logPrinter) lines(rows []store.RequestLog) error {
	for _, r := range rows {
		cells := p.logCells(r)
		for i, c := range cells {
			cells[i] = escapeCell(c.(string))
		}
		if _, err := fmt.Fprintf(p.w, lineFormat, cells...); err != nil {
			return err
		}
	}
	return nil
}

// jsonLines prints one JSON object per row and line (`logs tail --json`).
func (p logPrinter) jsonLines(rows []store.RequestLog) error {
	enc := jsonLineEncoder(p.w)
	for i := range rows {
		if err := enc.Encode(&rows[i]); err != nil {
			return fmt.Errorf("write log row as JSON: %w", err)
		}
	}
	return nil
}

func modelPair(r store.RequestLog) string {
	if r.UpstreamModel == "" || r.UpstreamModel == r.RequestedModel {
		return dash(r.RequestedModel)
	}
	return dash(r.RequestedModel) + " -> " + r.UpstreamModel
}

// costText is a cost in the price table's currency, or - when no price
// applied (unknown, which is not 0).
func costText(c *float64) string {
	if c == nil {
		return "-"
	}
	return strconv.FormatFloat(*c, 'f', 6, 64)
}

func tokens(r store.RequestLog) string {
	return strconv.FormatInt(r.PromptTokens, 10) + "/" + strconv.FormatInt(r.CompletionTokens, 10)
}

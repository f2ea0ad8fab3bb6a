package cmd

import (
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/pricing"
)

func newCmdPrices(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "prices",
		Short: "Show and set model prices (the built-in table and the prices file)",
		Long: "Each log row's cost comes from a price table: aigw's built-in list prices (USD per million\n" +
			"tokens) under the prices file (server.prices_file, default prices.toml beside the config),\n" +
			"whose entries win. list shows the effective prices; set edits the prices file atomically,\n" +
			"keeping its other entries, comments and order. A running aigw serve reloads the file.",
	}
	c.AddCommand(newCmdPricesList(f, nil), newCmdPricesSet(f, nil))
	return c
}

// pricesDeps is what the prices commands need: the config (for the prices
// file's path) and the table loader.
type pricesDeps struct {
	config func() (*config.Config, error)
	load   func(path string) (*pricing.Table, error)
}

func (f *factory) pricesDeps() pricesDeps {
	return pricesDeps{config: f.config, load: pricing.Load}
}

// table loads the config's price table and returns it with the file's path
// ("" when server.prices_file is empty: the built-in table alone).
func (d pricesDeps) table() (*pricing.Table, *config.Config, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, nil, err
	}
	path := cfg.PricesPath()
	if path == "" {
		return pricing.Builtin(), cfg, nil
	}
	t, err := d.load(path)
	if err != nil {
		return nil, nil, fmt.Errorf("%w\nfix the prices file (server.prices_file in %s)", err, cfg.Path)
	}
	return t, cfg, nil
}

// ---- prices list ----

type pricesListOptions struct {
	pricesDeps
	out   io.Writer
	model string
	json  bool
}

func newCmdPricesList(f *factory, runF func(*pricesListOptions) error) *cobra.Command {
	o := &pricesListOptions{pricesDeps: f.pricesDeps(), out: f.out}
	c := &cobra.Command{
		Use:   "list",
		Short: "List the effective price of each known model, or the one that applies to --model",
		Example: "  aigw prices list\n" +
			"  aigw prices list --model openai/gpt-5.4-mini-2026-03-17\n" +
			"  aigw prices list --json",
		Args: cobra.NoArgs,
		RunE: func(*cobra.Command, []string) error {
			if runF != nil {
				return runF(o)
			}
			return runPricesList(o)
		},
	}
	c.Flags().StringVar(&o.model, "model", "", "show the price that applies to this model name (optionally provider/model)")
	c.Flags().BoolVar(&o.json, "json", false, "print JSON")
	return c
}

// priceRow is one entry of `prices list`, with effective prices (a cache
// price the entry does not give is shown as what is charged: input, or
// 1.6x cache_write for 1-hour writes).
type priceRow struct {
	Pattern      string  `json:"pattern"`
	Input        float64 `json:"input"`
	Output       float64 `json:"output"`
	CacheRead    float64 `json:"cache_read"`
	CacheWrite   float64 `json:"cache_write"`
	CacheWrite1h float64 `json:"cache_write_1h"`
	Currency     string  `json:"currency"`
	Source       string  `json:"source"`
	// Note says why a built-in entry is not used.
	Note string `json:"note,omitempty"`
}

func newPriceRow(pattern string, p pricing.Price, currency, source, note string) priceRow {
	return priceRow{
		Pattern: pattern, Input: p.Input, Output: p.Output,
		CacheRead: p.EffectiveCacheRead(), CacheWrite: p.EffectiveCacheWrite(), CacheWrite1h: p.EffectiveCacheWrite1h(),
		Currency: currency, Source: source, Note: note,
	}
}

// priceMatch is `prices list --model M`: the price that applies to M.
type priceMatch struct {
	Query    string    `json:"query"`
	Provider string    `json:"provider"`
	Model    string    `json:"model"`
	Price    *priceRow `json:"price"` // null: no price, cost logged as NULL
	Reason   string    `json:"reason,omitempty"`
}

func runPricesList(o *pricesListOptions) error {
	tab, cfg, err := o.table()
	if err != nil {
		return err
	}
	if o.model != "" {
		return printPriceMatch(o, tab, cfg)
	}
	rows := []priceRow{}
	for _, l := range tab.Models() {
		rows = append(rows, newPriceRow(l.Pattern, l.Price, l.Currency, l.Source, l.Note))
	}
	if o.json {
		return writeJSON(o.out, rows)
	}
	t := newTable(o.out, "model / pattern", "input", "output", "cache read", "cache write", "cache write 1h", "currency", "source")
	t.alignRight(2, 3, 4, 5, 6)
	files, unused := 0, 0
	for _, r := range rows {
		src := r.Source
		switch {
		case r.Source == pricing.SourceFile:
			files++
		case r.Note != "":
			src += " (unused)"
			unused++
		}
		t.row(r.Pattern, num(r.Input), num(r.Output), num(r.CacheRead), num(r.CacheWrite), num(r.CacheWrite1h), r.Currency, src)
	}
	t.render()
	where := "no prices file (server.prices_file is empty)"
	if p := cfg.PricesPath(); p != "" {
		where = p
		if tab.Path() == "" {
			where += " (not there: built-in prices only)"
		}
	}
	fmt.Fprintf(o.out, "%d entries from %s, %d built-in; prices per million tokens\n", files, where, len(rows)-files)
	if unused > 0 {
		if note := tab.BuiltinNote(); note != "" {
			fmt.Fprintln(o.out, "unused built-in entries:", note)
		} else {
			fmt.Fprintln(o.out, "unused built-in entries: the prices file has an entry of the same name")
		}
	}
	return nil
}

func printPriceMatch(o *pricesListOptions, tab *pricing.Table, cfg *config.Config) error {
	m := priceMatch{Query: o.model, Model: o.model}
	if p, rest, ok := strings.Cut(o.model, "/"); ok && rest != "" && isProvider(cfg, p) {
		m.Provider, m.Model = p, rest
	}
	source, pattern, ok := tab.Source(m.Provider, m.Model)
	if ok {
		price, _ := tab.Lookup(m.Provider, m.Model)
		row := newPriceRow(pattern, price, tab.Currency(), source, "")
		m.Price = &row
	} else {
		m.Reason = "no entry of the prices file or the built-in table matches"
		if note := tab.BuiltinNote(); note != "" {
			m.Reason += "; " + note
		}
	}
	if o.json {
		return writeJSON(o.out, m)
	}
	name := escapeCell(o.model)
	if m.Price == nil {
		fmt.Fprintf(o.out, "%s: no price: cost will be logged as NULL (%s)\n", name, m.Reason)
		return nil
	}
	who := "any provider"
	if m.Provider != "" {
		who = "provider " + escapeCell(m.Provider)
	}
	fmt.Fprintf(o.out, "%s (%s, model %s) is priced by the %s entry %s\n",
		name, who, escapeCell(m.Model), m.Price.Source, escapeCell(strconv.Quote(m.Price.Pattern)))
	t := newTable(o.out, "input", "output", "cache read", "cache write", "cache write 1h", "currency")
	t.alignRight(1, 2, 3, 4, 5)
	r := m.Price
	t.row(num(r.Input), num(r.Output), num(r.CacheRead), num(r.CacheWrite), num(r.CacheWrite1h), r.Currency)
	t.render()
	fmt.Fprintln(o.out, "prices per million tokens")
	return nil
}

func isProvider(cfg *config.Config, name string) bool {
	for _, p := range cfg.Providers {
		if p.Name == name {
			return true
		}
	}
	return false
}

// num prints a price to 9 decimals at most, without trailing zeros (a
// derived price such as 1.6 x 0.8 is 1.28, not 1.2800000000000002).
func num(f float64) string { return strconv.FormatFloat(math.Round(f*1e9)/1e9, 'f', -1, 64) }

// ---- prices set ----

type pricesSetOptions struct {
	pricesDeps
	out   io.Writer
	model string
	price pricing.Price
}

func newCmdPricesSet(f *factory, runF func(*pricesSetOptions) error) *cobra.Command {
	o := &pricesSetOptions{pricesDeps: f.pricesDeps(), out: f.out}
	var input, output, cacheRead, cacheWrite, cacheWrite1h float64
	c := &cobra.Command{
		Use:   "set <model> --input X --output Y",
		Short: "Add or replace a model's price in the prices file (per million tokens)",
		Long: "set writes [prices.\"<model>\"] to the prices file (server.prices_file, created with\n" +
			"[pricing] currency = \"USD\" when missing), replacing the entry if there is one. <model> is\n" +
			"provider/model, a model name as sent upstream, or a glob (deepseek/*). Prices are in the\n" +
			"file's currency, per million tokens. A cache price left out is charged as input (1-hour\n" +
			"cache writes: 1.6x the cache write price).",
		Example: "  aigw prices set openai/gpt-5.4 --input 2.5 --output 15 --cache-read 0.25\n" +
			"  aigw prices set 'deepseek/*' --input 0.14 --output 0.28 --cache-read 0.0028",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.model = args[0]
			if strings.TrimSpace(o.model) == "" {
				return fmt.Errorf("the model name must not be empty")
			}
			flags := []struct {
				name string
				v    float64
				has  *bool
				dst  *float64
			}{
				{"input", input, nil, &o.price.Input},
				{"output", output, nil, &o.price.Output},
				{"cache-read", cacheRead, &o.price.HasCacheRead, &o.price.CacheRead},
				{"cache-write", cacheWrite, &o.price.HasCacheWrite, &o.price.CacheWrite},
				{"cache-write-1h", cacheWrite1h, &o.price.HasCacheWrite1h, &o.price.CacheWrite1h},
			}
			for _, fl := range flags {
				if !cmd.Flags().Changed(fl.name) {
					continue
				}
				if math.IsNaN(fl.v) || math.IsInf(fl.v, 0) || fl.v < 0 {
					return fmt.Errorf("--%s is %v: a price must be a finite number, not negative", fl.name, fl.v)
				}
				*fl.dst = fl.v
				if fl.has != nil {
					*fl.has = true
				}
			}
			if runF != nil {
				return runF(o)
			}
			return runPricesSet(o)
		},
	}
	c.Flags().Float64Var(&input, "input", 0, "price of a million prompt tokens not read from cache (required)")
	c.Flags().Float64Var(&output, "output", 0, "price of a million completion tokens, reasoning included (required)")
	c.Flags().Float64Var(&cacheRead, "cache-read", 0, "price of a million prompt tokens read from cache (default: as input)")
	c.Flags().Float64Var(&cacheWrite, "cache-write", 0, "price of a million prompt tokens written to cache (default: as input)")
	c.Flags().Float64Var(&cacheWrite1h, "cache-write-1h", 0, "price of a million prompt tokens written to Anthropic's 1-hour cache (default: 1.6x cache write)")
	_ = c.MarkFlagRequired("input")
	_ = c.MarkFlagRequired("output")
	return c
}

func runPricesSet(o *pricesSetOptions) error {
	cfg, err := o.config()
	if err != nil {
		return err
	}
	path := cfg.PricesPath()
	if path == "" {
		return fmt.Errorf("server.prices_file is empty in %s: set it (e.g. prices.toml) to keep prices", cfg.Path)
	}
	old, err := pricing.Set(path, o.model, o.price)
	if err != nil {
		return fmt.Errorf("refused: %w", err)
	}
	currency := "USD"
	if t, err := o.load(path); err == nil {
		currency = t.Currency()
	}
	name := escapeCell(strconv.Quote(o.model))
	fmt.Fprintf(o.out, "[prices.%s] %s (%s per million tokens)\n", name, describePrice(o.price), currency)
	if old != nil {
		fmt.Fprintf(o.out, "was: %s\n", describePrice(*old))
	}
	fmt.Fprintf(o.out, "saved %s; a running aigw serve reloads it\n", escapeCell(path))
	return nil
}

// describePrice writes a price as `prices set` was given it.
func describePrice(p pricing.Price) string {
	parts := []string{"input " + num(p.Input), "output " + num(p.Output)}
	if p.HasCacheRead {
		parts = append(parts, "cache read "+num(p.CacheRead))
	}
	if p.HasCacheWrite {
		parts = append(parts, "cache write "+num(p.CacheWrite))
	}
	if p.HasCacheWrite1h {
		parts = append(parts, "cache write 1h "+num(p.CacheWrite1h))
	}
	return strings.Join(parts, ", ")
}

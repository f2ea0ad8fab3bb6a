package app

import (
	"context"
	"fmt"
	"log/slog"
	"sync/atomic"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/pricing"
)

// PriceBook is the price table in force: the built-in table under the
// prices file's entries (README, "价格与费用"), swapped whole when the file
// changes, so a request prices against one table, never half of two. It
// is the gateway's Pricer.
type PriceBook struct {
	path  string
	table atomic.Pointer[pricing.Table]
}

// LoadPriceBook reads the prices file at path (missing: the built-in
// table alone). A broken file is an error: serve refuses to start on it.
func LoadPriceBook(path string) (*PriceBook, error) {
	b := &PriceBook{path: path}
	if err := b.Reload(); err != nil {
		return nil, err
	}
	return b, nil
}

// Reload reads the file again. On an error the table in force stays.
func (b *PriceBook) Reload() error {
	t, err := b.load()
	if err != nil {
		return err
	}
	b.table.Store(t)
	return nil
}

func (b *PriceBook) load() (*pricing.Table, error) {
	if b.path == "" {
		return pricing.Builtin(), nil
	}
	t, err := pricing.Load(b.path)
	if err != nil {
		return nil, fmt.Errorf("load prices: %w", err)
	}
	return t, nil
}

// Currency is the currency of the table in force (the admin API's
// overview shows it beside costs).
func (b *PriceBook) Currency() string { return b.table.Load().Currency() }

// Table is the table in force.
func (b *PriceBook) Table() *pricing.Table { return b.table.Load() }

// Cost prices what a request used at the upstream. ok is false when no
// price applies to the provider's model: the cost is unknown, not 0.
func (b *PriceBook) Cost(provider, model string, u adapter.Usage) (float64, bool) {
	p, ok := b.table.Load().Lookup(provider, model)
	if !ok {
		return 0, false
	}
	return p.Cost(pricing.Tokens{
		Prompt:       u.PromptTokens,
		Completion:   u.CompletionTokens,
		CacheRead:    u.CacheReadTokens,
		CacheWrite:   u.CacheCreationTokens,
		CacheWrite1h: u.CacheCreation1hTokens,
	}), true
}

// watchPrices reloads the book when its file changes; a broken file keeps
// the last good table and is reported.
func watchPrices(ctx context.Context, cfg *config.Config, book *PriceBook, log *slog.Logger) {
	p := cfg.PricesPath()
	if p == "" {
		return
	}
	err := config.WatchFile(ctx, p,
		func() error {
			if err := book.Reload(); err != nil {
				return err
			}
			log.Info("prices reloaded", "file", p, "currency", book.Table().Currency())
			return nil
		},
		func(err error) {
			log.Error("prices file not reloaded; the previous prices stay in force", "error", err)
		})
	if err != nil {
		log.Warn("price hot reload is off", "error", err)
	}
}

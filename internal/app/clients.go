package app

import (
	"context"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/store"
)

// clientReloadEvery is how often serve reads the clients table: a key
// created, disabled or changed by `aigw clients` (another process) is in
// force within this time (README, "客户端密钥": within 5 s).
const clientReloadEvery = 2 * time.Second

// ClientBook is the client keys in force, by key hash, swapped whole on
// each reload. It is the gateway's ClientDirectory.
type ClientBook struct {
	byHash atomic.Pointer[map[string]*clients.Client]
}

// NewClientBook starts empty: only static keys until the first load.
func NewClientBook() *ClientBook {
	b := &ClientBook{}
	b.Set(nil)
	return b
}

// Set replaces the clients.
func (b *ClientBook) Set(list []clients.Client) {
	m := make(map[string]*clients.Client, len(list))
	for i := range list {
		c := list[i]
		m[c.KeyHash] = &c
	}
	b.byHash.Store(&m)
}

// Client returns the client whose key has this hash.
func (b *ClientBook) Client(hash string) (*clients.Client, bool) {
	c, ok := (*b.byHash.Load())[hash]
	return c, ok
}

// Any reports whether any client key exists.
func (b *ClientBook) Any() bool { return len(*b.byHash.Load()) > 0 }

// spendSeeder is the gateway's record of what clients spent.
type spendSeeder interface {
	SeedSpend(client string, periodStart time.Time, spend float64)
}

// loadClients reads the clients table into book; seed, when not nil, gets
// each budgeted client's spend in its current period (at start, so a
// restart does not forget what was spent).
func loadClients(ctx context.Context, conn *store.Connection, book *ClientBook, loc *time.Location, seed spendSeeder) error {
	list, err := conn.Clients(ctx)
	if err != nil {
		return err
	}
	book.Set(list)
	if seed == nil {
		return nil
	}
	now := time.Now()
	for _, c := range list {
		if c.Budget == nil {
			continue
		}
		start := clients.PeriodStart(c.Period, now, loc)
		spend, _, err := conn.ClientSpend(ctx, c.Name, start)
		if err != nil {
			return err
		}
		seed.SeedSpend(c.Name, start, spend)
	}
	return nil
}

// watchClients reloads the clients table every clientReloadEvery; a
// database that is down keeps the clients last read, reported once a
// minute at most.
func watchClients(ctx context.Context, conn *store.Connection, book *ClientBook, log *slog.Logger) {
	var lastReport time.Time
	onTicks(ctx, clientReloadEvery, func() {
		if err := loadClients(ctx, conn, book, nil, nil); err != nil && time.Since(lastReport) > time.Minute {
			lastReport = time.Now()
			log.Warn("could not reload client keys; the last ones read stay in force", "error", err)
		}
	})
}

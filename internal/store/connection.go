package store

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/config"
)

// ErrNotConnected is returned by a Connection's methods while its database
// could not be opened yet.
var ErrNotConnected = errors.New("the log database is not connected")

// Connection is the log database of a running server. Logging must not
// decide whether the gateway proxies: when the database cannot be opened
// at start (PostgreSQL down, SQLite file not writable), the server serves
// anyway, its writer spills rows to the spill file, and the Connection
// keeps trying; once it opens (and migrates) the database, the writer
// writes again and replays the spill file. It also watches an open
// database with a ping, for Health.
type Connection struct {
	cfg     config.Database
	opts    []OpenOption
	log     *slog.Logger
	loc     *time.Location
	dataDir string
	// retry bounds the wait between attempts to open (1s, doubling to
	// 10s); ping is the period of the health ping once open (5s). All
	// scale with WithReconnect.
	retryMin, retryMax, ping time.Duration

	db      atomic.Pointer[DB]
	health  atomic.Pointer[error] // last open or ping error; nil when it worked
	stop    context.CancelFunc
	stopped chan struct{}
}

// Connect opens the database described by cfg like Open, but a database
// that cannot be reached is not an error: it logs a warning and returns a
// Connection that keeps trying in the background. Mistakes in cfg that no
// retry fixes (unknown driver or zone, malformed DSN) are errors. Close
// the Connection on shutdown, after the writer.
func Connect(ctx context.Context, cfg config.Database, opts ...OpenOption) (*Connection, error) {
	o := newOpenOptions(opts)
	loc, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	retry := o.reconnect
	if retry <= 0 {
		retry = time.Second
	}
	c := &Connection{
		cfg: cfg, opts: opts, log: o.log, loc: loc, dataDir: dataDir(cfg),
		retryMin: retry, retryMax: 10 * retry, ping: 5 * retry,
		stopped: make(chan struct{}),
	}
	wait := c.ping
	if db, err := Open(ctx, cfg, opts...); err != nil {
		c.health.Store(&err)
		c.log.Error("LOG DATABASE UNREACHABLE: serving anyway; request log rows go to the spill file "+
			"and are written once the database is back", "driver", c.dialect(), "spill_dir", c.dataDir, "error", err)
		wait = c.retryMin
	} else {
		c.db.Store(db)
	}
	bg, stop := context.WithCancel(context.WithoutCancel(ctx))
	c.stop = stop
	go c.watch(bg, wait)
	return c, nil
}

func (c *Connection) dialect() string {
	if c.cfg.Driver == "" {
		return dialectSQLite
	}
	return c.cfg.Driver
}

// watch opens the database until it works, then pings it now and then.
func (c *Connection) watch(ctx context.Context, wait time.Duration) {
	defer close(c.stopped)
	t := time.NewTimer(wait)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		db := c.db.Load()
		if db == nil {
			wait = c.tryOpen(ctx, wait)
		} else {
			pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			err := db.Ping(pctx)
			cancel()
			if ctx.Err() != nil {
				return
			}
			c.setHealth(err)
			wait = c.ping
		}
		t.Reset(wait)
	}
}

// tryOpen makes one attempt to open the database and returns the wait
// before the next look.
func (c *Connection) tryOpen(ctx context.Context, wait time.Duration) time.Duration {
	db, err := Open(ctx, c.cfg, c.opts...)
	if err != nil {
		if ctx.Err() == nil && c.setHealth(err) {
			c.log.Warn("log database still unreachable; rows keep going to the spill file", "error", err)
		}
		if wait < c.retryMin {
			return c.retryMin
		}
		return min(2*wait, c.retryMax)
	}
	c.db.Store(db)
	c.setHealth(nil)
	c.log.Info("log database connected: migrations applied; spilled rows are replayed", "driver", db.Dialect())
	return c.ping
}

// setHealth records the result of a look at the database and reports
// whether it is a new error (for logging each kind once).
func (c *Connection) setHealth(err error) bool {
	if err == nil {
		c.health.Store(nil)
		return false
	}
	old := c.health.Swap(&err)
	return old == nil || (*old).Error() != err.Error()
}

// Health is nil when the database is open and answered its last ping,
// else the last error: for /metrics and /readyz?verbose.
func (c *Connection) Health() error {
	if p := c.health.Load(); p != nil {
		return *p
	}
	return nil
}

// DB returns the open database, or an error wrapping ErrNotConnected.
func (c *Connection) DB() (*DB, error) {
	if db := c.db.Load(); db != nil {
		return db, nil
	}
	if err := c.Health(); err != nil {
		return nil, fmt.Errorf("%w: %w", ErrNotConnected, err)
	}
	return nil, ErrNotConnected
}

// NewWriter starts a log writer that writes through the Connection: while
// the database is not connected its writes fail and the rows are spilled,
// to be replayed once it is. Close it on shutdown, before the Connection.
func (c *Connection) NewWriter(opts WriterOptions) *Writer {
	return newWriter(opts, c.loc, c.dataDir, func(ctx context.Context, rows []*RequestLog) (int64, error) {
		db, err := c.DB()
		if err != nil {
			return 0, fmt.Errorf("insert %d log rows: %w", len(rows), err)
		}
		return db.insertLogs(ctx, rows)
	})
}

// AddCachedModels is DB.AddCachedModels once the database is connected.
func (c *Connection) AddCachedModels(ctx context.Context, provider string, models []CachedModel) (added, existing []string, err error) {
	db, err := c.DB()
	if err != nil {
		return nil, nil, fmt.Errorf("add models of %s to the catalog: %w", provider, err)
	}
	return db.AddCachedModels(ctx, provider, models)
}

// ListCachedModels is DB.ListCachedModels once the database is connected.
func (c *Connection) ListCachedModels(ctx context.Context, provider string) ([]CachedModel, error) {
	db, err := c.DB()
	if err != nil {
		return nil, fmt.Errorf("read the model catalog: %w", err)
	}
	return db.ListCachedModels(ctx, provider)
}

// RemoveCachedModel is DB.RemoveCachedModel once the database is connected.
func (c *Connection) RemoveCachedModel(ctx context.Context, provider, modelID string) (bool, error) {
	db, err := c.DB()
	if err != nil {
		return false, fmt.Errorf("remove model %s/%s from the catalog: %w", provider, modelID, err)
	}
	return db.RemoveCachedModel(ctx, provider, modelID)
}

// CatalogVersion is DB.CatalogVersion once the database is connected.
func (c *Connection) CatalogVersion(ctx context.Context) (string, error) {
	db, err := c.DB()
	if err != nil {
		return "", fmt.Errorf("read the model catalog version: %w", err)
	}
	return db.CatalogVersion(ctx)
}

// RunRetention waits for the database, then runs DB.RunRetention.
func (c *Connection) RunRetention(ctx context.Context, days int, every time.Duration) {
	if days <= 0 {
		return
	}
	t := time.NewTicker(c.retryMin)
	defer t.Stop()
	for c.db.Load() == nil {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
	c.db.Load().RunRetention(ctx, days, every)
}

// Close stops the background attempts and closes the database.
func (c *Connection) Close() error {
	c.stop()
	<-c.stopped
	if db := c.db.Swap(nil); db != nil {
		return db.Close()
	}
	return nil
}

// Clients is DB.Clients once the database is connected: the gateway
// reloads its client list through it.
func (c *Connection) Clients(ctx context.Context) ([]clients.Client, error) {
	db, err := c.DB()
	if err != nil {
		return nil, fmt.Errorf("read clients: %w", err)
	}
	return db.Clients(ctx)
}

// ClientSpend is DB.ClientSpend once the database is connected.
func (c *Connection) ClientSpend(ctx context.Context, name string, since time.Time) (cost float64, requests int64, err error) {
	db, err := c.DB()
	if err != nil {
		return 0, 0, fmt.Errorf("read the spend of client %q: %w", name, err)
	}
	return db.ClientSpend(ctx, name, since)
}

package store

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"
	_ "time/tzdata" // timestamps in Asia/Shanghai even on a machine without zoneinfo

	"gorm.io/gorm"
	"gorm.io/gorm/logger"

	"github.com/aigw/aigw/internal/config"
)

const (
	dialectSQLite   = "sqlite"
	dialectPostgres = "postgres"
)

// DB is an open log database with its schema migrated. It is safe for
// concurrent use; one DB serves the async writer, the queries and the
// model catalog.
type DB struct {
	dialect string
	loc     *time.Location
	log     *slog.Logger

	// write goes through a single connection on SQLite (SQLite allows one
	// writer at a time; queueing in Go is cheaper than SQLITE_BUSY retries)
	// and read through a small pool of read-only connections that WAL lets
	// run beside the writer. On PostgreSQL both are the same pool.
	write *gorm.DB
	read  *gorm.DB
	// writeSQL is write's *sql.DB, used directly by the batched insert.
	writeSQL *sql.DB
	pools    []*sql.DB

	// dataDir is where the writer's spill file goes: the folder of the
	// SQLite file, or ./data for PostgreSQL.
	dataDir string

	// logInsert is the writer's prepared INSERT (see insertLogs).
	logInsert logInsert
}

// OpenOption changes how Open behaves.
type OpenOption func(*openOptions)

type openOptions struct {
	migrate bool
	log     *slog.Logger
	// reconnect is how soon Connect tries again after a failed open.
	reconnect time.Duration
}

// WithoutMigrations opens the database as it is, for `aigw migrate`, which
// applies them itself and reports what it applied.
func WithoutMigrations() OpenOption { return func(o *openOptions) { o.migrate = false } }

// WithLogger sets where the store logs (default slog.Default()).
func WithLogger(l *slog.Logger) OpenOption { return func(o *openOptions) { o.log = l } }

// WithReconnect sets how soon Connect tries to open an unreachable
// database again (default 1s, doubling up to ten times that); an open
// database is pinged every five times that.
func WithReconnect(d time.Duration) OpenOption { return func(o *openOptions) { o.reconnect = d } }

// Open connects to the database described by cfg (sqlite or postgres),
// creating the SQLite file and its folder if missing, and applies pending
// migrations. Timestamps are stored and shown in cfg.Timezone.
func Open(ctx context.Context, cfg config.Database, opts ...OpenOption) (*DB, error) {
	o := newOpenOptions(opts)
	loc, err := checkConfig(cfg)
	if err != nil {
		return nil, err
	}
	db := &DB{loc: loc, log: o.log}

	if cfg.Driver == dialectPostgres {
		err = db.openPostgres(ctx, cfg.DSN, loc.String())
	} else {
		err = db.openSQLite(ctx, cfg.DSN)
	}
	if err != nil {
		db.Close()
		return nil, err
	}

	if !o.migrate {
		return db, nil
	}
	applied, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	for _, m := range applied {
		db.log.Info("database migration applied", "version", m.Version, "file", m.Source, "took", m.Duration)
	}
	return db, nil
}

func newOpenOptions(opts []OpenOption) openOptions {
	o := openOptions{migrate: true, log: slog.Default()}
	for _, opt := range opts {
		opt(&o)
	}
	return o
}

// checkConfig finds the mistakes in cfg that no retry can fix (an unknown
// driver or zone, a malformed PostgreSQL DSN) and returns the zone.
func checkConfig(cfg config.Database) (*time.Location, error) {
	tz := cfg.Timezone
	if tz == "" {
		tz = config.DefaultTimezone
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("database.timezone %q: %w (use an IANA name such as Asia/Shanghai or UTC)", tz, err)
	}
	switch cfg.Driver {
	case "", dialectSQLite:
	case dialectPostgres:
		if _, err := parsePostgresDSN(cfg.DSN, tz); err != nil {
			return nil, err
		}
	default:
		return nil, fmt.Errorf("unknown database.driver %q (use sqlite or postgres)", cfg.Driver)
	}
	return loc, nil
}

// dataDir is where the writer's spill file goes for cfg: the folder of the
// SQLite file, or ./data for PostgreSQL and an in-memory SQLite database.
func dataDir(cfg config.Database) string {
	if cfg.Driver == dialectPostgres {
		return "data"
	}
	path, memory := sqliteDSN(sqliteDSNOrDefault(cfg.DSN))
	if memory {
		return "data"
	}
	return filepath.Dir(path)
}

// gormConfig silences GORM's own logger except for real problems: the
// queries that matter have their errors returned and wrapped by the caller.
func gormConfig(log *slog.Logger) *gorm.Config {
	return &gorm.Config{
		Logger: logger.NewSlogLogger(log, logger.Config{
			SlowThreshold:             2 * time.Second,
			LogLevel:                  logger.Warn,
			IgnoreRecordNotFoundError: true,
			ParameterizedQueries:      true, // never log values: bodies and IPs stay out of logs
		}),
		SkipDefaultTransaction: true,
	}
}

// Dialect is "sqlite" or "postgres".
func (db *DB) Dialect() string { return db.dialect }

// Location is the zone timestamps are stored and shown in.
func (db *DB) Location() *time.Location { return db.loc }

// DataDir is the folder of the SQLite file (./data for PostgreSQL): where
// the writer keeps its spill file.
func (db *DB) DataDir() string { return db.dataDir }

// Gorm returns the GORM handle for writes (and, on PostgreSQL, reads).
// Other packages should prefer the typed helpers of this package.
func (db *DB) Gorm() *gorm.DB { return db.write }

// Ping checks that the database answers (readiness probe).
func (db *DB) Ping(ctx context.Context) error {
	for _, p := range db.pools {
		if err := p.PingContext(ctx); err != nil {
			return fmt.Errorf("ping the %s database: %w", db.dialect, err)
		}
	}
	return nil
}

// Close closes every connection. Close the writer first so its queue is
// drained.
func (db *DB) Close() error {
	var errs []error
	if err := db.closeInsert(); err != nil {
		errs = append(errs, err)
	}
	for _, p := range db.pools {
		if err := p.Close(); err != nil {
			errs = append(errs, err)
		}
	}
	db.pools = nil
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("close the %s database: %w", db.dialect, err)
	}
	return nil
}

package store

import (
	"context"
	"fmt"
	"time"

	"github.com/pressly/goose/v3"
	"github.com/pressly/goose/v3/database"
	"github.com/pressly/goose/v3/lock"

	"github.com/aigw/aigw/migrations"
)

// Migration is one migration applied by Migrate.
type Migration struct {
	Version  int64         `json:"version"`
	Source   string        `json:"source"`
	Duration time.Duration `json:"duration"`
}

// Migrate applies the pending migrations embedded in the binary and
// returns those it applied (none when the schema is up to date). Open
// calls it; `aigw migrate` calls it explicitly.
//
// goose runs on the *sql.DB GORM already has: importing goose's own SQLite
// driver would register a second "sqlite" database/sql driver and panic.
func (db *DB) Migrate(ctx context.Context) ([]Migration, error) {
	fsys, err := migrations.For(db.dialect)
	if err != nil {
		return nil, err
	}
	sqlDB, err := db.write.DB()
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	var (
		dialect = database.DialectSQLite3
		opts    []goose.ProviderOption
	)
	if db.dialect == dialectPostgres {
		dialect = database.DialectPostgres
		// Several aigw instances may start at once on one database: a
		// session advisory lock lets one migrate while the others wait,
		// then find nothing left to do. Poll every second, for 5 minutes.
		locker, err := lock.NewPostgresSessionLocker(lock.WithLockTimeout(1, 300))
		if err != nil {
			return nil, fmt.Errorf("migrate: %w", err)
		}
		opts = append(opts, goose.WithSessionLocker(locker))
	}
	p, err := goose.NewProvider(dialect, sqlDB, fsys, opts...)
	if err != nil {
		return nil, fmt.Errorf("migrate: %w", err)
	}
	results, err := p.Up(ctx)
	// SQLite has no advisory lock, but each migration runs in a
	// transaction: when another process (serve and a CLI command started
	// together) migrated first, ours rolled back, and a second look finds
	// nothing left to do.
	for attempt := 1; err != nil && db.dialect == dialectSQLite && attempt <= 3; attempt++ {
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("apply database migrations: %w", ctx.Err())
		case <-time.After(time.Duration(attempt) * 200 * time.Millisecond):
		}
		results, err = p.Up(ctx)
	}
	if err != nil {
		return nil, fmt.Errorf("apply database migrations: %w", err)
	}
	out := make([]Migration, 0, len(results))
	for _, r := range results {
		m := Migration{Duration: r.Duration}
		if r.Source != nil {
			m.Version, m.Source = r.Source.Version, r.Source.Path
		}
		out = append(out, m)
	}
	return out, nil
}

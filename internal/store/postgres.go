package store

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"gorm.io/driver/postgres"
	"gorm.io/gorm"

	"github.com/aigw/aigw/internal/config"
)

// parsePostgresDSN parses dsn and sets the session zone to tz.
func parsePostgresDSN(dsn, tz string) (*pgx.ConnConfig, error) {
	if dsn == "" {
		return nil, fmt.Errorf("database.dsn is empty: set it to a postgres URL such as postgres://user@127.0.0.1:5432/aigw?sslmode=disable")
	}
	pcfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx errors quote the DSN with the password masked.
		return nil, fmt.Errorf("database.dsn is not a valid PostgreSQL URL or key=value DSN: %w", err)
	}
	// The session zone is a startup parameter, so it applies to every
	// pooled connection, including ones opened after a reconnect. The
	// config's zone wins over one written in the DSN.
	for k := range pcfg.RuntimeParams {
		if strings.EqualFold(k, "timezone") {
			delete(pcfg.RuntimeParams, k)
		}
	}
	pcfg.RuntimeParams["timezone"] = tz
	return pcfg, nil
}

func (db *DB) openPostgres(ctx context.Context, dsn, tz string) error {
	db.dialect = dialectPostgres
	db.dataDir = dataDir(config.Database{Driver: dialectPostgres})
	pcfg, err := parsePostgresDSN(dsn, tz)
	if err != nil {
		return err
	}
	sqlDB := stdlib.OpenDB(*pcfg)
	db.pools = append(db.pools, sqlDB)
	sqlDB.SetMaxOpenConns(16)
	sqlDB.SetMaxIdleConns(4)
	sqlDB.SetConnMaxLifetime(30 * time.Minute)
	if err := sqlDB.PingContext(ctx); err != nil {
		return fmt.Errorf("connect to PostgreSQL at %s:%d/%s (is it running, and does database.dsn name the right host, user and database?): %w",
			pcfg.Host, pcfg.Port, pcfg.Database, err)
	}
	g, err := gorm.Open(postgres.New(postgres.Config{Conn: sqlDB}), gormConfig(db.log))
	if err != nil {
		return fmt.Errorf("open PostgreSQL: %w", err)
	}
	db.write, db.read, db.writeSQL = g, g, sqlDB
	return nil
}

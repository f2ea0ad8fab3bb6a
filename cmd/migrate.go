package cmd

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/store"
)

type migrateOptions struct {
	dbDeps
	out io.Writer
}

func newCmdMigrate(f *factory, runF func(*migrateOptions) error) *cobra.Command {
	opts := &migrateOptions{dbDeps: f.dbDeps(), out: f.out}
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations embedded in aigw",
		Long: "Apply pending schema migrations to the database of [database] and list them.\n" +
			"serve applies them at start too; with PostgreSQL a lock lets several instances start at once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runMigrate(cmd.Context(), opts)
		},
	}
}

// runMigrate applies pending migrations and lists them, or says the schema
// is up to date.
func runMigrate(ctx context.Context, opts *migrateOptions) error {
	db, err := opts.openDB(ctx, store.WithoutMigrations())
	if err != nil {
		return err
	}
	defer db.Close()
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(opts.out, "%s database is up to date\n", db.Dialect())
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(opts.out, "applied %05d %s (%s)\n", m.Version, m.Source, m.Duration.Round(time.Microsecond))
	}
	fmt.Fprintf(opts.out, "%s database migrated: %d migration(s) applied\n", db.Dialect(), len(applied))
	return nil
}

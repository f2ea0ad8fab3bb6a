package logcli

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/aigw/aigw/pkg/store"
)

// Migrate applies pending migrations and lists them, or says the schema is
// up to date.
func Migrate(ctx context.Context, w io.Writer, db *store.DB) error {
	applied, err := db.Migrate(ctx)
	if err != nil {
		return err
	}
	if len(applied) == 0 {
		fmt.Fprintf(w, "%s database is up to date\n", db.Dialect())
		return nil
	}
	for _, m := range applied {
		fmt.Fprintf(w, "applied %05d %s (%s)\n", m.Version, m.Source, m.Duration.Round(time.Microsecond))
	}
	fmt.Fprintf(w, "%s database migrated: %d migration(s) applied\n", db.Dialect(), len(applied))
	return nil
}

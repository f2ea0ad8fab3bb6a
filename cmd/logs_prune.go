package cmd

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
)

type logsPruneOptions struct {
	dbDeps
	out io.Writer
	now func() time.Time

	olderThan time.Duration
	// batch is the rows deleted per statement.
	batch int
}

func newCmdLogsPrune(f *factory, runF func(*logsPruneOptions) error) *cobra.Command {
	opts := &logsPruneOptions{dbDeps: f.dbDeps(), out: f.out, now: f.now}
	c := &cobra.Command{
		Use:     "prune",
		Short:   "Delete request log rows older than an age, in small batches",
		Long:    "Delete request log rows older than --older-than, in small batches so a running\nserver keeps writing. [logging] retention_days makes serve do this by itself.",
		Example: "  aigw logs prune --older-than 30d",
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if opts.olderThan == 0 {
				return fmt.Errorf("--older-than is required, e.g. aigw logs prune --older-than 30d")
			}
			if runF != nil {
				return runF(opts)
			}
			return runLogsPrune(cmd.Context(), opts)
		},
	}
	c.Flags().Var(ageFlag{&opts.olderThan}, "older-than", "age of the rows to delete: days like 30d, or a duration like 12h")
	c.Flags().IntVar(&opts.batch, "batch", 1000, "rows deleted per statement")
	return c
}

// runLogsPrune deletes rows older than the given age and says how many.
func runLogsPrune(ctx context.Context, opts *logsPruneOptions) error {
	db, err := opts.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	cutoff := opts.now().Add(-opts.olderThan)
	n, err := db.Prune(ctx, cutoff, opts.batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.out, "deleted %d request log rows older than %s\n", n, cutoff.In(db.Location()).Format(displayTime))
	return nil
}

// ageFlag is a flag holding an age such as 30d, 12h or 1d12h (parseAge).
type ageFlag struct{ d *time.Duration }

func (a ageFlag) Type() string { return "age" }

func (a ageFlag) String() string {
	if a.d == nil || *a.d == 0 {
		return ""
	}
	return shortDuration(*a.d)
}

func (a ageFlag) Set(s string) error {
	d, err := parseAge(s)
	if err != nil {
		return err
	}
	*a.d = d
	return nil
}

// parseAge reads an age like "30d", "12h", "1d12h" or "90m": a number of
// days with the suffix d, Go duration units, or both.
func parseAge(s string) (time.Duration, error) {
	s = strings.TrimSpace(s)
	orig := s
	bad := fmt.Errorf("%q is not an age: use days like 30d, or a duration like 12h or 1d12h", s)
	if s == "" {
		return 0, bad
	}
	var d time.Duration
	if days, rest, ok := strings.Cut(s, "d"); ok {
		n, err := strconv.Atoi(days)
		if err != nil || n < 0 {
			return 0, bad
		}
		d = time.Duration(n) * 24 * time.Hour
		s = rest
	}
	if s != "" {
		g, err := time.ParseDuration(s)
		if err != nil || g < 0 {
			return 0, bad
		}
		d += g
	}
	if d <= 0 {
		return 0, fmt.Errorf("%q: the age must be more than zero", orig)
	}
	return d, nil
}

package logcli

import (
	"context"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/aigw/aigw/pkg/store"
)

// ParseAge reads an age like "30d", "12h", "1d12h" or "90m": a number of
// days with the suffix d, Go duration units, or both.
func ParseAge(s string) (time.Duration, error) {
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

// PruneOptions are the flags of `aigw logs prune`.
type PruneOptions struct {
	OlderThan time.Duration
	// Batch is the rows deleted per statement (default 1000).
	Batch int
	Now   time.Time
}

// Prune deletes rows older than the given age, in small batches, and says
// how many.
func Prune(ctx context.Context, w io.Writer, db *store.DB, o PruneOptions) error {
	if o.OlderThan <= 0 {
		return fmt.Errorf("give --older-than, e.g. --older-than 30d")
	}
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	cutoff := o.Now.Add(-o.OlderThan)
	n, err := db.Prune(ctx, cutoff, o.Batch)
	if err != nil {
		return err
	}
	fmt.Fprintf(w, "deleted %d request log rows older than %s\n", n, cutoff.In(db.Location()).Format(DisplayTime))
	return nil
}

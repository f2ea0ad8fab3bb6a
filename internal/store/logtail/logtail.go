// Package logtail reads the request log the way tail -f reads a file: the
// newest rows that match a filter, then, call after call, the matching
// rows inserted since. It only queries; `aigw logs tail` renders.
package logtail

import (
	"cmp"
	"context"
	"fmt"
	"slices"

	"github.com/aigw/aigw/internal/store"
)

// Source is the part of the database a tail reads; *store.DB implements it.
type Source interface {
	LastID(ctx context.Context) (int64, error)
	Tail(ctx context.Context, f store.TailFilter) ([]store.RequestLog, error)
}

// followPage is how many new rows one query of Next reads at most; Next
// keeps reading pages until a short one.
const followPage = 1000

// Follower remembers how far a tail has read.
type Follower struct {
	src    Source
	filter store.TailFilter
	last   int64
	// shown holds the ids of the first page: rows inserted between reading
	// the position and the page can be in both, and are printed once.
	shown map[int64]bool
}

// Start returns the newest rows matching filter (at most filter.Limit),
// oldest first so the newest is at the bottom as with tail(1), and a
// Follower for the rows inserted after them. The follow position is read
// before the page, so no row inserted in between is missed.
func Start(ctx context.Context, src Source, filter store.TailFilter) ([]store.RequestLog, *Follower, error) {
	if filter.Status != "" {
		if _, _, err := store.ParseStatus(filter.Status); err != nil {
			return nil, nil, err
		}
	}
	filter.AfterID = 0
	last, err := src.LastID(ctx)
	if err != nil {
		return nil, nil, fmt.Errorf("%w (check [database] in the config, or run aigw migrate)", err)
	}
	rows, err := src.Tail(ctx, filter)
	if err != nil {
		return nil, nil, err
	}
	slices.Reverse(rows)
	shown := make(map[int64]bool, len(rows))
	for _, r := range rows {
		shown[r.ID] = true
	}
	return rows, &Follower{src: src, filter: filter, last: last, shown: shown}, nil
}

// Next returns the matching rows inserted since Start or the previous
// Next, oldest first, each row once.
func (f *Follower) Next(ctx context.Context) ([]store.RequestLog, error) {
	filter := f.filter
	filter.Limit = followPage
	filter.AfterID = f.last
	var out []store.RequestLog
	for {
		rows, err := f.src.Tail(ctx, filter)
		if err != nil {
			return out, err
		}
		if filter.AfterID == 0 {
			// The table was empty at Start: store.Tail reads AfterID 0 as
			// "the newest rows", newest first, so put them in insertion
			// order. Only a burst of more than followPage rows between two
			// polls would lose its oldest rows here.
			slices.SortFunc(rows, func(a, b store.RequestLog) int { return cmp.Compare(a.ID, b.ID) })
		}
		for _, r := range rows {
			filter.AfterID = max(filter.AfterID, r.ID)
			if !f.shown[r.ID] {
				out = append(out, r)
			}
		}
		clear(f.shown) // only the rows right after Start can repeat
		f.last = filter.AfterID
		if len(rows) < filter.Limit {
			return out, nil
		}
	}
}

package store

import (
	"context"
	"database/sql"
	"fmt"
	"time"
)

// Prune deletes rows created before olderThan, batch rows per statement,
// so that a large delete never holds the write lock for long (the writer
// and other instances keep writing between batches), then the rollup rows
// whose whole bucket is older than olderThan (pruneRollups). It returns how
// many log rows were deleted.
func (db *DB) Prune(ctx context.Context, olderThan time.Time, batch int) (int64, error) {
	n, err := db.pruneLogs(ctx, olderThan, batch)
	if err != nil {
		return n, err
	}
	return n, db.pruneRollups(ctx, olderThan)
}

func (db *DB) pruneLogs(ctx context.Context, olderThan time.Time, batch int) (int64, error) {
	if batch <= 0 {
		batch = 1000
	}
	cutoff := db.dbTime(olderThan)
	var total int64
	for {
		// DELETE ... LIMIT is not portable; a subquery on the primary key is.
		res := db.write.WithContext(ctx).Exec(
			"DELETE FROM request_logs WHERE id IN (SELECT id FROM request_logs WHERE created_at < ? ORDER BY id LIMIT ?)",
			cutoff, batch)
		if res.Error != nil {
			return total, fmt.Errorf("prune request logs older than %s (deleted %d so far): %w",
				olderThan.In(db.loc).Format(TimeLayout), total, res.Error)
		}
		total += res.RowsAffected
		if res.RowsAffected < int64(batch) {
			return total, nil
		}
		// Let the log writer in between batches.
		select {
		case <-ctx.Done():
			return total, fmt.Errorf("prune request logs: %w", ctx.Err())
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// pruneRollups deletes the rollup rows (rollups.go) whose whole bucket
// lies before olderThan. The bucket that holds the cut stays whole: it
// still counts rows just deleted, rather than losing rows still logged.
// A day of buckets per statement keeps each delete short.
func (db *DB) pruneRollups(ctx context.Context, olderThan time.Time) error {
	cut := olderThan.Unix()
	for _, table := range []string{"request_rollups", "request_rollup_totals"} {
		grains := rollupDimGrains[:]
		if table == "request_rollup_totals" {
			grains = rollupTotalGrains[:]
		}
		for _, g := range grains {
			// Buckets [bucket, bucket+g) entirely before cut.
			end := cut - g + 1
			var first sql.NullInt64
			if err := db.write.WithContext(ctx).Raw("SELECT MIN(bucket) FROM "+table+" WHERE grain = ?", g).
				Scan(&first).Error; err != nil {
				return fmt.Errorf("prune %s: %w", table, err)
			}
			for from := first.Int64; first.Valid && from < end; from += grainDay {
				res := db.write.WithContext(ctx).Exec("DELETE FROM "+table+" WHERE grain = ? AND bucket >= ? AND bucket < ?",
					g, from, min(from+grainDay, end))
				if res.Error != nil {
					return fmt.Errorf("prune %s older than %s: %w", table, olderThan.In(db.loc).Format(TimeLayout), res.Error)
				}
				if err := ctx.Err(); err != nil {
					return fmt.Errorf("prune %s: %w", table, err)
				}
			}
		}
	}
	return nil
}

// RunRetention deletes rows older than days, now and then every period,
// until ctx ends. days <= 0 turns it off ([logging] retention_days = 0).
func (db *DB) RunRetention(ctx context.Context, days int, every time.Duration) {
	if days <= 0 {
		return
	}
	if every <= 0 {
		every = time.Hour
	}
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		cutoff := time.Now().AddDate(0, 0, -days)
		n, err := db.Prune(ctx, cutoff, 1000)
		switch {
		case err != nil && ctx.Err() == nil:
			db.log.Warn("log retention: prune failed; trying again later", "error", err)
		case n > 0:
			db.log.Info("log retention: old rows deleted", "rows", n, "retention_days", days)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

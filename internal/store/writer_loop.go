package store

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// run is the writer goroutine. It alone touches pending and the failure
// state, so none of that needs a lock.
func (w *Writer) run() {
	defer close(w.done)
	tick := time.NewTicker(w.opts.FlushInterval)
	defer tick.Stop()
	ctx := w.runCtx
	for {
		select {
		case r := <-w.ch:
			w.pending = append(w.pending, r)
			w.take()
			if len(w.pending) < w.opts.BatchSize {
				// A partial batch waits for the tick: fewer, larger inserts.
				w.buffered.Store(int64(len(w.pending)))
				continue
			}
		case <-tick.C:
			if err := w.spill.syncIfDirty(); err != nil {
				w.log.Error("cannot sync the log spill file to disk", "error", err)
			}
		case cctx := <-w.stop:
			w.closeErr = w.shutdown(cctx)
			return
		}
		w.step(ctx)
		w.buffered.Store(int64(len(w.pending)))
	}
}

// take moves rows already queued into pending without waiting, at most a
// batch per call, so a steady stream still reaches step.
func (w *Writer) take() {
	for range w.opts.BatchSize - 1 {
		select {
		case r := <-w.ch:
			w.pending = append(w.pending, r)
		default:
			return
		}
	}
}

// step makes one attempt at progress: write pending rows, then replay the
// spill file once the database takes writes and nothing newer waits. While
// the database fails, rows held in memory would die with the process, so
// they go to the spill file at once rather than waiting for the retry.
func (w *Writer) step(ctx context.Context) {
	if !w.failing || !time.Now().Before(w.retryAt) {
		if w.flush(ctx) && w.spill.rows() > 0 {
			w.replay(ctx)
		}
	}
	if w.failing && ctx.Err() == nil {
		w.spillPending()
	}
}

// flush writes pending in batches. It returns false, keeping the rows not
// written, when the database fails.
func (w *Writer) flush(ctx context.Context) bool {
	for len(w.pending) > 0 {
		n := min(len(w.pending), w.opts.BatchSize)
		if err := w.insertBatch(ctx, w.pending[:n]); err != nil {
			return false
		}
		clear(w.pending[:n]) // let the rows be collected
		w.pending = w.pending[n:]
	}
	w.pending = w.pending[:0]
	return true
}

// insertBatch runs one insert with a timeout and keeps the failure state.
func (w *Writer) insertBatch(ctx context.Context, rows []*RequestLog) error {
	ictx, cancel := context.WithTimeout(ctx, w.opts.InsertTimeout)
	n, err := w.insert(ictx, rows)
	cancel()
	if err != nil {
		if ctx.Err() == nil { // not a failure when Close interrupted it
			w.fail(err)
		}
		return err
	}
	w.written.Add(uint64(n))
	w.health.Store(nil)
	if w.failing {
		w.log.Info("log database writable again", "down_for", time.Since(w.failedAt).Round(time.Millisecond),
			"buffered_rows", len(w.pending), "spilled_rows", w.spill.rows())
		w.failing, w.lastErr = false, ""
	}
	return nil
}

// fail records a failed write and schedules the retry with exponential
// backoff. It logs the first failure and each new kind of error, not every
// retry.
func (w *Writer) fail(err error) {
	w.health.Store(&err)
	now := time.Now()
	if !w.failing {
		w.failing, w.failedAt, w.backoff = true, now, w.opts.RetryMin
	} else {
		w.backoff = min(2*w.backoff, w.opts.RetryMax)
	}
	w.retryAt = now.Add(w.backoff)
	if msg := err.Error(); msg != w.lastErr {
		w.lastErr = msg
		w.log.Warn("log database write failed: rows go to the spill file until it works again", "error", err,
			"buffered_rows", len(w.pending), "queued_rows", len(w.ch), "spill_file", w.spill.path, "retry_in", w.backoff)
	}
}

// spillPending moves the rows held in memory to the spill file, synced.
// If the disk refuses too, they stay in memory and are retried.
func (w *Writer) spillPending() {
	n := len(w.pending)
	if n == 0 {
		return
	}
	if err := w.spill.append(w.pending, true); err != nil {
		w.log.Error("cannot spill log rows to file; keeping them in memory", "rows", n, "error", err)
		return
	}
	w.spilledTotal.Add(uint64(n))
	clear(w.pending)
	w.pending = w.pending[:0]
	w.log.Debug("log rows spilled to file while the database fails", "rows", n, "file", w.spill.path, "spilled_rows", w.spill.rows())
}

// replay inserts the rows of one spill file and reports whether it got
// through. On failure the file stays and is replayed from its start later:
// inserts skip request ids already stored, so rows written by the failed
// attempt are not duplicated.
func (w *Writer) replay(ctx context.Context) bool {
	path, err := w.spill.takeForReplay()
	if err != nil {
		w.log.Error("cannot replay the log spill file", "error", err)
		return false
	}
	if path == "" {
		return true
	}
	f, err := os.Open(path)
	if err != nil {
		w.log.Error("cannot replay the log spill file", "file", path, "error", err)
		return false
	}
	defer f.Close()
	sr := &spillReader{r: bufio.NewReaderSize(f, 256<<10)}
	batch := make([]*RequestLog, 0, w.opts.BatchSize)
	var rows int
	before := w.written.Load()
	for {
		row, err := sr.next()
		eof := errors.Is(err, io.EOF)
		if err != nil && !eof {
			w.log.Error("cannot replay the log spill file", "file", path, "error", err)
			return false
		}
		if row != nil {
			batch = append(batch, row)
		}
		if len(batch) == cap(batch) || eof && len(batch) > 0 {
			if w.insertBatch(ctx, batch) != nil {
				return false
			}
			rows += len(batch)
			batch = batch[:0]
			// Keep the live queue moving while a long file replays.
			w.take()
			if len(w.pending) >= w.opts.BatchSize && !w.flush(ctx) {
				return false
			}
		}
		if eof {
			break
		}
	}
	if err := w.spill.replayed(); err != nil {
		w.log.Error("spilled rows replayed but the file could not be removed; a later replay skips them", "error", err)
		return false
	}
	w.log.Info("spilled log rows replayed into the database", "rows", rows,
		"new_rows", w.written.Load()-before, "unreadable_lines", sr.bad, "file", path)
	return true
}

// shutdown writes everything still queued. If the database keeps failing
// past ShutdownRetry (or ctx ends), the rest goes to the spill file for the
// next start.
func (w *Writer) shutdown(ctx context.Context) error {
	for drained := false; !drained; {
		select {
		case r := <-w.ch:
			w.pending = append(w.pending, r)
		default:
			drained = true
		}
	}
	w.buffered.Store(int64(len(w.pending)))
	deadline := time.Now().Add(w.opts.ShutdownRetry)
	for !w.flush(ctx) {
		wait := time.Until(w.retryAt)
		if ctx.Err() != nil || time.Now().Add(wait).After(deadline) {
			break
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
		case <-t.C:
		}
		t.Stop()
	}
	// Rows that overflowed the queue in a burst: put them in place now
	// rather than at the next start, while there is time. Both files may
	// hold rows (a replay interrupted by Close, and newer spills).
	// At most a few rounds: rows enqueued after Close keep spilling.
	for range 3 {
		if len(w.pending) > 0 || w.spill.rows() == 0 || ctx.Err() != nil || !w.replay(ctx) {
			break
		}
	}

	var errs []error
	if n := len(w.pending); n > 0 {
		if err := w.spill.append(w.pending, true); err != nil {
			errs = append(errs, fmt.Errorf("%d log rows could be written neither to the database nor to the spill file: %w", n, err))
		} else {
			w.spilledTotal.Add(uint64(n))
			w.log.Warn("log database unavailable at shutdown: rows spilled to file, replayed at the next start",
				"rows", n, "file", w.spill.path, "spilled_rows", w.spill.rows())
		}
		w.pending = nil
	}
	w.buffered.Store(0)
	if err := w.spill.close(); err != nil {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

package store

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWriterDefaultsBoundWhatAHardKillLoses pins what rows live only in
// memory: those of the last FlushInterval (or BatchSize rows), and, while
// traffic outruns the database, at most QueueSize more (about 100 ms of
// the writer's throughput; the rest goes to the spill file).
func TestWriterDefaultsBoundWhatAHardKillLoses(t *testing.T) {
	var o WriterOptions
	o.defaults(time.UTC, t.TempDir())
	assert.Equal(t, 100*time.Millisecond, o.FlushInterval)
	assert.Equal(t, 256, o.BatchSize)
	assert.Equal(t, 2048, o.QueueSize)
	assert.Equal(t, spillFileName, filepath.Base(o.SpillPath))
}

// TestRowsGoToTheSpillFileAsSoonAsAWriteFails: while the database fails,
// rows do not wait in memory (where a crash would lose them) for the retry
// or for a memory bound; the first failed write sends them to the file.
func TestRowsGoToTheSpillFileAsSoonAsAWriteFails(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	spill := filepath.Join(t.TempDir(), "spill.jsonl")
	opts := fastWriter(t, spill)
	opts.RetryMin, opts.RetryMax = time.Hour, time.Hour // no retry during the test
	fi := &flakyInsert{real: db.insertLogs}
	fi.down.Store(true)
	w := db.newWriter(opts, fi.insert)
	t.Cleanup(func() { _ = w.Close(testCtx(t)) })

	for i := range 10 {
		w.Enqueue(sampleRow(i))
	}
	waitFor(t, 5*time.Second, "the rows in the spill file", func() bool { return w.Spilled() == 10 && w.QueueDepth() == 0 })
	lines, err := countLines(spill)
	require.NoError(t, err)
	assert.EqualValues(t, 10, lines, "on disk, not only counted")
	require.Error(t, w.Health(), "the failed write is reported")

	// Later rows follow at once too, without a new attempt at the database.
	calls := fi.calls.Load()
	w.Enqueue(sampleRow(10))
	waitFor(t, 5*time.Second, "the later row in the spill file", func() bool { return w.Spilled() == 11 })
	assert.Equal(t, calls, fi.calls.Load())
}

// TestSpillLeftByACrashIsReplayedAtNextStart: whatever a crashed process
// left on disk (rows spilled while the database was down, or a replay it
// was in the middle of) is inserted by the next writer on the same path.
func TestSpillLeftByACrashIsReplayedAtNextStart(t *testing.T) {
	for _, c := range []struct {
		name  string
		leave func(t *testing.T, db *DB, spill string)
	}{
		{"spilled by a writer that never closed", func(t *testing.T, db *DB, spill string) {
			opts := fastWriter(t, spill)
			opts.RetryMin, opts.RetryMax = time.Hour, time.Hour
			fi := &flakyInsert{real: db.insertLogs}
			fi.down.Store(true)
			crashed := db.newWriter(opts, fi.insert)
			for i := range 20 {
				crashed.Enqueue(sampleRow(i))
			}
			waitFor(t, 5*time.Second, "the rows spilled", func() bool { return crashed.Spilled() == 20 })
			// No Close: the process is gone. (Stop the goroutine at the end
			// without letting it touch the files.)
			t.Cleanup(func() {
				ctx, cancel := context.WithCancel(context.Background())
				cancel()
				_ = crashed.Close(ctx)
			})
		}},
		{"in the middle of a replay", func(t *testing.T, _ *DB, spill string) {
			writeSpillRows(t, replayPathFor(spill), 0, 20)
		}},
		{"in the middle of a replay, spill file unreadable", func(t *testing.T, _ *DB, spill string) {
			writeSpillRows(t, replayPathFor(spill), 0, 20)
			require.NoError(t, os.Mkdir(spill, 0o755)) // not a file: it cannot be counted
		}},
	} {
		t.Run(c.name, func(t *testing.T) {
			db := mustOpen(t, sqliteConfig(t))
			spill := filepath.Join(t.TempDir(), spillFileName)
			c.leave(t, db, spill)
			require.Zero(t, countRows(t, db))

			w := db.NewWriter(fastWriter(t, spill))
			waitFor(t, 30*time.Second, "the rows left by the crash", func() bool { return countRows(t, db) == 20 })
			waitFor(t, 5*time.Second, "the replay to finish", func() bool { return w.Spilled() == 0 })
			require.NoError(t, w.Close(testCtx(t)))
			assertDistinctRequestIDs(t, db, 20)
			_, err := os.Stat(replayPathFor(spill))
			assert.ErrorIs(t, err, os.ErrNotExist, "the replayed file is removed")
		})
	}
}

// writeSpillRows writes sampleRow(from..to-1) to path as the spill file does.
func writeSpillRows(t *testing.T, path string, from, to int) {
	t.Helper()
	s := &spillFile{path: path}
	var rows []*RequestLog
	for i := from; i < to; i++ {
		rows = append(rows, sampleRow(i))
	}
	require.NoError(t, s.append(rows, true))
	require.NoError(t, s.close())
}

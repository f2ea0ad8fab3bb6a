package store

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"
)

// WriterOptions tune the async log writer. Zero values take the defaults.
type WriterOptions struct {
	// Location is the zone of the timestamps in spilled rows; default the
	// database's zone. Stored timestamps always use the database's zone
	// ([database] timezone), so that SQLite text sorts in one zone.
	Location *time.Location
	Logger   *slog.Logger

	// QueueSize bounds the channel between Enqueue and the writer (2048).
	// Rows in it die with the process, so it is kept to about 100 ms of
	// the writer's throughput: when traffic outruns the database, rows
	// beyond it go to the spill file (kept by the OS across a crash of the
	// process) instead of piling up in memory.
	QueueSize int
	// BatchSize is the most rows per insert (256); FlushInterval the
	// longest a row waits for its batch to fill (100ms). A hard kill of
	// the process loses the rows of the last FlushInterval at most, so
	// both are kept small.
	BatchSize     int
	FlushInterval time.Duration
	// SpillPath is the spill file (default spill.jsonl in the database's
	// data folder: beside the SQLite file, ./data for PostgreSQL).
	SpillPath string
	// RetryMin and RetryMax bound the backoff between attempts while the
	// database fails (100ms, 5s).
	RetryMin, RetryMax time.Duration
	// InsertTimeout bounds one insert, so a hung database cannot stall the
	// writer forever (10s).
	InsertTimeout time.Duration
	// ShutdownRetry is how long Close keeps retrying a failing database
	// before it spills what is left (5s; Close's context may cut it short).
	ShutdownRetry time.Duration
}

func (o *WriterOptions) defaults(loc *time.Location, dataDir string) {
	if o.Location == nil {
		o.Location = loc
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	setDefault(&o.QueueSize, 2048)
	setDefault(&o.BatchSize, 256)
	setDefault(&o.FlushInterval, 100*time.Millisecond)
	setDefault(&o.RetryMin, 100*time.Millisecond)
	setDefault(&o.RetryMax, 5*time.Second)
	setDefault(&o.InsertTimeout, 10*time.Second)
	setDefault(&o.ShutdownRetry, 5*time.Second)
	if o.SpillPath == "" {
		o.SpillPath = filepath.Join(dataDir, spillFileName)
	}
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// insertFunc stores a batch and returns how many rows were new. The writer
// takes it as a value so tests can make the database fail on demand.
type insertFunc func(ctx context.Context, rows []*RequestLog) (int64, error)

// Writer writes request log rows off the request path: Enqueue never waits
// for the database; a goroutine batches the rows into inserts. When the
// database fails, the rows go to a spill file at once (rows in memory die
// with the process), replayed once the database is back. Nothing is
// dropped.
type Writer struct {
	opts   WriterOptions
	log    *slog.Logger
	insert insertFunc
	spill  *spillFile

	ch chan *RequestLog

	// mu makes Close and Enqueue exclusive: after Close has set closed,
	// no Enqueue can still put a row into ch that the writer would miss.
	mu     sync.RWMutex
	closed bool

	stop chan context.Context
	done chan struct{}
	// runCtx ends when Close is called, so that a long replay or a hung
	// insert does not hold up the shutdown, which then works under Close's
	// own context.
	runCtx    context.Context
	cancelRun context.CancelFunc
	closeErr  error
	once      sync.Once

	health       atomic.Pointer[error] // the last write's error; nil once a write works
	buffered     atomic.Int64          // rows held by the writer goroutine
	written      atomic.Uint64         // rows inserted
	spilledTotal atomic.Uint64         // rows ever spilled (for logs)
	lastSpillLog atomic.Int64          // unix nanos of the last "rows spilled" line from Enqueue

	// owned by the writer goroutine
	pending  []*RequestLog
	failing  bool
	failedAt time.Time
	backoff  time.Duration
	retryAt  time.Time
	lastErr  string
}

// NewWriter starts a writer on db. Close it on shutdown, before db.
func (db *DB) NewWriter(opts WriterOptions) *Writer {
	return db.newWriter(opts, db.insertLogs)
}

func (db *DB) newWriter(opts WriterOptions, insert insertFunc) *Writer {
	return newWriter(opts, db.loc, db.dataDir, insert)
}

// newWriter starts a writer whose timestamps default to loc and whose spill
// file defaults to dataDir.
func newWriter(opts WriterOptions, loc *time.Location, dataDir string, insert insertFunc) *Writer {
	opts.defaults(loc, dataDir)
	w := &Writer{
		opts:   opts,
		log:    opts.Logger,
		insert: insert,
		ch:     make(chan *RequestLog, opts.QueueSize),
		stop:   make(chan context.Context, 1),
		done:   make(chan struct{}),
	}
	w.runCtx, w.cancelRun = context.WithCancel(context.Background())
	spill, err := newSpillFile(opts.SpillPath)
	if err != nil {
		// An unreadable spill file must not stop the gateway; new spills
		// still append to it, and the replay tries to read it again.
		w.log.Error("cannot count the rows of the log spill file; replaying what can be read",
			"file", opts.SpillPath, "error", err)
	}
	w.spill = spill
	if n := spill.rows(); n > 0 {
		w.log.Info("log rows waiting in the spill file from an earlier run; replaying them", "rows", n, "file", opts.SpillPath)
	}
	go w.run()
	return w
}

// Enqueue hands a finished row to the writer; the writer owns it from now
// on. It never blocks on the database: when the queue is full (the database
// is slower than the traffic) or the writer is closed, the row is appended
// to the spill file instead. A missing CreatedAt is now; a missing
// RequestID gets a unique one (replays are idempotent by request id).
func (w *Writer) Enqueue(r *RequestLog) {
	if r == nil {
		return
	}
	if r.CreatedAt.IsZero() {
		r.CreatedAt = time.Now()
	}
	r.CreatedAt = r.CreatedAt.In(w.opts.Location)
	if r.RequestID == "" {
		r.RequestID = newRowID()
	}
	w.mu.RLock()
	if !w.closed {
		select {
		case w.ch <- r:
			w.mu.RUnlock()
			return
		default:
		}
	}
	closed := w.closed
	w.mu.RUnlock()

	if err := w.spill.append([]*RequestLog{r}, false); err != nil {
		// Last resort: the disk refuses too. Say so loudly, with the row's
		// id so an operator can correlate it.
		w.log.Error("log row lost: queue full and spill file not writable", "request_id", r.RequestID, "error", err)
		return
	}
	w.spilledTotal.Add(1)
	w.noteEnqueueSpill(closed)
}

// noteEnqueueSpill logs spills from Enqueue at most every 5 seconds: under
// a burst every row would otherwise log a line.
func (w *Writer) noteEnqueueSpill(closed bool) {
	now := time.Now().UnixNano()
	last := w.lastSpillLog.Load()
	if now-last < int64(5*time.Second) || !w.lastSpillLog.CompareAndSwap(last, now) {
		return
	}
	reason := "log queue full"
	if closed {
		reason = "log writer closed"
	}
	w.log.Warn(reason+": rows spilled to file, replayed when the database keeps up",
		"file", w.spill.path, "spilled_rows", w.spill.rows(), "queue", len(w.ch))
}

// QueueDepth is the number of rows waiting in memory (queue plus the
// writer's buffer): for a gauge.
func (w *Writer) QueueDepth() int { return len(w.ch) + int(w.buffered.Load()) }

// Health is the error of the last write to the database, nil when it
// worked (or nothing was written yet): for /metrics and /readyz?verbose.
func (w *Writer) Health() error {
	if p := w.health.Load(); p != nil {
		return *p
	}
	return nil
}

// Spilled is the number of rows currently in the spill file.
func (w *Writer) Spilled() int64 { return w.spill.rows() }

// Written is the number of rows this writer inserted.
func (w *Writer) Written() uint64 { return w.written.Load() }

// Close stops accepting rows into the queue, writes everything queued, and
// returns when every row is in the database or, if the database is still
// failing after ShutdownRetry or ctx ends, in the spill file. It returns an
// error only if rows could be stored nowhere.
func (w *Writer) Close(ctx context.Context) error {
	w.once.Do(func() {
		w.mu.Lock()
		w.closed = true
		w.mu.Unlock()
		w.stop <- ctx
		w.cancelRun()
	})
	<-w.done // every step of the shutdown is bounded by ctx
	if w.closeErr != nil {
		return fmt.Errorf("close the log writer: %w", w.closeErr)
	}
	return nil
}

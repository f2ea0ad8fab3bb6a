// Package sqliteraw runs prepared SQLite statements through the C API of
// the SQLite library that the pure-Go driver already links
// (modernc.org/sqlite/lib), for the one statement that runs thousands of
// times a second: the request log INSERT.
//
// The database/sql driver (github.com/glebarez/go-sqlite) compiles a
// statement's SQL again on every execution, even through a *sql.Stmt, and
// matches each placeholder to its argument by a linear search. For the log
// writer that was about half of its CPU. Here a statement is compiled once
// and each execution only binds, steps and resets.
//
// A Conn is safe for concurrent use; calls are serialised.
package sqliteraw

import (
	"context"
	"fmt"
	"sync"
	"time"
	"unsafe"

	"modernc.org/libc"
	sqlite3 "modernc.org/sqlite/lib"
)

// Error is a failed SQLite call.
type Error struct {
	Code int    // the extended result code
	Msg  string // sqlite3_errmsg
}

func (e *Error) Error() string { return fmt.Sprintf("sqlite: %s (%d)", e.Msg, e.Code) }

// Conn is one connection to a database file.
type Conn struct {
	mu  sync.Mutex
	tls *libc.TLS
	db  uintptr // sqlite3*
	// text holds the current row's string values: they are bound with
	// SQLITE_STATIC, valid until the statement is reset, so SQLite does
	// not copy them a second time.
	text    uintptr
	textCap int
	stmts   []*Stmt
	closed  bool

	// intMu guards the interrupt of a running Tx from another goroutine.
	intMu   sync.Mutex
	intTLS  *libc.TLS
	running bool
}

// Open opens an existing database file for reading and writing, waits up
// to busyTimeout for other connections' locks, and runs each of pragmas
// (e.g. "PRAGMA synchronous=NORMAL").
func Open(path string, busyTimeout time.Duration, pragmas ...string) (*Conn, error) {
	c := &Conn{tls: libc.NewTLS(), intTLS: libc.NewTLS()}
	cpath, err := libc.CString(path)
	if err != nil {
		c.closed = true
		c.tls.Close()
		c.intTLS.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	defer libc.Xfree(c.tls, cpath)
	pdb := c.tls.Alloc(8)
	rc := sqlite3.Xsqlite3_open_v2(c.tls, cpath, pdb, sqlite3.SQLITE_OPEN_READWRITE, 0)
	c.db = *(*uintptr)(cptr(pdb))
	c.tls.Free(8)
	if rc != sqlite3.SQLITE_OK {
		err := c.errorf(rc, "open %s", path)
		c.Close()
		return nil, err
	}
	sqlite3.Xsqlite3_extended_result_codes(c.tls, c.db, 1)
	sqlite3.Xsqlite3_busy_timeout(c.tls, c.db, int32(busyTimeout/time.Millisecond))
	for _, p := range pragmas {
		if err := c.Exec(p); err != nil {
			c.Close()
			return nil, err
		}
	}
	return c, nil
}

// cptr turns an address in libc's heap into a pointer. That memory is
// outside Go's heap, never moved or collected, which makes this sound; the
// indirection keeps vet's unsafeptr check, which is about Go heap
// addresses kept in integers, from flagging it.
func cptr(p uintptr) unsafe.Pointer { return *(*unsafe.Pointer)(unsafe.Pointer(&p)) }

// errorf builds an Error from the connection's last failure.
func (c *Conn) errorf(rc int32, format string, args ...any) error {
	msg := sqlite3.Xsqlite3_errstr(c.tls, rc)
	if c.db != 0 {
		msg = sqlite3.Xsqlite3_errmsg(c.tls, c.db)
	}
	return fmt.Errorf(format+": %w", append(args, &Error{Code: int(rc), Msg: libc.GoString(msg)})...)
}

// Exec runs sql, one or more statements without arguments.
func (c *Conn) Exec(sql string) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.exec(sql)
}

func (c *Conn) exec(sql string) error {
	if c.closed {
		return fmt.Errorf("exec %q: connection closed", sql)
	}
	csql, err := libc.CString(sql)
	if err != nil {
		return fmt.Errorf("exec %q: %w", sql, err)
	}
	defer libc.Xfree(c.tls, csql)
	if rc := sqlite3.Xsqlite3_exec(c.tls, c.db, csql, 0, 0, 0); rc != sqlite3.SQLITE_OK {
		return c.errorf(rc, "exec %q", sql)
	}
	return nil
}

// Stmt is a compiled statement of a Conn.
type Stmt struct {
	c      *Conn
	p      uintptr // sqlite3_stmt*
	params int
}

// Prepare compiles one statement. It stays valid until the Conn closes.
func (c *Conn) Prepare(sql string) (*Stmt, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil, fmt.Errorf("prepare: connection closed")
	}
	csql, err := libc.CString(sql)
	if err != nil {
		return nil, fmt.Errorf("prepare: %w", err)
	}
	defer libc.Xfree(c.tls, csql)
	pp := c.tls.Alloc(8)
	defer c.tls.Free(8)
	if rc := sqlite3.Xsqlite3_prepare_v2(c.tls, c.db, csql, -1, pp, 0); rc != sqlite3.SQLITE_OK {
		return nil, c.errorf(rc, "prepare")
	}
	s := &Stmt{c: c, p: *(*uintptr)(cptr(pp))}
	if s.p == 0 {
		return nil, fmt.Errorf("prepare: no statement in %q", sql)
	}
	s.params = int(sqlite3.Xsqlite3_bind_parameter_count(c.tls, s.p))
	c.stmts = append(c.stmts, s)
	return s, nil
}

// Tx is an open transaction of a Conn; see Conn.Tx.
type Tx struct{ c *Conn }

// Exec runs s (a statement of the same Conn) inside the transaction.
func (t *Tx) Exec(s *Stmt, args ...any) (int64, error) {
	if s.c != t.c {
		return 0, fmt.Errorf("exec: statement of another connection")
	}
	return s.exec(args)
}

// Tx runs fn inside BEGIN IMMEDIATE ... COMMIT, rolling back if fn or the
// commit fails. No other call on the Conn interleaves with it. When ctx
// ends, the statement running is interrupted (SQLITE_INTERRUPT) and the
// transaction rolled back.
func (c *Conn) Tx(ctx context.Context, fn func(tx *Tx) error) error {
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("begin: %w", err)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.setRunning(true)
	stop := context.AfterFunc(ctx, c.interrupt)
	defer func() {
		stop()
		c.setRunning(false)
	}()
	if err := c.exec("BEGIN IMMEDIATE"); err != nil {
		return err
	}
	err := fn(&Tx{c: c})
	if err == nil {
		if err = c.exec("COMMIT"); err == nil {
			return nil
		}
	}
	// A failed statement or COMMIT can leave the transaction open.
	if sqlite3.Xsqlite3_get_autocommit(c.tls, c.db) == 0 {
		_ = c.exec("ROLLBACK")
	}
	return err
}

// setRunning marks whether a transaction may be interrupted now.
func (c *Conn) setRunning(on bool) {
	c.intMu.Lock()
	c.running = on
	c.intMu.Unlock()
}

// interrupt stops the statement running in Tx. It runs on another
// goroutine, so it has its own libc TLS, and it does nothing once that
// transaction has ended (an interrupt would otherwise hit the next one).
func (c *Conn) interrupt() {
	c.intMu.Lock()
	defer c.intMu.Unlock()
	if c.running {
		sqlite3.Xsqlite3_interrupt(c.intTLS, c.db)
	}
}

// Exec binds args to the statement's placeholders in order, runs it to
// completion and returns how many rows it changed. Supported argument
// types: string, []byte, int, int64, float64, bool (0 or 1) and nil
// (NULL).
func (s *Stmt) Exec(args ...any) (int64, error) {
	s.c.mu.Lock()
	defer s.c.mu.Unlock()
	return s.exec(args)
}

// exec runs with c.mu held.
func (s *Stmt) exec(args []any) (int64, error) {
	c := s.c
	if c.closed {
		return 0, fmt.Errorf("exec: connection closed")
	}
	if len(args) != s.params {
		return 0, fmt.Errorf("exec: %d arguments for %d placeholders", len(args), s.params)
	}
	// Every text value of the row goes into one C buffer.
	need := 1
	for _, a := range args {
		switch v := a.(type) {
		case string:
			need += len(v)
		case []byte:
			need += len(v)
		}
	}
	if err := c.ensureText(need); err != nil {
		return 0, err
	}
	buf := unsafe.Slice((*byte)(cptr(c.text)), c.textCap)
	off := 0
	for i, a := range args {
		idx := int32(i + 1)
		var rc int32
		switch v := a.(type) {
		case string:
			copy(buf[off:], v)
			rc = sqlite3.Xsqlite3_bind_text(c.tls, s.p, idx, c.text+uintptr(off), int32(len(v)), 0)
			off += len(v)
		case []byte:
			copy(buf[off:], v)
			rc = sqlite3.Xsqlite3_bind_blob(c.tls, s.p, idx, c.text+uintptr(off), int32(len(v)), 0)
			off += len(v)
		case int:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.p, idx, int64(v))
		case int64:
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.p, idx, v)
		case bool:
			var n int64
			if v {
				n = 1
			}
			rc = sqlite3.Xsqlite3_bind_int64(c.tls, s.p, idx, n)
		case float64:
			rc = sqlite3.Xsqlite3_bind_double(c.tls, s.p, idx, v)
		case nil:
			rc = sqlite3.Xsqlite3_bind_null(c.tls, s.p, idx)
		default:
			sqlite3.Xsqlite3_reset(c.tls, s.p)
			return 0, fmt.Errorf("exec: argument %d has unsupported type %T", i+1, a)
		}
		if rc != sqlite3.SQLITE_OK {
			sqlite3.Xsqlite3_reset(c.tls, s.p)
			return 0, c.errorf(rc, "bind argument %d", i+1)
		}
	}
	rc := sqlite3.Xsqlite3_step(c.tls, s.p)
	// reset makes the statement reusable; it repeats step's error code,
	// which errmsg has already.
	if rc != sqlite3.SQLITE_DONE && rc != sqlite3.SQLITE_ROW {
		err := c.errorf(rc, "exec")
		sqlite3.Xsqlite3_reset(c.tls, s.p)
		return 0, err
	}
	n := int64(sqlite3.Xsqlite3_changes(c.tls, c.db))
	sqlite3.Xsqlite3_reset(c.tls, s.p)
	return n, nil
}

// ensureText makes the text buffer at least n bytes.
func (c *Conn) ensureText(n int) error {
	if n <= c.textCap {
		return nil
	}
	size := max(n, 2*c.textCap, 4096)
	p := libc.Xmalloc(c.tls, libc.Tsize_t(size))
	if p == 0 {
		return fmt.Errorf("exec: out of memory for %d bytes of text", size)
	}
	if c.text != 0 {
		libc.Xfree(c.tls, c.text)
	}
	c.text, c.textCap = p, size
	return nil
}

// Close finalizes the statements and closes the connection.
func (c *Conn) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed {
		return nil
	}
	c.closed = true
	for _, s := range c.stmts {
		sqlite3.Xsqlite3_finalize(c.tls, s.p)
	}
	c.stmts = nil
	var err error
	if c.db != 0 {
		if rc := sqlite3.Xsqlite3_close_v2(c.tls, c.db); rc != sqlite3.SQLITE_OK {
			err = c.errorf(rc, "close")
		}
		c.db = 0
	}
	if c.text != 0 {
		libc.Xfree(c.tls, c.text)
		c.text = 0
	}
	c.tls.Close()
	c.intMu.Lock()
	c.intTLS.Close()
	c.intMu.Unlock()
	return err
}

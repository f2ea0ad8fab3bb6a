//go:build linux || darwin || freebsd || netbsd || openbsd

package h1

import (
	"net"
	"syscall"
)

// peeker looks at an idle TCP connection without blocking: an idle HTTP
// connection has nothing to read, so EOF, data or an error all mean it
// cannot carry another request. It is built once per connection, so that
// the check on every reuse allocates nothing.
type peeker struct {
	rc  syscall.RawConn
	fn  func(fd uintptr) bool // p.peek, bound once
	ok  bool
	buf [1]byte
}

// newPeeker returns nil when nc is no socket (a wrapped connection); such
// a connection counts as alive and is left to RoundTrip's rules.
func newPeeker(nc net.Conn) *peeker {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return nil
	}
	p := &peeker{rc: rc}
	p.fn = p.peek
	return p
}

func (p *peeker) peek(fd uintptr) bool {
	_, _, errno := syscall.Recvfrom(int(fd), p.buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	p.ok = errno == syscall.EAGAIN || errno == syscall.EWOULDBLOCK
	return true // never wait for readiness
}

func (p *peeker) alive() bool {
	if p == nil {
		return true
	}
	p.ok = false
	return p.rc.Read(p.fn) == nil && p.ok
}

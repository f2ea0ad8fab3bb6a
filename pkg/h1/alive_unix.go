//go:build linux || darwin || freebsd || netbsd || openbsd

package h1

import (
	"net"
	"syscall"
)

// alive peeks at an idle TCP connection without blocking: an idle HTTP
// connection has nothing to read, so EOF, data or an error all mean it
// cannot carry another request.
func alive(nc net.Conn) bool {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return true
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		return false
	}
	ok = false
	var buf [1]byte
	err = rc.Read(func(fd uintptr) bool {
		_, _, errno := syscall.Recvfrom(int(fd), buf[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
		ok = errno == syscall.EAGAIN || errno == syscall.EWOULDBLOCK
		return true // never wait for readiness
	})
	return err == nil && ok
}

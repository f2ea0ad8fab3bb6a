//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package h1

import "net"

// alive cannot peek without blocking here; a connection the upstream
// closed is caught by RoundTrip's one retry instead.
func alive(net.Conn) bool { return true }

//go:build !(linux || darwin || freebsd || netbsd || openbsd)

package h1

import "net"

// peeker cannot look at a socket without blocking here, so a connection
// the upstream closed or wrote to while it was idle is not seen before
// reuse: a request that fails on it is re-sent only by RoundTrip's rules,
// and unsolicited bytes already read are still caught (reusable).
type peeker struct{}

func newPeeker(net.Conn) *peeker { return nil }

func (*peeker) alive() bool { return true }

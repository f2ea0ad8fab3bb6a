package h1

import (
	"errors"
	"os"
	"time"
)

// reusable reports whether an idle connection may carry another request:
// the upstream has not closed it and has sent nothing on it since the end
// of the last response. Any such byte is an answer to no request, and
// would be read as the next request's answer (response desync); net/http's
// Transport closes a connection that receives one while idle, and so does
// this check.
func (c *conn) reusable() bool {
	if c.br.Buffered() > 0 || !c.peek.alive() {
		return false
	}
	return !c.key.tls || tlsQuiet(c)
}

// tlsQuiet looks for bytes the TLS layer holds: alive peeks at the TCP
// socket only, but tls.Conn may already have read records that followed
// the response in the same segment. A read with a deadline in the past
// returns what tls.Conn holds without touching the socket, or a timeout
// when it holds nothing; tls.Conn treats a timeout as temporary, so the
// connection stays usable (net/http's Transport relies on the same).
func tlsQuiet(c *conn) bool {
	if err := c.nc.SetReadDeadline(aLongTimeAgo); err != nil {
		return false
	}
	_, err := c.br.Peek(1)
	if c.nc.SetReadDeadline(time.Time{}) != nil {
		return false
	}
	return errors.Is(err, os.ErrDeadlineExceeded)
}

package h1

import (
	"errors"
	"io"
	"net/http"
	"syscall"
)

// mayResend reports whether req, which failed with err on the reused
// connection c, may be sent again on a new connection. The rule is
// net/http's Transport's: a request none of whose bytes the connection
// accepted cannot have reached the upstream, so it may always go again;
// once any byte was written, the upstream may have read the request and
// acted on it (a chat completion is billed) even if it never answered, so
// only an idempotent method is sent again, and only when the connection
// was closed before the first byte of a response. net/http also resends a
// POST carrying an Idempotency-Key header; this transport does not, since
// the gateway's own failover already re-sends a failed call with another
// key and each attempt must reach the upstream at most once.
func mayResend(req *http.Request, c *conn, err error) bool {
	var be *bodyReadError
	if errors.As(err, &be) {
		return false // the caller's body failed, not the connection
	}
	if c.written == 0 {
		return true
	}
	return c.read == 0 && idempotent(req.Method) && isConnClosedErr(err)
}

// idempotent reports the methods net/http replays after a write (RFC 9110,
// section 9.2.2, less PUT and DELETE, as in net/http).
func idempotent(method string) bool {
	switch method {
	case "", http.MethodGet, http.MethodHead, http.MethodOptions, http.MethodTrace:
		return true
	}
	return false
}

// bodyReadError is a failure of the request body the caller gave, which a
// new connection would not cure.
type bodyReadError struct{ err error }

func (e *bodyReadError) Error() string { return e.err.Error() }
func (e *bodyReadError) Unwrap() error { return e.err }

// bodyReader reads at most n bytes of the request body (all of it when n
// is negative) and keeps the body's own error apart from the connection's,
// which io.Copy would mix.
type bodyReader struct {
	r   io.Reader
	n   int64
	err error
}

func (b *bodyReader) Read(p []byte) (int, error) {
	if b.n == 0 {
		return 0, io.EOF
	}
	if b.n > 0 && int64(len(p)) > b.n {
		p = p[:b.n]
	}
	n, err := b.r.Read(p)
	if b.n > 0 {
		b.n -= int64(n)
	}
	if err != nil && err != io.EOF {
		b.err = err
	}
	return n, err
}

// body readies c's bodyReader for body; it lives in c so that writing a
// request body allocates nothing.
func (c *conn) body(body io.Reader, n int64) *bodyReader {
	c.src = bodyReader{r: body, n: n}
	return &c.src
}

// rewind returns req with a fresh body for a second send.
func rewind(req *http.Request) (*http.Request, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return req, nil
	}
	if req.GetBody == nil {
		return nil, errors.New("body cannot be replayed")
	}
	b, err := req.GetBody()
	if err != nil {
		return nil, err
	}
	r := *req
	r.Body = b
	return &r, nil
}

func closeBody(req *http.Request) {
	if req.Body != nil {
		_ = req.Body.Close()
	}
}

// isConnClosedErr reports errors of a connection the peer had closed.
func isConnClosedErr(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) ||
		errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE)
}

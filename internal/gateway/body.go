package gateway

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/jsonx"
)

// maxJSONDepth bounds nesting in request bodies (see jsonx.CheckMembers);
// real requests, tool schemas included, stay far below it. It is the one
// depth limit: the converters rely on it.
const maxJSONDepth = 256

// bodyEditRoom is the capacity readAllSized leaves after a body.
const bodyEditRoom = 64

// readAllSized reads a body whose length is announced into one buffer of
// that size, instead of growing and copying one as io.ReadAll does.
func readAllSized(r io.Reader, size int64) ([]byte, error) {
	if size <= 0 {
		return io.ReadAll(r)
	}
	// The spare room lets the usual edits (a shorter model name, an added
	// stream_options) happen in place, without copying a large body.
	buf := make([]byte, size, size+bodyEditRoom)
	n, err := io.ReadFull(r, buf)
	if err != nil {
		return nil, err // a client that sends less than it announced broke off
	}
	return buf[:n], nil
}

// inbound is what the gateway needs to know of a request body, found
// without decoding it whole.
type inbound struct {
	body   []byte
	model  string
	stream bool
	// members are where the values of inboundMembers lie in body.
	members [len(inboundMembers)]jsonx.Span
}

// The root members readBody locates, by index in inbound.members.
const (
	memberModel = iota
	memberStream
	memberStreamOptions
	memberPromptCacheKey // session affinity (sessionOf)
	memberMetadata
)

var inboundMembers = [...]string{memberModel: "model", memberStream: "stream", memberStreamOptions: "stream_options",
	memberPromptCacheKey: "prompt_cache_key", memberMetadata: "metadata"}

// duplicateName names the repeated member whose key starts at body[at].
func duplicateName(body []byte, at int) string {
	for _, name := range inboundMembers {
		if bytes.HasPrefix(body[at:], []byte(`"`+name+`"`)) {
			return `"` + name + `"`
		}
	}
	return "a member" // its key is written with escapes
}

// member parses one located member's value (a few bytes: the body around
// it is not read again).
func (in *inbound) member(i int) gjson.Result {
	sp := in.members[i]
	if !sp.Found() {
		return gjson.Result{}
	}
	return gjson.ParseBytes(in.body[sp.Start:sp.End])
}

// readBody reads the request body within the size limit and the read
// timeout, and checks that it is a JSON object with a string model: the
// one validation every later step relies on. It answers the client itself
// when the body is refused.
func (s *Server) readBody(c *gin.Context, rs *reqState) (*inbound, bool) {
	if c.Request.ContentLength > s.maxBody {
		rs.reject(c, newAPIError(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("request body is %d bytes, over the limit of %d MiB (server.max_body_mb)", c.Request.ContentLength, s.maxBody>>20)))
		return nil, false
	}
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		rs.reject(c, newAPIError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"aigw forwards JSON request bodies only; send the request as application/json"))
		return nil, false
	}
	body, err := s.readWithDeadline(c, rs)
	if err != nil {
		rs.reject(c, s.bodyReadError(c.Request.Context(), err))
		return nil, false
	}
	rs.row.RequestBytes = int64(len(body))
	rs.bodyRead = true
	// One pass checks syntax, UTF-8 and nesting (the last before gjson and
	// sjson, which recurse per level, ever see the body) and finds the
	// members the gateway reads, wherever they are in a large body.
	in := &inbound{body: body}
	switch problem, at := jsonx.CheckMembers(body, maxJSONDepth, inboundMembers[:], in.members[:]); problem {
	case jsonx.TooDeep:
		rs.reject(c, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("request body nests deeper than %d levels", maxJSONDepth)))
		return nil, false
	case jsonx.Invalid:
		rs.reject(c, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("request body is not valid JSON (at byte %d): send a JSON object in UTF-8 with Content-Type: application/json", at)))
		return nil, false
	case jsonx.Duplicate:
		rs.reject(c, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("request body has %s twice (again at byte %d); JSON decoders disagree on which one counts, so send it once", duplicateName(body, at), at)))
		return nil, false
	}
	if first := bytes.TrimLeft(body, " \t\r\n"); len(first) == 0 || first[0] != '{' {
		rs.reject(c, newAPIError(http.StatusBadRequest, codeInvalidJSON, "request body must be a JSON object"))
		return nil, false
	}
	m := in.member(memberModel)
	switch {
	case !m.Exists() || (m.Type == gjson.String && m.Str == ""):
		rs.reject(c, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: codeMissingModel,
			param: "model", message: "missing model: set \"model\" to a model id, e.g. one listed by GET /v1/models"})
		return nil, false
	case m.Type != gjson.String:
		rs.reject(c, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: codeInvalidParameter,
			param: "model", message: "\"model\" must be a string"})
		return nil, false
	}
	in.model = m.Str
	rs.row.RequestedModel = m.Str
	if st := in.member(memberStream); st.Exists() {
		switch st.Type {
		case gjson.True:
			in.stream = true
		case gjson.False, gjson.Null:
		default:
			rs.reject(c, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: codeInvalidParameter,
				param: "stream", message: "\"stream\" must be true or false"})
			return nil, false
		}
	}
	rs.row.Stream = in.stream
	if s.cfg.Logging.StoreBodies {
		rs.row.RequestBody = string(body)
	}
	return in, true
}

// readWithDeadline reads the body under server.read_timeout. The deadline
// is the connection's, set for the body only: a stream that follows may
// last as long as it needs.
func (s *Server) readWithDeadline(c *gin.Context, rs *reqState) ([]byte, error) {
	conn := connOf(rs.w.ResponseWriter)
	deadline := conn != nil && conn.SetReadDeadline(time.Now().Add(s.readTimeout)) == nil
	body, err := readAllSized(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody), c.Request.ContentLength)
	if deadline && err == nil {
		// Left expired after an error: net/http then does not wait for
		// the rest of a body nobody will read.
		_ = conn.SetReadDeadline(time.Time{})
	}
	return body, err
}

// readDeadliner is what http.ResponseController uses to set a request's
// read deadline; net/http's own response writer has it.
type readDeadliner interface{ SetReadDeadline(time.Time) error }

// connOf finds the read-deadline setter under Gin's writer without the
// allocation of an http.ResponseController per request.
func connOf(w http.ResponseWriter) readDeadliner {
	for {
		if d, ok := w.(readDeadliner); ok {
			return d
		}
		u, ok := w.(interface{ Unwrap() http.ResponseWriter })
		if !ok {
			return nil
		}
		w = u.Unwrap()
	}
}

// bodyReadError says why a body could not be read: too large (413), too
// slow (408), or the client broke off (499, nothing is written).
func (s *Server) bodyReadError(ctx context.Context, err error) *apiError {
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return newAPIError(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("request body is over the limit of %d MiB (server.max_body_mb)", s.maxBody>>20))
	case errors.Is(err, os.ErrDeadlineExceeded):
		return newAPIError(http.StatusRequestTimeout, codeBodyTimeout,
			fmt.Sprintf("the request body did not arrive within %s (server.read_timeout); send it faster or raise the limit", s.readTimeout))
	case ctx.Err() != nil, errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, io.EOF):
		e := clientGone()
		e.message = "client closed the connection while sending the request body"
		return e
	}
	return newAPIError(http.StatusBadRequest, codeBodyRead, "could not read the request body: "+err.Error())
}

// resolve applies model resolution and fills the log row.
func (s *Server) resolve(c *gin.Context, rs *reqState, model string) bool {
	res, err := s.reg.ResolveAll(model)
	if err != nil {
		rs.reject(c, &apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: codeModelNotFound,
			param: "model", message: fmt.Sprintf("model %q not found: use provider/model (see GET /v1/models), an alias or a route from the redirect file, or set server.default_provider", clip(model, maxLoggedModel))})
		return false
	}
	rs.res = res
	s.useTarget(c, rs, res.Targets[0])
	return s.checkClient(c, rs)
}

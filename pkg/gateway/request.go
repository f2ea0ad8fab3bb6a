package gateway

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/pkg/jsonx"
	"github.com/aigw/aigw/pkg/provider"
)

// maxJSONDepth bounds nesting in request bodies (see jsonx.DepthOK); real
// requests, tool schemas included, stay far below it.
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
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return nil, err
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
)

var inboundMembers = [...]string{memberModel: "model", memberStream: "stream", memberStreamOptions: "stream_options"}

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

// readBody reads the request body within the size limit and checks that it
// is a JSON object with a string model. It answers 413 or 400 itself.
func (s *Server) readBody(c *gin.Context) (*inbound, bool) {
	rs := state(c)
	if c.Request.ContentLength > s.maxBody {
		abortWithError(c, newAPIError(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
			fmt.Sprintf("request body is %d bytes, over the limit of %d MiB (server.max_body_mb)", c.Request.ContentLength, s.maxBody>>20)))
		return nil, false
	}
	if mt, _, _ := mime.ParseMediaType(c.GetHeader("Content-Type")); strings.HasPrefix(mt, "multipart/") {
		abortWithError(c, newAPIError(http.StatusUnsupportedMediaType, "unsupported_media_type",
			"aigw forwards JSON request bodies only; send the request as application/json"))
		return nil, false
	}
	body, err := readAllSized(http.MaxBytesReader(c.Writer, c.Request.Body, s.maxBody), c.Request.ContentLength)
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			abortWithError(c, newAPIError(http.StatusRequestEntityTooLarge, codeBodyTooLarge,
				fmt.Sprintf("request body is over the limit of %d MiB (server.max_body_mb)", s.maxBody>>20)))
			return nil, false
		}
		abortWithError(c, newAPIError(http.StatusBadRequest, "body_read_error", "could not read the request body: "+err.Error()))
		return nil, false
	}
	rs.row.RequestBytes = int64(len(body))
	// One pass checks syntax, UTF-8 and nesting (the last before gjson and
	// sjson, which recurse per level, ever see the body) and finds the
	// members the gateway reads, wherever they are in a large body.
	in := &inbound{body: body}
	switch problem, at := jsonx.CheckMembers(body, maxJSONDepth, inboundMembers[:], in.members[:]); problem {
	case jsonx.TooDeep:
		abortWithError(c, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("request body nests deeper than %d levels", maxJSONDepth)))
		return nil, false
	case jsonx.Invalid:
		abortWithError(c, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("request body is not valid JSON (at byte %d): send a JSON object in UTF-8 with Content-Type: application/json", at)))
		return nil, false
	case jsonx.Duplicate:
		abortWithError(c, newAPIError(http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("request body has %s twice (again at byte %d); JSON decoders disagree on which one counts, so send it once", duplicateName(body, at), at)))
		return nil, false
	}
	if first := bytes.TrimLeft(body, " \t\r\n"); len(first) == 0 || first[0] != '{' {
		abortWithError(c, newAPIError(http.StatusBadRequest, codeInvalidJSON, "request body must be a JSON object"))
		return nil, false
	}
	m := in.member(memberModel)
	switch {
	case !m.Exists() || (m.Type == gjson.String && m.Str == ""):
		abortWithError(c, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: codeMissingModel,
			param: "model", message: "missing model: set \"model\" to a model id, e.g. one listed by GET /v1/models"})
		return nil, false
	case m.Type != gjson.String:
		abortWithError(c, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: codeInvalidParameter,
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
			abortWithError(c, &apiError{status: http.StatusBadRequest, typ: "invalid_request_error", code: codeInvalidParameter,
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

// resolve applies model resolution and fills the log row.
func (s *Server) resolve(c *gin.Context, model string) (provider.Route, bool) {
	route, err := s.reg.Resolve(model)
	if err != nil {
		abortWithError(c, &apiError{status: http.StatusNotFound, typ: "invalid_request_error", code: codeModelNotFound,
			param: "model", message: fmt.Sprintf("model %q not found: use provider/model (see GET /v1/models), an alias from the redirect file, or set server.default_provider", model)})
		return route, false
	}
	rs := state(c)
	rs.row.Provider = route.Provider.Name
	rs.row.UpstreamModel = route.UpstreamModel
	return route, true
}

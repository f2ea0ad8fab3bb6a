package gateway

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"net/http"
	"runtime/debug"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/pkg/store"
)

const stateKey = "aigw.state"

// reqState follows one /v1/* request from arrival to its log row.
type reqState struct {
	id     string
	format string
	start  time.Time
	row    store.RequestLog
	w      *timingWriter
}

func state(c *gin.Context) *reqState {
	v, ok := c.Get(stateKey)
	if !ok {
		return nil
	}
	return v.(*reqState)
}

// timingWriter notes when the first byte reaches the client and how many
// bytes were written.
type timingWriter struct {
	gin.ResponseWriter
	first time.Time
	bytes int64
}

func (w *timingWriter) Write(b []byte) (int, error) {
	if w.first.IsZero() {
		w.first = time.Now()
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

func (w *timingWriter) WriteString(s string) (int, error) {
	if w.first.IsZero() {
		w.first = time.Now()
	}
	n, err := w.ResponseWriter.WriteString(s)
	w.bytes += int64(n)
	return n, err
}

// newRequestID returns "req_" and 24 hex digits: 48 bits of Unix
// milliseconds, then 48 random bits. Ids that sort by time make the log
// database's unique index grow at its right edge, so a batch of rows dirties
// a few index pages instead of one random page per row (the SQLite writer's
// largest cost under load); 48 random bits keep ids unguessable and unique.
func newRequestID() string {
	var b [12]byte
	ms := uint64(time.Now().UnixMilli())
	binary.BigEndian.PutUint16(b[0:2], uint16(ms>>32))
	binary.BigEndian.PutUint32(b[2:6], uint32(ms))
	_, _ = rand.Read(b[6:])
	return "req_" + hex.EncodeToString(b[:])
}

// requestID gives every response an X-Request-Id, the same id as the log row.
func (s *Server) requestID(c *gin.Context) {
	id := newRequestID()
	c.Set("aigw.request_id", id)
	c.Header("X-Request-Id", id)
	c.Next()
}

// recovery answers a panicking handler with a 500 that carries the request
// id, logs the stack, and keeps the process serving.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		rec := recover()
		if rec == nil {
			return
		}
		if rec == http.ErrAbortHandler {
			panic(rec) // the client is gone; net/http handles this quietly
		}
		id, _ := c.Get("aigw.request_id")
		s.log.Error("panic in handler", "request_id", id, "path", c.Request.URL.Path,
			"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
		if rs := state(c); rs != nil {
			rs.row.Error = fmt.Sprintf("internal error: %v", rec)
		}
		if !c.Writer.Written() {
			abortWithError(c, newAPIError(http.StatusInternalServerError, codeInternal,
				fmt.Sprintf("internal error in aigw (request id %v); the gateway keeps serving, please report it with this id", id)))
		}
		c.Abort()
	}()
	c.Next()
}

// track opens the log row of a /v1/* request and enqueues it when the
// handler is done, whatever the outcome.
func (s *Server) track(c *gin.Context) {
	idv, _ := c.Get("aigw.request_id")
	rs := &reqState{id: idv.(string), start: time.Now(), format: formatOpenAI}
	path := c.Request.URL.Path
	if strings.HasPrefix(path, "/v1/messages") ||
		(strings.HasPrefix(path, "/v1/models") && c.GetHeader("anthropic-version") != "") {
		rs.format = formatAnthropic
	}
	rs.row = store.RequestLog{
		RequestID:     rs.id,
		CreatedAt:     rs.start,
		Method:        c.Request.Method,
		Path:          path,
		InboundFormat: rs.format,
		ClientIP:      c.ClientIP(),
	}
	if c.Request.ContentLength > 0 {
		rs.row.RequestBytes = c.Request.ContentLength
	}
	rs.w = &timingWriter{ResponseWriter: c.Writer}
	c.Writer = rs.w
	c.Set(stateKey, rs)

	c.Next()

	row := &rs.row
	if row.StatusCode == 0 {
		row.StatusCode = c.Writer.Status()
	}
	row.LatencyMs = time.Since(rs.start).Milliseconds()
	if !rs.w.first.IsZero() {
		row.TTFTMs = rs.w.first.Sub(rs.start).Milliseconds()
	}
	row.ResponseBytes = rs.w.bytes
	if row.TotalTokens == 0 {
		row.TotalTokens = row.PromptTokens + row.CompletionTokens
	}
	s.metrics.ObserveRequest(row)
	s.logs.Enqueue(row)
}

// authClient checks the gateway key: Authorization: Bearer or x-api-key.
// With no keys configured the server listens on loopback only (enforced
// at start), so every local client is let in.
func (s *Server) authClient(c *gin.Context) {
	if len(s.clientKeys) == 0 {
		c.Next()
		return
	}
	key := presentedKey(c.Request)
	if key == "" {
		abortWithError(c, newAPIError(http.StatusUnauthorized, codeInvalidAPIKey,
			"missing gateway key: send Authorization: Bearer <key> or x-api-key: <key> with a key from [auth] keys"))
		return
	}
	if !keyMatches(key, s.clientKeys) {
		abortWithError(c, newAPIError(http.StatusUnauthorized, codeInvalidAPIKey,
			"invalid gateway key: use one of the keys in [auth] keys of the aigw config"))
		return
	}
	c.Next()
}

func presentedKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

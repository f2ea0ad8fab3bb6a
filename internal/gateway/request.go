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

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/clients"
	cliputf8 "github.com/aigw/aigw/internal/clip"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// Bounds on client strings kept in a log row: a client must not be able to
// write megabyte rows (or metric labels) by sending a long model or path.
const (
	maxLoggedModel = 256
	maxLoggedPath  = 1 << 10
)

// reqState follows one /v1 request from arrival to its log row. It is
// created by serveV1 and handed to every step explicitly.
type reqState struct {
	id     string
	format string
	start  time.Time
	row    store.RequestLog
	w      *timingWriter
	// bodyRead: the request body was read to its end.
	bodyRead bool
	// route is where the request goes, once resolved.
	route provider.Route
	// knownModel: the upstream model is one the catalog, the static lists
	// or the aliases name, so it may label metrics.
	knownModel bool
	// res is where the model resolved: a route's targets, or one.
	res provider.Resolution
	// tried lists the route targets that failed before the current one
	// ("provider/model 503"); lastFailure says why the last one did.
	tried       []string
	lastFailure string
	// answeredIn is the current target's time to its response headers.
	answeredIn time.Duration
	// session identifies the client's session for affinity ("" for none);
	// pinned is where it was pinned before this request.
	session string
	pinned  sessionPin
	// key is the upstream key of the last attempt.
	key *provider.Key
	// client is the client key's owner (nil for a static key), and
	// clientPeriod the start of its budget period when admitted.
	client       *clients.Client
	clientPeriod time.Time
	// usage is what the upstream reported having used, when usageSeen: only
	// then has the request a cost.
	usage     adapter.Usage
	usageSeen bool
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

// requestID gives every response outside /v1 an X-Request-Id (serveV1
// gives /v1 responses the id of their log row).
func requestID(c *gin.Context) {
	c.Header("X-Request-Id", newRequestID())
	c.Next()
}

// recovery answers a panicking handler outside /v1 with a 500 that carries
// the request id, and keeps the process serving.
func (s *Server) recovery(c *gin.Context) {
	defer func() {
		if rec := recover(); rec != nil {
			id := c.Writer.Header().Get("X-Request-Id")
			if s.recovered(c, rec, id) {
				writeError(c, formatOpenAI, internalError(id))
			}
		}
	}()
	c.Next()
}

// recovered logs a handler's panic and reports whether an error answer can
// still be written. http.ErrAbortHandler is re-raised: net/http handles a
// client that is gone quietly.
func (s *Server) recovered(c *gin.Context, rec any, id string) bool {
	if rec == http.ErrAbortHandler {
		panic(rec)
	}
	s.log.Error("panic in handler", "request_id", id, "path", sanitizePath(c.Request.URL.Path),
		"panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
	c.Abort()
	return !c.Writer.Written()
}

func internalError(id string) *apiError {
	return newAPIError(http.StatusInternalServerError, codeInternal,
		fmt.Sprintf("internal error in aigw (request id %s); the gateway keeps serving, please report it with this id", id))
}

// serveV1 is every /v1 request's life: open its log row, check the client
// key, dispatch, and enqueue the row whatever the outcome (a panic
// included).
func (s *Server) serveV1(c *gin.Context) {
	s.inflight.Add(1)
	defer s.inflight.Add(-1)
	rs := s.openRow(c)
	defer s.closeRow(c, rs)
	defer func() {
		if rec := recover(); rec != nil {
			rs.row.Error = fmt.Sprintf("internal error: %v", rec)
			if s.recovered(c, rec, rs.id) {
				writeError(c, rs.format, internalError(rs.id))
			}
			rs.row.StatusCode = http.StatusInternalServerError
		}
	}()
	if !s.authorize(c, rs) {
		return
	}
	path := c.Param("path")
	switch c.Request.Method {
	case http.MethodPost:
		s.dispatchPost(c, rs, path)
	case http.MethodGet:
		s.dispatchGet(c, rs, path)
	default:
		notFound(c, rs.format)
	}
}

// openRow starts the request's log row.
func (s *Server) openRow(c *gin.Context) *reqState {
	rs := &reqState{id: newRequestID(), start: time.Now(), format: formatOpenAI}
	c.Header("X-Request-Id", rs.id)
	path := c.Request.URL.Path
	if strings.HasPrefix(path, "/v1/messages") ||
		(strings.HasPrefix(path, "/v1/models") && c.GetHeader("anthropic-version") != "") {
		rs.format = formatAnthropic
	} else if path == "/v1/responses" {
		rs.format = formatResponses
	}
	rs.row = store.RequestLog{
		RequestID:     rs.id,
		CreatedAt:     rs.start,
		Method:        c.Request.Method,
		Path:          clip(path, maxLoggedPath),
		InboundFormat: rs.format,
		ClientIP:      c.ClientIP(),
	}
	if c.Request.ContentLength > 0 {
		rs.row.RequestBytes = c.Request.ContentLength
	}
	rs.w = &timingWriter{ResponseWriter: c.Writer}
	c.Writer = rs.w
	return rs
}

// closeRow completes the row and hands it to the metrics and the log.
func (s *Server) closeRow(c *gin.Context, rs *reqState) {
	row := &rs.row
	if row.StatusCode == statusClientClosed && s.shutdown.Err() != nil {
		// The server closed the connection at the end of its grace.
		row.StatusCode = http.StatusServiceUnavailable
		row.Error = ErrShutdown.Error()
	}
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
	s.settleTarget(rs)
	if rs.usageSeen && s.prices != nil {
		if cost, ok := s.prices.Cost(row.Provider, row.UpstreamModel, rs.usage); ok {
			row.Cost = &cost
		}
	}
	s.settleClient(rs)
	row.Error = s.reg.Redact(row.Error)
	row.RequestedModel = clip(row.RequestedModel, maxLoggedModel)
	row.UpstreamModel = clip(row.UpstreamModel, maxLoggedModel)
	model := row.UpstreamModel // "" when the request never resolved
	if model != "" && !rs.knownModel {
		model = "other"
	}
	s.metrics.ObserveRequest(row, model)
	s.logs.Enqueue(row)
}

// clip cuts s to at most n bytes, on a UTF-8 boundary.
func clip(s string, n int) string { return cliputf8.UTF8(s, n) }

// authorize checks the gateway key: Authorization: Bearer or x-api-key.
// With no keys configured the server listens on loopback only (enforced
// at start), so every local client is let in, unless client_keys_only
// asks for a key even before the first client exists. It runs before the body is
// read: an unauthenticated client never gets to send one.
func (s *Server) authorize(c *gin.Context, rs *reqState) bool {
	withClients := s.clients != nil && s.clients.Any()
	if len(s.clientKeys) == 0 && !withClients && !s.cfg.Auth.ClientKeysOnly {
		return true
	}
	key := presentedKey(c.Request)
	switch {
	case key == "":
		rs.reject(c, newAPIError(http.StatusUnauthorized, codeInvalidAPIKey,
			"missing gateway key: send Authorization: Bearer <key> or x-api-key: <key> with a key from [auth] keys or a client key"))
	case s.authorizeClient(c, rs, key):
		return s.clientUsable(c, rs)
	case !keyMatches(key, s.clientKeys):
		rs.reject(c, newAPIError(http.StatusUnauthorized, codeInvalidAPIKey,
			"invalid gateway key: use one of the keys in [auth] keys of the aigw config, or a client key (aigw clients create)"))
	default:
		return true
	}
	return false
}

func presentedKey(r *http.Request) string {
	if h := r.Header.Get("Authorization"); h != "" {
		if len(h) > 7 && strings.EqualFold(h[:7], "bearer ") {
			return strings.TrimSpace(h[7:])
		}
	}
	return strings.TrimSpace(r.Header.Get("X-Api-Key"))
}

// sanitizePath makes a client path safe to echo: control characters are
// escaped and the length bounded.
func sanitizePath(p string) string {
	p = clip(p, maxLoggedPath)
	if strings.IndexFunc(p, isControl) < 0 {
		return p
	}
	var b strings.Builder
	for _, r := range p {
		if isControl(r) {
			fmt.Fprintf(&b, "%%%02X", r)
		} else {
			b.WriteRune(r)
		}
	}
	return b.String()
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

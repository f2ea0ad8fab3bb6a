package gateway

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/clientadmin"
	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/store"
)

// AdminStore is the database behind the admin API (docs/admin-api.md):
// the clients table and the dashboard's queries. *store.Connection
// implements it; nil leaves those endpoints answering 503.
type AdminStore interface {
	clientadmin.Store
	Clients(ctx context.Context) ([]clients.Client, error)
	Overview(ctx context.Context, q store.OverviewQuery) (store.Overview, error)
	QueryLogs(ctx context.Context, q store.LogQuery) ([]store.RequestLog, error)
	LogByID(ctx context.Context, id int64) (store.RequestLog, error)
}

// clientSetter is a ClientDirectory that can be replaced whole (app's
// ClientBook): the admin API reloads it right after a change, so the
// instance that made the change applies it at once.
type clientSetter interface {
	Set(list []clients.Client)
}

// adminAPI is the state of the admin API: sign-in sessions (in this
// process only: README, "多实例") and the count of failed sign-ins.
type adminAPI struct {
	store    AdminStore
	sessions *sessionStore
	failures *failureCounter
	// now is the clock of sessions and sign-in limits; tests move it.
	now func() time.Time
}

func newAdminAPI(st AdminStore) *adminAPI {
	return &adminAPI{store: st, sessions: newSessionStore(), failures: newFailureCounter(), now: time.Now}
}

// Admin API error codes (besides the gateway's own).
const (
	codeAdminAuth        = "invalid_admin_key"
	codeForeignOrigin    = "foreign_origin"
	codeTooManySignIns   = "too_many_sign_in_attempts"
	codeNotFound         = "not_found"
	codeConflict         = "conflict"
	codeStoreUnavailable = "database_unavailable"
)

// adminBodyLimit bounds an admin API request body.
const adminBodyLimit = 1 << 20

// registerAdminAPI adds /admin/api/ (docs/admin-api.md). With no
// [auth] admin_keys every path of it is 404, as if it did not exist.
func (s *Server) registerAdminAPI(r *gin.RouterGroup) {
	g := r.Group("/admin/api", s.adminAPIEnabled)
	g.POST("/session", s.apiSignIn)
	a := g.Group("", s.authAdminAPI)
	a.GET("/session", s.apiSession)
	a.DELETE("/session", s.apiSignOut)
	a.GET("/overview", s.apiOverview)
	a.GET("/logs", s.apiLogs)
	a.GET("/logs/:id", s.apiLog)
	a.GET("/providers", s.apiProviders)
	a.POST("/providers/:provider/test", s.apiTestProvider)
	a.GET("/clients", s.apiClients)
	a.POST("/clients", s.apiCreateClient)
	a.GET("/clients/:name", s.apiClient)
	a.PATCH("/clients/:name", s.apiUpdateClient)
	a.DELETE("/clients/:name", s.apiRemoveClient)
	a.POST("/clients/:name/disable", s.apiSetDisabled(true))
	a.POST("/clients/:name/enable", s.apiSetDisabled(false))
	a.POST("/clients/:name/rotate", s.apiRotateClient)
	a.GET("/models", s.apiModels)
	a.GET("/models/:provider/upstream", s.handleAdminFetch)
	a.POST("/models/:provider", s.handleAdminAdd)
	a.DELETE("/models/:provider/*model", s.apiRemoveModel)
}

func (s *Server) adminAPIEnabled(c *gin.Context) {
	if len(s.adminKeys) == 0 {
		notFound(c, formatOpenAI)
		return
	}
	c.Next()
}

// authAdminAPI admits an admin key (Bearer or x-api-key, compared in
// constant time, as the /models endpoints do) or a live session cookie.
// A client key or a static [auth] key is never an admin key. A call that
// changes state with the cookie must come from this server's own pages
// (Origin, else Referer): the cookie alone does not prove the user meant
// it (cross-site request forgery).
func (s *Server) authAdminAPI(c *gin.Context) {
	now := s.api.now()
	if key := presentedKey(c.Request); key != "" {
		if !s.adminKeyOK(c, key, now) {
			return
		}
		c.Next()
		return
	}
	token, err := c.Cookie(sessionCookie)
	if err != nil || token == "" {
		adminError(c, http.StatusUnauthorized, codeAdminAuth,
			"sign in first: POST /admin/api/session with {\"key\":\"<admin key>\"}, or send Authorization: Bearer <admin key>")
		return
	}
	if _, ok := s.api.sessions.valid(c.Request.Context(), token, now); !ok {
		clearSessionCookie(c)
		adminError(c, http.StatusUnauthorized, codeAdminAuth,
			"the session ended (signed out, older than 12 h, or this server restarted): sign in again")
		return
	}
	if stateChanging(c.Request.Method) && !sameOrigin(c.Request) {
		adminError(c, http.StatusForbidden, codeForeignOrigin,
			"refused: a "+c.Request.Method+" with the session cookie must come from this server's own pages (its Origin or Referer must be "+
				sanitizePath(c.Request.Host)+"); scripts should send the admin key as Authorization: Bearer instead")
		return
	}
	c.Next()
}

// adminKeyOK checks a presented key; false after it answered. Wrong keys
// count per client IP (failureCounter), whatever they look like.
func (s *Server) adminKeyOK(c *gin.Context, key string, now time.Time) bool {
	ip := c.ClientIP()
	if wait, blocked := s.api.failures.blocked(ip, now); blocked {
		c.Header("Retry-After", fmt.Sprint(retrySeconds(wait)))
		adminError(c, http.StatusTooManyRequests, codeTooManySignIns,
			fmt.Sprintf("too many wrong admin keys from %s: try again in %d s", ip, retrySeconds(wait)))
		return false
	}
	if keyMatches(key, s.adminKeys) {
		return true
	}
	s.api.failures.failed(ip, now)
	msg := "invalid admin key: use a key from [auth] admin_keys of the aigw config"
	if strings.HasPrefix(key, clients.KeyPrefix) {
		msg = "a client key (sk-aigw-...) is not an admin key: use a key from [auth] admin_keys of the aigw config"
	}
	adminError(c, http.StatusUnauthorized, codeAdminAuth, msg)
	return false
}

func stateChanging(method string) bool {
	switch method {
	case http.MethodGet, http.MethodHead, http.MethodOptions:
		return false
	}
	return true
}

// adminError answers an admin API call with an error in OpenAI's shape.
func adminError(c *gin.Context, status int, code, message string) {
	writeError(c, formatOpenAI, newAPIError(status, code, message))
}

// readJSON decodes a request body of at most adminBodyLimit into dst,
// refusing unknown fields; false after it answered 400.
func readJSON(c *gin.Context, dst any, shape string) bool {
	dec := json.NewDecoder(io.LimitReader(c.Request.Body, adminBodyLimit))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		adminError(c, http.StatusBadRequest, codeInvalidJSON,
			fmt.Sprintf("the body must be JSON like %s: %s", shape, clip(err.Error(), 300)))
		return false
	}
	return true
}

// storeError answers a failed store call: 404 for an unknown client or
// log row, 409 for a taken name, 400 for a refused edit, 503 while the
// database is down, 500 otherwise. Messages go through the redactor.
func (s *Server) storeError(c *gin.Context, err error) {
	msg := s.reg.Redact(err.Error())
	switch {
	case clientadmin.IsInvalid(err):
		adminError(c, http.StatusBadRequest, codeInvalidParameter, msg)
	case errors.Is(err, store.ErrClientNotFound):
		adminError(c, http.StatusNotFound, codeNotFound, msg+" (GET /admin/api/clients lists the clients)")
	case errors.Is(err, store.ErrClientExists):
		adminError(c, http.StatusConflict, codeConflict, msg)
	case errors.Is(err, store.ErrLogNotFound):
		adminError(c, http.StatusNotFound, codeNotFound, msg)
	case errors.Is(err, store.ErrNotConnected):
		adminError(c, http.StatusServiceUnavailable, codeStoreUnavailable,
			"the database is unavailable; retry when it is back ("+msg+")")
	case errors.Is(err, context.Canceled):
		c.Abort()
	default:
		s.log.Error("admin api: store call failed", "path", c.FullPath(), "error", msg)
		adminError(c, http.StatusInternalServerError, codeInternal, msg)
	}
}

// needStore answers 503 when the server runs without a database.
func (s *Server) needStore(c *gin.Context) bool {
	if s.api.store == nil {
		adminError(c, http.StatusServiceUnavailable, codeStoreUnavailable,
			"this endpoint needs the database, and this gateway runs without one")
		return false
	}
	return true
}

// localTime is t in the configured zone, nil for the zero time.
func (s *Server) localTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	l := t.In(s.location)
	return &l
}

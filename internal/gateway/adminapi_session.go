package gateway

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"
)

// Sessions of the dashboard (docs/admin-api.md, "Session").
const (
	sessionCookie = "aigw_session"
	sessionTTL    = 12 * time.Hour
	// sessionBytes of crypto/rand make a token: 256 bits, beyond guessing.
	sessionBytes = 32
	// maxSessions bounds the table; the oldest go first past it.
	maxSessions = 1024
	// A client IP with signInFailures wrong admin keys within
	// signInWindow is refused until the window ends: an admin key cannot
	// be guessed at network speed.
	signInFailures = 10
	signInWindow   = 15 * time.Minute
	maxFailureIPs  = 4096
)

// sessionStore holds live sessions by the SHA-256 of their token, with
// their expiry: a copy of the table (a heap dump) gives no usable cookie.
// Without Redis, sessions live in this process only: a restart or another
// instance does not know them (admin keys work everywhere). With Redis
// (README, "多实例") they are also kept there, under the same hash, so a
// load balancer may send a signed-in browser to any instance.
type sessionStore struct {
	mu sync.Mutex
	m  map[[sha256.Size]byte]time.Time
	// rdb, when set, shares the sessions; keys are prefix + "session:" +
	// the hash in hex, the value the expiry in unix seconds.
	rdb    *redis.Client
	prefix string
}

// sessionRedisTimeout bounds a Redis call of the admin API's sessions.
const sessionRedisTimeout = 2 * time.Second

func (st *sessionStore) redisKey(h [sha256.Size]byte) string {
	return st.prefix + "session:" + hex.EncodeToString(h[:])
}

func newSessionStore() *sessionStore {
	return &sessionStore{m: map[[sha256.Size]byte]time.Time{}}
}

// create makes a session lasting sessionTTL from now.
func (st *sessionStore) create(ctx context.Context, now time.Time) (token string, expires time.Time, err error) {
	var b [sessionBytes]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", time.Time{}, fmt.Errorf("make a session token: %w", err)
	}
	token = base64.RawURLEncoding.EncodeToString(b[:])
	expires = now.Add(sessionTTL)
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.m) >= maxSessions {
		st.pruneLocked(now)
	}
	h := sha256.Sum256([]byte(token))
	st.m[h] = expires
	if st.rdb != nil {
		ctx, cancel := context.WithTimeout(ctx, sessionRedisTimeout)
		defer cancel()
		if err := st.rdb.Set(ctx, st.redisKey(h), strconv.FormatInt(expires.Unix(), 10), expires.Sub(now)).Err(); err != nil {
			// Signed in here all the same; other instances will ask again.
			return token, expires, fmt.Errorf("share the session through Redis: %w", err)
		}
	}
	return token, expires, nil
}

// pruneLocked drops the expired sessions, then the oldest until there is
// room for one more.
func (st *sessionStore) pruneLocked(now time.Time) {
	for h, exp := range st.m {
		if !now.Before(exp) {
			delete(st.m, h)
		}
	}
	for len(st.m) >= maxSessions {
		var oldest [sha256.Size]byte
		var at time.Time
		for h, exp := range st.m {
			if at.IsZero() || exp.Before(at) {
				oldest, at = h, exp
			}
		}
		delete(st.m, oldest)
	}
}

// valid returns the session's expiry when the token names a live one:
// one this instance made, else (with Redis) one another instance made and
// has not ended. A session ended on another instance stays valid here
// until it expires only if this instance had already seen it: sign-out
// asks Redis, so it reaches every instance that looks (see end).
func (st *sessionStore) valid(ctx context.Context, token string, now time.Time) (time.Time, bool) {
	h := sha256.Sum256([]byte(token))
	st.mu.Lock()
	exp, ok := st.m[h]
	if ok && !now.Before(exp) {
		delete(st.m, h)
		ok = false
	}
	st.mu.Unlock()
	if st.rdb == nil {
		return exp, ok
	}
	// With Redis, Redis decides: a sign-out on another instance deleted it.
	ctx, cancel := context.WithTimeout(ctx, sessionRedisTimeout)
	defer cancel()
	v, err := st.rdb.Get(ctx, st.redisKey(h)).Result()
	switch {
	case errors.Is(err, redis.Nil):
		st.mu.Lock()
		delete(st.m, h)
		st.mu.Unlock()
		return time.Time{}, false
	case err != nil:
		return exp, ok // Redis unreachable: what this instance knows
	}
	unix, perr := strconv.ParseInt(v, 10, 64)
	if perr != nil {
		return time.Time{}, false
	}
	exp = time.Unix(unix, 0)
	if !now.Before(exp) {
		return time.Time{}, false
	}
	return exp, true
}

// end removes a session, here and in Redis.
func (st *sessionStore) end(ctx context.Context, token string) {
	h := sha256.Sum256([]byte(token))
	st.mu.Lock()
	delete(st.m, h)
	st.mu.Unlock()
	if st.rdb != nil {
		ctx, cancel := context.WithTimeout(ctx, sessionRedisTimeout)
		defer cancel()
		_ = st.rdb.Del(ctx, st.redisKey(h)).Err()
	}
}

// failureCounter counts wrong admin keys per client IP.
type failureCounter struct {
	mu    sync.Mutex
	limit int
	m     map[string]*ipFailures
}

type ipFailures struct {
	n     int
	since time.Time // the first failure of the window
}

func newFailureCounter() *failureCounter {
	return &failureCounter{limit: signInFailures, m: map[string]*ipFailures{}}
}

// blocked reports whether ip used up its guesses, and for how long.
func (f *failureCounter) blocked(ip string, now time.Time) (time.Duration, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.m[ip]
	if e == nil {
		return 0, false
	}
	end := e.since.Add(signInWindow)
	if !now.Before(end) {
		delete(f.m, ip)
		return 0, false
	}
	return end.Sub(now), e.n >= f.limit
}

// failed counts one wrong key from ip.
func (f *failureCounter) failed(ip string, now time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	e := f.m[ip]
	if e == nil || !now.Before(e.since.Add(signInWindow)) {
		if len(f.m) >= maxFailureIPs {
			for k, v := range f.m {
				if !now.Before(v.since.Add(signInWindow)) || len(f.m) >= maxFailureIPs {
					delete(f.m, k)
				}
			}
		}
		e = &ipFailures{since: now}
		f.m[ip] = e
	}
	e.n++
}

// reset forgets ip's failures after it signed in.
func (f *failureCounter) reset(ip string) {
	f.mu.Lock()
	delete(f.m, ip)
	f.mu.Unlock()
}

// sameOrigin reports whether the request's Origin (or, without one, its
// Referer) is this server: the host and port the request was sent to.
func sameOrigin(r *http.Request) bool {
	src := r.Header.Get("Origin")
	if src == "" {
		src = r.Header.Get("Referer")
	}
	if src == "" {
		return false
	}
	u, err := url.Parse(src)
	if err != nil || u.Host == "" {
		return false
	}
	scheme := "http"
	if r.TLS != nil {
		scheme = "https"
	}
	return strings.EqualFold(hostPort(u.Host, u.Scheme), hostPort(r.Host, scheme))
}

// hostPort writes host with its port, the scheme's default when absent.
func hostPort(host, scheme string) string {
	if _, _, err := net.SplitHostPort(host); err == nil {
		return host
	}
	port := "80"
	if scheme == "https" {
		port = "443"
	}
	return net.JoinHostPort(strings.Trim(host, "[]"), port)
}

func (s *Server) setSessionCookie(c *gin.Context, token string, expires time.Time) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: token, Path: "/", Expires: expires, MaxAge: int(sessionTTL / time.Second),
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Request.TLS != nil,
	})
}

func clearSessionCookie(c *gin.Context) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name: sessionCookie, Value: "", Path: "/", MaxAge: -1,
		HttpOnly: true, SameSite: http.SameSiteStrictMode, Secure: c.Request.TLS != nil,
	})
}

// apiSignIn serves POST /admin/api/session {"key"}: 204 and the cookie.
func (s *Server) apiSignIn(c *gin.Context) {
	// A page elsewhere must not sign a browser in either (login CSRF);
	// curl sends no Origin.
	if c.GetHeader("Origin") != "" && !sameOrigin(c.Request) {
		adminError(c, http.StatusForbidden, codeForeignOrigin, "refused: sign in from this server's own pages (/ui/)")
		return
	}
	var req struct {
		Key string `json:"key"`
	}
	if !readJSON(c, &req, `{"key":"<admin key>"}`) {
		return
	}
	now := s.api.now()
	if req.Key == "" {
		adminError(c, http.StatusUnauthorized, codeAdminAuth, `give the admin key: {"key":"<a key from [auth] admin_keys>"}`)
		return
	}
	if !s.adminKeyOK(c, req.Key, now) {
		return
	}
	token, expires, err := s.api.sessions.create(c.Request.Context(), now)
	if token == "" {
		adminError(c, http.StatusInternalServerError, codeInternal, err.Error())
		return
	}
	if err != nil {
		s.limitsUnavailable(err) // counted and logged like every Redis error
	}
	s.api.failures.reset(c.ClientIP())
	s.setSessionCookie(c, token, expires)
	s.log.Info("admin api: signed in", "ip", c.ClientIP(), "expires", expires)
	c.Status(http.StatusNoContent)
}

// apiSession serves GET /admin/api/session: when the cookie's session
// ends; with an admin key instead, expires_at is null.
func (s *Server) apiSession(c *gin.Context) {
	out := gin.H{"auth": "key", "expires_at": nil}
	if token, err := c.Cookie(sessionCookie); err == nil && presentedKey(c.Request) == "" {
		if exp, ok := s.api.sessions.valid(c.Request.Context(), token, s.api.now()); ok {
			out = gin.H{"auth": "session", "expires_at": exp.In(s.location)}
		}
	}
	c.JSON(http.StatusOK, out)
}

// apiSignOut serves DELETE /admin/api/session: the session ends here and
// the cookie is cleared.
func (s *Server) apiSignOut(c *gin.Context) {
	if token, err := c.Cookie(sessionCookie); err == nil && token != "" {
		s.api.sessions.end(c.Request.Context(), token)
	}
	clearSessionCookie(c)
	c.Status(http.StatusNoContent)
}

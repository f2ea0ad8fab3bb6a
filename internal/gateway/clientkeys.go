package gateway

import (
	"context"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/clients"
)

// ClientDirectory is the set of client keys in force (README, "客户端密钥"):
// app reloads it from the database every few seconds, so a change reaches
// a running server within 5 s.
type ClientDirectory interface {
	// Client returns the client whose key has this hash (clients.HashKey).
	Client(hash string) (*clients.Client, bool)
	// Any reports whether there is any client key: then every request
	// needs a key, even on a server without static [auth] keys.
	Any() bool
}

// clientKeyPrefix starts every client key; other keys are not looked up.
const clientKeyPrefix = "sk-aigw-"

// authorizeClient identifies a client key; false after it answered 401.
func (s *Server) authorizeClient(c *gin.Context, rs *reqState, key string) bool {
	if s.clients == nil || !strings.HasPrefix(key, clientKeyPrefix) {
		return false
	}
	cl, ok := s.clients.Client(clients.HashKey(key))
	if !ok {
		return false
	}
	rs.client = cl
	rs.row.Client = cl.Name
	rs.row.ClientKeyHint = cl.KeyHint
	return true
}

// clientUsable answers 401 for a client key that is known but disabled or
// expired, saying which (the key's owner can ask for it to be renewed).
func (s *Server) clientUsable(c *gin.Context, rs *reqState) bool {
	cl := rs.client
	switch {
	case cl.Disabled:
		rs.reject(c, newAPIError(http.StatusUnauthorized, codeInvalidAPIKey,
			fmt.Sprintf("the client key %s (client %q) is disabled: ask the gateway's operator to enable it", cl.KeyHint, cl.Name)))
		return false
	case cl.Expired(time.Now()):
		rs.reject(c, newAPIError(http.StatusUnauthorized, codeInvalidAPIKey,
			fmt.Sprintf("the client key %s (client %q) expired: ask the gateway's operator for a new expiry or key", cl.KeyHint, cl.Name)))
		return false
	}
	return true
}

// checkClient applies a client's allowlist and limits once the model is
// resolved, before any upstream is contacted, in the order of README
// "客户端密钥": model allowed (403), rpm, tpm (429 rate_limit_exceeded),
// budget (429 insufficient_quota). It sets the x-ratelimit-* headers.
func (s *Server) checkClient(c *gin.Context, rs *reqState) bool {
	cl := rs.client
	if cl == nil {
		return true
	}
	resolved := targetName(rs.res.Targets[0])
	if rs.res.Route != "" {
		resolved = rs.res.Route
	}
	if !cl.Allows(rs.row.RequestedModel, resolved) {
		rs.reject(c, newAPIError(http.StatusForbidden, codeModelNotAllowed,
			fmt.Sprintf("client %q may not use model %q (allowed: %s)", cl.Name, clip(rs.row.RequestedModel, maxLoggedModel), strings.Join(cl.Models, ", "))))
		return false
	}
	now := time.Now()
	budget, periodStart := -1.0, time.Time{}
	if cl.Budget != nil {
		budget, periodStart = *cl.Budget, clients.PeriodStart(cl.Period, now, s.location)
	}
	st, refusal, wait, err := s.limits.admit(c.Request.Context(), cl.Name, cl.RPM, cl.TPM, budget, periodStart, now)
	if err != nil {
		s.limitsUnavailable(err)
		if !s.failOpen {
			rs.reject(c, newAPIError(http.StatusServiceUnavailable, codeLimitsUnavailable,
				"client limits cannot be checked (the shared store is unreachable) and [redis] fail_open is false: retry shortly"))
			return false
		}
		rs.clientPeriod = periodStart
		return true
	}
	if st.spendMissing {
		s.reseed.request(s, cl.Name, periodStart)
	}
	rateLimitHeaders(c.Writer.Header(), st)
	switch refusal {
	case refuseRPM:
		e := newAPIError(http.StatusTooManyRequests, codeRateLimitExhausted,
			fmt.Sprintf("client %q reached its limit of %d requests per minute; retry in %ds", cl.Name, cl.RPM, retrySeconds(wait)))
		e.retryAfter = retrySeconds(wait)
		rs.reject(c, e)
		return false
	case refuseTPM:
		e := newAPIError(http.StatusTooManyRequests, codeRateLimitExhausted,
			fmt.Sprintf("client %q reached its limit of %d tokens per minute; retry in %ds", cl.Name, cl.TPM, retrySeconds(wait)))
		e.retryAfter = retrySeconds(wait)
		rs.reject(c, e)
		return false
	case refuseBudget:
		next := clients.NextPeriodStart(cl.Period, periodStart)
		e := newAPIError(http.StatusTooManyRequests, codeInsufficientQuota,
			fmt.Sprintf("client %q spent its budget of %s for this %s; it renews at %s (or ask the operator to raise it)",
				cl.Name, strconv.FormatFloat(budget, 'f', -1, 64), periodName(cl.Period), next.In(s.location).Format(time.DateTime)))
		if cl.Period == clients.PeriodTotal {
			e.message = fmt.Sprintf("client %q spent its total budget of %s: ask the operator to raise it", cl.Name, strconv.FormatFloat(budget, 'f', -1, 64))
			next = now.Add(24 * time.Hour)
		}
		e.retryAfter = retrySeconds(next.Sub(now))
		rs.reject(c, e)
		return false
	}
	rs.clientPeriod = periodStart
	return true
}

// settleClient counts a finished request's tokens and cost for its client.
func (s *Server) settleClient(rs *reqState) {
	if rs.client == nil || rs.res.Targets == nil {
		return
	}
	cost := 0.0
	if rs.row.Cost != nil {
		cost = *rs.row.Cost
	}
	// The request's context is over: the accounting gets its own short one.
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	s.limits.finished(ctx, rs.client.Name, rs.row.PromptTokens+rs.row.CompletionTokens, cost, rs.clientPeriod, time.Now())
}

// rateLimitHeaders are OpenAI's x-ratelimit-* headers for the limits set.
func rateLimitHeaders(h http.Header, st limitState) {
	if st.rpm > 0 {
		h.Set("X-Ratelimit-Limit-Requests", strconv.FormatInt(st.rpm, 10))
		h.Set("X-Ratelimit-Remaining-Requests", strconv.FormatInt(st.rpmRemaining, 10))
		h.Set("X-Ratelimit-Reset-Requests", resetText(st.rpmReset))
	}
	if st.tpm > 0 {
		h.Set("X-Ratelimit-Limit-Tokens", strconv.FormatInt(st.tpm, 10))
		h.Set("X-Ratelimit-Remaining-Tokens", strconv.FormatInt(st.tpmRemaining, 10))
		h.Set("X-Ratelimit-Reset-Tokens", resetText(st.tpmReset))
	}
}

// resetText is a reset delay as OpenAI writes it ("1s", "6m0s"): a Go
// duration rounded up to whole seconds.
func resetText(d time.Duration) string {
	if d <= 0 {
		return "0s"
	}
	return (time.Duration(retrySeconds(d)) * time.Second).String()
}

// retrySeconds rounds a wait up to whole seconds, at least 1.
func retrySeconds(d time.Duration) int {
	s := int((d + time.Second - 1) / time.Second)
	return max(s, 1)
}

func periodName(p string) string {
	if p == "" {
		return "period"
	}
	return p
}

// SeedSpend sets what a client spent in its current budget period before
// this process started (app reads it from the log at start).
func (s *Server) SeedSpend(client string, periodStart time.Time, spend float64) {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s.limits.seedSpend(ctx, client, periodStart, spend)
}

// reseedEvery bounds how often one client's period spend is read back
// from the log when the shared store has none: at the start of a period
// nothing is spent yet and the key stays missing until the first cost.
const reseedEvery = 10 * time.Second

// spendReseeder rebuilds a client's period spend in Redis from the log when
// Redis lost it (restarted without persistence, flushed): the database is
// the record of spend (README, "多实例"). The request that noticed goes on;
// the rebuild runs beside it, at most once per client per reseedEvery.
type spendReseeder struct {
	mu   sync.Mutex
	last map[string]time.Time
}

func (r *spendReseeder) request(s *Server, client string, periodStart time.Time) {
	if s.api.store == nil {
		return
	}
	now := time.Now()
	r.mu.Lock()
	if r.last == nil {
		r.last = make(map[string]time.Time)
	}
	if now.Sub(r.last[client]) < reseedEvery {
		r.mu.Unlock()
		return
	}
	r.last[client] = now
	r.mu.Unlock()
	go func() {
		ctx, cancel := context.WithTimeout(s.shutdown, 5*time.Second)
		defer cancel()
		spend, _, err := s.api.store.ClientSpend(ctx, client, periodStart)
		if err != nil {
			s.log.Warn("could not read a client's spend back from the log", "client", client, "error", err)
			return
		}
		s.limits.seedSpend(ctx, client, periodStart, spend)
	}()
}

// limitsUnavailable counts an error of the shared limits store and logs it
// at most once a minute.
func (s *Server) limitsUnavailable(err error) {
	s.metrics.RedisError()
	now := time.Now().Unix()
	last := s.limitErrLogged.Load()
	if now-last >= 60 && s.limitErrLogged.CompareAndSwap(last, now) {
		s.log.Error("client limits store unreachable", "error", err, "fail_open", s.failOpen)
	}
}

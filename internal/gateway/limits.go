package gateway

import (
	"context"
	"sync"
	"time"
)

// limiter counts what client keys use: in this process (clientLimits), or
// in Redis so several instances share one count (redisLimits).
type limiter interface {
	// admit checks rpm, tpm and the budget in that order and counts the
	// request towards rpm when admitted. budget < 0 means none.
	admit(ctx context.Context, name string, rpm, tpm int64, budget float64, periodStart, now time.Time) (limitState, limitRefusal, time.Duration, error)
	// finished records a finished request's tokens and cost.
	finished(ctx context.Context, name string, tokens int64, cost float64, periodStart, now time.Time)
	// seedSpend sets what a client spent in its period before this
	// process counted, unless the count already knows more.
	seedSpend(ctx context.Context, name string, periodStart time.Time, spend float64)
	// spent is what the count holds of a client's spend in the period
	// that started at periodStart (0 when it knows nothing of it).
	spent(ctx context.Context, name string, periodStart time.Time) (float64, error)
}

// limitWindow is the span of the rpm and tpm limits (README, "客户端密钥").
const limitWindow = time.Minute

// clientLimits keeps, per client, what the rpm, tpm and budget checks
// need, in this process (exact for one instance). Each client's state has
// its own small record under one mutex: the checks are a few comparisons.
type clientLimits struct {
	mu sync.Mutex
	m  map[string]*clientUsage
}

// clientUsage is one client's recent traffic.
type clientUsage struct {
	admitted []time.Time   // admission times within the window, oldest first
	tokens   []tokenSample // finished requests' tokens within the window
	tokenSum int64         // the sum of tokens, kept as samples come and go
	// spend in the period that started at periodStart.
	periodStart time.Time
	spend       float64
}

type tokenSample struct {
	at time.Time
	n  int64
}

func newClientLimits() *clientLimits { return &clientLimits{m: map[string]*clientUsage{}} }

func (l *clientLimits) usageLocked(name string) *clientUsage {
	u := l.m[name]
	if u == nil {
		u = &clientUsage{}
		l.m[name] = u
	}
	return u
}

// enterPeriod starts counting spend in the period that started at start:
// nothing is spent in a new period yet.
func (u *clientUsage) enterPeriod(start time.Time) {
	if !u.periodStart.Equal(start) {
		u.periodStart, u.spend = start, 0
	}
}

// prune drops what left the window.
func (u *clientUsage) prune(now time.Time) {
	cut := now.Add(-limitWindow)
	i := 0
	for i < len(u.admitted) && !u.admitted[i].After(cut) {
		i++
	}
	u.admitted = u.admitted[i:]
	j := 0
	for j < len(u.tokens) && !u.tokens[j].at.After(cut) {
		u.tokenSum -= u.tokens[j].n
		j++
	}
	u.tokens = u.tokens[j:]
}

// limitState is what one admission check saw, for the x-ratelimit-*
// headers and Retry-After.
type limitState struct {
	rpm, rpmRemaining int64
	rpmReset          time.Duration // until the oldest request leaves the window
	tpm, tpmRemaining int64
	tpmReset          time.Duration
}

// limitRefusal says which limit refused a request.
type limitRefusal int

const (
	refuseNone limitRefusal = iota
	refuseRPM
	refuseTPM
	refuseBudget
)

// admit checks rpm, tpm and the budget in that order (README,
// "客户端密钥"), and counts the request towards rpm when it is admitted:
// only admitted requests count. budget < 0 means none; periodStart is the
// start of the budget's current period.
func (l *clientLimits) admit(_ context.Context, name string, rpm, tpm int64, budget float64, periodStart, now time.Time) (limitState, limitRefusal, time.Duration, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.usageLocked(name)
	u.prune(now)
	st := limitState{rpm: rpm, tpm: tpm}
	if rpm > 0 {
		st.rpmRemaining = max(rpm-int64(len(u.admitted)), 0)
		if len(u.admitted) > 0 {
			st.rpmReset = u.admitted[0].Add(limitWindow).Sub(now)
		}
		if int64(len(u.admitted)) >= rpm {
			return st, refuseRPM, st.rpmReset, nil
		}
	}
	if tpm > 0 {
		used := u.tokenSum
		st.tpmRemaining = max(tpm-used, 0)
		if len(u.tokens) > 0 {
			st.tpmReset = u.tokens[0].at.Add(limitWindow).Sub(now)
		}
		if used >= tpm {
			return st, refuseTPM, st.tpmReset, nil
		}
	}
	if budget >= 0 {
		u.enterPeriod(periodStart)
		if u.spend >= budget {
			return st, refuseBudget, 0, nil
		}
	}
	if rpm > 0 {
		u.admitted = append(u.admitted, now)
		st.rpmRemaining--
		if len(u.admitted) == 1 {
			st.rpmReset = limitWindow
		}
	}
	return st, refuseNone, 0, nil
}

// finished records a finished request's tokens and cost.
func (l *clientLimits) finished(_ context.Context, name string, tokens int64, cost float64, periodStart, now time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.usageLocked(name)
	if tokens > 0 {
		u.tokens = append(u.tokens, tokenSample{at: now, n: tokens})
		u.tokenSum += tokens
	}
	if cost > 0 {
		u.enterPeriod(periodStart)
		u.spend += cost
	}
}

// seedSpend sets what a client spent in the current period before this
// process started (from the database), unless the process counted it.
func (l *clientLimits) seedSpend(_ context.Context, name string, periodStart time.Time, spend float64) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.usageLocked(name)
	u.enterPeriod(periodStart)
	u.spend = max(u.spend, spend)
}

// spent is the client's spend counted in this process for the period.
func (l *clientLimits) spent(_ context.Context, name string, periodStart time.Time) (float64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	u := l.m[name]
	if u == nil || !u.periodStart.Equal(periodStart) {
		return 0, nil
	}
	return u.spend, nil
}

package gateway

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/aigw/aigw/internal/clients"
)

func TestClientLimitsWindowAndPeriods(t *testing.T) {
	l := newClientLimits()
	ctx := context.Background()
	t0 := time.Date(2026, 3, 31, 15, 59, 0, 0, time.UTC) // 23:59 Beijing time, the month's last minute
	month := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))

	// rpm 2: exact, refused ones not counted, the window slides.
	for i := range 2 {
		_, r, _, _ := l.admit(ctx, "a", 2, 0, -1, time.Time{}, t0.Add(time.Duration(i)*time.Second))
		assert.Equal(t, refuseNone, r)
	}
	st, r, wait, _ := l.admit(ctx, "a", 2, 0, -1, time.Time{}, t0.Add(10*time.Second))
	assert.Equal(t, refuseRPM, r)
	assert.Equal(t, 50*time.Second, wait, "until the oldest admission leaves the minute")
	assert.EqualValues(t, 0, st.rpmRemaining)
	_, r, _, _ = l.admit(ctx, "a", 2, 0, -1, time.Time{}, t0.Add(60*time.Second+time.Millisecond))
	assert.Equal(t, refuseNone, r, "the first admission left the window")

	// tpm: tokens of finished requests in the last minute.
	l.finished(ctx, "b", 15, 0, time.Time{}, t0)
	_, r, _, _ = l.admit(ctx, "b", 0, 20, -1, time.Time{}, t0.Add(time.Second))
	assert.Equal(t, refuseNone, r)
	l.finished(ctx, "b", 5, 0, time.Time{}, t0.Add(2*time.Second))
	_, r, _, _ = l.admit(ctx, "b", 0, 20, -1, time.Time{}, t0.Add(3*time.Second))
	assert.Equal(t, refuseTPM, r, "20 of 20 used")
	_, r, _, _ = l.admit(ctx, "b", 0, 20, -1, time.Time{}, t0.Add(61*time.Second))
	assert.Equal(t, refuseNone, r, "15 left the window")

	// budget: spend in the period; a new period starts from nothing.
	l.seedSpend(ctx, "c", month, 9.5)
	_, r, _, _ = l.admit(ctx, "c", 0, 0, 10, month, t0)
	assert.Equal(t, refuseNone, r)
	l.finished(ctx, "c", 100, 0.6, month, t0)
	_, r, _, _ = l.admit(ctx, "c", 0, 0, 10, month, t0.Add(30*time.Second))
	assert.Equal(t, refuseBudget, r, "10.1 of 10 spent")
	april := month.AddDate(0, 1, 0)
	_, r, _, _ = l.admit(ctx, "c", 0, 0, 10, april, t0.Add(2*time.Minute))
	assert.Equal(t, refuseNone, r, "April starts at 00:00 in the zone")
}

// BenchmarkClientChecks is what a client key with rpm, tpm and a budget
// adds to a request without Redis: the key's hash, the limits' admission,
// the x-ratelimit-* headers and the finished request's accounting (issue
// 15: at most 10 us CPU; BenchmarkEndToEnd/clientkey in bench/ measures
// the whole request).
func BenchmarkClientChecks(b *testing.B) {
	l := newClientLimits()
	ctx := context.Background()
	key := "sk-aigw-" + strings.Repeat("A", 40)
	loc := time.FixedZone("CST", 8*3600)
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		_ = clients.HashKey(key)
		start := clients.PeriodStart(clients.PeriodMonth, now, loc)
		st, _, _, _ := l.admit(ctx, "bench", 1_000_000, 1<<50, 1e9, start, now)
		rateLimitHeaders(http.Header{}, st)
		l.finished(ctx, "bench", 30, 0.0001, start, now)
	}
}

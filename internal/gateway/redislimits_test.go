package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// testRedis is the machine's Redis (127.0.0.1:6379) with a key prefix of
// the test's own, removed afterwards. Without Redis the test fails.
func testRedis(t *testing.T) (*redis.Client, string) {
	t.Helper()
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:6379"})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	require.NoError(t, rdb.Ping(ctx).Err(), "Redis must run on 127.0.0.1:6379 (.ci/run starts it)")
	var b [6]byte
	_, _ = rand.Read(b[:])
	prefix := "aigw-test-" + hex.EncodeToString(b[:]) + ":"
	t.Cleanup(func() {
		keys, _ := rdb.Keys(ctx, prefix+"*").Result()
		if len(keys) > 0 {
			rdb.Del(ctx, keys...)
		}
	})
	return rdb, prefix
}

// TestRedisLimitsMatchTheProcessLimits: the Redis limiter gives the same
// answers as the in-process one, and two limiters on one Redis share the
// count (two instances behave as one).
func TestRedisLimitsMatchTheProcessLimits(t *testing.T) {
	rdb, prefix := testRedis(t)
	a, b := newRedisLimits(rdb, prefix), newRedisLimits(rdb, prefix)
	ctx := context.Background()
	now := time.Now()

	// rpm 3 across two instances: exactly 3 admitted.
	admitted := 0
	for i := range 6 {
		l := []*redisLimits{a, b}[i%2]
		st, r, wait, err := l.admit(ctx, "c", 3, 0, -1, time.Time{}, now.Add(time.Duration(i)*time.Millisecond))
		require.NoError(t, err)
		if r == refuseNone {
			admitted++
		} else {
			assert.Equal(t, refuseRPM, r)
			assert.Positive(t, wait)
			assert.EqualValues(t, 0, st.rpmRemaining)
		}
	}
	assert.Equal(t, 3, admitted)
	_, r, _, err := a.admit(ctx, "c", 3, 0, -1, time.Time{}, now.Add(61*time.Second))
	require.NoError(t, err)
	assert.Equal(t, refuseNone, r, "the window slid")

	// tpm from finished requests, recorded by either instance.
	a.finished(ctx, "t", 15, 0, time.Time{}, now)
	_, r, _, err = b.admit(ctx, "t", 0, 20, -1, time.Time{}, now.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, refuseNone, r)
	b.finished(ctx, "t", 5, 0, time.Time{}, now.Add(time.Second))
	_, r, _, err = a.admit(ctx, "t", 0, 20, -1, time.Time{}, now.Add(2*time.Second))
	require.NoError(t, err)
	assert.Equal(t, refuseTPM, r)

	// Budget: seeded from the database only when Redis has none.
	month := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	a.seedSpend(ctx, "m", month, 9.5)
	b.seedSpend(ctx, "m", month, 1.0) // Redis knows more: kept
	_, r, _, err = b.admit(ctx, "m", 0, 0, 10, month, now)
	require.NoError(t, err)
	assert.Equal(t, refuseNone, r)
	a.finished(ctx, "m", 10, 0.6, month, now)
	_, r, _, err = b.admit(ctx, "m", 0, 0, 10, month, now)
	require.NoError(t, err)
	assert.Equal(t, refuseBudget, r)
	_, r, _, err = b.admit(ctx, "m", 0, 0, 10, month.AddDate(0, 1, 0), now)
	require.NoError(t, err)
	assert.Equal(t, refuseNone, r, "a new period starts from nothing")
}

func TestRedisLimitsReportAnUnreachableRedis(t *testing.T) {
	rdb := redis.NewClient(&redis.Options{Addr: "127.0.0.1:1", MaxRetries: -1, DialTimeout: 200 * time.Millisecond})
	t.Cleanup(func() { rdb.Close() })
	_, _, _, err := newRedisLimits(rdb, "x:").admit(context.Background(), "c", 1, 0, -1, time.Time{}, time.Now())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "redis")
}

package gateway

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"
)

// redisLimits counts client limits in Redis, so that every instance using
// the same Redis shares one count (README, "多实例"): an admission is one
// round trip (a Lua script runs atomically on the server), the accounting
// of a finished request another, after the answer.
//
// Keys (all under the prefix): rpm:<client> a sorted set of the admitted
// requests of the last minute (exact at the boundary), tpm:<client> a hash
// of tokens per second, spend:<client>:<period start> the period's spend.
type redisLimits struct {
	rdb    *redis.Client
	prefix string
}

func newRedisLimits(rdb *redis.Client, prefix string) *redisLimits {
	return &redisLimits{rdb: rdb, prefix: prefix}
}

func (l *redisLimits) keys(name string, periodStart time.Time) []string {
	return []string{
		l.prefix + "rpm:" + name,
		l.prefix + "tpm:" + name,
		l.prefix + "spend:" + name + ":" + strconv.FormatInt(periodStart.Unix(), 10),
	}
}

// admitScript returns {refusal, requests in window, oldest admission ms,
// tokens in window, oldest token second, spend key missing}; refusal 0
// admits (and counts). A missing spend key (Redis restarted without its
// data, or nothing spent yet) lets the gateway rebuild it from the log.
var admitScript = redis.NewScript(`
local now = tonumber(ARGV[1])
local win = tonumber(ARGV[2])
local rpm = tonumber(ARGV[3])
local tpm = tonumber(ARGV[4])
local budget = tonumber(ARGV[5])
local count, oldest = 0, -1
if rpm > 0 then
  redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now - win)
  count = redis.call('ZCARD', KEYS[1])
  local o = redis.call('ZRANGE', KEYS[1], 0, 0, 'WITHSCORES')
  if o[2] then oldest = tonumber(o[2]) end
  if count >= rpm then return {1, count, oldest, 0, -1, 0} end
end
local used, tokOldest = 0, -1
if tpm > 0 then
  local cut = math.floor((now - win) / 1000)
  local all = redis.call('HGETALL', KEYS[2])
  for i = 1, #all, 2 do
    local sec = tonumber(all[i])
    if sec <= cut then
      redis.call('HDEL', KEYS[2], all[i])
    else
      used = used + tonumber(all[i + 1])
      if tokOldest < 0 or sec < tokOldest then tokOldest = sec end
    end
  end
  if used >= tpm then return {2, count, oldest, used, tokOldest, 0} end
end
local missing = 0
if budget >= 0 then
  local v = redis.call('GET', KEYS[3])
  if not v then missing = 1 end
  local spent = tonumber(v or '0')
  if spent >= budget then return {3, count, oldest, used, tokOldest, missing} end
end
if rpm > 0 then
  redis.call('ZADD', KEYS[1], now, ARGV[6])
  redis.call('PEXPIRE', KEYS[1], win)
  count = count + 1
  if oldest < 0 then oldest = now end
end
return {0, count, oldest, used, tokOldest, missing}
`)

func (l *redisLimits) admit(ctx context.Context, name string, rpm, tpm int64, budget float64, periodStart, now time.Time) (limitState, limitRefusal, time.Duration, error) {
	var id [8]byte
	_, _ = rand.Read(id[:])
	nowMs := now.UnixMilli()
	res, err := admitScript.Run(ctx, l.rdb, l.keys(name, periodStart),
		nowMs, limitWindow.Milliseconds(), rpm, tpm, strconv.FormatFloat(budget, 'f', -1, 64),
		strconv.FormatInt(nowMs, 10)+"-"+hex.EncodeToString(id[:])).Int64Slice()
	if err != nil {
		return limitState{}, refuseNone, 0, fmt.Errorf("redis: admit client %q: %w", name, err)
	}
	if len(res) != 6 {
		return limitState{}, refuseNone, 0, fmt.Errorf("redis: admit client %q: unexpected answer %v", name, res)
	}
	refusal, count, oldest, used, tokOldest := limitRefusal(res[0]), res[1], res[2], res[3], res[4]
	st := limitState{rpm: rpm, tpm: tpm, spendMissing: res[5] == 1}
	if rpm > 0 {
		st.rpmRemaining = max(rpm-count, 0)
		if oldest >= 0 {
			st.rpmReset = time.UnixMilli(oldest).Add(limitWindow).Sub(now)
		}
	}
	if tpm > 0 {
		st.tpmRemaining = max(tpm-used, 0)
		if tokOldest >= 0 {
			st.tpmReset = time.Unix(tokOldest+1, 0).Add(limitWindow).Sub(now)
		}
	}
	switch refusal {
	case refuseRPM:
		return st, refusal, st.rpmReset, nil
	case refuseTPM:
		return st, refusal, st.tpmReset, nil
	}
	return st, refusal, 0, nil
}

func (l *redisLimits) finished(ctx context.Context, name string, tokens int64, cost float64, periodStart, now time.Time) {
	if tokens <= 0 && cost <= 0 {
		return
	}
	k := l.keys(name, periodStart)
	_, _ = l.rdb.Pipelined(ctx, func(p redis.Pipeliner) error {
		if tokens > 0 {
			p.HIncrBy(ctx, k[1], strconv.FormatInt(now.Unix(), 10), tokens)
			p.Expire(ctx, k[1], 2*limitWindow)
		}
		if cost > 0 {
			p.IncrByFloat(ctx, k[2], cost)
			if !periodStart.IsZero() {
				// Kept a little past the longest period (a month).
				p.Expire(ctx, k[2], 32*24*time.Hour)
			}
		}
		return nil
	})
}

// seedScript raises a period's spend to the value read from the log when
// Redis has less: none (it lost it, or the period is new), or only what
// was spent since it lost it. Redis is normally ahead of the log (rows are
// written in batches), so a larger count in Redis is kept.
var seedScript = redis.NewScript(`
local have = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > have then
  if tonumber(ARGV[2]) > 0 then
    redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  else
    redis.call('SET', KEYS[1], ARGV[1])
  end
end
return 0
`)

// seedSpend writes the spend read from the database unless Redis counts
// more: the database is the record of spend (README, "多实例").
func (l *redisLimits) seedSpend(ctx context.Context, name string, periodStart time.Time, spend float64) {
	if spend <= 0 {
		return
	}
	ttl := time.Duration(0)
	if !periodStart.IsZero() {
		ttl = 32 * 24 * time.Hour
	}
	_ = seedScript.Run(ctx, l.rdb, []string{l.keys(name, periodStart)[2]},
		strconv.FormatFloat(spend, 'f', -1, 64), ttl.Milliseconds()).Err()
}

// spent reads the period's spend shared by every instance.
func (l *redisLimits) spent(ctx context.Context, name string, periodStart time.Time) (float64, error) {
	v, err := l.rdb.Get(ctx, l.keys(name, periodStart)[2]).Float64()
	if errors.Is(err, redis.Nil) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("redis: spend of client %q: %w", name, err)
	}
	return v, nil
}

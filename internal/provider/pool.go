// Package provider holds the configured upstream providers, their key pools
// and the model resolution rules (docs/architecture.md).
package provider

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/secret"
)

// Key is one upstream API key of a pool, with its health. The secret is
// only ever read to build an upstream request; everything printable uses
// Hint.
type Key struct {
	Secret string
	Hint   string
	Index  int

	// coolUntil is a unix-nanosecond time before which the key is not
	// picked (429 cool-down); disabled marks a key rejected with 401/403.
	coolUntil atomic.Int64
	disabled  atomic.Bool
	failures  atomic.Int32 // consecutive 429s, for the increasing backoff

	mu sync.Mutex
	// refusedModel is the model of the last 401/403 that did not say the
	// key itself was invalid; a refusal on a second model sets the key aside.
	refusedModel string
	// lastError is the last error noted for the key (NoteError).
	lastError   string
	lastErrorAt time.Time
}

// Usable reports whether the key may be picked at now.
func (k *Key) Usable(now time.Time) bool {
	return !k.disabled.Load() && now.UnixNano() >= k.coolUntil.Load()
}

// State is a short word for metrics and CLI output.
func (k *Key) State(now time.Time) string {
	switch {
	case k.disabled.Load():
		return "disabled"
	case now.UnixNano() < k.coolUntil.Load():
		return "cooling"
	default:
		return "ok"
	}
}

// Pool is a provider's key pool. Pick is safe for concurrent use; the
// round-robin counter is shared by every request of the provider.
type Pool struct {
	keys     []*Key
	strategy string
	next     atomic.Uint64
}

// NewPool builds a pool over keys with the given strategy.
func NewPool(keys []string, strategy string) *Pool {
	p := &Pool{strategy: strategy}
	for i, s := range keys {
		p.keys = append(p.keys, &Key{Secret: s, Hint: secret.Hint(s), Index: i})
	}
	return p
}

// Keys returns the pool's keys in config order.
func (p *Pool) Keys() []*Key { return p.keys }

// Size is the number of keys.
func (p *Pool) Size() int { return len(p.keys) }

// Strategy returns the configured strategy ("" means first key).
func (p *Pool) Strategy() string { return p.strategy }

// HasUsable reports whether Pick would find a key, without moving the
// round-robin counter: a request that asks "is there another key to retry
// with?" must not make the next request skip one.
func (p *Pool) HasUsable(skip func(*Key) bool) bool {
	now := time.Now()
	for _, k := range p.keys {
		if (skip == nil || !skip(k)) && k.Usable(now) {
			return true
		}
	}
	return false
}

// Pick returns the key to use for an attempt, skipping keys for which skip
// returns true (already tried by this request) and keys set aside or
// cooling down. It returns nil when no key is usable.
//
// Every strategy chooses a starting point and then scans forward, so a key
// that is set aside costs one comparison instead of a failed request.
func (p *Pool) Pick(skip func(*Key) bool) *Key {
	n := len(p.keys)
	if n == 0 {
		return nil
	}
	var start int
	switch p.strategy {
	case config.StrategyRoundRobin:
		start = int((p.next.Add(1) - 1) % uint64(n))
	case config.StrategyRandom:
		start = rand.IntN(n)
	default:
		start = 0
	}
	now := time.Now()
	for i := 0; i < n; i++ {
		k := p.keys[(start+i)%n]
		if skip != nil && skip(k) {
			continue
		}
		if k.Usable(now) {
			return k
		}
	}
	return nil
}

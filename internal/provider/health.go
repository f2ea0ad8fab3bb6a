package provider

import (
	"time"
)

// Backoff bounds for a 429 without Retry-After.
const (
	minCoolDown = time.Second
	maxCoolDown = 2 * time.Minute
)

// SetAside takes a key out of rotation after a 401/403 until a probe or
// `keys test` finds it working again.
func (k *Key) SetAside() { k.disabled.Store(true) }

// RefusedAuth records a 401/403 answer to this key for model and reports
// whether the key was set aside. Only an answer that says the key itself is
// invalid (keyInvalid), or a refusal of the same key on a second, different
// model, sets it aside: a 403 about one model or endpoint the key may not
// use must not take the key away from every other request.
func (k *Key) RefusedAuth(model string, keyInvalid bool) bool {
	k.mu.Lock()
	defer k.mu.Unlock()
	if keyInvalid || (k.refusedModel != "" && k.refusedModel != model) {
		k.refusedModel = ""
		k.disabled.Store(true)
		return true
	}
	k.refusedModel = model
	return false
}

// Restore puts a key back into rotation.
func (k *Key) Restore() {
	k.mu.Lock()
	k.refusedModel = ""
	k.mu.Unlock()
	k.disabled.Store(false)
	k.failures.Store(0)
	k.coolUntil.Store(0)
}

// CoolDown rests a rate-limited key for retryAfter, or, when the upstream
// gave none, for a backoff that doubles with each consecutive 429.
func (k *Key) CoolDown(now time.Time, retryAfter time.Duration) time.Duration {
	n := k.failures.Add(1)
	d := retryAfter
	if d <= 0 {
		d = minCoolDown << min(n-1, 16)
		if d > maxCoolDown || d <= 0 {
			d = maxCoolDown
		}
	}
	k.coolUntil.Store(now.Add(d).UnixNano())
	return d
}

// CoolUntil rests the key until t unless it rests longer already: another
// instance's 429 on the same key, shared over Redis (README, "多实例").
func (k *Key) CoolUntil(t time.Time) {
	until := t.UnixNano()
	for {
		cur := k.coolUntil.Load()
		if cur >= until || k.coolUntil.CompareAndSwap(cur, until) {
			return
		}
	}
}

// Succeeded resets the backoff after a good answer.
func (k *Key) Succeeded() {
	if k.failures.Load() != 0 {
		k.failures.Store(0)
	}
}

// Availability describes why a pool has no usable key.
type Availability struct {
	Usable   int
	SetAside int
	Cooling  int
	// RetryIn is how long until the first cooling key is usable again.
	RetryIn time.Duration
}

// Availability counts the pool's keys by state.
func (p *Pool) Availability(now time.Time) Availability {
	var a Availability
	for _, k := range p.keys {
		switch {
		case k.disabled.Load():
			a.SetAside++
		case now.UnixNano() < k.coolUntil.Load():
			a.Cooling++
			in := time.Duration(k.coolUntil.Load() - now.UnixNano())
			if a.RetryIn == 0 || in < a.RetryIn {
				a.RetryIn = in
			}
		default:
			a.Usable++
		}
	}
	return a
}

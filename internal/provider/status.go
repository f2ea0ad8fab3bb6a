package provider

import "time"

// Key states as the admin API shows them (docs/admin-api.md).
const (
	KeyOK       = "ok"
	KeyCooling  = "cooling"
	KeySetAside = "set_aside"
)

// KeyStatus is a read-only snapshot of a key's health for the dashboard:
// its state, when a cool-down ends, and the last error an upstream gave
// for it (no secret: the gateway notes only statuses and causes).
type KeyStatus struct {
	State       string
	Until       time.Time // end of the cool-down; zero otherwise
	LastError   string
	LastErrorAt time.Time
}

// Status is the key's state at now.
func (k *Key) Status(now time.Time) KeyStatus {
	st := KeyStatus{State: KeyOK}
	switch until := k.coolUntil.Load(); {
	case k.disabled.Load():
		st.State = KeySetAside
	case now.UnixNano() < until:
		st.State, st.Until = KeyCooling, time.Unix(0, until)
	}
	k.mu.Lock()
	st.LastError, st.LastErrorAt = k.lastError, k.lastErrorAt
	k.mu.Unlock()
	return st
}

// NoteError records the last error an upstream gave for this key. msg
// must not hold a key: callers pass a status and a cause, redacted.
func (k *Key) NoteError(msg string, at time.Time) {
	k.mu.Lock()
	k.lastError, k.lastErrorAt = msg, at
	k.mu.Unlock()
}

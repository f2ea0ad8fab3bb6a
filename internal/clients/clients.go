// Package clients is the model of client keys (README, "客户端密钥"): keys
// aigw issues to its own users, each with a model allowlist, rate limits,
// a budget and an expiry. It does no I/O: internal/store keeps the rows,
// cmd/clients.go edits them and internal/gateway enforces them.
package clients

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"
	"unicode"
)

// Client is one row of the clients table.
type Client struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`             // unique
	KeyHash   string     `json:"-"`                // hex SHA-256 of the key; the key itself is never stored
	KeyHint   string     `json:"key_hint"`         // "sk-aigw-...AbC9"
	Models    []string   `json:"models"`           // allowed model globs; empty = every model
	RPM       int64      `json:"rpm"`              // 0 = no limit
	TPM       int64      `json:"tpm"`              // 0 = no limit
	Budget    *float64   `json:"budget"`           // nil = no budget; in the price table's currency
	Period    string     `json:"period,omitempty"` // "day" | "week" | "month" | "total" ("" when no budget)
	ExpiresAt *time.Time `json:"expires_at"`       // valid through this instant; nil = never
	Disabled  bool       `json:"disabled"`
	CreatedAt time.Time  `json:"created_at"`
	Note      string     `json:"note,omitempty"`
}

// Budget periods.
const (
	PeriodDay   = "day"
	PeriodWeek  = "week"
	PeriodMonth = "month"
	PeriodTotal = "total"
)

// KeyPrefix starts every client key, so that one is recognisable in a
// config or a leaked paste.
const KeyPrefix = "sk-aigw-"

// keyChars is the length of a key's random part: 40 base62 characters
// carry about 238 bits.
const keyChars = 40

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// NewKey makes a random client key with its hash (to store) and its hint
// (to show). Each character comes from one byte of crypto/rand; bytes of
// 248 and above are drawn again, so that every character is equally
// likely (248 = 4 x 62: no modulo bias).
func NewKey() (key, hash, hint string, err error) {
	out := make([]byte, 0, len(KeyPrefix)+keyChars)
	out = append(out, KeyPrefix...)
	var buf [64]byte
	for len(out) < cap(out) {
		if _, err := rand.Read(buf[:]); err != nil {
			return "", "", "", fmt.Errorf("make a client key: %w", err)
		}
		for _, b := range buf {
			if b >= 248 || len(out) == cap(out) {
				continue
			}
			out = append(out, base62[b%62])
		}
	}
	key = string(out)
	return key, HashKey(key), Hint(key), nil
}

// HashKey is the hex SHA-256 of a key: what the clients table stores and
// the gateway looks a presented key up by. A key is 238 random bits, so a
// plain hash (no salt, no slow KDF) cannot be reversed by guessing.
func HashKey(key string) string {
	sum := sha256.Sum256([]byte(key))
	return hex.EncodeToString(sum[:])
}

// Hint is a key's printable form: the prefix and the last 4 characters
// ("sk-aigw-...AbC9"). internal/secret's Hint keeps only 3 leading
// characters, which would hide that this is an aigw key.
func Hint(key string) string {
	if !strings.HasPrefix(key, KeyPrefix) || len(key) < len(KeyPrefix)+16 {
		return "***"
	}
	return KeyPrefix + "..." + key[len(key)-4:]
}

// Allows reports whether the client may use a model: the name the request
// gave (requested) or the provider/model it resolved to (resolved) matches
// one of the client's globs. No globs: every model.
func (c *Client) Allows(requested, resolved string) bool {
	if len(c.Models) == 0 {
		return true
	}
	for _, g := range c.Models {
		if (requested != "" && Match(g, requested)) || (resolved != "" && Match(g, resolved)) {
			return true
		}
	}
	return false
}

// slashSub stands in for '/' while path.Match runs, so that '*' and '?'
// match across it. A name that contains it never matches.
const slashSub = "\x00"

// Match reports whether name matches the glob pattern: '*' matches any
// characters, '/' included, '?' one character, [...] a class, '\' escapes;
// the match is case-sensitive. A malformed pattern matches nothing (see
// CheckPattern).
func Match(pattern, name string) bool {
	if strings.Contains(name, slashSub) {
		return false
	}
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", slashSub), strings.ReplaceAll(name, "/", slashSub))
	return err == nil && ok
}

// CheckPattern rejects a glob Match cannot use.
func CheckPattern(pattern string) error {
	if strings.TrimSpace(pattern) == "" {
		return errors.New("empty model pattern")
	}
	if strings.Contains(pattern, slashSub) {
		return fmt.Errorf("model pattern %q contains a NUL byte", pattern)
	}
	if _, err := path.Match(strings.ReplaceAll(pattern, "/", slashSub), ""); err != nil {
		return fmt.Errorf("model pattern %q: %w", pattern, err)
	}
	return nil
}

// ParseModels splits a comma-separated allowlist ("gpt-4o*,smart") into
// trimmed globs, checking each; "" is no list (every model).
func ParseModels(list string) ([]string, error) {
	var out []string
	for p := range strings.SplitSeq(list, ",") {
		p = strings.TrimSpace(p)
		if p == "" {
			continue
		}
		if err := CheckPattern(p); err != nil {
			return nil, err
		}
		out = append(out, p)
	}
	return out, nil
}

// CheckName rejects a name that could not be shown or typed safely: empty,
// over 128 bytes, or with control characters.
func CheckName(name string) error {
	if strings.TrimSpace(name) == "" {
		return errors.New("a client name must not be empty")
	}
	if len(name) > 128 {
		return fmt.Errorf("client name %.20q...: at most 128 bytes", name)
	}
	for _, r := range name {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || (r >= '\u202a' && r <= '\u202e') || (r >= '\u2066' && r <= '\u2069') {
			return fmt.Errorf("client name %q: control characters are not allowed", name)
		}
	}
	return nil
}

// ValidPeriod reports whether p names a budget period.
func ValidPeriod(p string) bool {
	switch p {
	case PeriodDay, PeriodWeek, PeriodMonth, PeriodTotal:
		return true
	}
	return false
}

// Validate checks a client's fields before it is stored.
func (c *Client) Validate() error {
	if err := CheckName(c.Name); err != nil {
		return err
	}
	if c.KeyHash == "" {
		return fmt.Errorf("client %q has no key hash", c.Name)
	}
	for _, g := range c.Models {
		if err := CheckPattern(g); err != nil {
			return fmt.Errorf("client %q: %w", c.Name, err)
		}
	}
	if c.RPM < 0 || c.TPM < 0 {
		return fmt.Errorf("client %q: rpm and tpm must be 0 (no limit) or more", c.Name)
	}
	switch {
	case c.Budget != nil && !(*c.Budget > 0):
		return fmt.Errorf("client %q: a budget must be more than 0", c.Name)
	case c.Budget != nil && !ValidPeriod(c.Period):
		return fmt.Errorf("client %q: a budget needs a period: day, week, month or total", c.Name)
	case c.Budget == nil && c.Period != "":
		return fmt.Errorf("client %q: period %q without a budget", c.Name, c.Period)
	}
	return nil
}

// Expired reports whether the key is past its expiry at now.
func (c *Client) Expired(now time.Time) bool {
	return c.ExpiresAt != nil && now.After(*c.ExpiresAt)
}

// PeriodStart is when the budget period containing now began, at 00:00 in
// loc: today (day), this week's Monday (week), the 1st of this month
// (month); the zero time for "total" (and for no period).
func PeriodStart(period string, now time.Time, loc *time.Location) time.Time {
	if loc == nil {
		loc = time.UTC
	}
	t := now.In(loc)
	y, m, d := t.Date()
	switch period {
	case PeriodDay:
		return time.Date(y, m, d, 0, 0, 0, 0, loc)
	case PeriodWeek:
		back := (int(t.Weekday()) + 6) % 7 // days since Monday
		return time.Date(y, m, d-back, 0, 0, 0, 0, loc)
	case PeriodMonth:
		return time.Date(y, m, 1, 0, 0, 0, 0, loc)
	default:
		return time.Time{}
	}
}

// NextPeriodStart is when the period that started at start ends: the next
// day, Monday or 1st at 00:00; the zero time for total (it never renews).
func NextPeriodStart(period string, start time.Time) time.Time {
	switch period {
	case PeriodDay:
		return start.AddDate(0, 0, 1)
	case PeriodWeek:
		return start.AddDate(0, 0, 7)
	case PeriodMonth:
		return start.AddDate(0, 1, 0)
	}
	return time.Time{}
}

// ExpiryFromDate turns --expires 2026-12-31 into the last instant of that
// day in loc: a key is valid through the whole day it names.
func ExpiryFromDate(date string, loc *time.Location) (time.Time, error) {
	if loc == nil {
		loc = time.UTC
	}
	d, err := time.ParseInLocation(time.DateOnly, strings.TrimSpace(date), loc)
	if err != nil {
		return time.Time{}, fmt.Errorf("expiry %q: use a date like 2026-12-31", date)
	}
	return d.AddDate(0, 0, 1).Add(-time.Nanosecond), nil
}

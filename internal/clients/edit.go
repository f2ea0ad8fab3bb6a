package clients

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

// Edit is a change to a client's limits (README, "客户端密钥"): what the
// flags of `aigw clients create/update` and the JSON of the admin API
// (docs/admin-api.md) both become, so that both check and apply a change
// the same way. Nil fields are left as they are.
type Edit struct {
	Models   *[]string // an empty list allows every model
	RPM, TPM *int64
	Budget   *float64
	Period   *string
	// Expires is the last valid day (YYYY-MM-DD); "" leaves it.
	Expires string
	Note    *string
	// NoBudget removes the budget and its period; NoExpiry the expiry.
	NoBudget, NoExpiry bool
}

// maxBudget keeps a budget a number every database stores exactly enough.
const maxBudget = 1e15

// maxNote bounds the free-form note.
const maxNote = 1024

// Check validates the fields given, each alone and against each other.
// The messages name the field and say what to give instead.
func (e Edit) Check() error {
	if e.Models != nil {
		for _, g := range *e.Models {
			if err := CheckPattern(g); err != nil {
				return fmt.Errorf("models: %w (use globs such as gpt-4o* or openai/*)", err)
			}
		}
	}
	if e.RPM != nil && *e.RPM < 0 {
		return fmt.Errorf("rpm %d: give 0 (no limit) or more", *e.RPM)
	}
	if e.TPM != nil && *e.TPM < 0 {
		return fmt.Errorf("tpm %d: give 0 (no limit) or more", *e.TPM)
	}
	if e.Budget != nil && (!(*e.Budget > 0) || *e.Budget > maxBudget) {
		return fmt.Errorf("budget %v: give an amount more than 0 (or remove the budget)", *e.Budget)
	}
	if e.Period != nil && !ValidPeriod(*e.Period) {
		return fmt.Errorf("period %q: use day, week, month or total", *e.Period)
	}
	if e.Expires != "" {
		if _, err := time.Parse(time.DateOnly, strings.TrimSpace(e.Expires)); err != nil {
			return fmt.Errorf("expires %q: use a date like 2026-12-31", e.Expires)
		}
	}
	if e.Note != nil && len(*e.Note) > maxNote {
		return fmt.Errorf("note: at most %d bytes", maxNote)
	}
	switch {
	case e.NoBudget && (e.Budget != nil || e.Period != nil):
		return errors.New("remove the budget or set one, not both")
	case e.NoExpiry && e.Expires != "":
		return errors.New("remove the expiry or set one, not both")
	}
	return nil
}

// Apply checks e and changes c by it; the expiry is the end of the day
// Expires names in loc. It returns a warning for an expiry already past
// at now (allowed: it expires the key at once).
func (e Edit) Apply(c *Client, loc *time.Location, now time.Time) (warning string, err error) {
	if err := e.Check(); err != nil {
		return "", err
	}
	if e.Models != nil {
		c.Models = append([]string(nil), *e.Models...)
	}
	if e.RPM != nil {
		c.RPM = *e.RPM
	}
	if e.TPM != nil {
		c.TPM = *e.TPM
	}
	if e.Budget != nil {
		b := *e.Budget
		c.Budget = &b
	}
	if e.Period != nil {
		c.Period = *e.Period
	}
	if e.NoBudget {
		c.Budget, c.Period = nil, ""
	}
	if e.Expires != "" {
		exp, err := ExpiryFromDate(e.Expires, loc)
		if err != nil {
			return "", err
		}
		c.ExpiresAt = &exp
		if !exp.After(now) {
			warning = fmt.Sprintf("expiry %s is in the past: the key of %s is expired from now on", strings.TrimSpace(e.Expires), c.Name)
		}
	}
	if e.NoExpiry {
		c.ExpiresAt = nil
	}
	if e.Note != nil {
		c.Note = *e.Note
	}
	switch {
	case c.Budget != nil && c.Period == "":
		return "", errors.New("a budget needs a period: day, week, month or total")
	case c.Budget == nil && c.Period != "":
		return "", errors.New("a period needs a budget")
	}
	return warning, c.Validate()
}

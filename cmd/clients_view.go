package cmd

import (
	"strconv"
	"strings"
	"time"

	"github.com/aigw/aigw/internal/clientadmin"
	"github.com/aigw/aigw/internal/clients"
)

// ---- the view of a client (list, show, JSON) ----

// clientView is a client as list, show and --json print it: everything
// but the key's hash.
type clientView struct {
	Name      string     `json:"name"`
	KeyHint   string     `json:"key_hint"`
	Models    []string   `json:"models"`
	RPM       int64      `json:"rpm"`
	TPM       int64      `json:"tpm"`
	Budget    *float64   `json:"budget"`
	Period    string     `json:"period,omitempty"`
	ExpiresAt *time.Time `json:"expires_at"`
	State     string     `json:"state"` // active, disabled or expired
	CreatedAt time.Time  `json:"created_at"`
	Note      string     `json:"note,omitempty"`
	// Usage in the budget period (all time without a budget).
	PeriodStart *time.Time `json:"period_start,omitempty"`
	Spent       *float64   `json:"spent,omitempty"`
	Requests    *int64     `json:"requests,omitempty"`
}

func newClientView(c clients.Client, loc *time.Location, now time.Time, u *clientadmin.Usage) clientView {
	v := clientView{Name: c.Name, KeyHint: c.KeyHint, Models: c.Models, RPM: c.RPM, TPM: c.TPM,
		Budget: c.Budget, Period: c.Period, ExpiresAt: c.ExpiresAt, State: clientState(c, now),
		CreatedAt: c.CreatedAt.In(loc), Note: c.Note}
	if v.Models == nil {
		v.Models = []string{}
	}
	if v.ExpiresAt != nil {
		e := v.ExpiresAt.In(loc)
		v.ExpiresAt = &e
	}
	if u != nil {
		v.Spent, v.Requests = &u.Spend, &u.Requests
		if !u.PeriodStart.IsZero() {
			v.PeriodStart = &u.PeriodStart
		}
	}
	return v
}

func clientState(c clients.Client, now time.Time) string {
	switch {
	case c.Disabled:
		return "disabled"
	case c.Expired(now):
		return "expired"
	default:
		return "active"
	}
}

func (v clientView) modelsText() string {
	if len(v.Models) == 0 {
		return "all"
	}
	return strings.Join(v.Models, ", ")
}

func (v clientView) budgetText() string {
	if v.Budget == nil {
		return "-"
	}
	return strconv.FormatFloat(*v.Budget, 'f', -1, 64) + " / " + v.Period
}

func (v clientView) spentText() string {
	if v.Spent == nil {
		return "-"
	}
	s := strconv.FormatFloat(*v.Spent, 'f', 4, 64)
	if v.Budget == nil {
		s += " (total)"
	}
	return s
}

func (v clientView) expiresText() string {
	if v.ExpiresAt == nil {
		return "never"
	}
	return v.ExpiresAt.Format("2006-01-02 15:04:05 -07:00")
}

func limitText(n int64) string {
	if n == 0 {
		return "-"
	}
	return strconv.FormatInt(n, 10)
}

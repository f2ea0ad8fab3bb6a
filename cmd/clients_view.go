package cmd

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/store"
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

type clientUsage struct {
	since    time.Time
	spent    float64
	requests int64
}

func newClientView(c clients.Client, loc *time.Location, now time.Time, u *clientUsage) clientView {
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
		v.Spent, v.Requests = &u.spent, &u.requests
		if !u.since.IsZero() {
			v.PeriodStart = &u.since
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

// usage reads a client's spend in its budget period (all time without one).
func usage(ctx context.Context, db *store.DB, c clients.Client, now time.Time) (*clientUsage, error) {
	since := clients.PeriodStart(c.Period, now, db.Location())
	spent, n, err := db.ClientSpend(ctx, c.Name, since)
	if err != nil {
		return nil, err
	}
	return &clientUsage{since: since, spent: spent, requests: n}, nil
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

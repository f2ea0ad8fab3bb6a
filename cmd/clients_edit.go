package cmd

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/pflag"

	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/store"
)

// ---- the limit flags shared by create and update ----

// clientLimitFlags are the raw limit flags of create and update.
type clientLimitFlags struct {
	models             string
	rpm, tpm           int64
	budget             float64
	period             string
	expires            string
	note               string
	noBudget, noExpiry bool
}

func (l *clientLimitFlags) register(fl *pflag.FlagSet, update bool) {
	fl.StringVar(&l.models, "models", "", `allowed models, comma-separated globs matched against the requested name and provider/model ("gpt-4o*,smart"); none: every model`)
	fl.Int64Var(&l.rpm, "rpm", 0, "most requests per minute (0: no limit)")
	fl.Int64Var(&l.tpm, "tpm", 0, "most tokens (prompt + completion) per minute (0: no limit)")
	fl.Float64Var(&l.budget, "budget", 0, "most spend per --period, in the price table's currency")
	fl.StringVar(&l.period, "period", "", "the budget's period: day, week (from Monday), month (from the 1st) or total")
	fl.StringVar(&l.expires, "expires", "", "last valid day, YYYY-MM-DD: the key works through the end of that day in the configured time zone")
	fl.StringVar(&l.note, "note", "", "a free-form note")
	if update {
		fl.BoolVar(&l.noBudget, "no-budget", false, "remove the budget and its period")
		fl.BoolVar(&l.noExpiry, "no-expiry", false, "remove the expiry")
	}
}

// clientEdit is a parsed, checked change to a client: nil fields are left
// as they are.
type clientEdit struct {
	models             *[]string
	rpm, tpm           *int64
	budget             *float64
	period             *string
	expires            string // a date, "" to keep
	note               *string
	noBudget, noExpiry bool
}

// parse checks the flags that were given (changed) and returns the edit.
func (l *clientLimitFlags) parse(changed func(string) bool) (clientEdit, error) {
	var e clientEdit
	if changed("models") {
		m, err := clients.ParseModels(l.models)
		if err != nil {
			return e, fmt.Errorf("--models: %w", err)
		}
		e.models = &m
	}
	if changed("rpm") {
		if l.rpm < 0 {
			return e, fmt.Errorf("--rpm %d: give 0 (no limit) or more", l.rpm)
		}
		e.rpm = &l.rpm
	}
	if changed("tpm") {
		if l.tpm < 0 {
			return e, fmt.Errorf("--tpm %d: give 0 (no limit) or more", l.tpm)
		}
		e.tpm = &l.tpm
	}
	if changed("budget") {
		if !(l.budget > 0) || l.budget > 1e15 {
			return e, fmt.Errorf("--budget %v: give an amount more than 0 (--no-budget removes one)", l.budget)
		}
		e.budget = &l.budget
	}
	if changed("period") {
		if !clients.ValidPeriod(l.period) {
			return e, fmt.Errorf("--period %q: use day, week, month or total", l.period)
		}
		e.period = &l.period
	}
	if changed("expires") {
		if _, err := time.Parse(time.DateOnly, strings.TrimSpace(l.expires)); err != nil {
			return e, fmt.Errorf("--expires %q: use a date like 2026-12-31", l.expires)
		}
		e.expires = strings.TrimSpace(l.expires)
	}
	if changed("note") {
		e.note = &l.note
	}
	e.noBudget, e.noExpiry = l.noBudget, l.noExpiry
	switch {
	case e.noBudget && (e.budget != nil || e.period != nil):
		return e, errors.New("--no-budget and --budget/--period: give one or the other")
	case e.noExpiry && e.expires != "":
		return e, errors.New("--no-expiry and --expires: give one or the other")
	}
	return e, nil
}

// apply changes c and returns a warning for an expiry already past.
func (e clientEdit) apply(c *clients.Client, loc *time.Location, now time.Time) (warning string, err error) {
	if e.models != nil {
		c.Models = *e.models
	}
	if e.rpm != nil {
		c.RPM = *e.rpm
	}
	if e.tpm != nil {
		c.TPM = *e.tpm
	}
	if e.budget != nil {
		b := *e.budget
		c.Budget = &b
	}
	if e.period != nil {
		c.Period = *e.period
	}
	if e.noBudget {
		c.Budget, c.Period = nil, ""
	}
	if e.expires != "" {
		exp, err := clients.ExpiryFromDate(e.expires, loc)
		if err != nil {
			return "", fmt.Errorf("--expires: %w", err)
		}
		c.ExpiresAt = &exp
		if !exp.After(now) {
			warning = fmt.Sprintf("--expires %s is in the past: the key of %s is expired from now on", e.expires, c.Name)
		}
	}
	if e.noExpiry {
		c.ExpiresAt = nil
	}
	if e.note != nil {
		c.Note = *e.note
	}
	switch {
	case c.Budget != nil && c.Period == "":
		return "", errors.New("a budget needs --period day, week, month or total")
	case c.Budget == nil && c.Period != "":
		return "", errors.New("--period needs a --budget")
	}
	return warning, c.Validate()
}

// clientName checks a NAME argument.
func clientName(args []string) (string, error) {
	if err := clients.CheckName(args[0]); err != nil {
		return "", err
	}
	return args[0], nil
}

// notFound adds a hint to a client lookup that found nothing.
func notFound(err error) error {
	if errors.Is(err, store.ErrClientNotFound) {
		return fmt.Errorf("%w (aigw clients list shows them)", err)
	}
	return err
}

package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/pflag"

	"github.com/aigw/aigw/internal/changes"
	"github.com/aigw/aigw/internal/clientadmin"
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

// parse turns the flags that were given (changed) into a checked edit.
func (l *clientLimitFlags) parse(changed func(string) bool) (clients.Edit, error) {
	var e clients.Edit
	if changed("models") {
		m, err := clients.ParseModels(l.models)
		if err != nil {
			return e, fmt.Errorf("--models: %w", err)
		}
		e.Models = &m
	}
	if changed("rpm") {
		e.RPM = &l.rpm
	}
	if changed("tpm") {
		e.TPM = &l.tpm
	}
	if changed("budget") {
		e.Budget = &l.budget
	}
	if changed("period") {
		e.Period = &l.period
	}
	if changed("expires") {
		e.Expires = strings.TrimSpace(l.expires)
		if e.Expires == "" {
			return e, errors.New("--expires: give a date like 2026-12-31 (--no-expiry removes the expiry)")
		}
	}
	if changed("note") {
		e.Note = &l.note
	}
	e.NoBudget, e.NoExpiry = l.noBudget, l.noExpiry
	return e, e.Check()
}

// clientAdmin edits clients in db and announces each change to running
// servers (README, "多实例").
func clientAdmin(db *store.DB, d dbDeps, errOut io.Writer) clientadmin.Admin {
	return clientadmin.Admin{Store: db, Location: db.Location(), Changed: func(ctx context.Context) {
		d.announce(ctx, errOut, changes.Clients)
	}}
}

// refused marks an edit the checks refused; other errors pass as they are.
func refused(err error) error {
	if clientadmin.IsInvalid(err) {
		return fmt.Errorf("refused: %w", err)
	}
	return notFound(err)
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

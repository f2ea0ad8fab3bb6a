// Package clientadmin is the one place client keys are created, changed,
// rotated and removed (README, "客户端密钥"): `aigw clients` and the admin
// API (docs/admin-api.md) both call it, each with its own store and its
// own way of telling running servers about the change.
package clientadmin

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/aigw/aigw/internal/clients"
)

// Store is the part of the database client administration needs;
// *store.DB and *store.Connection implement it. Its lookups wrap
// store.ErrClientNotFound, CreateClient store.ErrClientExists.
type Store interface {
	CreateClient(ctx context.Context, c clients.Client) (clients.Client, error)
	ClientByName(ctx context.Context, name string) (clients.Client, error)
	UpdateClient(ctx context.Context, c clients.Client) error
	DeleteClient(ctx context.Context, name string) error
	ClientSpend(ctx context.Context, name string, since time.Time) (cost float64, requests int64, err error)
}

// Admin changes clients in Store. Location is the configured zone (budget
// periods and expiry dates). Changed, when set, runs after every change
// that reached the database: the CLI announces it over Redis
// (internal/changes); a server also reloads its own client keys at once.
type Admin struct {
	Store    Store
	Location *time.Location
	Changed  func(ctx context.Context)
}

// InvalidError is a change refused before the database was asked: a bad
// name or field. Its message says what to give instead.
type InvalidError struct{ Err error }

func (e *InvalidError) Error() string { return e.Err.Error() }
func (e *InvalidError) Unwrap() error { return e.Err }

// IsInvalid reports whether err is an InvalidError.
func IsInvalid(err error) bool {
	var ie *InvalidError
	return errors.As(err, &ie)
}

// Result is a client after a change. Key is set only by Create and Rotate:
// the one time a key is ever shown. Warning is a remark on an accepted
// change (an expiry in the past).
type Result struct {
	Client  clients.Client
	Key     string
	Warning string
}

// Create makes a client with a new key and the limits of e.
func (a Admin) Create(ctx context.Context, name string, e clients.Edit, now time.Time) (Result, error) {
	if err := clients.CheckName(name); err != nil {
		return Result{}, &InvalidError{err}
	}
	key, hash, hint, err := clients.NewKey()
	if err != nil {
		return Result{}, err
	}
	cl := clients.Client{Name: name, KeyHash: hash, KeyHint: hint, CreatedAt: now}
	warning, err := e.Apply(&cl, a.Location, now)
	if err != nil {
		return Result{}, &InvalidError{err}
	}
	cl, err = a.Store.CreateClient(ctx, cl)
	if err != nil {
		return Result{}, err
	}
	a.changed(ctx)
	return Result{Client: cl, Key: key, Warning: warning}, nil
}

// Update changes the limits e gives; the others stay.
func (a Admin) Update(ctx context.Context, name string, e clients.Edit, now time.Time) (Result, error) {
	var warning string
	res, err := a.change(ctx, name, func(c *clients.Client) error {
		w, err := e.Apply(c, a.Location, now)
		if err != nil {
			return &InvalidError{err}
		}
		warning = w
		return nil
	})
	res.Warning = warning
	return res, err
}

// SetDisabled disables or enables a client's key; its limits are kept.
func (a Admin) SetDisabled(ctx context.Context, name string, disabled bool) (Result, error) {
	return a.change(ctx, name, func(c *clients.Client) error {
		c.Disabled = disabled
		return nil
	})
}

// Rotate gives a client a new key; the old one stops working.
func (a Admin) Rotate(ctx context.Context, name string) (Result, error) {
	var key string
	res, err := a.change(ctx, name, func(c *clients.Client) error {
		k, hash, hint, err := clients.NewKey()
		if err != nil {
			return err
		}
		key, c.KeyHash, c.KeyHint = k, hash, hint
		return nil
	})
	if err != nil {
		return Result{}, err
	}
	res.Key = key
	return res, nil
}

// Remove deletes a client; its log rows keep its name.
func (a Admin) Remove(ctx context.Context, name string) error {
	if err := a.Store.DeleteClient(ctx, name); err != nil {
		return err
	}
	a.changed(ctx)
	return nil
}

// change reads a client, lets edit change it and writes it back.
func (a Admin) change(ctx context.Context, name string, edit func(*clients.Client) error) (Result, error) {
	c, err := a.Store.ClientByName(ctx, name)
	if err != nil {
		return Result{}, err
	}
	if err := edit(&c); err != nil {
		return Result{}, err
	}
	if err := a.Store.UpdateClient(ctx, c); err != nil {
		return Result{}, err
	}
	a.changed(ctx)
	return Result{Client: c}, nil
}

func (a Admin) changed(ctx context.Context) {
	if a.Changed != nil {
		a.Changed(ctx)
	}
}

// Usage is what a client used in its budget period (all time without a
// budget), from the request log.
type Usage struct {
	PeriodStart time.Time // zero: all time
	Spend       float64
	Requests    int64
}

// Usage reads c's spend and requests in its current period at now.
func (a Admin) Usage(ctx context.Context, c clients.Client, now time.Time) (Usage, error) {
	since := clients.PeriodStart(c.Period, now, a.Location)
	spend, n, err := a.Store.ClientSpend(ctx, c.Name, since)
	if err != nil {
		return Usage{}, fmt.Errorf("usage of client %q: %w", c.Name, err)
	}
	return Usage{PeriodStart: since, Spend: spend, Requests: n}, nil
}

package cmd

import (
	"context"
	"fmt"
	"strings"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// catalogEnv is what the catalog and alias commands work on: the config,
// the aliases, a registry filled like a running server's, and the
// database when it could be opened.
type catalogEnv struct {
	cfg *config.Config
	// redirect is the redirect file (aliases and routes); aliases is
	// redirect.Aliases.
	redirect config.Redirect
	aliases  config.Aliases
	reg      *provider.Registry
	db       *store.DB
	dbErr    error
	// aliasErr: the redirect file could not be read; aliases is empty.
	aliasErr error
}

// openCatalogEnv loads everything. A broken redirect file is an error
// only when strictAliases is set (alias commands must not overwrite a file
// they could not read); the database is opened and its models loaded
// unless that fails, which is kept in dbErr for the caller to judge.
func openCatalogEnv(ctx context.Context, d dbDeps, strictAliases bool) (*catalogEnv, error) {
	cfg, err := d.config()
	if err != nil {
		return nil, err
	}
	e := &catalogEnv{cfg: cfg}
	e.redirect, e.aliasErr = config.LoadRedirect(cfg.RedirectPath())
	if e.aliasErr != nil {
		if strictAliases {
			return nil, fmt.Errorf("%w\nfix the file by hand first; it is left untouched", e.aliasErr)
		}
		e.redirect = config.Redirect{Path: cfg.RedirectPath(), Aliases: config.Aliases{}, Routes: config.Routes{}}
	}
	e.aliases = e.redirect.Aliases
	e.reg = provider.NewRegistry(cfg, e.aliases)
	e.reg.SetRoutes(e.redirect.Routes)
	e.db, e.dbErr = d.openStore(ctx, cfg.Database)
	if e.dbErr == nil {
		if err := catalog.LoadInto(ctx, e.db, e.reg); err != nil {
			e.dbErr = err
		}
	}
	return e, nil
}

func (e *catalogEnv) Close() {
	if e.db != nil {
		e.db.Close()
	}
}

// needDB returns the database or an error that says what to check.
func (e *catalogEnv) needDB() (*store.DB, error) {
	if e.db == nil {
		return nil, fmt.Errorf("open the database (%s %s): %w; check [database] in %s",
			e.cfg.Database.Driver, redactPassword(e.cfg.Database.DSN), e.dbErr, e.cfg.Path)
	}
	if e.dbErr != nil {
		return nil, e.dbErr
	}
	return e.db, nil
}

func (e *catalogEnv) provider(name string) (*provider.Provider, error) {
	return lookupProvider(e.reg, e.cfg.Path, name)
}

// lookupProvider finds a provider or says which ones there are.
func lookupProvider(reg *provider.Registry, cfgPath, name string) (*provider.Provider, error) {
	if p, ok := reg.Get(name); ok {
		return p, nil
	}
	return nil, fmt.Errorf("no provider %q in %s (providers: %s)", name, cfgPath, joinOrNone(providerNames(reg)))
}

func providerNames(reg *provider.Registry) []string {
	var names []string
	for _, p := range reg.Providers() {
		names = append(names, p.Name)
	}
	return names
}

// redactPassword hides the password of a URL's user info
// (postgres://user:***@host/db, https://user:***@host/v1) or of a
// key=value DSN (password=***).
func redactPassword(s string) string {
	if i := strings.Index(s, "://"); i >= 0 {
		rest := s[i+3:]
		authority := rest
		if j := strings.IndexAny(rest, "/?#"); j >= 0 {
			authority = rest[:j]
		}
		if at := strings.LastIndex(authority, "@"); at >= 0 {
			if user, _, ok := strings.Cut(authority[:at], ":"); ok {
				return s[:i+3] + user + ":***" + rest[at:]
			}
		}
		return s
	}
	fields := strings.Fields(s)
	for j, f := range fields {
		if strings.HasPrefix(strings.ToLower(f), "password=") {
			fields[j] = "password=***"
		}
	}
	return strings.Join(fields, " ")
}

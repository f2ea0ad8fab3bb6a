package provider

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync/atomic"

	"github.com/aigw/aigw/internal/config"
)

// Provider is one configured upstream.
type Provider struct {
	config.Provider
	Pool   *Pool
	static map[string]struct{}
}

// HasStatic reports whether model is in the provider's static list.
func (p *Provider) HasStatic(model string) bool {
	_, ok := p.static[model]
	return ok
}

// FetchedModel is a model id the user added from the upstream list.
type FetchedModel struct {
	ID      string
	OwnedBy string
	Created int64
}

// catalog is an immutable snapshot of fetched models per provider; it is
// swapped whole when the database changes.
type catalog struct {
	byProvider map[string][]FetchedModel
	index      map[string]map[string]struct{}
}

// Registry holds the providers in config order, the aliases and the fetched
// model catalog. Aliases and catalog are swapped atomically so requests in
// flight never see half an update.
type Registry struct {
	providers       []*Provider
	byName          map[string]*Provider
	defaultProvider string
	aliases         atomic.Pointer[config.Aliases]
	routes          atomic.Pointer[config.Routes]
	catalog         atomic.Pointer[catalog]
	redactor        *strings.Replacer
}

// NewRegistry builds the registry from a validated config.
func NewRegistry(cfg *config.Config, aliases config.Aliases) *Registry {
	r := &Registry{byName: map[string]*Provider{}, defaultProvider: cfg.Server.DefaultProvider}
	for _, pc := range cfg.Providers {
		p := &Provider{Provider: pc, Pool: NewPool(pc.APIKeys, pc.Strategy), static: map[string]struct{}{}}
		for _, m := range pc.Models {
			p.static[m] = struct{}{}
		}
		r.providers = append(r.providers, p)
		r.byName[p.Name] = p
	}
	r.redactor = newRedactor(r.providers)
	r.SetAliases(aliases)
	r.SetRoutes(nil)
	r.SetFetched(nil)
	return r
}

// Providers returns the providers in config order.
func (r *Registry) Providers() []*Provider { return r.providers }

// ProviderNames returns the provider names in config order.
func (r *Registry) ProviderNames() []string {
	names := make([]string, len(r.providers))
	for i, p := range r.providers {
		names[i] = p.Name
	}
	return names
}

// Lists reports whether some provider lists model as is (static or
// fetched): a model id holding a '/' (OpenRouter-style) is then a model,
// not a provider prefix.
func (r *Registry) Lists(model string) bool {
	for _, p := range r.providers {
		if r.Knows(p, model) {
			return true
		}
	}
	return false
}

// Get returns a provider by name.
func (r *Registry) Get(name string) (*Provider, bool) {
	p, ok := r.byName[name]
	return p, ok
}

// SetAliases replaces the alias table.
func (r *Registry) SetAliases(a config.Aliases) {
	if a == nil {
		a = config.Aliases{}
	}
	r.aliases.Store(&a)
}

// Aliases returns the alias table in force.
func (r *Registry) Aliases() config.Aliases { return *r.aliases.Load() }

// SetFetched replaces the fetched-model catalog.
func (r *Registry) SetFetched(byProvider map[string][]FetchedModel) {
	c := &catalog{byProvider: byProvider, index: map[string]map[string]struct{}{}}
	for prov, models := range byProvider {
		set := make(map[string]struct{}, len(models))
		for _, m := range models {
			set[m.ID] = struct{}{}
		}
		c.index[prov] = set
	}
	r.catalog.Store(c)
}

// Fetched returns the fetched models of a provider.
func (r *Registry) Fetched(provider string) []FetchedModel {
	return r.catalog.Load().byProvider[provider]
}

// Knows reports whether model is in p's static or fetched list.
func (r *Registry) Knows(p *Provider, model string) bool {
	if p.HasStatic(model) {
		return true
	}
	_, ok := r.catalog.Load().index[p.Name][model]
	return ok
}

// Route is the outcome of model resolution.
type Route struct {
	Provider      *Provider
	Requested     string // the model the client asked for
	Resolved      string // after aliases
	UpstreamModel string // what the upstream receives
}

// ErrModelNotFound is returned when no resolution rule matches.
var ErrModelNotFound = errors.New("model not found")

// Resolve applies the resolution rules in order: aliases, provider prefix, known lists, default.
func (r *Registry) Resolve(model string) (Route, error) {
	resolved, err := r.Aliases().Resolve(model)
	if err != nil {
		return Route{Requested: model}, fmt.Errorf("%w: %v", ErrModelNotFound, err)
	}
	return r.resolveResolved(model, resolved)
}

// resolveResolved applies the rules after the aliases to resolved, the
// name model's aliases led to: provider prefix, known lists, default.
func (r *Registry) resolveResolved(model, resolved string) (Route, error) {
	route := Route{Requested: model, Resolved: resolved}
	if prefix, rest, ok := strings.Cut(resolved, "/"); ok && rest != "" {
		if p, ok := r.byName[prefix]; ok {
			route.Provider, route.UpstreamModel = p, rest
			return route, nil
		}
	}
	for _, p := range r.providers {
		if r.Knows(p, resolved) {
			route.Provider, route.UpstreamModel = p, resolved
			return route, nil
		}
	}
	if r.defaultProvider != "" {
		route.Provider, route.UpstreamModel = r.byName[r.defaultProvider], resolved
		return route, nil
	}
	return route, ErrModelNotFound
}

// ModelEntry is one line of GET /v1/models.
type ModelEntry struct {
	ID      string // provider/model, or an alias
	Created int64
	OwnedBy string
	Source  string // static | fetched | alias | route
	Target  string // for aliases: what it points to; for routes: the targets joined with ", "
}

// Models lists every provider/model (static then fetched, in config order)
// followed by the aliases and the routes, without duplicates. An alias or
// a route is owned by the provider of its first target that resolves.
func (r *Registry) Models() []ModelEntry {
	var out []ModelEntry
	seen := map[string]bool{}
	add := func(e ModelEntry) {
		if !seen[e.ID] {
			seen[e.ID] = true
			out = append(out, e)
		}
	}
	cat := r.catalog.Load()
	for _, p := range r.providers {
		for _, m := range p.Models {
			add(ModelEntry{ID: p.Name + "/" + m, OwnedBy: p.Name, Source: "static"})
		}
		fetched := append([]FetchedModel(nil), cat.byProvider[p.Name]...)
		sort.SliceStable(fetched, func(i, j int) bool { return fetched[i].ID < fetched[j].ID })
		for _, m := range fetched {
			owner := m.OwnedBy
			if owner == "" {
				owner = p.Name
			}
			add(ModelEntry{ID: p.Name + "/" + m.ID, Created: m.Created, OwnedBy: owner, Source: "fetched"})
		}
	}
	aliases := r.Aliases()
	for _, name := range aliases.Names() {
		add(ModelEntry{ID: name, OwnedBy: r.owner(name, "alias"), Source: "alias", Target: aliases[name]})
	}
	routes := r.Routes()
	for _, name := range routes.Names() {
		add(ModelEntry{ID: name, OwnedBy: r.owner(name, "route"), Source: "route", Target: strings.Join(routes[name].Targets, ", ")})
	}
	return out
}

// owner is the provider of name's first resolving target, or fallback.
func (r *Registry) owner(name, fallback string) string {
	if res, err := r.ResolveAll(name); err == nil && res.Targets[0].Provider != nil {
		return res.Targets[0].Provider.Name
	}
	return fallback
}

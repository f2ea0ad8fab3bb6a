package catalog

import (
	"context"
	"fmt"
	"time"

	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// Store is the part of the database the catalog needs; *store.DB
// implements it. Kept as an interface so the gateway's admin endpoints can
// run without a database (nil) and tests can use a fake.
type Store interface {
	AddCachedModels(ctx context.Context, provider string, models []store.CachedModel) (added, existing []string, err error)
	ListCachedModels(ctx context.Context, provider string) ([]store.CachedModel, error)
	RemoveCachedModel(ctx context.Context, provider, modelID string) (bool, error)
}

// AddResult says which ids a store call added and which were already there.
type AddResult struct {
	Provider string   `json:"provider"`
	Added    []string `json:"added"`
	Existing []string `json:"existing"`
}

// Add stores models as provider's fetched models, stamped with now. Adding
// an id that is already there changes nothing and reports it as existing,
// so running `models fetch --add` twice is harmless.
func Add(ctx context.Context, st Store, providerName string, models []Model, now time.Time) (AddResult, error) {
	res := AddResult{Provider: providerName, Added: []string{}, Existing: []string{}}
	if len(models) == 0 {
		return res, nil
	}
	rows := make([]store.CachedModel, 0, len(models))
	for _, m := range models {
		rows = append(rows, store.CachedModel{Provider: providerName, ModelID: m.ID, OwnedBy: m.OwnedBy, Created: m.Created, CachedAt: now})
	}
	added, existing, err := st.AddCachedModels(ctx, providerName, rows)
	if err != nil {
		return res, fmt.Errorf("store models of %s in the catalog: %w", providerName, err)
	}
	if added != nil {
		res.Added = added
	}
	if existing != nil {
		res.Existing = existing
	}
	return res, nil
}

// Added returns the set of model ids stored for providerName.
func Added(ctx context.Context, st Store, providerName string) (map[string]bool, error) {
	rows, err := st.ListCachedModels(ctx, providerName)
	if err != nil {
		return nil, fmt.Errorf("read the model catalog: %w", err)
	}
	set := make(map[string]bool, len(rows))
	for _, r := range rows {
		set[r.ModelID] = true
	}
	return set, nil
}

// LoadInto replaces reg's fetched models by what the store holds, the way
// a running server does when the catalog changes.
func LoadInto(ctx context.Context, st Store, reg *provider.Registry) error {
	rows, err := st.ListCachedModels(ctx, "")
	if err != nil {
		return fmt.Errorf("read the model catalog: %w", err)
	}
	by := map[string][]provider.FetchedModel{}
	for _, m := range rows {
		by[m.Provider] = append(by[m.Provider], provider.FetchedModel{ID: m.ModelID, OwnedBy: m.OwnedBy, Created: m.Created})
	}
	reg.SetFetched(by)
	return nil
}

package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/changes"
)

// cliFetchTimeout bounds one upstream model-list fetch from the CLI.
const cliFetchTimeout = 60 * time.Second

func newCmdModels(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "models",
		Short: "Fetch upstream model lists, add models to the catalog, list what is served",
	}
	c.AddCommand(newCmdModelsFetch(f, nil), newCmdModelsList(f, nil), newCmdModelsRm(f, nil))
	return c
}

// ---- models fetch ----

type modelsFetchOptions struct {
	dbDeps
	out, errOut io.Writer
	httpClient  *http.Client
	now         func() time.Time

	provider string
	add      bool
	match    string
	json     bool
}

func newCmdModelsFetch(f *factory, runF func(*modelsFetchOptions) error) *cobra.Command {
	o := &modelsFetchOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut, httpClient: f.httpClient, now: f.now}
	c := &cobra.Command{
		Use:   "fetch <provider>",
		Short: "Ask a provider's upstream which models it serves; --add stores them in the catalog",
		Long: "Ask a provider's upstream for its model list (OpenAI: GET {base_url}/models; Anthropic: GET /v1/models,\n" +
			"every page) with the pool's first usable key (the next one when a key is rejected with\n" +
			"401/403), and mark the ids already in the catalog.\n" +
			"--add stores the listed ids (only those matching --match, when given) so that /v1/models and\n" +
			"routing know them; a running `aigw serve` picks them up within a few seconds.\n" +
			"--match takes a shell glob on the model id ('gpt-4o*', '*sonnet*'); '*' also matches '/'.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.provider = args[0]
			if err := catalog.ValidatePattern(o.match); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runModelsFetch(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.add, "add", false, "store the listed (matched) ids in the catalog")
	c.Flags().StringVar(&o.match, "match", "", "only ids matching this shell glob")
	c.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return c
}

// fetchRow is one line of `models fetch`.
type fetchRow struct {
	catalog.Model
	// Added: the id is in the catalog (after this command's --add).
	Added bool `json:"added"`
	// NewlyAdded: this command stored it.
	NewlyAdded bool `json:"newly_added,omitempty"`
	// Static: the id is also in the provider's static models list.
	Static bool `json:"static,omitempty"`
}

func runModelsFetch(ctx context.Context, o *modelsFetchOptions) error {
	out, errOut := o.out, o.errOut
	env, err := openCatalogEnv(ctx, o.dbDeps, false)
	if err != nil {
		return err
	}
	defer env.Close()
	p, err := env.provider(o.provider)
	if err != nil {
		return err
	}
	if o.add {
		if _, err := env.needDB(); err != nil {
			return err
		}
	}

	timeout := min(p.Timeout, cliFetchTimeout)
	fctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	all, hint, err := catalog.Fetch(fctx, o.httpClient, p)
	if err != nil {
		return fmt.Errorf("%w\ncheck base_url and the key (aigw keys test %s)", err, p.Name)
	}
	models, err := catalog.Filter(all, o.match)
	if err != nil {
		return err
	}

	added := map[string]bool{}
	switch {
	case env.db != nil:
		if added, err = catalog.Added(ctx, env.db, p.Name); err != nil {
			return err
		}
	case !o.json:
		fmt.Fprintf(errOut, "warning: cannot read the catalog (%v): the added column is unknown\n", env.dbErr)
	}
	var res catalog.AddResult
	if o.add {
		if res, err = catalog.Add(ctx, env.db, p.Name, models, o.now().In(env.cfg.Location())); err != nil {
			return err
		}
		if len(res.Added) > 0 {
			o.announce(ctx, o.errOut, changes.Catalog)
		}
	}
	newly := map[string]bool{}
	for _, id := range res.Added {
		newly[id] = true
	}

	rows := make([]fetchRow, 0, len(models))
	for _, m := range models {
		rows = append(rows, fetchRow{Model: m, Added: added[m.ID] || newly[m.ID], NewlyAdded: newly[m.ID], Static: p.HasStatic(m.ID)})
	}
	if o.json {
		return writeJSON(out, rows)
	}

	if o.match != "" {
		fmt.Fprintf(out, "%s lists %d models (key %s); %d match %q\n", p.Name, len(all), hint, len(models), o.match)
	} else {
		fmt.Fprintf(out, "%s lists %d models (key %s)\n", p.Name, len(all), hint)
	}
	t := newTable(out, "id", "created", "owned_by", "added")
	loc := env.cfg.Location()
	for _, r := range rows {
		mark := "no"
		switch {
		case r.NewlyAdded:
			mark = "yes (new)"
		case r.Added:
			mark = "yes"
		case env.db == nil:
			mark = "?"
		}
		if r.Static {
			mark += ", static"
		}
		owner := r.OwnedBy
		if owner == "" {
			owner = "-"
		}
		t.row(r.ID, formatCreated(r.Created, loc), owner, mark)
	}
	t.render()

	if !o.add {
		fmt.Fprintf(out, "add them with: aigw models fetch %s --add%s\n", p.Name, matchFlag(o.match))
		return nil
	}
	fmt.Fprintf(out, "added %d: %s\n", len(res.Added), joinOrNone(res.Added))
	fmt.Fprintf(out, "already there %d: %s\n", len(res.Existing), joinOrNone(res.Existing))
	if len(res.Added) > 0 {
		fmt.Fprintln(out, "a running aigw serve picks them up within a few seconds")
	}
	return nil
}

func matchFlag(pattern string) string {
	if pattern == "" {
		return ""
	}
	return fmt.Sprintf(" --match '%s'", pattern)
}

// ---- models list ----

type modelsListOptions struct {
	dbDeps
	out, errOut io.Writer

	provider string
	json     bool
}

func newCmdModelsList(f *factory, runF func(*modelsListOptions) error) *cobra.Command {
	o := &modelsListOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut}
	c := &cobra.Command{
		Use:   "list",
		Short: "Show exactly what GET /v1/models serves, and where each entry comes from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return runModelsList(cmd.Context(), o)
		},
	}
	c.Flags().StringVar(&o.provider, "provider", "", "only models served by this provider")
	c.Flags().BoolVar(&o.json, "json", false, "print a JSON array")
	return c
}

// listRow is one line of `models list`.
type listRow struct {
	ID       string `json:"id"`
	Source   string `json:"source"`   // static | fetched | alias
	Provider string `json:"provider"` // serving provider; "" for an alias that does not resolve
	Target   string `json:"target,omitempty"`
	OwnedBy  string `json:"owned_by"`
	Created  int64  `json:"created"`
}

func runModelsList(ctx context.Context, o *modelsListOptions) error {
	out, errOut := o.out, o.errOut
	env, err := openCatalogEnv(ctx, o.dbDeps, false)
	if err != nil {
		return err
	}
	defer env.Close()
	if env.dbErr != nil {
		fmt.Fprintf(errOut, "warning: fetched models not shown: %v\n", env.dbErr)
	}
	if env.aliasErr != nil {
		fmt.Fprintf(errOut, "warning: aliases not shown: %v\n", env.aliasErr)
	}
	if o.provider != "" {
		if _, err := env.provider(o.provider); err != nil {
			return err
		}
	}
	rows := []listRow{}
	for _, e := range env.reg.Models() {
		r := listRow{ID: e.ID, Source: e.Source, Target: e.Target, OwnedBy: e.OwnedBy, Created: e.Created}
		if e.Source == "alias" {
			if route, err := env.reg.Resolve(e.ID); err == nil {
				r.Provider = route.Provider.Name
			}
		} else {
			r.Provider, _, _ = strings.Cut(e.ID, "/")
		}
		if o.provider != "" && r.Provider != o.provider {
			continue
		}
		rows = append(rows, r)
	}
	if o.json {
		return writeJSON(out, rows)
	}
	t := newTable(out, "model", "source", "provider", "target", "owned_by", "created")
	loc := env.cfg.Location()
	for _, r := range rows {
		prov := r.Provider
		if prov == "" {
			prov = "(none: 404)"
		}
		t.row(r.ID, r.Source, prov, r.Target, r.OwnedBy, formatCreated(r.Created, loc))
	}
	t.render()
	fmt.Fprintf(out, "%d models\n", len(rows))
	return nil
}

// ---- models rm ----

type modelsRmOptions struct {
	dbDeps
	out io.Writer
	// ref is the model to remove, as provider/model.
	ref string
}

func newCmdModelsRm(f *factory, runF func(*modelsRmOptions) error) *cobra.Command {
	o := &modelsRmOptions{dbDeps: f.dbDeps(), out: f.out}
	return &cobra.Command{
		Use:   "rm <provider/model>",
		Short: "Remove a fetched model from the catalog",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.ref = args[0]
			if runF != nil {
				return runF(o)
			}
			return runModelsRm(cmd.Context(), o)
		},
	}
}

func runModelsRm(ctx context.Context, o *modelsRmOptions) error {
	ref := o.ref
	prov, model, ok := strings.Cut(ref, "/")
	if !ok || prov == "" || model == "" {
		return fmt.Errorf("give the model as provider/model, e.g. openai/gpt-4o (got %q)", ref)
	}
	env, err := openCatalogEnv(ctx, o.dbDeps, false)
	if err != nil {
		return err
	}
	defer env.Close()
	db, err := env.needDB()
	if err != nil {
		return err
	}
	removed, err := db.RemoveCachedModel(ctx, prov, model)
	if err != nil {
		return fmt.Errorf("remove %s from the catalog: %w", ref, err)
	}
	if removed {
		o.announce(ctx, io.Discard, changes.Catalog)
	}
	if !removed {
		msg := fmt.Sprintf("%s is not in the catalog (aigw models list --provider %s shows what is)", ref, prov)
		if p, ok := env.reg.Get(prov); ok && p.HasStatic(model) {
			msg = fmt.Sprintf("%s is a static model: remove it from models of provider %s in %s", ref, prov, env.cfg.Path)
		}
		return errors.New(msg)
	}
	fmt.Fprintf(o.out, "removed %s from the catalog; a running aigw serve drops it within a few seconds\n", ref)
	return nil
}

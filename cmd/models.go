package cmd

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/spf13/cobra"

	"github.com/aigw/aigw/pkg/catalog"
	"github.com/aigw/aigw/pkg/config"
	"github.com/aigw/aigw/pkg/provider"
	"github.com/aigw/aigw/pkg/store"
)

func init() { extraCommands = append(extraCommands, newModelsCmd) }

// cliFetchTimeout bounds one upstream model-list fetch from the CLI.
const cliFetchTimeout = 60 * time.Second

func newModelsCmd(g *globalOptions) *cobra.Command {
	c := &cobra.Command{
		Use:   "models",
		Short: "Fetch upstream model lists, add models to the catalog, list what is served",
	}
	c.AddCommand(newModelsFetchCmd(g), newModelsListCmd(g), newModelsRmCmd(g))
	return c
}

// catalogEnv is what the catalog commands work on: the config, the
// aliases, a registry filled like a running server's, and the database
// when it could be opened.
type catalogEnv struct {
	cfg     *config.Config
	aliases config.Aliases
	reg     *provider.Registry
	db      *store.DB
	dbErr   error
	// aliasErr: the redirect file could not be read; aliases is empty.
	aliasErr error
}

// openCatalogEnv loads everything. A broken redirect file is an error
// only when strictAliases is set (alias commands must not overwrite a file
// they could not read); the database is opened and its models loaded
// unless that fails, which is kept in dbErr for the caller to judge.
func openCatalogEnv(ctx context.Context, g *globalOptions, strictAliases bool) (*catalogEnv, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, err
	}
	e := &catalogEnv{cfg: cfg}
	e.aliases, e.aliasErr = config.LoadAliases(cfg.RedirectPath())
	if e.aliasErr != nil {
		if strictAliases {
			return nil, fmt.Errorf("%w\nfix the file by hand first; it is left untouched", e.aliasErr)
		}
		e.aliases = config.Aliases{}
	}
	e.reg = provider.NewRegistry(cfg, e.aliases)
	e.db, e.dbErr = store.Open(ctx, cfg.Database)
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
			e.cfg.Database.Driver, redactDSN(e.cfg.Database.DSN), e.dbErr, e.cfg.Path)
	}
	if e.dbErr != nil {
		return nil, e.dbErr
	}
	return e.db, nil
}

func (e *catalogEnv) provider(name string) (*provider.Provider, error) {
	if p, ok := e.reg.Get(name); ok {
		return p, nil
	}
	return nil, fmt.Errorf("no provider %q in %s (providers: %s)", name, e.cfg.Path, strings.Join(providerNames(e.reg), ", "))
}

func providerNames(reg *provider.Registry) []string {
	var names []string
	for _, p := range reg.Providers() {
		names = append(names, p.Name)
	}
	return names
}

func newTable(w io.Writer, header ...any) table.Writer {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(table.Row(header))
	return t
}

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// formatCreated prints a unix time as a date in the configured zone.
func formatCreated(unix int64, loc *time.Location) string {
	if unix <= 0 {
		return "-"
	}
	return time.Unix(unix, 0).In(loc).Format("2006-01-02")
}

// ---- models fetch ----

type modelsFetchOptions struct {
	provider string
	add      bool
	match    string
	json     bool
}

func newModelsFetchCmd(g *globalOptions) *cobra.Command {
	o := &modelsFetchOptions{}
	c := &cobra.Command{
		Use:   "fetch <provider>",
		Short: "Ask a provider's upstream which models it serves; --add stores them in the catalog",
		Long: "Ask a provider's upstream for its model list (OpenAI: GET {base_url}/models; Anthropic: GET /v1/models,\n" +
			"every page) with the pool's first usable key, and mark the ids already in the catalog.\n" +
			"--add stores the listed ids (only those matching --match, when given) so that /v1/models and\n" +
			"routing know them; a running `aigw serve` picks them up within a few seconds.\n" +
			"--match takes a shell glob on the model id ('gpt-4o*', '*sonnet*'); '*' also matches '/'.",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			o.provider = args[0]
			return runModelsFetch(cmd.Context(), g, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
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

func runModelsFetch(ctx context.Context, g *globalOptions, out, errOut io.Writer, o *modelsFetchOptions) error {
	if err := catalog.ValidatePattern(o.match); err != nil {
		return err
	}
	env, err := openCatalogEnv(ctx, g, false)
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
	all, hint, err := catalog.Fetch(fctx, &http.Client{}, p)
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
		if res, err = catalog.Add(ctx, env.db, p.Name, models, time.Now().In(env.cfg.Location())); err != nil {
			return err
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
		t.AppendRow(table.Row{r.ID, formatCreated(r.Created, loc), owner, mark})
	}
	t.Render()

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

func joinOrNone(ids []string) string {
	if len(ids) == 0 {
		return "-"
	}
	return strings.Join(ids, ", ")
}

// ---- models list ----

type modelsListOptions struct {
	provider string
	json     bool
}

func newModelsListCmd(g *globalOptions) *cobra.Command {
	o := &modelsListOptions{}
	c := &cobra.Command{
		Use:   "list",
		Short: "Show exactly what GET /v1/models serves, and where each entry comes from",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runModelsList(cmd.Context(), g, cmd.OutOrStdout(), cmd.ErrOrStderr(), o)
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

func runModelsList(ctx context.Context, g *globalOptions, out, errOut io.Writer, o *modelsListOptions) error {
	env, err := openCatalogEnv(ctx, g, false)
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
		t.AppendRow(table.Row{r.ID, r.Source, prov, r.Target, r.OwnedBy, formatCreated(r.Created, loc)})
	}
	t.Render()
	fmt.Fprintf(out, "%d models\n", len(rows))
	return nil
}

// ---- models rm ----

func newModelsRmCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "rm <provider/model>",
		Short: "Remove a fetched model from the catalog",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runModelsRm(cmd.Context(), g, cmd.OutOrStdout(), args[0])
		},
	}
}

func runModelsRm(ctx context.Context, g *globalOptions, out io.Writer, ref string) error {
	prov, model, ok := strings.Cut(ref, "/")
	if !ok || prov == "" || model == "" {
		return fmt.Errorf("give the model as provider/model, e.g. openai/gpt-4o (got %q)", ref)
	}
	env, err := openCatalogEnv(ctx, g, false)
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
	if !removed {
		msg := fmt.Sprintf("%s is not in the catalog (aigw models list --provider %s shows what is)", ref, prov)
		if p, ok := env.reg.Get(prov); ok && p.HasStatic(model) {
			msg = fmt.Sprintf("%s is a static model: remove it from models of provider %s in %s", ref, prov, env.cfg.Path)
		}
		return errors.New(msg)
	}
	fmt.Fprintf(out, "removed %s from the catalog; a running aigw serve drops it within a few seconds\n", ref)
	return nil
}

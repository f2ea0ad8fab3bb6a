package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/clientadmin"
	"github.com/aigw/aigw/internal/clients"
)

func newCmdClients(f *factory) *cobra.Command {
	c := &cobra.Command{
		Use:   "clients",
		Short: "Issue and manage client keys: model allowlists, rate limits, budgets, expiry",
		Long: "Client keys (sk-aigw-...) are keys aigw issues to its own users, each with a name, an\n" +
			"optional model allowlist (globs; * matches any characters, / included), rpm and tpm limits,\n" +
			"a budget per day, week, month or in total (in the price table's currency), and an expiry.\n" +
			"A key is printed once, by create and rotate: the database keeps only its SHA-256.",
	}
	c.AddCommand(
		newCmdClientsCreate(f, nil),
		newCmdClientsList(f, nil),
		newCmdClientsShow(f, nil),
		newCmdClientsUpdate(f, nil),
		newCmdClientsSetDisabled(f, true, nil),
		newCmdClientsSetDisabled(f, false, nil),
		newCmdClientsRotate(f, nil),
		newCmdClientsRm(f, nil),
	)
	return c
}

// keyWarning follows every printed key.
const keyWarning = "Store this key now: it is shown only this once. aigw keeps only its hash and cannot show it again (a lost key is replaced with: aigw clients rotate %s)."

// ---- clients create ----

type clientsCreateOptions struct {
	dbDeps
	out, errOut io.Writer
	now         func() time.Time
	name        string
	edit        clients.Edit
	json        bool
}

func newCmdClientsCreate(f *factory, runF func(*clientsCreateOptions) error) *cobra.Command {
	o := &clientsCreateOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut, now: f.now}
	var lf clientLimitFlags
	c := &cobra.Command{
		Use:   "create NAME",
		Short: "Create a client and print its key (once)",
		Example: "  aigw clients create alice --models \"gpt-4o*,smart\" --budget 50 --period month\n" +
			"  aigw clients create ci --rpm 60 --expires 2026-12-31 --note \"CI runner\"",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.name, err = clientName(args); err != nil {
				return err
			}
			if o.edit, err = lf.parse(cmd.Flags().Changed); err != nil {
				return err
			}
			if (o.edit.Budget == nil) != (o.edit.Period == nil) {
				return errors.New("--budget and --period go together: e.g. --budget 10 --period month")
			}
			if runF != nil {
				return runF(o)
			}
			return runClientsCreate(cmd.Context(), o)
		},
	}
	lf.register(c.Flags(), false)
	c.Flags().BoolVar(&o.json, "json", false, "print the client and its key as JSON")
	return c
}

func runClientsCreate(ctx context.Context, o *clientsCreateOptions) error {
	db, err := o.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	now := o.now()
	res, err := clientAdmin(db, o.dbDeps, o.errOut).Create(ctx, o.name, o.edit, now)
	if err != nil {
		return refused(err)
	}
	if res.Warning != "" {
		fmt.Fprintln(o.errOut, "warning:", res.Warning)
	}
	return printNewKey(o.out, o.errOut, o.json, "created", res.Client, res.Key, db.Location(), now)
}

// printNewKey prints a key just made, the one time it is ever shown.
func printNewKey(out, errOut io.Writer, asJSON bool, verb string, cl clients.Client, key string, loc *time.Location, now time.Time) error {
	warning := fmt.Sprintf(keyWarning, cl.Name)
	if asJSON {
		fmt.Fprintln(errOut, warning)
		return writeJSON(out, struct {
			Key string `json:"key"`
			clientView
		}{key, newClientView(cl, loc, now, nil)})
	}
	fmt.Fprintf(out, "%s client %s\n\n    %s\n\n", verb, escapeCell(cl.Name), key)
	fmt.Fprintln(out, warning)
	return nil
}

// ---- clients list ----

type clientsListOptions struct {
	dbDeps
	out  io.Writer
	now  func() time.Time
	json bool
}

func newCmdClientsList(f *factory, runF func(*clientsListOptions) error) *cobra.Command {
	o := &clientsListOptions{dbDeps: f.dbDeps(), out: f.out, now: f.now}
	c := &cobra.Command{
		Use:   "list",
		Short: "List clients with their limits and this period's spend",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(o)
			}
			return runClientsList(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "a JSON array")
	return c
}

func runClientsList(ctx context.Context, o *clientsListOptions) error {
	db, err := o.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	all, err := db.Clients(ctx)
	if err != nil {
		return err
	}
	now := o.now()
	admin := clientAdmin(db, o.dbDeps, io.Discard)
	views := make([]clientView, 0, len(all))
	for _, c := range all {
		u, err := admin.Usage(ctx, c, now)
		if err != nil {
			return err
		}
		views = append(views, newClientView(c, db.Location(), now, &u))
	}
	if o.json {
		return writeJSON(o.out, views)
	}
	if len(views) == 0 {
		fmt.Fprintln(o.out, "no clients yet: aigw clients create NAME makes one")
		return nil
	}
	t := newTable(o.out, "name", "key", "models", "rpm", "tpm", "budget", "spent", "expires", "state")
	t.alignRight(4, 5, 7)
	for _, v := range views {
		t.row(v.Name, v.KeyHint, v.modelsText(), limitText(v.RPM), limitText(v.TPM), v.budgetText(),
			v.spentText(), v.expiresText(), v.State)
	}
	t.render()
	return nil
}

// ---- clients show ----

type clientsShowOptions struct {
	dbDeps
	out  io.Writer
	now  func() time.Time
	name string
	json bool
}

func newCmdClientsShow(f *factory, runF func(*clientsShowOptions) error) *cobra.Command {
	o := &clientsShowOptions{dbDeps: f.dbDeps(), out: f.out, now: f.now}
	c := &cobra.Command{
		Use:   "show NAME",
		Short: "Show one client: limits, state and this period's spend",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.name, err = clientName(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runClientsShow(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "a JSON object")
	return c
}

func runClientsShow(ctx context.Context, o *clientsShowOptions) error {
	db, err := o.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	c, err := db.ClientByName(ctx, o.name)
	if err != nil {
		return notFound(err)
	}
	now := o.now()
	u, err := clientAdmin(db, o.dbDeps, io.Discard).Usage(ctx, c, now)
	if err != nil {
		return err
	}
	v := newClientView(c, db.Location(), now, &u)
	if o.json {
		return writeJSON(o.out, v)
	}
	since := "all time"
	if v.PeriodStart != nil {
		since = "since " + v.PeriodStart.Format("2006-01-02 15:04 -07:00")
	}
	lines := [][2]string{
		{"name", v.Name},
		{"key", v.KeyHint},
		{"state", v.State},
		{"models", v.modelsText()},
		{"rpm", limitText(v.RPM)},
		{"tpm", limitText(v.TPM)},
		{"budget", v.budgetText()},
		{"spent", fmt.Sprintf("%s in %d requests, %s", strconv.FormatFloat(u.Spend, 'f', 6, 64), u.Requests, since)},
		{"expires", v.expiresText()},
		{"created", v.CreatedAt.Format("2006-01-02 15:04:05 -07:00")},
		{"note", dash(v.Note)},
	}
	for _, l := range lines {
		fmt.Fprintf(o.out, "%-8s %s\n", l[0]+":", escapeCell(l[1]))
	}
	return nil
}

// ---- clients update ----

type clientsUpdateOptions struct {
	dbDeps
	out, errOut io.Writer
	now         func() time.Time
	name        string
	edit        clients.Edit
}

func newCmdClientsUpdate(f *factory, runF func(*clientsUpdateOptions) error) *cobra.Command {
	o := &clientsUpdateOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut, now: f.now}
	var lf clientLimitFlags
	c := &cobra.Command{
		Use:   "update NAME",
		Short: "Change a client's limits; flags not given stay as they are",
		Example: "  aigw clients update alice --rpm 120 --budget 100\n" +
			"  aigw clients update alice --models \"\" --no-budget --no-expiry",
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.name, err = clientName(args); err != nil {
				return err
			}
			if o.edit, err = lf.parse(cmd.Flags().Changed); err != nil {
				return err
			}
			if cmd.Flags().NFlag() == 0 {
				return errors.New("nothing to change: give --models, --rpm, --tpm, --budget, --period, --expires, --note, --no-budget or --no-expiry")
			}
			if runF != nil {
				return runF(o)
			}
			return runClientsUpdate(cmd.Context(), o)
		},
	}
	lf.register(c.Flags(), true)
	return c
}

func runClientsUpdate(ctx context.Context, o *clientsUpdateOptions) error {
	return withClientAdmin(ctx, o.dbDeps, o.errOut, func(a clientadmin.Admin) error {
		res, err := a.Update(ctx, o.name, o.edit, o.now())
		if err != nil {
			return refused(err)
		}
		if res.Warning != "" {
			fmt.Fprintln(o.errOut, "warning:", res.Warning)
		}
		fmt.Fprintf(o.out, "updated client %s; running servers apply it within seconds\n", escapeCell(o.name))
		return nil
	})
}

// withClientAdmin opens the database for one client edit.
func withClientAdmin(ctx context.Context, d dbDeps, errOut io.Writer, run func(clientadmin.Admin) error) error {
	db, err := d.openDB(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	return run(clientAdmin(db, d, errOut))
}

// ---- clients disable / enable ----

type clientsNameOptions struct {
	dbDeps
	out, errOut io.Writer
	now         func() time.Time
	name        string
	json        bool
}

func newCmdClientsSetDisabled(f *factory, disable bool, runF func(*clientsNameOptions) error) *cobra.Command {
	o := &clientsNameOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut, now: f.now}
	use, short := "enable NAME", "Let a disabled client's key work again"
	if disable {
		use, short = "disable NAME", "Refuse a client's key until it is enabled again (its limits are kept)"
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.name, err = clientName(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runClientsSetDisabled(cmd.Context(), o, disable)
		},
	}
}

func runClientsSetDisabled(ctx context.Context, o *clientsNameOptions, disable bool) error {
	return withClientAdmin(ctx, o.dbDeps, o.errOut, func(a clientadmin.Admin) error {
		res, err := a.SetDisabled(ctx, o.name, disable)
		if err != nil {
			return notFound(err)
		}
		c := res.Client
		verb := "enabled"
		if disable {
			verb = "disabled"
		}
		fmt.Fprintf(o.out, "%s client %s; running servers apply it within seconds\n", verb, escapeCell(c.Name))
		if !disable && c.Expired(o.now()) {
			fmt.Fprintf(o.errOut, "warning: the key of %s is expired: aigw clients update %s --expires DATE or --no-expiry\n",
				escapeCell(c.Name), escapeCell(c.Name))
		}
		return nil
	})
}

// ---- clients rotate ----

func newCmdClientsRotate(f *factory, runF func(*clientsNameOptions) error) *cobra.Command {
	o := &clientsNameOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut, now: f.now}
	c := &cobra.Command{
		Use:   "rotate NAME",
		Short: "Replace a client's key with a new one and print it (once); the old key stops working",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.name, err = clientName(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runClientsRotate(cmd.Context(), o)
		},
	}
	c.Flags().BoolVar(&o.json, "json", false, "print the client and its new key as JSON")
	return c
}

func runClientsRotate(ctx context.Context, o *clientsNameOptions) error {
	return withClientAdmin(ctx, o.dbDeps, o.errOut, func(a clientadmin.Admin) error {
		res, err := a.Rotate(ctx, o.name)
		if err != nil {
			return notFound(err)
		}
		return printNewKey(o.out, o.errOut, o.json, "rotated the key of", res.Client, res.Key, a.Location, o.now())
	})
}

// ---- clients rm ----

func newCmdClientsRm(f *factory, runF func(*clientsNameOptions) error) *cobra.Command {
	o := &clientsNameOptions{dbDeps: f.dbDeps(), out: f.out, errOut: f.errOut, now: f.now}
	return &cobra.Command{
		Use:     "rm NAME",
		Aliases: []string{"remove", "delete"},
		Short:   "Delete a client; its key stops working, its log rows keep its name",
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var err error
			if o.name, err = clientName(args); err != nil {
				return err
			}
			if runF != nil {
				return runF(o)
			}
			return runClientsRm(cmd.Context(), o)
		},
	}
}

func runClientsRm(ctx context.Context, o *clientsNameOptions) error {
	return withClientAdmin(ctx, o.dbDeps, o.errOut, func(a clientadmin.Admin) error {
		if err := a.Remove(ctx, o.name); err != nil {
			return notFound(err)
		}
		fmt.Fprintf(o.out, "removed client %s; its log rows keep its name\n", escapeCell(o.name))
		return nil
	})
}

// Package cmd holds aigw's Cobra commands, shaped like the GitHub CLI's:
// each command has an options struct with its flags and its dependencies
// (writers, the config loader, the store opener, an HTTP client, a clock),
// a newCmdX constructor that fills it from the flags, and a runX function
// that does the work, which tests call with fakes. Rendering (tables,
// JSON) lives here; queries live in internal/.
package cmd

import (
	"github.com/gin-gonic/gin"

	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
)

// storeOpener opens the database of a config; store.Open in production.
type storeOpener func(ctx context.Context, cfg config.Database, opts ...store.OpenOption) (*store.DB, error)

// factory holds what commands depend on. The root command builds one;
// tests build their own with buffers, fakes and a pinned clock.
type factory struct {
	out, errOut io.Writer
	// configPath is the --config flag; config loads the file it names
	// (or $AIGW_CONFIG, or the default lookup).
	configPath string
	config     func() (*config.Config, error)
	openStore  storeOpener
	httpClient *http.Client
	now        func() time.Time
}

// newFactory returns the dependencies of a real run, writing to out and errOut.
func newFactory(out, errOut io.Writer) *factory {
	f := &factory{out: out, errOut: errOut, openStore: store.Open, httpClient: &http.Client{}, now: time.Now}
	f.config = func() (*config.Config, error) { return config.Load(f.configPath) }
	return f
}

// newCmdRoot builds the command tree. It takes no package-level state, so
// tests build a fresh tree per case.
func newCmdRoot(f *factory) *cobra.Command {
	root := &cobra.Command{
		Use:           "aigw",
		Short:         "aigw: a fast AI API gateway for OpenAI- and Anthropic-compatible upstreams",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.SetOut(f.out)
	root.SetErr(f.errOut)
	root.PersistentFlags().StringVarP(&f.configPath, "config", "c", "",
		"config file (any name; default $AIGW_CONFIG, ./custom-config.toml, ./config/custom-config.toml)")

	root.AddCommand(
		newCmdVersion(f, nil),
		newCmdServe(f, nil),
		newCmdConfig(f),
		newCmdMock(f, nil),
		newCmdMigrate(f, nil),
		newCmdKeys(f),
		newCmdModels(f),
		newCmdAlias(f),
		newCmdRoute(f),
		newCmdLogs(f),
		newCmdPrices(f),
		newCmdClients(f),
	)
	return root
}

// Execute runs the root command and returns the process exit status.
func Execute() int {
	// Gin's mode is process-wide; the gateway engine sets none itself.
	gin.SetMode(gin.ReleaseMode)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newCmdRoot(newFactory(os.Stdout, os.Stderr))
	if err := root.ExecuteContext(ctx); err != nil {
		var ee *exitError
		if errors.As(err, &ee) {
			if ee.msg != "" {
				fmt.Fprintln(os.Stderr, "aigw:", ee.msg)
			}
			return ee.code
		}
		fmt.Fprintln(os.Stderr, "aigw:", err)
		return 1
	}
	return 0
}

// exitError carries a specific exit status (for example keys test: 1 when a
// key failed, with the table already printed).
type exitError struct {
	code int
	msg  string
}

func (e *exitError) Error() string { return e.msg }

// Package cmd holds aigw's Cobra commands. Commands stay thin: they parse
// flags into an options struct and call into pkg/.
package cmd

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/pkg/config"
)

// globalOptions are the flags every command shares.
type globalOptions struct {
	configPath string
}

// newRootCmd builds the command tree. It takes no package-level state, so
// tests can build a fresh tree per case.
func newRootCmd() *cobra.Command {
	g := &globalOptions{}
	root := &cobra.Command{
		Use:           "aigw",
		Short:         "aigw: a fast AI API gateway for OpenAI- and Anthropic-compatible upstreams",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.PersistentFlags().StringVarP(&g.configPath, "config", "c", "",
		"config file (any name; default $AIGW_CONFIG, ./custom-config.toml, ./config/custom-config.toml)")

	root.AddCommand(
		newVersionCmd(),
		newServeCmd(g),
		newConfigCmd(g),
		newMockCmd(),
	)
	for _, add := range extraCommands {
		root.AddCommand(add(g))
	}
	return root
}

// extraCommands lets command groups in other files register themselves
// without editing this list. It is filled by init functions only, never
// mutated afterwards.
var extraCommands []func(*globalOptions) *cobra.Command

// loadConfig finds and loads the config named by the global flag or env.
func (g *globalOptions) loadConfig() (*config.Config, error) {
	return config.Load(g.configPath)
}

// Execute runs the root command and returns the process exit status.
func Execute() int {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	root := newRootCmd()
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

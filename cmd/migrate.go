package cmd

import (
	"github.com/spf13/cobra"

	"github.com/aigw/aigw/pkg/store"
	"github.com/aigw/aigw/pkg/store/logcli"
)

func init() { extraCommands = append(extraCommands, newMigrateCmd) }

func newMigrateCmd(g *globalOptions) *cobra.Command {
	return &cobra.Command{
		Use:   "migrate",
		Short: "Apply the database migrations embedded in aigw",
		Long: "Apply pending schema migrations to the database of [database] and list them.\n" +
			"serve applies them at start too; with PostgreSQL a lock lets several instances start at once.",
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			db, _, err := openLogDB(cmd.Context(), g, store.WithoutMigrations())
			if err != nil {
				return err
			}
			defer db.Close()
			return logcli.Migrate(cmd.Context(), cmd.OutOrStdout(), db)
		},
	}
}

// Package migrations holds aigw's versioned SQL schema, one set per SQL
// dialect, embedded in the binary so a bare machine needs no files besides
// the config. Migrations are goose-formatted (-- +goose Up / Down).
package migrations

import (
	"embed"
	"fmt"
	"io/fs"
)

// files is read-only: embed.FS cannot be modified after build.
//
//go:embed sqlite/*.sql postgres/*.sql
var files embed.FS

// For returns the migrations of one dialect ("sqlite" or "postgres"),
// rooted so that goose sees the .sql files at the top level.
func For(dialect string) (fs.FS, error) {
	switch dialect {
	case "sqlite", "postgres":
		sub, err := fs.Sub(files, dialect)
		if err != nil {
			return nil, fmt.Errorf("migrations for %s: %w", dialect, err)
		}
		return sub, nil
	default:
		return nil, fmt.Errorf("no migrations for database dialect %q (use sqlite or postgres)", dialect)
	}
}

package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/pkg/config"
)

func TestUpSection(t *testing.T) {
	for _, c := range []struct {
		name, text, want, err string
	}{
		{"up and down", "-- a comment\n-- +goose Up\nCREATE TABLE a (x int);\n-- +goose Down\nDROP TABLE a;\n", "CREATE TABLE a (x int);\n", ""},
		{"up only", "-- +goose Up\nCREATE TABLE a (x int);\nCREATE INDEX i ON a (x);", "CREATE TABLE a (x int);\nCREATE INDEX i ON a (x);", ""},
		{"no up", "CREATE TABLE a (x int);\n", "", "no \"-- +goose Up\" section"},
		{"unsupported annotation", "-- +goose Up\n-- +goose StatementBegin\nSELECT 1;\n", "", "unsupported annotation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := upSection(c.text)
			if c.err != "" {
				require.ErrorContains(t, err, c.err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, c.want, got)
		})
	}
}

// TestMigrationBookkeepingIsGoose's: databases migrated by releases that
// ran pressly/goose, and instances of them started beside this one, read
// the same rows: version 0 at creation, then one applied row per version.
func TestMigrationBookkeepingIsGooses(t *testing.T) {
	forEachDialect(t, func(t *testing.T, cfg config.Database) {
		db := mustOpen(t, cfg)
		rows, err := db.read.Raw("SELECT version_id, is_applied FROM goose_db_version ORDER BY id").Rows()
		require.NoError(t, err)
		defer rows.Close()
		type row struct {
			Version int64
			Applied bool
		}
		var got []row
		for rows.Next() {
			var r row
			require.NoError(t, rows.Scan(&r.Version, &r.Applied))
			got = append(got, r)
		}
		require.NoError(t, rows.Err())
		files, err := loadMigrations(db.dialect)
		require.NoError(t, err)
		want := []row{{0, true}}
		for _, f := range files {
			want = append(want, row{f.version, true})
		}
		assert.Equal(t, want, got)
	})
}

// TestMigrateSkipsWhatGooseApplied: a database whose bookkeeping says a
// version is applied (as goose left it) is not migrated again, and a
// version goose rolled back (its latest row not applied) is.
func TestMigrateSkipsWhatGooseApplied(t *testing.T) {
	db := mustOpen(t, sqliteConfig(t))
	ctx := testCtx(t)
	applied, err := db.Migrate(ctx)
	require.NoError(t, err)
	assert.Empty(t, applied)

	require.NoError(t, db.write.Exec("DROP TABLE request_logs").Error)
	require.NoError(t, db.write.Exec("DROP TABLE cached_models").Error)
	require.NoError(t, db.write.Exec("INSERT INTO goose_db_version (version_id, is_applied) VALUES (1, 0)").Error)
	applied, err = db.Migrate(ctx)
	require.NoError(t, err)
	require.Len(t, applied, 1)
	assert.EqualValues(t, 1, applied[0].Version)
	assert.Zero(t, countRows(t, db), "request_logs is back")
}

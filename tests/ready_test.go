package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/testdb"
)

// readyVerbose is the body of /readyz?verbose.
type readyVerbose struct {
	Status   string `json:"status"`
	Database struct {
		State     string `json:"state"`
		LastError string `json:"last_error"`
	} `json:"database"`
}

func getReadyVerbose(t *testing.T, base string) (int, readyVerbose) {
	t.Helper()
	status, body := getText(t, base+"/readyz?verbose")
	var v readyVerbose
	require.NoError(t, json.Unmarshal([]byte(body), &v), body)
	return status, v
}

// TestReadyServeStartsWithoutItsDatabase: `aigw serve` with PostgreSQL down
// from the start serves anyway and is ready; /readyz?verbose and /metrics
// show the database down; the rows of the requests answered meanwhile
// reach the database once it is back (opened, migrated, spill replayed).
func TestReadyServeStartsWithoutItsDatabase(t *testing.T) {
	t.Chdir(t.TempDir()) // the spill file goes to ./data
	up := newFakeUpstream(t, chatOrError)
	db := testdb.Postgres(t)
	proxy := testdb.NewPostgresProxy(t, db.DSN)
	proxy.Down()
	viaProxy := db
	viaProxy.DSN = proxy.DSN
	srv := serveWith(t, oneProviderConfig(up.URL, ""), viaProxy)
	assert.Contains(t, srv.Logs.String(), "LOG DATABASE UNREACHABLE", "a loud warning at start")

	var ids []string
	for range 20 {
		status, id, body := storeSend(srv.URL, storeChatBody)
		require.Equal(t, http.StatusOK, status, body)
		ids = append(ids, id)
	}
	status, body := getText(t, srv.URL+"/readyz")
	assert.Equal(t, http.StatusOK, status, "ready: config loaded and listening\n%s", body)
	status, v := getReadyVerbose(t, srv.URL)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "ready", v.Status)
	assert.Equal(t, "down", v.Database.State)
	assert.Contains(t, v.Database.LastError, "connect", "the last error says what failed")
	_, metrics := getText(t, srv.URL+"/metrics")
	assert.Contains(t, metrics, "aigw_log_database_up 0")
	catEventually(t, 10*time.Second, "the rows in the spill file", func() bool {
		_, metrics := getText(t, srv.URL+"/metrics")
		return strings.Contains(metrics, fmt.Sprintf("aigw_log_spilled_rows %d\n", len(ids)))
	})

	proxy.Up()
	catEventually(t, 60*time.Second, "every row in the database once it is back", func() bool {
		return len(rowsIn(t, db)) == len(ids)
	})
	catEventually(t, 30*time.Second, "/readyz?verbose: database up", func() bool {
		_, v := getReadyVerbose(t, srv.URL)
		return v.Database.State == "up"
	})
	_, metrics = getText(t, srv.URL+"/metrics")
	assert.Contains(t, metrics, "aigw_log_database_up 1")
	assert.Contains(t, metrics, "aigw_log_spilled_rows 0")
	require.NoError(t, srv.Stop(t))

	rows := rowsIn(t, db)
	assert.Len(t, rows, len(ids), "none twice")
	for _, id := range ids {
		assert.Equal(t, 200, rowByRequestID(t, rows, id).StatusCode)
	}
	assert.Contains(t, srv.Logs.String(), "log database connected")
}

// TestReadyBinaryServesWithPostgresRefusing: the real binary, its PostgreSQL DSN
// on a port where nothing listens, starts, proxies and is ready.
func TestReadyBinaryServesWithPostgresRefusing(t *testing.T) {
	dir := t.TempDir()
	gwAddr, _, logs := startServeBinary(t, dir, fmt.Sprintf(`driver = "postgres"
dsn = "postgres://aigw:s3cret-pw@%s/aigw?sslmode=disable"`, freeAddr(t)))

	status, id, body := storeSend("http://"+gwAddr, storeChatBody)
	require.Equal(t, http.StatusOK, status, "%s\n%s", body, logs.String())
	require.NotEmpty(t, id)
	status, body = getText(t, "http://"+gwAddr+"/readyz")
	assert.Equal(t, http.StatusOK, status, body)
	status, v := getReadyVerbose(t, "http://"+gwAddr)
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "down", v.Database.State)
	assert.NotEmpty(t, v.Database.LastError)
	catEventually(t, 10*time.Second, "the row in the spill file", func() bool {
		b, err := os.ReadFile(filepath.Join(dir, "data", "spill.jsonl"))
		return err == nil && strings.Contains(string(b), id)
	})
	assert.Contains(t, logs.String(), "LOG DATABASE UNREACHABLE")
	assert.NotContains(t, logs.String()+v.Database.LastError, "s3cret-pw", "the DSN's password never reaches logs or /readyz")
}

package tests

import (
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/testdb"
)

const storeChatBody = `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`

// Several aigw instances behind a load balancer share one PostgreSQL
// database: both start (migrations under the advisory lock), both log, and
// rows sent just before each stops are all there.
func TestStoreTwoServersShareOnePostgres(t *testing.T) {
	up := newFakeUpstream(t, chatOrError)
	db := testdb.Postgres(t)
	a := serveWith(t, oneProviderConfig(up.URL, ""), db)
	b := serveWith(t, oneProviderConfig(up.URL, ""), db)

	var mu sync.Mutex
	var ids []string
	var wg sync.WaitGroup
	for _, srv := range []*servedGateway{a, b} {
		for range 4 {
			wg.Go(func() {
				for range 10 {
					status, id, _ := storeSend(srv.URL, storeChatBody)
					if status == http.StatusOK {
						mu.Lock()
						ids = append(ids, id)
						mu.Unlock()
					}
				}
			})
		}
	}
	wg.Wait()
	require.Len(t, ids, 80, "every request answered")
	require.NoError(t, a.Stop(t))
	require.NoError(t, b.Stop(t))

	rows := rowsIn(t, db)
	assert.Len(t, rows, 80, "one row per request from both servers")
	for _, id := range ids {
		r := rowByRequestID(t, rows, id)
		assert.Equal(t, 200, r.StatusCode)
		assert.Equal(t, "gpt-4o", r.UpstreamModel)
	}
}

// PostgreSQL goes away while the gateway serves: requests are answered as
// fast as before, /readyz stays 200 and /readyz?verbose says the database
// is down, and once it is back every row arrives, none twice.
func TestStorePostgresOutageLosesNoRow(t *testing.T) {
	t.Chdir(t.TempDir()) // a spill file, if any, goes to ./data
	up := newFakeUpstream(t, chatOrError)
	db := testdb.Postgres(t)
	proxy := testdb.NewPostgresProxy(t, db.DSN)
	viaProxy := db
	viaProxy.DSN = proxy.DSN
	srv := serveWith(t, oneProviderConfig(up.URL, ""), viaProxy)

	var ids []string
	send := func(n int) {
		for range n {
			start := time.Now()
			status, id, _ := storeSend(srv.URL, storeChatBody)
			require.Equal(t, http.StatusOK, status)
			require.Less(t, time.Since(start), 2*time.Second, "logging never holds a request")
			ids = append(ids, id)
		}
	}
	send(10)
	proxy.Down()
	send(30)
	status, body := getText(t, srv.URL+"/readyz")
	assert.Equal(t, http.StatusOK, status, "/readyz: the gateway proxies without its log database")
	catEventually(t, 10*time.Second, "/readyz?verbose: the database is down", func() bool {
		status, body = getText(t, srv.URL+"/readyz?verbose")
		return status == http.StatusOK && strings.Contains(body, `"state":"down"`)
	})
	time.Sleep(500 * time.Millisecond) // the writer retries meanwhile
	proxy.Up()
	send(10)
	catEventually(t, 30*time.Second, "/readyz?verbose: database up again", func() bool {
		_, body := getText(t, srv.URL+"/readyz?verbose")
		return strings.Contains(body, `"state":"up"`)
	})
	require.NoError(t, srv.Stop(t))

	logs := srv.Logs.String()
	assert.Contains(t, logs, "log database write failed", "the outage was real")
	assert.Contains(t, logs, "log database writable again")
	rows := rowsIn(t, db)
	assert.Len(t, rows, len(ids), "no row lost, none twice")
	for _, id := range ids {
		rowByRequestID(t, rows, id)
	}
}

func storeSend(base, body string) (int, string, string) {
	req, err := http.NewRequest(http.MethodPost, base+"/v1/chat/completions", strings.NewReader(body))
	if err != nil {
		return 0, "", err.Error()
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err.Error()
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Request-Id"), string(b)
}

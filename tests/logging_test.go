package tests

import (
	"context"
	"io"
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
	"github.com/aigw/aigw/internal/testdb"
)

// chatOrError answers like openAIChat, or with a 400 when the prompt says BAD.
func chatOrError(w http.ResponseWriter, r *http.Request) {
	body := readAll(r)
	if strings.Contains(string(body), "BAD") {
		statusFake(400, `{"error":{"message":"bad prompt","type":"invalid_request_error","param":null,"code":null}}`)(w, r)
		return
	}
	r.Body = io.NopCloser(strings.NewReader(string(body)))
	openAIChat("alpha beta gamma")(w, r)
}

func sendRaw(t *testing.T, url, key, body string) (status int, requestID string, respBody string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Authorization", "Bearer "+key)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, resp.Header.Get("X-Request-Id"), string(b)
}

func TestRequestLogRows(t *testing.T) {
	for _, tc := range []struct {
		name        string
		db          func(testing.TB) config.Database
		storeBodies bool
	}{
		{"sqlite", testdb.SQLite, true},
		{"postgres", testdb.Postgres, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newFakeUpstream(t, chatOrError)
			db := tc.db(t)
			cfg := oneProviderConfig(up.URL, "")
			if tc.storeBodies {
				cfg = "[logging]\nstore_bodies = true\n" + cfg
			}
			srv := serveWith(t, cfg, db)
			url := srv.URL + "/v1/chat/completions"
			start := time.Now()

			okStatus, okID, _ := sendRaw(t, url, clientKey, `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`)
			require.Equal(t, 200, okStatus)
			streamStatus, streamID, streamBody := sendRaw(t, url, clientKey, `{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
			require.Equal(t, 200, streamStatus)
			assert.True(t, strings.HasSuffix(streamBody, "data: [DONE]\n\n"))
			errStatus, errID, _ := sendRaw(t, url, clientKey, `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"BAD"}]}`)
			require.Equal(t, 400, errStatus)
			authStatus, authID, _ := sendRaw(t, url, "sk-wrong-key", `{"model":"openai/gpt-4o"}`)
			require.Equal(t, 401, authStatus)
			nfStatus, nfID, _ := sendRaw(t, url, clientKey, `{"model":"nope/x"}`)
			require.Equal(t, 404, nfStatus)

			require.NoError(t, srv.Stop(t), "shutdown drains the log queue")
			rows := rowsIn(t, db)
			require.Len(t, rows, 5, "one row per request, rejected ones included")

			ok := rowByRequestID(t, rows, okID)
			assert.Equal(t, "POST", ok.Method)
			assert.Equal(t, "/v1/chat/completions", ok.Path)
			assert.Equal(t, "openai", ok.InboundFormat)
			assert.Equal(t, "openai/gpt-4o", ok.RequestedModel)
			assert.Equal(t, "gpt-4o", ok.UpstreamModel)
			assert.Equal(t, "openai", ok.Provider)
			assert.Equal(t, "sk-...1111", ok.KeyHint)
			assert.False(t, ok.Stream)
			assert.Equal(t, 200, ok.StatusCode)
			assert.Empty(t, ok.Error)
			assert.EqualValues(t, 11, ok.PromptTokens)
			assert.EqualValues(t, 7, ok.CompletionTokens)
			assert.EqualValues(t, 18, ok.TotalTokens)
			assert.Equal(t, 1, ok.Attempts)
			assert.EqualValues(t, len(`{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`), ok.RequestBytes)
			assert.Greater(t, ok.ResponseBytes, int64(100))
			assert.Equal(t, "127.0.0.1", ok.ClientIP)
			assert.GreaterOrEqual(t, ok.LatencyMs, ok.TTFTMs)
			assert.WithinDuration(t, start, ok.CreatedAt, time.Minute)
			_, offset := ok.CreatedAt.Zone()
			assert.Equal(t, 8*3600, offset, "read back in Beijing time")
			if tc.storeBodies {
				assert.Contains(t, ok.RequestBody, `"content":"hi"`)
				assert.Contains(t, ok.ResponseBody, "alpha beta gamma")
			} else {
				assert.Empty(t, ok.RequestBody)
				assert.Empty(t, ok.ResponseBody)
			}

			st := rowByRequestID(t, rows, streamID)
			assert.True(t, st.Stream)
			assert.Equal(t, 200, st.StatusCode)
			assert.EqualValues(t, 3, st.CompletionTokens, "usage from the stream")
			assert.EqualValues(t, 14, st.TotalTokens)

			e := rowByRequestID(t, rows, errID)
			assert.Equal(t, 400, e.StatusCode)
			assert.Equal(t, "bad prompt", e.Error)
			assert.Equal(t, "openai", e.Provider)

			a := rowByRequestID(t, rows, authID)
			assert.Equal(t, 401, a.StatusCode)
			assert.Contains(t, a.Error, "invalid gateway key")
			assert.Empty(t, a.Provider)

			nf := rowByRequestID(t, rows, nfID)
			assert.Equal(t, 404, nf.StatusCode)
			assert.Equal(t, "nope/x", nf.RequestedModel)

			for _, r := range rows {
				for _, k := range []string{clientKey, upKey1, upKey2, upKey3, "sk-wrong-key"} {
					assert.NotContains(t, r.KeyHint+r.Error+r.RequestBody+r.ResponseBody, k, "a key reached the database")
				}
			}
		})
	}
}

func TestSQLiteTimestampsAreReadableBeijingTime(t *testing.T) {
	up := newFakeUpstream(t, chatOrError)
	db := testdb.SQLite(t)
	srv := serveWith(t, oneProviderConfig(up.URL, ""), db)
	status, _, _ := sendRaw(t, srv.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[]}`)
	require.Equal(t, 200, status)
	require.NoError(t, srv.Stop(t))

	st, err := store.Open(context.Background(), db)
	require.NoError(t, err)
	defer st.Close()
	var text string
	require.NoError(t, st.Gorm().Raw("SELECT created_at FROM request_logs LIMIT 1").Scan(&text).Error)
	assert.Regexp(t, regexp.MustCompile(`^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{3}\+08:00$`), text)
}

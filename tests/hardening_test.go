package tests

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/metrics"
	"github.com/aigw/aigw/internal/secret"
)

// Tests of what a hostile client, a faulty upstream and a shutdown found:
// each failed before the fix.

// echoKey answers like an upstream that quotes the key it was sent.
func echoKey(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	if key == "" {
		key = r.Header.Get("X-Api-Key")
	}
	msg := "Incorrect API key provided: " + key + ". You can find your API key at https://example.invalid"
	if strings.Contains(string(readAll(r)), `"stream":true`) && strings.HasSuffix(r.URL.Path, "/chat/completions") {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "data: {\"error\":{\"message\":%q,\"type\":\"invalid_request_error\"}}\n\n", msg)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(400)
	fmt.Fprintf(w, `{"error":{"message":%q,"type":"invalid_request_error","code":"bad_request"}}`, msg)
}

func TestEchoedUpstreamKeysAreRedacted(t *testing.T) {
	cu := newFakeUpstream(t, echoKey)
	gu := newFakeUpstream(t, echoKey)
	gw := startGateway(t, fmt.Sprintf(`
[auth]
keys = [%q]
[logging]
store_bodies = true
[[providers]]
name = "claude"
type = "anthropic"
base_url = "%s"
api_keys = %q
models = ["claude-sonnet-4-5"]
[[providers]]
name = "gpt"
type = "openai"
base_url = "%s/v1"
api_keys = %q
models = ["gpt-4o"]
`, clientKey, cu.URL, claudeKey, gu.URL, gptKey), "")
	calls := []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"gpt/gpt-4o","messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/chat/completions", `{"model":"gpt/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/chat/completions", `{"model":"claude/claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages", `{"model":"claude/claude-sonnet-4-5","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages", `{"model":"gpt/gpt-4o","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/messages/count_tokens", `{"model":"claude/claude-sonnet-4-5","messages":[{"role":"user","content":"hi"}]}`},
		{"/v1/embeddings", `{"model":"gpt/gpt-4o","input":"hi"}`},
		{"/v1/responses", `{"model":"gpt/gpt-4o","input":"hi"}`},
	}
	for _, call := range calls {
		_, body := rawPost(t, gw.URL+call.path, clientKey, call.body)
		for _, k := range []string{claudeKey, gptKey} {
			assert.NotContains(t, string(body), k, "client body of %s %s", call.path, call.body)
		}
		assert.True(t, strings.Contains(string(body), secret.Hint(gptKey)) || strings.Contains(string(body), secret.Hint(claudeKey)),
			"the upstream's message is passed on with the hint: %s", body)
	}
	for _, row := range gw.Logs.waitRows(t, len(calls)) {
		for _, k := range []string{claudeKey, gptKey} {
			assert.NotContains(t, row.Error, k)
			assert.NotContains(t, row.ResponseBody, k)
		}
		assert.NotEmpty(t, row.Error, row.Path)
	}
}

func TestForbiddenModelDoesNotTakeTheKeyAway(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		model := gjson.GetBytes(readAll(r), "model").String()
		switch {
		case strings.HasPrefix(model, "locked"):
			statusFake(403, `{"error":{"message":"this key has no access to `+model+`","type":"invalid_request_error","code":"model_not_found"}}`)(w, r)
		case model == "revoked":
			statusFake(401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","code":"invalid_api_key"}}`)(w, r)
		default:
			openAIChat("ok")(w, r)
		}
	})
	gw := startGateway(t, fmt.Sprintf("[auth]\nkeys = [%q]\n[[providers]]\nname = \"openai\"\ntype = \"openai\"\nbase_url = \"%s/v1\"\napi_keys = %q\n",
		clientKey, up.URL, upKey1), "")
	chat := func(model string) (int, string) {
		resp, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/`+model+`","messages":[]}`)
		return resp.StatusCode, gjson.GetBytes(body, "error.message").String()
	}
	status, msg := chat("locked-a")
	assert.Equal(t, 403, status)
	assert.Contains(t, msg, "no access to locked-a", "the upstream's own words reach the client")
	status, _ = chat("gpt-4o")
	assert.Equal(t, 200, status, "a refusal of one model leaves the key in the pool")
	status, _ = chat("locked-a")
	assert.Equal(t, 403, status)
	status, _ = chat("gpt-4o")
	assert.Equal(t, 200, status, "the same model refused twice is still about the model")

	status, _ = chat("locked-b")
	assert.Equal(t, 403, status)
	status, msg = chat("gpt-4o")
	assert.Equal(t, 502, status, "refused on a second model: the key itself is the problem")
	assert.Contains(t, msg, "set aside")

	gw.GW.Registry().Providers()[0].Pool.Keys()[0].Restore()
	status, _ = chat("revoked")
	assert.Equal(t, 502, status)
	status, _ = chat("gpt-4o")
	assert.Equal(t, 502, status, "invalid_api_key sets the key aside at once")
}

func TestUpstreamResponseHeadersAreAllowlisted(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Openai-Organization", "org-operator-secret")
		h.Set("Openai-Project", "proj_operator")
		h.Set("X-Debug-Upstream-Key", upKey1)
		h.Set("Set-Cookie", "session=abc")
		h.Set("X-Ratelimit-Remaining-Requests", "99")
		openAIChat("ok")(w, r)
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	for _, body := range []string{`{"model":"openai/gpt-4o","messages":[]}`, `{"model":"openai/gpt-4o","stream":true,"messages":[]}`} {
		resp, _ := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, body)
		assert.Equal(t, 200, resp.StatusCode)
		for _, h := range []string{"Openai-Organization", "Openai-Project", "X-Debug-Upstream-Key", "Set-Cookie"} {
			assert.Empty(t, resp.Header.Get(h), h)
		}
		assert.Equal(t, "99", resp.Header.Get("X-Ratelimit-Remaining-Requests"))
		assert.Equal(t, "upstream-req-1", resp.Header.Get("X-Upstream-Request-Id")+map[bool]string{true: "upstream-req-1"}[strings.Contains(body, "stream")])
	}
}

func TestPassthroughEndpointAllowlistAndQuery(t *testing.T) {
	var mu sync.Mutex
	var queries []string
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		queries = append(queries, r.URL.Path+"?"+r.URL.RawQuery)
		mu.Unlock()
		statusFake(200, `{"object":"list","data":[]}`)(w, r)
	})
	gw := startGateway(t, fmt.Sprintf(`
[auth]
keys = [%q]
[[providers]]
name = "azure"
type = "openai"
base_url = "%s/openai?api-version=2024-10-21"
api_keys = %q
models = ["gpt-4o"]
passthrough_paths = ["/batches/*"]
`, clientKey, up.URL, upKey1), "")
	for _, path := range []string{"/v1/files", "/v1/fine_tuning/jobs", "/v1/assistants", "/v1/realtime/sessions"} {
		resp, body := rawPost(t, gw.URL+path, clientKey, `{"model":"azure/gpt-4o"}`)
		assert.Equal(t, 404, resp.StatusCode, path)
		assert.Contains(t, gjson.GetBytes(body, "error.message").String(), "passthrough_paths")
	}
	assert.Empty(t, up.requests(), "no unlisted endpoint reaches the upstream with the operator's key")

	resp, _ := rawPost(t, gw.URL+"/v1/embeddings?api-version=evil&foo=1", clientKey, `{"model":"azure/gpt-4o","input":"x"}`)
	assert.Equal(t, 200, resp.StatusCode)
	resp, _ = rawPost(t, gw.URL+"/v1/batches/b1/cancel", clientKey, `{"model":"azure/gpt-4o"}`)
	assert.Equal(t, 200, resp.StatusCode, "a provider opens more paths with passthrough_paths")
	mu.Lock()
	defer mu.Unlock()
	assert.Equal(t, []string{"/openai/embeddings?api-version=2024-10-21", "/openai/batches/b1/cancel?api-version=2024-10-21"}, queries)
}

func TestErrorAnswersAreJSONAndHideTheUpstream(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		w.WriteHeader(502)
		fmt.Fprint(w, "<html><body>Bad gateway</body></html>")
	})
	dead := freeAddr(t)
	gw := startGateway(t, oneProviderConfig(up.URL, "")+fmt.Sprintf(`
[[providers]]
name = "dead"
type = "openai"
base_url = "http://%s/v1"
api_keys = "sk-dead-key-000000000"
models = ["ghost"]
`, dead), "")
	resp, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[]}`)
	assert.Equal(t, 502, resp.StatusCode)
	assert.Equal(t, "application/json", resp.Header.Get("Content-Type"))
	assert.True(t, gjson.ValidBytes(body), "%s", body)

	resp, body = rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"dead/ghost","messages":[]}`)
	assert.Equal(t, 502, resp.StatusCode)
	assert.NotContains(t, string(body), dead, "a dial error does not show the upstream's address")
	assert.NotContains(t, string(body), strings.Split(dead, ":")[1])

	n := len(up.requests())
	resp, body = rawPost(t, gw.URL+"/v1/embeddings%0d%0aX-Injected:%201", clientKey, `{"model":"openai/gpt-4o","input":"x"}`)
	assert.Equal(t, 400, resp.StatusCode)
	assert.NotContains(t, string(body), up.URL)
	assert.NotContains(t, string(body), "\r")
	assert.Len(t, up.requests(), n, "nothing was sent")
	rows := gw.Logs.waitRows(t, 3)
	assert.Equal(t, 0, rows[2].Attempts, "no key attempt was counted")
}

func TestClientStringsAreBoundedInMetricsAndLog(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	m := metrics.New()
	gw := startGatewayWith(t, "[server]\ndefault_provider = \"openai\"\n"+oneProviderConfig(up.URL, ""), "", gateway.Options{Metrics: m})
	longModel := strings.Repeat("m", 100<<10)
	for i := range 3 {
		resp, _ := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, fmt.Sprintf(`{"model":"%s%d","messages":[]}`, longModel, i))
		assert.Equal(t, 200, resp.StatusCode)
	}
	resp, _ := rawPost(t, gw.URL+"/v1/"+strings.Repeat("p", 64<<10), "wrong-key", `{}`)
	assert.Equal(t, 401, resp.StatusCode)
	_, text := getText(t, gw.URL+"/metrics")
	assert.NotContains(t, text, "mmmmmmmmmm", "unknown client model names are not labels")
	assert.Contains(t, text, `aigw_requests_total{model="other",provider="openai",status="200"} 3`)
	for _, row := range gw.Logs.waitRows(t, 4) {
		assert.LessOrEqual(t, len(row.RequestedModel), 256)
		assert.LessOrEqual(t, len(row.UpstreamModel), 256)
		assert.LessOrEqual(t, len(row.Path), 1024)
	}
}

func TestSlowAndUnauthenticatedBodies(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, "[server]\nread_timeout = \"1s\"\n"+oneProviderConfig(up.URL, ""), "")
	addr := strings.TrimPrefix(gw.URL, "http://")

	// A body trickled slower than read_timeout is cut off with 408.
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn.Close()
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Length: 100\r\n\r\n{\"mo", clientKey)
	start := time.Now()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(5*time.Second)))
	assert.Equal(t, 408, readStatus(t, conn))
	assert.Less(t, time.Since(start), 4*time.Second)

	// Without a valid key the body is never read: the answer comes at
	// once, and the connection is closed after it.
	conn2, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	defer conn2.Close()
	fmt.Fprint(conn2, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 10000000\r\n\r\n")
	require.NoError(t, conn2.SetReadDeadline(time.Now().Add(5*time.Second)))
	assert.Equal(t, 401, readStatus(t, conn2))
	_, err = io.ReadAll(conn2)
	assert.NoError(t, err, "the server closes the connection (EOF) instead of waiting for the body")

	rows := gw.Logs.waitRows(t, 2)
	assert.Equal(t, 408, rows[0].StatusCode)
	assert.Empty(t, up.requests())
}

func TestShutdownCutsStreamsAs503BeforeReturning(t *testing.T) {
	release := make(chan struct{})
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions",
		strings.NewReader(`{"model":"openai/gpt-4o","stream":true,"messages":[]}`))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	buf := make([]byte, 64)
	_, err = resp.Body.Read(buf) // the stream is running
	require.NoError(t, err)

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	gw.GW.Interrupt(ctx)
	gw.Logs.mu.Lock()
	rows := append(gw.Logs.rows[:0:0], gw.Logs.rows...)
	gw.Logs.mu.Unlock()
	require.Len(t, rows, 1, "the row is enqueued before Interrupt returns")
	assert.Equal(t, 503, rows[0].StatusCode)
	assert.Contains(t, rows[0].Error, "shutting down")
	rest, _ := io.ReadAll(resp.Body)
	assert.Contains(t, string(rest), "shutting down", "the client is told why its stream ended")
}

func TestGarbageStreamsAreFailures(t *testing.T) {
	for name, stream := range map[string]string{
		"html":     "<html><body>upstream error</body></html>\n\n",
		"not json": "data: hello world\n\n",
	} {
		t.Run(name, func(t *testing.T) {
			up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Content-Type", "text/event-stream")
				fmt.Fprint(w, stream)
			})
			gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
			_, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","stream":true,"messages":[]}`)
			assert.Contains(t, string(body), `"code":"stream_interrupted"`)
			assert.NotContains(t, string(body), "hello world\n\n")
			row := gw.Logs.waitRows(t, 1)[0]
			assert.Equal(t, 502, row.StatusCode)
			assert.Contains(t, row.Error, "cannot read")
		})
	}
}

func TestConvertedStreamWithoutMessageStartFails(t *testing.T) {
	gw, _, _ := twoProtocolGateway(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Hi"}}`)
		anthropicSSE(w, "message_stop", `{"type":"message_stop"}`)
	}, openAIChat("unused"))
	_, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey,
		`{"model":"claude/claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, 1, strings.Count(string(body), `{"error"`), "one error frame: %s", body)
	assert.NotContains(t, string(body), `"finish_reason":"stop"`, "no empty answer passed off as complete")
	row := gw.Logs.waitRows(t, 1)[0]
	assert.Equal(t, 502, row.StatusCode)
	assert.Contains(t, row.Error, "provider claude")
}

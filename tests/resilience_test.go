package tests

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/testdb"
)

// keyedUpstream answers per upstream key: each key's behaviour can be
// changed while the test runs.
type keyedUpstream struct {
	mu       sync.Mutex
	behavior map[string]http.HandlerFunc
	fallback http.HandlerFunc
}

func (k *keyedUpstream) set(key string, h http.HandlerFunc) {
	k.mu.Lock()
	k.behavior[key] = h
	k.mu.Unlock()
}

func (k *keyedUpstream) serve(w http.ResponseWriter, r *http.Request) {
	key := strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer ")
	k.mu.Lock()
	h := k.behavior[key]
	k.mu.Unlock()
	if h == nil {
		h = k.fallback
	}
	h(w, r)
}

func newKeyedUpstream(t *testing.T) (*keyedUpstream, *fakeUpstream) {
	k := &keyedUpstream{behavior: map[string]http.HandlerFunc{}, fallback: chatOrError}
	return k, newFakeUpstream(t, k.serve)
}

var (
	rateLimited = func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Retry-After", "30")
		statusFake(429, `{"error":{"message":"Rate limit reached","type":"requests","param":null,"code":"rate_limit_exceeded"}}`)(w, r)
	}
	revoked = statusFake(401, `{"error":{"message":"Incorrect API key provided","type":"invalid_request_error","param":null,"code":"invalid_api_key"}}`)
	crashed = statusFake(500, `{"error":{"message":"internal error","type":"server_error","param":null,"code":null}}`)
)

func keysUsed(up *fakeUpstream, from int) []string {
	var out []string
	for _, r := range up.requests()[from:] {
		if r.Path == "/v1/chat/completions" {
			out = append(out, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
		}
	}
	return out
}

func TestFailoverOn429CoolsKeyDown(t *testing.T) {
	k, up := newKeyedUpstream(t)
	k.set(upKey1, rateLimited)
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	c := gw.openaiClient()
	_, err := c.Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	require.NoError(t, err, "a 429 on key 1 is served by key 2")
	assert.Equal(t, []string{upKey1, upKey2}, keysUsed(up, 0))
	rows := gw.Logs.waitRows(t, 1)
	assert.Equal(t, 2, rows[0].Attempts)
	assert.Equal(t, "sk-...2222", rows[0].KeyHint)
	assert.Equal(t, 200, rows[0].StatusCode)

	n := len(up.requests())
	_, err = c.Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	require.NoError(t, err)
	assert.Equal(t, []string{upKey2}, keysUsed(up, n), "the cooling key is skipped, not retried")
}

func TestNoRetryOn400(t *testing.T) {
	_, up := newKeyedUpstream(t)
	gw := startGateway(t, oneProviderConfig(up.URL, "round_robin"), "")
	status, _, _ := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"BAD"}]}`)
	assert.Equal(t, 400, status)
	assert.Len(t, up.requests(), 1)
}

func TestFailoverOn5xxAndConnectionError(t *testing.T) {
	k, up := newKeyedUpstream(t)
	k.set(upKey1, crashed)
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	require.NoError(t, err)
	assert.Equal(t, []string{upKey1, upKey2}, keysUsed(up, 0))

	k.set(upKey1, crashed)
	k.set(upKey2, crashed)
	k.set(upKey3, crashed)
	n := len(up.requests())
	_, err = gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 500, apiErr.StatusCode, "the last upstream error is passed on")
	assert.Len(t, keysUsed(up, n), 3, "each key at most once per request")
}

func TestRevokedKeySetAsideAndProbedBack(t *testing.T) {
	k, up := newKeyedUpstream(t)
	k.set(upKey1, revoked)
	cfg := strings.Replace(oneProviderConfig(up.URL, ""), "[auth]", "[server]\nkey_probe_interval = \"300ms\"\n[auth]", 1)
	srv := serveWith(t, cfg, testdb.SQLite(t))
	url := srv.URL + "/v1/chat/completions"
	body := `{"model":"openai/gpt-4o","messages":[{"role":"user","content":"hi"}]}`

	status, _, _ := sendRaw(t, url, clientKey, body)
	require.Equal(t, 200, status)
	assert.Equal(t, []string{upKey1, upKey2}, keysUsed(up, 0))
	n := len(up.requests())
	for i := 0; i < 3; i++ {
		status, _, _ = sendRaw(t, url, clientKey, body)
		require.Equal(t, 200, status)
	}
	assert.Equal(t, []string{upKey2, upKey2, upKey2}, keysUsed(up, n), "the rejected key is set aside")

	// The key works again: the background probe (models list) brings it back.
	k.set(upKey1, func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"object":"list","data":[]}`)
			return
		}
		chatOrError(w, r)
	})
	catEventually(t, 5*time.Second, "key back in rotation", func() bool {
		n := len(up.requests())
		status, _, _ := sendRaw(t, url, clientKey, body)
		used := keysUsed(up, n)
		return status == 200 && len(used) == 1 && used[0] == upKey1
	})
	assert.Contains(t, srv.Logs.String(), "key works again")
	assert.NotContains(t, srv.Logs.String(), upKey1, "logs show hints only")
}

func TestAllKeysRejectedIs502AtOnce(t *testing.T) {
	k, up := newKeyedUpstream(t)
	for _, key := range []string{upKey1, upKey2, upKey3} {
		k.set(key, revoked)
	}
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Equal(t, "upstream_auth_failed", apiErr.Code)
	n := len(up.requests())

	start := time.Now()
	_, err = gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Equal(t, "upstream_auth_failed", apiErr.Code)
	assert.Less(t, time.Since(start), time.Second, "answered at once")
	assert.Equal(t, n, len(up.requests()), "no upstream call while every key is set aside")
}

func TestAllKeysRateLimitedPassesRetryAfter(t *testing.T) {
	k, up := newKeyedUpstream(t)
	for _, key := range []string{upKey1, upKey2, upKey3} {
		k.set(key, rateLimited)
	}
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	for i := 0; i < 2; i++ {
		req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"openai/gpt-4o","messages":[]}`))
		req.Header.Set("Authorization", "Bearer "+clientKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, 429, resp.StatusCode)
		assert.NotEmpty(t, resp.Header.Get("Retry-After"))
	}
	assert.Len(t, up.requests(), 3, "the second request is answered without the upstream")
}

func TestHangingUpstreamIs504(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(10 * time.Second):
		}
	})
	cfg := strings.Replace(oneProviderConfig(up.URL, ""), "[[providers]]", "[[providers]]\ntimeout = \"400ms\"", 1)
	gw := startGateway(t, cfg, "")
	start := time.Now()
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	elapsed := time.Since(start)
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 504, apiErr.StatusCode)
	assert.Equal(t, "upstream_timeout", apiErr.Code)
	assert.GreaterOrEqual(t, elapsed, 400*time.Millisecond)
	assert.Less(t, elapsed, 2*time.Second)
	assert.Len(t, up.requests(), 1, "a timeout is not retried")
}

// streamWith sends a raw streaming request and returns the whole body.
func streamWith(t *testing.T, url string) string {
	t.Helper()
	_, _, body := sendRaw(t, url+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","stream":true,"messages":[]}`)
	return body
}

const firstChunk = "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"partial\"},\"finish_reason\":null}]}\n\n"

func TestBrokenStreamsEndWithAnError(t *testing.T) {
	cases := map[string]http.HandlerFunc{
		"closed mid-stream": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, firstChunk)
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // drop the connection
		},
		"silent too long": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, firstChunk)
			w.(http.Flusher).Flush()
			select {
			case <-r.Context().Done():
			case <-time.After(10 * time.Second):
			}
		},
	}
	for name, h := range cases {
		t.Run(name, func(t *testing.T) {
			up := newFakeUpstream(t, h)
			cfg := strings.Replace(oneProviderConfig(up.URL, ""), "[[providers]]", "[[providers]]\nstream_idle_timeout = \"300ms\"", 1)
			gw := startGateway(t, cfg, "")
			body := streamWith(t, gw.URL)
			assert.True(t, strings.HasPrefix(body, firstChunk), body)
			assert.NotContains(t, body, "[DONE]", "a broken stream never looks complete")
			assert.Contains(t, body, `data: {"error":`)

			params := chatParams("openai/gpt-4o")
			stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), params)
			for stream.Next() {
			}
			assert.Error(t, stream.Err(), "the SDK reports the failure")

			rows := gw.Logs.waitRows(t, 2)
			assert.Equal(t, 502, rows[0].StatusCode)
			assert.NotEmpty(t, rows[0].Error)
		})
	}
}

func TestGracefulShutdownLetsStreamFinish(t *testing.T) {
	release := make(chan struct{})
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, firstChunk)
		w.(http.Flusher).Flush()
		<-release
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" rest\"},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	db := testdb.SQLite(t)
	srv := serveWith(t, oneProviderConfig(up.URL, ""), db)

	type result struct {
		body string
		id   string
	}
	got := make(chan result, 1)
	go func() {
		_, id, body := sendRaw(t, srv.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","stream":true,"messages":[]}`)
		got <- result{body, id}
	}()
	catEventually(t, 5*time.Second, "stream started", func() bool { return len(up.requests()) == 1 })
	stopped := make(chan error, 1)
	go func() { stopped <- srv.Stop(t) }()
	time.Sleep(300 * time.Millisecond) // shutdown has begun; the stream is still open
	select {
	case <-stopped:
		t.Fatal("the server stopped before its stream finished")
	default:
	}
	close(release)
	r := <-got
	assert.True(t, strings.HasSuffix(r.body, "data: [DONE]\n\n"), r.body)
	require.NoError(t, <-stopped)
	row := rowByRequestID(t, rowsIn(t, db), r.id)
	assert.Equal(t, 200, row.StatusCode)
	assert.True(t, row.Stream)
}

func TestLoadWithFailuresLeavesNoGoroutines(t *testing.T) {
	var n atomic.Int64
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		switch n.Add(1) % 5 {
		case 0:
			crashed(w, r)
		case 1:
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, firstChunk)
			panic(http.ErrAbortHandler)
		default:
			openAIChat("one two three")(w, r)
		}
	})
	cfg := strings.Replace(oneProviderConfig(up.URL, "round_robin"), "[[providers]]", "[[providers]]\nmax_attempts = 1", 1)
	gw := startGateway(t, cfg, "")

	const workers, perWorker = 32, 20
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < perWorker; i++ {
				stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), chatParams("openai/gpt-4o"))
				for stream.Next() {
				}
				stream.Close()
			}
		}()
	}
	wg.Wait()
	rows := gw.Logs.waitRows(t, workers*perWorker)
	assert.Len(t, rows, workers*perWorker, "every request logged")
	// Idle keep-alive connections keep net/http goroutines by design; what
	// must not outlive the load is any goroutine running aigw's own code
	// (stream relays, ping loops, timers, upstream bodies).
	catEventually(t, 5*time.Second, "no aigw goroutine left", func() bool {
		return len(aigwGoroutines()) == 0
	})
	if left := aigwGoroutines(); len(left) > 0 {
		t.Logf("left over:\n%s", strings.Join(left, "\n\n"))
	}
}

// aigwGoroutines returns the stacks of goroutines running aigw code.
func aigwGoroutines() []string {
	buf := make([]byte, 8<<20)
	buf = buf[:runtime.Stack(buf, true)]
	var out []string
	for _, g := range strings.Split(string(buf), "\n\n") {
		if strings.Contains(g, "github.com/aigw/aigw/internal/") {
			out = append(out, g)
		}
	}
	return out
}

func TestMalformedUpstreamSSE(t *testing.T) {
	garbageThenClose := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		anthropicSSE(w, "message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
		anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_de`)
		fmt.Fprint(w, "this is not SSE at all\n\n")
	}
	gw, _, _ := twoProtocolGateway(t, garbageThenClose, openAIToolChat)
	_, _, body := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey,
		`{"model":"claude/claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	assert.NotContains(t, body, "[DONE]", "a garbled stream never looks complete")
	assert.Contains(t, body, `data: {"error":`)
	rows := gw.Logs.waitRows(t, 1)
	assert.Equal(t, 502, rows[0].StatusCode)
	assert.NotEmpty(t, rows[0].Error)

	openAIGarbage := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":null}]}\n\n")
		fmt.Fprint(w, "data: {broken json\n\n")
	}
	gw2, _, _ := twoProtocolGateway(t, anthropicFake, openAIGarbage)
	stream := gw2.anthropicClient().Messages.NewStreaming(context.Background(), anthropicParams("gpt/gpt-4o", "hi"))
	for stream.Next() {
	}
	require.Error(t, stream.Err(), "the Anthropic client is told the stream failed")
	rows = gw2.Logs.waitRows(t, 1)
	assert.Equal(t, 502, rows[0].StatusCode)
}

// TestKeepAlivePingsOnSilentStreams: while the upstream says nothing, the
// client gets pings in its own protocol's form, and the stream then ends
// normally.
func TestKeepAlivePingsOnSilentStreams(t *testing.T) {
	slowOpenAI := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, firstChunk)
		w.(http.Flusher).Flush()
		time.Sleep(450 * time.Millisecond)
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n\n")
	}
	slowAnthropic := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		anthropicSSE(w, "message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
		time.Sleep(450 * time.Millisecond)
		anthropicSSE(w, "message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":1}}`)
		anthropicSSE(w, "message_stop", `{"type":"message_stop"}`)
	}
	cu, gu := newFakeUpstream(t, slowAnthropic), newFakeUpstream(t, slowOpenAI)
	gw := startGatewayWith(t, fmt.Sprintf(`
[auth]
keys = [%q]
[[providers]]
name = "claude"
type = "anthropic"
base_url = %q
api_keys = "k-claude-000000000001"
[[providers]]
name = "gpt"
type = "openai"
base_url = "%s/v1"
api_keys = "k-gpt-000000000000001"
`, clientKey, cu.URL, gu.URL), "", gateway.Options{PingInterval: 100 * time.Millisecond})

	_, _, body := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"gpt/gpt-4o","stream":true,"messages":[]}`)
	assert.Contains(t, body, ": ping\n\n")
	assert.True(t, strings.HasSuffix(body, "data: [DONE]\n\n"), body)

	_, _, body = sendRaw(t, gw.URL+"/v1/messages", clientKey, `{"model":"claude/claude-sonnet-4-5","max_tokens":10,"stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	assert.Contains(t, body, "event: ping\ndata: {\"type\": \"ping\"}\n\n")
	assert.True(t, strings.HasSuffix(body, "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"), body)
}

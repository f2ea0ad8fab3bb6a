package tests

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/metrics"
)

// routeTarget is one provider of a route test: its name, protocol and
// base URL (a fake upstream, or an address nothing listens on).
type routeTarget struct {
	name, typ, url string
}

// routeGateway serves providers a, b, ... and the route "smart" over them
// in the given order and strategy.
func routeGateway(t *testing.T, route config.Route, opts gateway.Options, targets ...routeTarget) *gatewayEnv {
	t.Helper()
	var b strings.Builder
	fmt.Fprintf(&b, "[auth]\nkeys = [%q]\n", clientKey)
	for _, tg := range targets {
		base := tg.url + "/v1"
		fmt.Fprintf(&b, `
[[providers]]
name = %q
type = %q
base_url = %q
api_keys = "sk-upstream-%s-1111,sk-upstream-%s-2222"
strategy = "round_robin"
models = ["m-%s"]
timeout = "300ms"
connect_timeout = "300ms"
`, tg.name, tg.typ, base, tg.name, tg.name, tg.name)
	}
	gw := startGatewayWith(t, b.String(), "", opts)
	gw.Reg.SetRoutes(config.Routes{"smart": route})
	return gw
}

func targetsOf(names ...string) []string {
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n + "/m-" + n
	}
	return out
}

// closedURL is an address where nothing listens: connection refused.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	require.NoError(t, ln.Close())
	return "http://" + addr
}

// chatOK answers chat completions, stream or not, naming who answered.
func chatOK(who string) http.HandlerFunc { return openAIChat("answer from " + who) }

func chatOnce(t *testing.T, gw *gatewayEnv, body string) (status int, respBody string, hdr http.Header) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var sb strings.Builder
	_, _ = fmt.Fprint(&sb, readBody(t, resp))
	return resp.StatusCode, sb.String(), resp.Header
}

func readBody(t *testing.T, resp *http.Response) string {
	t.Helper()
	var sb strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		sb.Write(buf[:n])
		if err != nil {
			return sb.String()
		}
	}
}

const smartChat = `{"model":"smart","messages":[{"role":"user","content":"hi"}]}`

// TestRouteFailsOverOnEveryTargetFailure: each way a target can fail
// before the first byte moves the request to the next target; the client
// sees the second's answer, headers naming it, and the row says what was
// tried.
func TestRouteFailsOverOnEveryTargetFailure(t *testing.T) {
	hang := make(chan struct{})
	t.Cleanup(func() { close(hang) })
	for _, tc := range []struct {
		name   string
		first  func(t *testing.T) string // the first target's base URL
		status int                       // in tried
	}{
		{"500", func(t *testing.T) string {
			return newFakeUpstream(t, statusFake(500, `{"error":{"message":"boom","type":"server_error"}}`)).URL
		}, 500},
		{"429", func(t *testing.T) string {
			return newFakeUpstream(t, statusFake(429, `{"error":{"message":"slow down","type":"rate_limit"}}`)).URL
		}, 429},
		{"every key invalid", func(t *testing.T) string {
			return newFakeUpstream(t, statusFake(401, `{"error":{"message":"bad key","code":"invalid_api_key"}}`)).URL
		}, 502},
		{"closed port", closedURL, 502},
		{"hanging upstream", func(t *testing.T) string {
			return newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				select {
				case <-hang:
				case <-r.Context().Done():
				}
			}).URL
		}, 504},
	} {
		t.Run(tc.name, func(t *testing.T) {
			second := newFakeUpstream(t, chatOK("b"))
			gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{},
				routeTarget{"a", "openai", tc.first(t)}, routeTarget{"b", "openai", second.URL})
			for _, stream := range []bool{false, true} {
				body := smartChat
				if stream {
					body = strings.Replace(smartChat, `"model"`, `"stream":true,"model"`, 1)
				}
				before := len(gw.Logs.waitRows(t, 0))
				status, out, hdr := chatOnce(t, gw, body)
				require.Equal(t, 200, status, out)
				assert.Contains(t, out, "answer")
				assert.Contains(t, out, "from b"[len("from "):]) // a stream splits the words
				assert.Equal(t, "b", hdr.Get("X-Aigw-Provider"))
				assert.Equal(t, "m-b", hdr.Get("X-Aigw-Model"))
				row := gw.Logs.waitRows(t, before+1)[before]
				assert.Equal(t, "smart", row.Route)
				assert.Equal(t, fmt.Sprintf("a/m-a %d; b/m-b 200", tc.status), row.Tried)
				assert.Equal(t, "b", row.Provider)
				assert.Equal(t, 200, row.StatusCode)
			}
		})
	}
}

// TestRouteNeverFailsOverOnA400: the request itself is wrong; the next
// target is not asked.
func TestRouteNeverFailsOverOnA400(t *testing.T) {
	first := newFakeUpstream(t, statusFake(400, `{"error":{"message":"bad request: messages is empty","type":"invalid_request_error"}}`))
	second := newFakeUpstream(t, chatOK("b"))
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{},
		routeTarget{"a", "openai", first.URL}, routeTarget{"b", "openai", second.URL})
	status, out, hdr := chatOnce(t, gw, smartChat)
	assert.Equal(t, 400, status, out)
	assert.Contains(t, out, "messages is empty")
	assert.Equal(t, "a", hdr.Get("X-Aigw-Provider"))
	assert.Empty(t, second.requests(), "no failover on a 400")
	row := gw.Logs.waitRows(t, 1)[0]
	assert.Equal(t, "a/m-a 400", row.Tried)
}

// TestRouteNeverFailsOverAfterTheFirstByte: a stream that broke after
// content reached the client ends with an error frame; the next target is
// not asked (the client would get two answers).
func TestRouteNeverFailsOverAfterTheFirstByte(t *testing.T) {
	first := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-a\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"partial\"},\"finish_reason\":null}]}\n\n")
		w.(http.Flusher).Flush()
		// then the connection drops without [DONE]
		hj, ok := w.(http.Hijacker)
		if ok {
			conn, _, _ := hj.Hijack()
			conn.Close()
		}
	})
	second := newFakeUpstream(t, chatOK("b"))
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{},
		routeTarget{"a", "openai", first.URL}, routeTarget{"b", "openai", second.URL})
	status, out, _ := chatOnce(t, gw, strings.Replace(smartChat, `"model"`, `"stream":true,"model"`, 1))
	assert.Equal(t, 200, status)
	assert.Contains(t, out, "partial")
	assert.Contains(t, out, "error", "the client learns the stream broke")
	assert.NotContains(t, out, "from b")
	assert.Empty(t, second.requests())
	row := gw.Logs.waitRows(t, 1)[0]
	assert.Equal(t, 502, row.StatusCode)
	assert.Equal(t, "a/m-a 502", row.Tried)
}

// TestRouteFailsOverOnAStreamThatOpensWithAnError: 200 and then an error
// event (or nothing at all) is a failure of the target; the client sees
// only the next target's stream, role chunk included.
func TestRouteFailsOverOnAStreamThatOpensWithAnError(t *testing.T) {
	for name, first := range map[string]http.HandlerFunc{
		"openai error chunk": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-a\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"finish_reason\":null}]}\n\n")
			fmt.Fprint(w, "data: {\"error\":{\"message\":\"overloaded\",\"type\":\"server_error\"}}\n\n")
		},
		"closed before content": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m-a\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\"},\"finish_reason\":null}]}\n\n")
		},
		"anthropic error event": func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/event-stream")
			anthropicSSE(w, "message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"m-a","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
			anthropicSSE(w, "error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
		},
	} {
		t.Run(name, func(t *testing.T) {
			typ := "openai"
			if strings.HasPrefix(name, "anthropic") {
				typ = "anthropic"
			}
			a := newFakeUpstream(t, first)
			b := newFakeUpstream(t, chatOK("b"))
			gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{},
				routeTarget{"a", typ, a.URL}, routeTarget{"b", "openai", b.URL})
			s := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
				Model: "smart", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
			var text strings.Builder
			roles := 0
			for s.Next() {
				ch := s.Current()
				if len(ch.Choices) > 0 {
					text.WriteString(ch.Choices[0].Delta.Content)
					if ch.Choices[0].Delta.Role != "" {
						roles++
					}
				}
			}
			require.NoError(t, s.Err())
			assert.Equal(t, "answer from b", text.String())
			assert.Equal(t, 1, roles, "one role chunk: the failed target's was held back")
			row := gw.Logs.waitRows(t, 1)[0]
			assert.Equal(t, "a/m-a 502; b/m-b 200", row.Tried)
		})
	}
}

// TestRouteMixesProtocols: an OpenAI client fails over from Claude to an
// OpenAI model and an Anthropic client the other way, stream and not,
// each target spoken to in its own protocol and parsed by the SDKs.
func TestRouteMixesProtocols(t *testing.T) {
	down := newFakeUpstream(t, statusFake(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`))
	downOAI := newFakeUpstream(t, statusFake(503, `{"error":{"message":"unavailable","type":"server_error"}}`))
	claude := newFakeUpstream(t, anthropicFake)
	gpt := newFakeUpstream(t, chatOK("gpt"))

	t.Run("openai client, claude down, gpt answers", func(t *testing.T) {
		gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{},
			routeTarget{"a", "anthropic", down.URL}, routeTarget{"b", "openai", gpt.URL})
		oc := gw.openaiClient()
		params := openai.ChatCompletionNewParams{Model: "smart", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
		res, err := oc.Chat.Completions.New(context.Background(), params)
		require.NoError(t, err)
		assert.Equal(t, "answer from gpt", res.Choices[0].Message.Content)
		s := oc.Chat.Completions.NewStreaming(context.Background(), params)
		var text strings.Builder
		for s.Next() {
			if ch := s.Current(); len(ch.Choices) > 0 {
				text.WriteString(ch.Choices[0].Delta.Content)
			}
		}
		require.NoError(t, s.Err())
		assert.Equal(t, "answer from gpt", text.String())
		assert.NotEmpty(t, down.requests(), "claude was tried first, in Anthropic's protocol")
		assert.Equal(t, "/v1/messages", down.requests()[0].Path)
	})
	t.Run("anthropic client, openai down, claude answers", func(t *testing.T) {
		gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{},
			routeTarget{"a", "openai", downOAI.URL}, routeTarget{"b", "anthropic", claude.URL})
		ac := gw.anthropicClient()
		params := anthropic.MessageNewParams{Model: "smart", MaxTokens: 64,
			Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}}
		msg, err := ac.Messages.New(context.Background(), params)
		require.NoError(t, err)
		require.NotEmpty(t, msg.Content)
		assert.Equal(t, "Hello from Claude.", msg.Content[0].Text)
		s := ac.Messages.NewStreaming(context.Background(), params)
		var text strings.Builder
		for s.Next() {
			if ev := s.Current(); ev.Type == "content_block_delta" {
				text.WriteString(ev.Delta.Text)
			}
		}
		require.NoError(t, s.Err())
		assert.Equal(t, "Hello from Claude.", text.String())
		assert.Equal(t, "/v1/chat/completions", downOAI.requests()[0].Path, "the openai target was asked in its own protocol")
	})
}

// TestRouteWeightedSpread: 3:1 weights split a few hundred requests
// about 3:1.
func TestRouteWeightedSpread(t *testing.T) {
	var na, nb atomic.Int64
	a := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { na.Add(1); chatOK("a")(w, r) })
	b := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { nb.Add(1); chatOK("b")(w, r) })
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b"), Strategy: config.StrategyWeighted, Weights: []int{3, 1}},
		gateway.Options{}, routeTarget{"a", "openai", a.URL}, routeTarget{"b", "openai", b.URL})
	const n = 400
	for range n {
		status, out, _ := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status, out)
	}
	assert.EqualValues(t, n, na.Load()+nb.Load(), "one upstream call per request")
	share := float64(na.Load()) / n
	assert.InDelta(t, 0.75, share, 0.08, "a's share of %d requests (a %d, b %d)", n, na.Load(), nb.Load())
}

// TestRouteEjectsAFailingTarget: after 3 failures in a row the failing
// target gets no requests for the ejection window, then exactly one
// trial; the other target serves meanwhile.
func TestRouteEjectsAFailingTarget(t *testing.T) {
	var failing atomic.Int64
	a := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		failing.Add(1)
		statusFake(500, `{"error":{"message":"boom"}}`)(w, r)
	})
	b := newFakeUpstream(t, chatOK("b"))
	const window = 400 * time.Millisecond
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{RouteEjection: window},
		routeTarget{"a", "openai", a.URL}, routeTarget{"b", "openai", b.URL})
	// Each request tries both of a's keys (a key pool retries a 500)
	// before the route moves on: 2 upstream calls per request.
	for range 3 {
		status, out, _ := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status, out)
	}
	require.EqualValues(t, 6, failing.Load())
	// Ejected: a is not asked while the window lasts.
	for range 10 {
		status, _, hdr := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status)
		assert.Equal(t, "b", hdr.Get("X-Aigw-Provider"))
	}
	assert.EqualValues(t, 6, failing.Load(), "no request reached the ejected target")
	time.Sleep(window + 50*time.Millisecond)
	for range 5 {
		status, _, _ := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status)
	}

	assert.EqualValues(t, 8, failing.Load(), "exactly one trial request (both keys) after the window; it failed, so a is ejected again, for twice as long")
}

// TestRouteLatencyPrefersTheFasterTarget: with the latency strategy, once
// both targets have answered, the one with the lower time to first byte
// takes the requests.
func TestRouteLatencyPrefersTheFasterTarget(t *testing.T) {
	var nslow, nfast atomic.Int64
	slow := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		nslow.Add(1)
		time.Sleep(120 * time.Millisecond)
		chatOK("slow")(w, r)
	})
	fast := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) { nfast.Add(1); chatOK("fast")(w, r) })
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b"), Strategy: config.StrategyLatency}, gateway.Options{},
		routeTarget{"a", "openai", slow.URL}, routeTarget{"b", "openai", fast.URL})
	// Until both have a sample the order is a coin toss.
	for i := 0; i < 40 && (nslow.Load() == 0 || nfast.Load() == 0); i++ {
		status, _, _ := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status)
	}
	require.Positive(t, nslow.Load())
	require.Positive(t, nfast.Load())
	s0, f0 := nslow.Load(), nfast.Load()
	for range 20 {
		status, _, _ := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status)
	}
	assert.EqualValues(t, s0, nslow.Load(), "the slow target got none of the next 20")
	assert.EqualValues(t, f0+20, nfast.Load())
}

// TestEveryProxiedAnswerNamesItsUpstream: X-Aigw-Provider and
// X-Aigw-Model on a plain provider/model request too.
func TestEveryProxiedAnswerNamesItsUpstream(t *testing.T) {
	up := newFakeUpstream(t, chatOK("a"))
	gw := routeGateway(t, config.Route{Targets: targetsOf("a")}, gateway.Options{}, routeTarget{"a", "openai", up.URL})
	var hdr http.Header
	_, err := gw.openaiClient(option.WithResponseInto(new(*http.Response))).Chat.Completions.New(context.Background(),
		openai.ChatCompletionNewParams{Model: "a/m-a", Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	require.NoError(t, err)
	_, _, hdr = chatOnce(t, gw, `{"model":"a/m-a","messages":[{"role":"user","content":"hi"}]}`)
	assert.Equal(t, "a", hdr.Get("X-Aigw-Provider"))
	assert.Equal(t, "m-a", hdr.Get("X-Aigw-Model"))
	rows := gw.Logs.waitRows(t, 2)
	assert.Empty(t, rows[1].Route, "no route: the column stays empty")
	assert.Empty(t, rows[1].Tried)
}

// TestSessionAffinityPinsTargetAndKey: under a 50/50 split, the requests
// of one session (header, prompt_cache_key or metadata.user_id) go to one
// target and one key; when that target fails, the session moves once and
// stays on the new target, and the row says so.
func TestSessionAffinityPinsTargetAndKey(t *testing.T) {
	var aDown atomic.Bool
	a := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if aDown.Load() {
			statusFake(503, `{"error":{"message":"down"}}`)(w, r)
			return
		}
		chatOK("a")(w, r)
	})
	b := newFakeUpstream(t, chatOK("b"))
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b"), Strategy: config.StrategyWeighted, Weights: []int{1, 1}},
		gateway.Options{}, routeTarget{"a", "openai", a.URL}, routeTarget{"b", "openai", b.URL})

	send := func(header, body string) string {
		t.Helper()
		req, err := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clientKey)
		if header != "" {
			req.Header.Set("session_id", header)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		defer resp.Body.Close()
		readBody(t, resp)
		require.Equal(t, 200, resp.StatusCode)
		return resp.Header.Get("X-Aigw-Provider")
	}
	for _, tc := range []struct{ name, header, body string }{
		{"header", "sess-1", smartChat},
		{"prompt_cache_key", "", `{"model":"smart","prompt_cache_key":"sess-2","messages":[{"role":"user","content":"hi"}]}`},
		{"metadata.user_id", "", `{"model":"smart","metadata":{"user_id":"sess-3"},"messages":[{"role":"user","content":"hi"}]}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			first := send(tc.header, tc.body)
			for range 20 {
				assert.Equal(t, first, send(tc.header, tc.body), "one session, one target")
			}
		})
	}
	// Without a session the split spreads.
	seen := map[string]bool{}
	for range 40 {
		seen[send("", smartChat)] = true
	}
	assert.Len(t, seen, 2, "no session: both targets get traffic")

	// A session pinned to a: new ids until one lands there.
	session := ""
	for i := 0; i < 64 && session == ""; i++ {
		id := fmt.Sprintf("sess-a-%d", i)
		if send(id, smartChat) == "a" {
			session = id
		}
	}
	require.NotEmpty(t, session)
	before := len(a.requests())
	for range 10 {
		require.Equal(t, "a", send(session, smartChat))
	}
	keys := map[string]bool{}
	for _, r := range a.requests()[before:] {
		keys[r.Header.Get("Authorization")] = true
	}
	assert.Len(t, keys, 1, "one session, one key of a's pool of two")

	// a fails: the session moves to b once, and stays there after a is back.
	aDown.Store(true)
	require.Equal(t, "b", send(session, smartChat))
	rows := gw.Logs.waitRows(t, 0)
	assert.Contains(t, rows[len(rows)-1].Tried, "session re-pinned from a/m-a")
	aDown.Store(false)
	for range 5 {
		assert.Equal(t, "b", send(session, smartChat), "re-pinned once, not back and forth")
	}
}

// TestSessionStickyKeyOnAPlainPool: a session on a provider/model sticks to
// one key of a round-robin pool; requests without one rotate.
func TestSessionStickyKeyOnAPlainPool(t *testing.T) {
	up := newFakeUpstream(t, chatOK("a"))
	gw := routeGateway(t, config.Route{Targets: targetsOf("a")}, gateway.Options{}, routeTarget{"a", "openai", up.URL})
	body := `{"model":"a/m-a","messages":[{"role":"user","content":"hi"}]}`
	do := func(session string) {
		req, err := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clientKey)
		if session != "" {
			req.Header.Set("x-session-id", session)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		readBody(t, resp)
		resp.Body.Close()
		require.Equal(t, 200, resp.StatusCode)
	}
	keys := func(from int) map[string]int {
		m := map[string]int{}
		for _, r := range up.requests()[from:] {
			m[r.Header.Get("Authorization")]++
		}
		return m
	}
	for range 6 {
		do("")
	}
	assert.Len(t, keys(0), 2, "without a session the pool's keys take turns")
	n := len(up.requests())
	for range 6 {
		do("agent-run-7")
	}
	assert.Len(t, keys(n), 1, "a session sticks to one key")
}

// TestRouteMetrics: failovers are counted by route and failed target, and
// an ejected target shows as unhealthy until a success.
func TestRouteMetrics(t *testing.T) {
	a := newFakeUpstream(t, statusFake(500, `{"error":{"message":"boom"}}`))
	b := newFakeUpstream(t, chatOK("b"))
	gw := routeGateway(t, config.Route{Targets: targetsOf("a", "b")}, gateway.Options{Metrics: metrics.New()},
		routeTarget{"a", "openai", a.URL}, routeTarget{"b", "openai", b.URL})
	for range 3 {
		status, _, _ := chatOnce(t, gw, smartChat)
		require.Equal(t, 200, status)
	}
	_, body := getText(t, gw.URL+"/metrics")
	assert.Contains(t, body, `aigw_route_failovers_total{model="m-a",provider="a",route="smart"} 3`)
	assert.Contains(t, body, `aigw_route_target_healthy{route="smart",target="a/m-a"} 0`)
	assert.Contains(t, body, `aigw_route_target_healthy{route="smart",target="b/m-b"} 1`)
}

package gateway

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/sse"
)

func testTargets(names ...string) []provider.Route {
	out := make([]provider.Route, len(names))
	for i, n := range names {
		out[i] = provider.Route{Provider: &provider.Provider{Provider: config.Provider{Name: n}}, UpstreamModel: "m"}
	}
	return out
}

// TestWeightedOrderFollowsTheWeights: the first target is drawn with
// probability weight/sum; a weight of 1 against 999 still gets traffic.
func TestWeightedOrderFollowsTheWeights(t *testing.T) {
	h := newRouteHealth(0)
	now := time.Now()
	for _, tc := range []struct {
		weights []int
		draws   int
		share   float64 // expected share of the first target
		delta   float64
	}{
		{[]int{3, 1}, 20000, 0.75, 0.02},
		{[]int{1, 999}, 20000, 0.001, 0.001},
		{[]int{1, 1, 2}, 20000, 0.25, 0.02},
	} {
		res := provider.Resolution{Route: "r", Strategy: config.StrategyWeighted, Weights: tc.weights,
			Targets: testTargets("a", "b", "c")[:len(tc.weights)]}
		first := 0
		for range tc.draws {
			order := h.order(res, now)
			require.Len(t, order, len(tc.weights), "every target, each once")
			if order[0].Provider.Name == "a" {
				first++
			}
		}
		assert.Positive(t, first, "weights %v: the smallest weight still gets traffic", tc.weights)
		assert.InDelta(t, tc.share, float64(first)/float64(tc.draws), tc.delta, "weights %v", tc.weights)
	}
}

// TestEjectedTargetsComeLastSoonestBackFirst and are never dropped.
func TestEjectedTargetsComeLastSoonestBackFirst(t *testing.T) {
	h := newRouteHealth(time.Second)
	now := time.Now()
	ts := testTargets("a", "b", "c")
	res := provider.Resolution{Route: "r", Strategy: config.StrategyPriority, Targets: ts}
	for range ejectAfterFailures {
		h.failed("r", ts[0], now) // a: ejected for 1 s
	}
	for range ejectAfterFailures {
		h.failed("r", ts[1], now.Add(-500*time.Millisecond)) // b: back 0.5 s sooner
	}
	names := func(rs []provider.Route) []string {
		var out []string
		for _, r := range rs {
			out = append(out, r.Provider.Name)
		}
		return out
	}
	assert.Equal(t, []string{"c", "b", "a"}, names(h.order(res, now)))
	// After the window: a trial for b (the first request that uses it);
	// a second request meanwhile does not pile onto it.
	later := now.Add(800 * time.Millisecond)
	assert.Equal(t, []string{"b", "c", "a"}, names(h.order(res, later)))
	h.begin("r", ts[1], later)
	assert.Equal(t, []string{"c", "b", "a"}, names(h.order(res, later)), "one trial at a time")
	// The trial fails: ejected again, for twice as long.
	require.True(t, h.failed("r", ts[1], later))
	assert.False(t, h.healthy("r", ts[1], later.Add(1900*time.Millisecond)))
	assert.True(t, h.healthy("r", ts[1], later.Add(2100*time.Millisecond)))
	// A success makes a target healthy at once.
	h.succeeded("r", ts[0], 10*time.Millisecond, later)
	assert.Equal(t, []string{"a", "c", "b"}, names(h.order(res, later)))
}

func TestPeakEWMAJumpsUpAndDecaysDown(t *testing.T) {
	t0 := time.Now()
	avg := peakEWMA(0, time.Time{}, 0.1, t0)
	assert.InDelta(t, 0.1, avg, 1e-9, "the first sample")
	avg = peakEWMA(avg, t0, 0.5, t0.Add(time.Second))
	assert.InDelta(t, 0.5, avg, 1e-9, "a slower sample counts at once")
	avg = peakEWMA(avg, t0.Add(time.Second), 0.1, t0.Add(31*time.Second))
	assert.Less(t, avg, 0.5)
	assert.Greater(t, avg, 0.1, "a faster one only gradually")
}

func TestClassifyEvent(t *testing.T) {
	ev := func(name, data string) sse.Event { return sse.Event{Name: name, Data: []byte(data)} }
	for _, tc := range []struct {
		name string
		kind streamKind
		ev   sse.Event
		want eventClass
	}{
		{"role chunk", kindChat, ev("", `{"choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`), eventPreamble},
		{"content chunk", kindChat, ev("", `{"choices":[{"index":0,"delta":{"content":"Hi"},"finish_reason":null}]}`), eventContent},
		{"tool call chunk", kindChat, ev("", `{"choices":[{"index":0,"delta":{"tool_calls":[{"index":0}]},"finish_reason":null}]}`), eventContent},
		{"finish only", kindChat, ev("", `{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`), eventContent},
		{"error object", kindChat, ev("", `{"error":{"message":"overloaded"}}`), eventFailure},
		{"done before content", kindChat, ev("", `[DONE]`), eventFailure},
		{"comment", kindChat, sse.Event{Comment: true}, eventPreamble},
		{"message_start", kindMessages, ev("message_start", `{}`), eventPreamble},
		{"ping", kindMessages, ev("ping", `{}`), eventPreamble},
		{"content_block_start", kindMessages, ev("content_block_start", `{}`), eventContent},
		{"anthropic error", kindMessages, ev("error", `{"type":"error"}`), eventFailure},
		{"response.created", kindResponses, ev("response.created", `{}`), eventPreamble},
		{"response.output_text.delta", kindResponses, ev("response.output_text.delta", `{}`), eventContent},
		{"response.failed", kindResponses, ev("response.failed", `{}`), eventFailure},
	} {
		assert.Equal(t, tc.want, classifyEvent(tc.kind, tc.ev), tc.name)
	}
}

// BenchmarkRouteBookkeeping is what a route adds to a request whose first
// target answers, besides the exchange itself: the order of the targets,
// the health record, the body kept for the next target, the row's tried
// (issue 13: a route may cost at most 5 us CPU more than provider/model;
// BenchmarkEndToEnd/route in bench/ measures the whole request).
func BenchmarkRouteBookkeeping(b *testing.B) {
	h := newRouteHealth(0)
	res := provider.Resolution{Route: "smart", Strategy: config.StrategyPriority, Targets: testTargets("anthropic", "openai")}
	body := make([]byte, 330)
	b.ReportAllocs()
	for b.Loop() {
		now := time.Now()
		order := h.order(res, now)
		h.begin(res.Route, order[0], now)
		_ = bytes.Clone(body)
		tried := strings.Join(append([]string(nil), targetName(order[0])+" "+strconv.Itoa(200)), "; ")
		_ = tried
		h.succeeded(res.Route, order[0], 80*time.Millisecond, now)
		_ = h.healthy(res.Route, order[0], now)
	}
}

package bench

import (
	"bytes"
	"io"
	"runtime"
	"testing"
	"time"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/sse"
)

// The cost of serving a Chat Completions upstream to a Responses API client
// (docs/responses.md, "Stream"), against relaying the same chat stream as
// is. Both paths read the captured 20-chunk mock stream with internal/sse
// and write each event's frames to a buffer standing for the client.

// relayChat is the per-event work of the gateway's chat passthrough
// (internal/gateway streams.go chatRelay): the [DONE] and frame checks, the
// usage of the chunk that carries one, the raw frame written.
func relayChat(b *testing.B, stream []byte, out *flushCounter) int {
	r := sse.NewReader(bytes.NewReader(stream))
	done, usage, null := []byte("[DONE]"), []byte(`"usage":`), []byte(`"usage":null`)
	n := 0
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return n
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
		if bytes.Equal(ev.Data, done) {
			out.Write(ev.Raw)
			out.Flush()
			return n
		}
		if ev.Unknown || len(ev.Data) == 0 || ev.Data[0] != '{' {
			b.Fatal("not a chat chunk")
		}
		if bytes.Contains(ev.Data, usage) && !bytes.Contains(ev.Data, null) {
			if u := gjson.GetBytes(ev.Data, "usage"); u.IsObject() {
				_ = adapter.OpenAIUsage([]byte(u.Raw))
			}
		}
		out.Write(ev.Raw)
		out.Flush()
	}
}

// convertChat is the same stream through the Responses converter, as the
// relay loop drives it (Event, write, stop when Done).
func convertChat(b *testing.B, stream []byte, meta adapter.ResponsesMeta, out *flushCounter) int {
	r := sse.NewReader(bytes.NewReader(stream))
	conv := adapter.NewChatToResponsesStream(meta)
	n := 0
	for !conv.Done() {
		ev, err := r.Next()
		if err == io.EOF {
			out.Write(conv.Finish())
			break
		}
		if err != nil {
			b.Fatal(err)
		}
		n++
		frames, err := conv.Event(ev)
		if err != nil {
			b.Fatal(err)
		}
		out.Write(frames)
		out.Flush()
	}
	if failed, msg := conv.Failed(); failed {
		b.Fatal(msg)
	}
	return n
}

func responsesBenchMeta() adapter.ResponsesMeta {
	return adapter.ResponsesMeta{
		Stream:         true,
		RequestedModel: "mock-gpt-4o",
		UpstreamModel:  "mock-gpt-4o",
		ResponseID:     "resp_bench",
		Echo:           []byte(`{"instructions":"You are a helpful assistant. Answer briefly.","max_output_tokens":128,"temperature":0.2,"tools":[]}`),
	}
}

// BenchmarkResponsesStream reports ns/event for the passthrough relay and
// for the conversion, each alone.
func BenchmarkResponsesStream(b *testing.B) {
	stream := openAIStream(b)
	meta := responsesBenchMeta()
	out := &flushCounter{}
	for _, c := range []struct {
		name string
		run  func() int
	}{
		{"passthrough", func() int { return relayChat(b, stream, out) }},
		{"responses", func() int { return convertChat(b, stream, meta, out) }},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				out.Reset()
				n = c.run()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
		})
	}
}

// BenchmarkResponsesStreamRatio runs both paths in the same loop, so they
// share the machine's state, and reports the conversion's CPU per event
// as a multiple of the passthrough's (x-passthrough; the goal is ≤ 1.5).
// Each path is timed by the thread's CPU clock over a batch of streams, so
// a loaded machine's other processes do not count.
func BenchmarkResponsesStreamRatio(b *testing.B) {
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	stream := openAIStream(b)
	meta := responsesBenchMeta()
	out := &flushCounter{}
	const batch = 50
	var relay, conv time.Duration
	events := 0
	for b.Loop() {
		t0 := threadCPU()
		for range batch {
			out.Reset()
			events = relayChat(b, stream, out)
		}
		t1 := threadCPU()
		for range batch {
			out.Reset()
			convertChat(b, stream, meta, out)
		}
		t2 := threadCPU()
		relay += t1 - t0
		conv += t2 - t1
	}
	perEvent := func(d time.Duration) float64 { return float64(d.Nanoseconds()) / float64(b.N*batch*events) }
	b.ReportMetric(perEvent(relay), "passthrough-cpu-ns/event")
	b.ReportMetric(perEvent(conv), "responses-cpu-ns/event")
	b.ReportMetric(float64(conv)/float64(relay), "x-passthrough")
}

// BenchmarkChatToResponsesConvert is the converter alone over events read
// beforehand, as BenchmarkChatToMessagesStream measures direction B.
func BenchmarkChatToResponsesConvert(b *testing.B) {
	evs := events(b, openAIStream(b))
	meta := responsesBenchMeta()
	benchConverter(b, evs, func() streamConverter { return adapter.NewChatToResponsesStream(meta) })
}

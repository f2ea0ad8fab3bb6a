package bench

import (
	"bytes"
	"io"
	"testing"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/sse"
)

// benchStreams runs fn over each captured mock stream and reports the
// cost per event, the unit the relay pays for each flush to the client.
func benchStreams(b *testing.B, fn func(b *testing.B, stream []byte) int) {
	for _, c := range []struct {
		name   string
		stream []byte
	}{
		{"openai", openAIStream(b)},
		{"anthropic", anthropicStream(b)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.stream)))
			b.ReportAllocs()
			n := 0
			for b.Loop() {
				n = fn(b, c.stream)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/event")
			b.ReportMetric(float64(n), "events/stream")
		})
	}
}

// BenchmarkSSERead is internal/sse.Reader alone over a whole 20-chunk stream.
func BenchmarkSSERead(b *testing.B) {
	br := bytes.NewReader(nil)
	benchStreams(b, func(b *testing.B, stream []byte) int {
		br.Reset(stream)
		r := sse.NewReader(br)
		n := 0
		for {
			_, err := r.Next()
			if err == io.EOF {
				return n
			}
			if err != nil {
				b.Fatal(err)
			}
			n++
		}
	})
}

// flushCounter stands in for the client connection: the relay writes each
// event and flushes it.
type flushCounter struct {
	bytes.Buffer
	flushes int
}

func (f *flushCounter) Flush() { f.flushes++ }

// BenchmarkSSERelay is the per-event work of the chat passthrough relay (internal/gateway
// relay.go) without the network: read, look for [DONE] and usage, read
// usage with gjson, write the raw frame and flush.
func BenchmarkSSERelay(b *testing.B) {
	br := bytes.NewReader(nil)
	out := &flushCounter{}
	done, usage := []byte("[DONE]"), []byte(`"usage"`)
	benchStreams(b, func(b *testing.B, stream []byte) int {
		br.Reset(stream)
		out.Reset()
		r := sse.NewReader(br)
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
			if bytes.Contains(ev.Data, usage) {
				_ = gjson.GetBytes(ev.Data, "usage.prompt_tokens").Int()
			}
			if ev.Name == "message_start" || ev.Name == "message_delta" {
				_ = gjson.GetBytes(ev.Data, "usage").Raw
			}
			out.Write(ev.Raw)
			out.Flush()
		}
	})
}

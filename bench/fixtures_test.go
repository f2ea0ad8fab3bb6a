package bench

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aigw/aigw/internal/mock"
	"github.com/aigw/aigw/internal/sse"
)

// smallChat is the ~330-byte chat body load.sh sends with wrk, so that the
// micro-benchmarks and the load test measure the same request.
const smallChat = `{"model":"mock-gpt-4o","messages":[{"role":"system","content":"You are a helpful assistant. Answer briefly."},` +
	`{"role":"user","content":"Write one sentence about what an AI gateway does between a client and an upstream model provider, and why it should add little latency."}],` +
	`"max_tokens":128,"temperature":0.2,"user":"bench"}`

// responsesStreamBody is smallChat as a Responses API request, streamed, for
// the provider whose /v1/responses is converted to Chat Completions.
const responsesStreamBody = `{"model":"mock-chat/mock-gpt-4o","instructions":"You are a helpful assistant. Answer briefly.",` +
	`"input":[{"role":"user","content":[{"type":"input_text","text":"Write one sentence about what an AI gateway does between a client and an upstream model provider, and why it should add little latency."}]}],` +
	`"max_output_tokens":128,"temperature":0.2,"user":"bench","stream":true,"store":false}`

// smallMessages is the same request in Anthropic's shape (direction B input).
const smallMessages = `{"model":"claude-mock-sonnet-4-5","system":"You are a helpful assistant. Answer briefly.","messages":[` +
	`{"role":"user","content":"Write one sentence about what an AI gateway does between a client and an upstream model provider, and why it should add little latency."}],` +
	`"max_tokens":128,"temperature":0.2}`

// bigChat returns a chat body of about n bytes: a long conversation, as a
// coding agent sends with a whole file pasted in. The size is in the
// message contents, so a parser that decodes the body has to walk it all.
func bigChat(model string, n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"model":"` + model + `","messages":[{"role":"system","content":"You review code."}`)
	line := strings.Repeat("func f(x int) int { return x * 2 } // padding line of source code\\n", 16)
	for b.Len() < n-200 {
		b.WriteString(`,{"role":"user","content":"`)
		b.WriteString(line)
		b.WriteString(`"},{"role":"assistant","content":"ok"}`)
	}
	b.WriteString(`],"max_tokens":64}`)
	return b.Bytes()
}

// withModel returns body with its model replaced (test fixture only: the
// fixtures start with {"model":"...").
func withModel(body, model string) string {
	end := strings.Index(body[10:], `"`) + 10
	return `{"model":"` + model + body[end:]
}

// captureStream asks the mock for a streamed answer and returns the raw SSE
// bytes, so SSE benchmarks replay what the load test's upstream really
// sends (20 content chunks by default).
func captureStream(tb testing.TB, path, body string, hdr map[string]string) []byte {
	tb.Helper()
	h := mock.New(mock.Options{Chunks: mock.DefaultChunks})
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("mock %s: status %d: %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// openAIStream is a 20-chunk OpenAI stream with the usage chunk the gateway
// asks for, ending in [DONE].
func openAIStream(tb testing.TB) []byte {
	body := strings.Replace(smallChat, `"max_tokens"`, `"stream":true,"stream_options":{"include_usage":true},"max_tokens"`, 1)
	return captureStream(tb, "/v1/chat/completions", body, map[string]string{"Authorization": "Bearer k"})
}

// anthropicStream is a 20-delta Anthropic stream, message_start to message_stop.
func anthropicStream(tb testing.TB) []byte {
	body := strings.Replace(smallMessages, `"max_tokens"`, `"stream":true,"max_tokens"`, 1)
	return captureStream(tb, "/v1/messages", body, map[string]string{"x-api-key": "k", "anthropic-version": "2023-06-01"})
}

// events splits a captured stream into events once, outside the timed loop
// of the converter benchmarks.
func events(tb testing.TB, stream []byte) []sse.Event {
	tb.Helper()
	r := sse.NewReader(bytes.NewReader(stream))
	var out []sse.Event
	for {
		ev, err := r.Next()
		if err == io.EOF {
			return out
		}
		if err != nil {
			tb.Fatal(err)
		}
		out = append(out, ev)
	}
}

// TestFixtures keeps the fixtures honest in plain `go test` (fast: no
// network, no database): the bodies are valid, near the sizes the docs
// quote, and the captured streams have 20 content events.
func TestFixtures(t *testing.T) {
	if n := len(smallChat); n < 300 || n > 360 {
		t.Errorf("smallChat is %d bytes, want about 330", n)
	}
	if n := len(bigChat("m", 1<<20)); n < 1<<20-400 || n > 1<<20+400 {
		t.Errorf("bigChat is %d bytes, want about 1 MiB", n)
	}
	if got := withModel(smallChat, "x/y"); !strings.HasPrefix(got, `{"model":"x/y","messages"`) {
		t.Errorf("withModel: %.40s", got)
	}
	if n := len(events(t, openAIStream(t))); n < 21 {
		t.Errorf("OpenAI stream has %d events, want 20 content chunks and more", n)
	}
	if n := len(events(t, anthropicStream(t))); n < 21 {
		t.Errorf("Anthropic stream has %d events, want 20 deltas and more", n)
	}
}

package bench

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/mock"
	"github.com/aigw/aigw/internal/sse"
)

// chatWithTools is a typical agent turn: two tools, a tool call and its
// result, so conversion touches more than plain text.
const chatWithTools = `{"model":"claude","messages":[{"role":"system","content":"You are a helpful assistant."},` +
	`{"role":"user","content":"What is the weather in Paris and in Berlin?"},` +
	`{"role":"assistant","content":null,"tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]},` +
	`{"role":"tool","tool_call_id":"call_1","content":"18 C, sunny"}],` +
	`"tools":[{"type":"function","function":{"name":"get_weather","description":"Current weather of a city","parameters":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}}},` +
	`{"type":"function","function":{"name":"get_time","description":"Local time of a city","parameters":{"type":"object","properties":{"city":{"type":"string"},"tz":{"type":"string"}}}}}],` +
	`"tool_choice":"auto","max_tokens":256,"temperature":0.5}`

// messagesWithTools is the same turn in Anthropic's shape.
const messagesWithTools = `{"model":"gpt-4o","system":"You are a helpful assistant.","messages":[` +
	`{"role":"user","content":"What is the weather in Paris and in Berlin?"},` +
	`{"role":"assistant","content":[{"type":"tool_use","id":"toolu_1","name":"get_weather","input":{"city":"Paris"}}]},` +
	`{"role":"user","content":[{"type":"tool_result","tool_use_id":"toolu_1","content":"18 C, sunny"}]}],` +
	`"tools":[{"name":"get_weather","description":"Current weather of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"}},"required":["city"]}},` +
	`{"name":"get_time","description":"Local time of a city","input_schema":{"type":"object","properties":{"city":{"type":"string"},"tz":{"type":"string"}}}}],` +
	`"tool_choice":{"type":"auto"},"max_tokens":256,"temperature":0.5}`

// BenchmarkChatToMessagesRequest is direction A's request conversion
// (OpenAI client -> Anthropic upstream).
func BenchmarkChatToMessagesRequest(b *testing.B) {
	opts := adapter.ChatRequestOptions{UpstreamModel: "claude-mock-sonnet-4-5", DefaultMaxTokens: 4096}
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"small", []byte(smallChat)},
		{"tools", []byte(chatWithTools)},
		{"1MB", bigChat("claude", 1<<20)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := adapter.ChatToMessagesRequest(c.body, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkMessagesToChatRequest is direction B's request conversion
// (Anthropic client -> OpenAI upstream).
func BenchmarkMessagesToChatRequest(b *testing.B) {
	opts := adapter.MessagesRequestOptions{UpstreamModel: "mock-gpt-4o"}
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"small", []byte(smallMessages)},
		{"tools", []byte(messagesWithTools)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := adapter.MessagesToChatRequest(c.body, opts); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// mockAnswer is the mock's non-stream answer to body on path.
func mockAnswer(tb testing.TB, path, body string, hdr map[string]string) []byte {
	tb.Helper()
	req := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	rec := httptest.NewRecorder()
	mock.New(mock.Options{}).ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		tb.Fatalf("mock %s: %d %s", path, rec.Code, rec.Body.String())
	}
	return rec.Body.Bytes()
}

// BenchmarkResponseConversion converts whole (non-stream) answers back:
// Anthropic -> OpenAI for direction A, OpenAI -> Anthropic for B.
func BenchmarkResponseConversion(b *testing.B) {
	antBody := mockAnswer(b, "/v1/messages", smallMessages, map[string]string{"x-api-key": "k", "anthropic-version": "2023-06-01"})
	oaiBody := mockAnswer(b, "/v1/chat/completions", smallChat, map[string]string{"Authorization": "Bearer k"})
	_, chatMeta, err := adapter.ChatToMessagesRequest([]byte(smallChat), adapter.ChatRequestOptions{UpstreamModel: "claude-mock-sonnet-4-5"})
	if err != nil {
		b.Fatal(err)
	}
	_, msgMeta, err := adapter.MessagesToChatRequest([]byte(smallMessages), adapter.MessagesRequestOptions{UpstreamModel: "mock-gpt-4o"})
	if err != nil {
		b.Fatal(err)
	}
	b.Run("MessagesToChatResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := adapter.MessagesToChatResponse(antBody, chatMeta); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("ChatToMessagesResponse", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, _, err := adapter.ChatToMessagesResponse(oaiBody, msgMeta); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// streamConverter is the shape the gateway's relay uses (internal/gateway
// convert.go), so both directions run through one loop.
type streamConverter interface {
	Event(ev sse.Event) ([]byte, error)
	Finish() []byte
}

func benchConverter(b *testing.B, evs []sse.Event, newConv func() streamConverter) {
	b.ReportAllocs()
	out := 0
	for b.Loop() {
		conv := newConv()
		for _, ev := range evs {
			frames, err := conv.Event(ev)
			if err != nil {
				b.Fatal(err)
			}
			out += len(frames)
		}
		out += len(conv.Finish())
	}
	if out == 0 {
		b.Fatal("converter wrote nothing")
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(evs)), "ns/event")
}

// BenchmarkMessagesToChatStream converts a 20-delta Anthropic stream to
// OpenAI chunks (direction A, the conversion load.sh measures).
func BenchmarkMessagesToChatStream(b *testing.B) {
	body := strings.Replace(smallChat, `"max_tokens"`, `"stream":true,"max_tokens"`, 1)
	_, meta, err := adapter.ChatToMessagesRequest([]byte(body), adapter.ChatRequestOptions{UpstreamModel: "claude-mock-sonnet-4-5"})
	if err != nil {
		b.Fatal(err)
	}
	evs := events(b, anthropicStream(b))
	benchConverter(b, evs, func() streamConverter { return adapter.NewMessagesToChatStream(meta) })
}

// BenchmarkChatToMessagesStream converts a 20-chunk OpenAI stream to
// Anthropic events (direction B).
func BenchmarkChatToMessagesStream(b *testing.B) {
	body := strings.Replace(smallMessages, `"max_tokens"`, `"stream":true,"max_tokens"`, 1)
	_, meta, err := adapter.MessagesToChatRequest([]byte(body), adapter.MessagesRequestOptions{UpstreamModel: "mock-gpt-4o"})
	if err != nil {
		b.Fatal(err)
	}
	evs := events(b, openAIStream(b))
	benchConverter(b, evs, func() streamConverter { return adapter.NewChatToMessagesStream(meta) })
}

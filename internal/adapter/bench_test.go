package adapter

import (
	"bytes"
	"errors"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/aigw/aigw/internal/sse"
)

func parseEvents(b *testing.B, in string) []sse.Event {
	b.Helper()
	r := sse.NewReader(strings.NewReader(in))
	var evs []sse.Event
	for {
		ev, err := r.Next()
		if errors.Is(err, io.EOF) {
			return evs
		}
		if err != nil {
			b.Fatal(err)
		}
		evs = append(evs, ev)
	}
}

// anthropicStream20 is a typical text + tool answer in 20 events.
func anthropicStream20() string {
	var sb strings.Builder
	ev := func(name, data string) { sb.WriteString("event: " + name + "\ndata: " + data + "\n\n") }
	ev("message_start", `{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","content":[],"model":"claude-sonnet-4-5","stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":1200,"cache_read_input_tokens":800,"output_tokens":1}}}`)
	ev("content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	for i := 0; i < 10; i++ {
		ev("content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Some streamed words, number `+strconv.Itoa(i)+`. "}}`)
	}
	ev("content_block_stop", `{"type":"content_block_stop","index":0}`)
	ev("content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_bench","name":"get_weather","input":{}}}`)
	ev("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"location\":"}}`)
	ev("content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \"Paris\"}"}}`)
	ev("content_block_stop", `{"type":"content_block_stop","index":1}`)
	ev("ping", `{"type":"ping"}`)
	ev("message_delta", `{"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":120}}`)
	ev("message_stop", `{"type":"message_stop"}`)
	return sb.String()
}

func openAIStream20() string {
	var sb strings.Builder
	ch := func(data string) { sb.WriteString("data: " + data + "\n\n") }
	pre := `{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[{"index":0,"delta":`
	ch(pre + `{"role":"assistant","content":""},"finish_reason":null}]}`)
	for i := 0; i < 13; i++ {
		ch(pre + `{"content":"Some streamed words, number ` + strconv.Itoa(i) + `. "},"finish_reason":null}]}`)
	}
	ch(pre + `{"tool_calls":[{"index":0,"id":"call_bench","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]}`)
	ch(pre + `{"tool_calls":[{"index":0,"function":{"arguments":"{\"location\":"}}]},"finish_reason":null}]}`)
	ch(pre + `{"tool_calls":[{"index":0,"function":{"arguments":" \"Paris\"}"}}]},"finish_reason":null}]}`)
	ch(pre + `{},"finish_reason":"tool_calls"}]}`)
	ch(`{"id":"chatcmpl-bench","object":"chat.completion.chunk","created":1700000000,"model":"gpt-4o","choices":[],"usage":{"prompt_tokens":1200,"completion_tokens":120,"total_tokens":1320}}`)
	ch(`[DONE]`)
	return sb.String()
}

func BenchmarkStreamA20Events(b *testing.B) {
	evs := parseEvents(b, anthropicStream20())
	if len(evs) != 20 {
		b.Fatalf("want 20 events, have %d", len(evs))
	}
	meta := ChatMeta{Stream: true, IncludeUsage: true}
	b.ReportAllocs()
	for b.Loop() {
		s := NewMessagesToChatStream(meta)
		for _, ev := range evs {
			if _, err := s.Event(ev); err != nil {
				b.Fatal(err)
			}
		}
		s.Finish()
	}
}

func BenchmarkStreamB20Events(b *testing.B) {
	evs := parseEvents(b, openAIStream20())
	if len(evs) != 20 {
		b.Fatalf("want 20 events, have %d", len(evs))
	}
	meta := MessagesMeta{Stream: true, EstimatedInputTokens: 1000}
	b.ReportAllocs()
	for b.Loop() {
		s := NewChatToMessagesStream(meta)
		for _, ev := range evs {
			if _, err := s.Event(ev); err != nil {
				b.Fatal(err)
			}
		}
		s.Finish()
	}
}

// chatBody1MB is an OpenAI request of about 1 MB: a long agent history
// with tool calls plus one large image.
func chatBody1MB() []byte {
	var sb bytes.Buffer
	sb.WriteString(`{"model":"gpt-4o","stream":true,"tools":[{"type":"function","function":{"name":"read_file","parameters":{"type":"object","properties":{"path":{"type":"string"}}}}}],"messages":[{"role":"system","content":"You are a coding agent."}`)
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)
	for i := 0; sb.Len() < 600_000; i++ {
		id := "call_" + strconv.Itoa(i)
		sb.WriteString(`,{"role":"user","content":"` + text + `"}`)
		sb.WriteString(`,{"role":"assistant","content":"Reading.","tool_calls":[{"id":"` + id + `","type":"function","function":{"name":"read_file","arguments":"{\"path\":\"f` + strconv.Itoa(i) + `.go\"}"}}]}`)
		sb.WriteString(`,{"role":"tool","tool_call_id":"` + id + `","content":"package main\n\nfunc main() {}\n` + text + `"}`)
	}
	sb.WriteString(`,{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image_url","image_url":{"url":"data:image/png;base64,`)
	sb.WriteString(strings.Repeat("iVBORw0KGgoAAAANSUhEUgAA", (1<<20-sb.Len())/24))
	sb.WriteString(`"}}]}]}`)
	return sb.Bytes()
}

func messagesBody1MB() []byte {
	var sb bytes.Buffer
	sb.WriteString(`{"model":"claude-sonnet-4-5","max_tokens":4096,"stream":true,"system":[{"type":"text","text":"You are a coding agent.","cache_control":{"type":"ephemeral"}}],"tools":[{"name":"read_file","input_schema":{"type":"object","properties":{"path":{"type":"string"}}}}],"messages":[`)
	text := strings.Repeat("The quick brown fox jumps over the lazy dog. ", 40)
	for i := 0; sb.Len() < 600_000; i++ {
		id := "toolu_" + strconv.Itoa(i)
		if i > 0 {
			sb.WriteString(`,`)
		}
		sb.WriteString(`{"role":"user","content":"` + text + `"}`)
		sb.WriteString(`,{"role":"assistant","content":[{"type":"text","text":"Reading."},{"type":"tool_use","id":"` + id + `","name":"read_file","input":{"path":"f` + strconv.Itoa(i) + `.go"}}]}`)
		sb.WriteString(`,{"role":"user","content":[{"type":"tool_result","tool_use_id":"` + id + `","content":"package main\n` + text + `"}]}`)
	}
	sb.WriteString(`,{"role":"user","content":[{"type":"text","text":"What is in this image?"},{"type":"image","source":{"type":"base64","media_type":"image/png","data":"`)
	sb.WriteString(strings.Repeat("iVBORw0KGgoAAAANSUhEUgAA", (1<<20-sb.Len())/24))
	sb.WriteString(`"}}]}]}`)
	return sb.Bytes()
}

func BenchmarkChatToMessages1MB(b *testing.B) {
	body := chatBody1MB()
	if _, _, err := ChatToMessagesRequest(body, ChatRequestOptions{UpstreamModel: "claude"}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := ChatToMessagesRequest(body, ChatRequestOptions{UpstreamModel: "claude"}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkMessagesToChat1MB(b *testing.B) {
	body := messagesBody1MB()
	if _, _, err := MessagesToChatRequest(body, MessagesRequestOptions{UpstreamModel: "gpt"}); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := MessagesToChatRequest(body, MessagesRequestOptions{UpstreamModel: "gpt"}); err != nil {
			b.Fatal(err)
		}
	}
}

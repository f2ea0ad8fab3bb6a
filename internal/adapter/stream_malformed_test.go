package adapter

import (
	"bytes"
	"errors"
	"io"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/sse"
)

// feed runs raw SSE through conv like the gateway does and also returns
// the errors Event reported.
func feed(t *testing.T, conv streamConv, in string) ([]byte, []error) {
	t.Helper()
	var out []byte
	var errs []error
	r := sse.NewReader(bytes.NewReader([]byte(in)))
	for {
		ev, err := r.Next()
		if err != nil {
			require.True(t, errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF), "sse read: %v", err)
			break
		}
		b, cerr := conv.Event(ev)
		if cerr != nil {
			errs = append(errs, cerr)
		}
		out = append(out, b...)
	}
	return append(out, conv.Finish()...), errs
}

func anthropicEv(name, data string) string { return "event: " + name + "\ndata: " + data + "\n\n" }

const (
	antStart = `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","content":[],"model":"claude-x","usage":{"input_tokens":3,"output_tokens":1}}}`
	antText0 = `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`
	antDelta = `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`
	antStop0 = `{"type":"content_block_stop","index":0}`
	antMDel  = `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":2}}`
	antMStop = `{"type":"message_stop"}`
)

// A malformed Anthropic stream must not reach an OpenAI client as a
// normal answer: it ends with an OpenAI error frame (no [DONE]) and
// Failed reports the reason, which the gateway logs as a 502.
func TestStreamA_Malformed(t *testing.T) {
	for _, c := range []struct {
		name, in, reason string
		eventErr         bool // Event itself reports the problem
	}{
		{name: "no message_start", reason: "message_start",
			in: anthropicEv("content_block_start", antText0) + anthropicEv("content_block_delta", antDelta) +
				anthropicEv("content_block_stop", antStop0) + anthropicEv("message_delta", antMDel) + anthropicEv("message_stop", antMStop)},
		{name: "only message_stop", reason: "message_start",
			in: anthropicEv("message_stop", antMStop)},
		{name: "data that is not JSON", reason: "not JSON", eventErr: true,
			in: anthropicEv("message_start", antStart) + anthropicEv("content_block_start", antText0) +
				"event: content_block_delta\ndata: this is not json\n\n" +
				anthropicEv("content_block_stop", antStop0) + anthropicEv("message_delta", antMDel) + anthropicEv("message_stop", antMStop)},
		{name: "unnamed garbage line", reason: "not JSON", eventErr: true,
			in: anthropicEv("message_start", antStart) + "data: garbage\n\n" + anthropicEv("message_stop", antMStop)},
		{name: "data that is not an object", reason: "not a JSON object", eventErr: true,
			in: anthropicEv("message_start", antStart) + anthropicEv("content_block_delta", `[1,2]`) + anthropicEv("message_stop", antMStop)},
		{name: "no event name and no type", reason: "no event type", eventErr: true,
			in: anthropicEv("message_start", antStart) + `data: {"foo":1}` + "\n\n" + anthropicEv("message_stop", antMStop)},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv := NewMessagesToChatStream(ChatMeta{UpstreamModel: "claude-x", Now: fixedNow})
			out, errs := feed(t, conv, c.in)
			r := checkOpenAIStream(t, out)
			assert.False(t, r.done, "a malformed stream must not end with [DONE]: %s", out)
			require.True(t, r.errFrame.Exists(), "an error frame ends the stream: %s", out)
			assert.Contains(t, r.errFrame.Get("message").Str, c.reason)
			failed, reason := conv.Failed()
			assert.True(t, failed)
			assert.Contains(t, reason, c.reason)
			if c.eventErr {
				require.NotEmpty(t, errs)
				assert.Contains(t, errs[0].Error(), c.reason, "Event's error carries the reason")
			}
		})
	}
	t.Run("unknown event types are still ignored", func(t *testing.T) {
		conv := NewMessagesToChatStream(ChatMeta{UpstreamModel: "claude-x", Now: fixedNow})
		out, errs := feed(t, conv, anthropicEv("message_start", antStart)+anthropicEv("some_future_event", `{"type":"some_future_event","x":1}`)+
			anthropicEv("ping", `{"type":"ping"}`)+anthropicEv("content_block_start", antText0)+anthropicEv("content_block_delta", antDelta)+
			anthropicEv("content_block_stop", antStop0)+anthropicEv("message_delta", antMDel)+anthropicEv("message_stop", antMStop))
		assert.Empty(t, errs)
		r := checkOpenAIStream(t, out)
		assert.True(t, r.done)
		assert.Equal(t, "hi", r.acc.Choices[0].Message.Content)
		failed, _ := conv.Failed()
		assert.False(t, failed)
	})
}

func openAIChunk(delta, finish string) string {
	return "data: " + `{"id":"c1","object":"chat.completion.chunk","model":"gpt","choices":[{"index":0,"delta":` + delta + `,"finish_reason":` + finish + `}]}` + "\n\n"
}

// The same for OpenAI chunks converted to Anthropic events: an `event:
// error` frame (no message_stop) and Failed with the reason.
func TestStreamB_Malformed(t *testing.T) {
	for _, c := range []struct {
		name, in, reason string
		eventErr         bool
	}{
		{name: "data that is not JSON", reason: "not JSON", eventErr: true,
			in: openAIChunk(`{"role":"assistant","content":"hi"}`, "null") + "data: {oops\n\n" +
				openAIChunk(`{}`, `"stop"`) + "data: [DONE]\n\n"},
		{name: "data that is not an object", reason: "not a JSON object", eventErr: true,
			in: openAIChunk(`{"content":"hi"}`, "null") + "data: 17\n\n" + openAIChunk(`{}`, `"stop"`) + "data: [DONE]\n\n"},
		{name: "garbage first line", reason: "not JSON", eventErr: true,
			in: "data: <html>bad gateway</html>\n\n" + openAIChunk(`{"content":"hi"}`, `"stop"`) + "data: [DONE]\n\n"},
		{name: "no finish_reason and no DONE", reason: "finish_reason",
			in: openAIChunk(`{"content":"hi"}`, "null")},
	} {
		t.Run(c.name, func(t *testing.T) {
			conv := NewChatToMessagesStream(MessagesMeta{UpstreamModel: "gpt", NewID: seqIDs()})
			out, errs := feed(t, conv, c.in)
			r := checkAnthropicStream(t, out)
			assert.False(t, r.stopped, "a malformed stream must not end with message_stop: %s", out)
			require.True(t, r.errFrame.Exists(), "an error event ends the stream: %s", out)
			assert.Contains(t, r.errFrame.Get("message").Str, c.reason)
			failed, reason := conv.Failed()
			assert.True(t, failed)
			assert.Contains(t, reason, c.reason)
			if c.eventErr {
				require.NotEmpty(t, errs)
				assert.Contains(t, errs[0].Error(), c.reason, "Event's error carries the reason")
			}
		})
	}
}

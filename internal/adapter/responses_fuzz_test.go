package adapter

import (
	"testing"
)

// The stream fuzzers feed arbitrary upstream bytes through the Responses
// converters, seeded with the golden inputs. Whatever comes in, the output
// keeps the stream's rules (checkResponsesStream: contiguous sequence
// numbers, at most one terminal event, nothing after it), ends with a
// terminal event once the body ended, and fails exactly when that event
// is response.failed.

func fuzzResponsesStream(t *testing.T, conv *ResponsesStream, in []byte) {
	out := runStream(nil, conv, in)
	rs := checkResponsesStream(t, out)
	if !conv.Done() || !rs.terminal.Exists() {
		t.Fatalf("the stream did not end with a terminal event: %q", out)
	}
	failed, msg := conv.Failed()
	if failed != (rs.terminal.Get("type").Str == "response.failed") {
		t.Fatalf("failed=%v (%s) but the terminal event is %s", failed, msg, rs.terminal.Get("type").Str)
	}
	if failed && msg == "" {
		t.Fatal("failed without a reason")
	}
	sdkEvents(t, out)
}

func FuzzChatToResponsesStream(f *testing.F) {
	for _, in := range respGoldenInputs("chat_") {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzResponsesStream(t, NewChatToResponsesStream(respTestMeta(true)), in)
	})
}

func FuzzMessagesToResponsesStream(f *testing.F) {
	for _, in := range respGoldenInputs("msg_") {
		f.Add(in)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		fuzzResponsesStream(t, NewMessagesToResponsesStream(respTestMeta(true)), in)
	})
}

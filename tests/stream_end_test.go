package tests

import (
	"bufio"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestConvertedStreamCompleteWhenTheClientLeavesAtTheEnd: the upstream
// keeps its connection open after the stream's last event; the client
// reads the last frame and hangs up at once (the SDKs do). The gateway
// must stop at the last event, not wait for the upstream's EOF: the row is
// 200, not 499 (it was 499 under load when the hang-up cancelled the
// upstream read first).
func TestConvertedStreamCompleteWhenTheClientLeavesAtTheEnd(t *testing.T) {
	release := make(chan struct{})
	stall := func(w http.ResponseWriter) {
		w.(http.Flusher).Flush()
		select { // the upstream never ends the body by itself
		case <-release:
		case <-time.After(10 * time.Second):
		}
	}
	claude := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		anthropicSSE(w, "message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":3,"output_tokens":1}}}`)
		anthropicSSE(w, "content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"hi"}}`)
		anthropicSSE(w, "content_block_stop", `{"type":"content_block_stop","index":0}`)
		anthropicSSE(w, "message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn"},"usage":{"output_tokens":2}}`)
		anthropicSSE(w, "message_stop", `{"type":"message_stop"}`)
		stall(w)
	}
	gpt := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"hi\"},\"finish_reason\":null}]}\n\n")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[],\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":2,\"total_tokens\":5}}\n\ndata: [DONE]\n\n")
		stall(w)
	}
	gw, _, _ := twoProtocolGateway(t, claude, gpt)
	t.Cleanup(func() { close(release) }) // before the upstreams close: cleanups run last first
	for _, tc := range []struct{ name, path, body, last string }{
		{"openai client, claude upstream", "/v1/chat/completions",
			`{"model":"claude/claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`, "data: [DONE]"},
		{"anthropic client, openai upstream", "/v1/messages",
			`{"model":"gpt/gpt-4o","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"hi"}]}`, "event: message_stop"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(gw.Logs.waitRows(t, 0))
			req, err := http.NewRequest(http.MethodPost, gw.URL+tc.path, strings.NewReader(tc.body))
			require.NoError(t, err)
			req.Header.Set("Authorization", "Bearer "+clientKey)
			req.Header.Set("anthropic-version", "2023-06-01")
			resp, err := http.DefaultClient.Do(req)
			require.NoError(t, err)
			sc := bufio.NewScanner(resp.Body)
			seen := false
			for sc.Scan() {
				if sc.Text() == tc.last {
					seen = true
					break
				}
			}
			resp.Body.Close() // hang up right after the last frame
			require.True(t, seen, "the stream's last frame arrived")
			row := gw.Logs.waitRows(t, before+1)[before]
			assert.Equal(t, http.StatusOK, row.StatusCode, row.Error)
			assert.EqualValues(t, 2, row.CompletionTokens)
		})
	}
}

package tests

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// Tests of the bugs the review of the request path found: each failed
// before the fix.

// responsesStream answers /v1/responses with a Responses API stream that
// ends, as the API does, with response.completed and no [DONE].
func responsesStream(last string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		ev := func(typ, data string) {
			fmt.Fprintf(w, "event: %s\ndata: %s\n\n", typ, data)
			w.(http.Flusher).Flush()
		}
		resp := `{"id":"resp_1","object":"response","created_at":1700000000,"status":"in_progress","model":"gpt-5","output":[]}`
		ev("response.created", `{"type":"response.created","sequence_number":0,"response":`+resp+`}`)
		ev("response.output_text.delta", `{"type":"response.output_text.delta","sequence_number":1,"item_id":"msg_1","output_index":0,"content_index":0,"delta":"Hello"}`)
		switch last {
		case "completed":
			ev("response.completed", `{"type":"response.completed","sequence_number":2,"response":{"id":"resp_1","object":"response","created_at":1700000000,"status":"completed","model":"gpt-5","output":[],"usage":{"input_tokens":12,"output_tokens":5,"total_tokens":17,"input_tokens_details":{"cached_tokens":0},"output_tokens_details":{"reasoning_tokens":0}}}}`)
		case "failed":
			ev("response.failed", `{"type":"response.failed","sequence_number":2,"response":{"id":"resp_1","object":"response","created_at":1700000000,"status":"failed","model":"gpt-5","output":[],"error":{"code":"server_error","message":"the model fell over"}}}`)
		}
	}
}

func TestResponsesStreamPassthroughEndsCleanly(t *testing.T) {
	up := newFakeUpstream(t, responsesStream("completed"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	stream := gw.openaiClient().Responses.NewStreaming(context.Background(), responses.ResponseNewParams{
		Model: "openai/gpt-5",
		Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
	})
	var types []string
	for stream.Next() {
		types = append(types, stream.Current().Type)
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, []string{"response.created", "response.output_text.delta", "response.completed"}, types,
		"no error frame may follow response.completed")
	row := gw.Logs.waitRows(t, 1)[0]
	assert.Equal(t, 200, row.StatusCode, row.Error)
	assert.Empty(t, row.Error)
	assert.Equal(t, int64(12), row.PromptTokens)
	assert.Equal(t, int64(5), row.CompletionTokens)
}

func TestResponsesStreamFailureAndCutAreLogged(t *testing.T) {
	for _, tc := range []struct{ last, wantErr string }{
		{"failed", "the model fell over"},
		{"cut", "before response.completed"},
	} {
		t.Run(tc.last, func(t *testing.T) {
			up := newFakeUpstream(t, responsesStream(tc.last))
			gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
			resp, body := rawPost(t, gw.URL+"/v1/responses", clientKey, `{"model":"openai/gpt-5","input":"hi","stream":true}`)
			assert.Equal(t, 200, resp.StatusCode)
			row := gw.Logs.waitRows(t, 1)[0]
			assert.Equal(t, 502, row.StatusCode)
			assert.Contains(t, row.Error, tc.wantErr)
			if tc.last == "cut" {
				// The client learns it in its own protocol: a Responses error event.
				assert.Contains(t, string(body), "event: error\ndata: {\"type\":\"error\"")
			}
		})
	}
}

func TestRoundRobinRetryTakesTheNextKey(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") == "Bearer "+upKey1 {
			statusFake(500, `{"error":{"message":"boom"}}`)(w, r)
			return
		}
		openAIChat("ok")(w, r)
	})
	gw := startGateway(t, oneProviderConfig(up.URL, "round_robin"), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	require.NoError(t, err)
	assert.Equal(t, []string{upKey1, upKey2}, upstreamKeys(up), "a retry after key 1 goes to key 2, not key 3")
	_, err = gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	require.NoError(t, err)
	assert.Equal(t, upKey3, upstreamKeys(up)[2], "the next request goes on with key 3")
	assert.Equal(t, 2, gw.Logs.waitRows(t, 1)[0].Attempts)
}

// cutStream writes the head of a stream in the given protocol, then drops
// the connection.
func cutStream(anthropicEvents bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		if anthropicEvents {
			anthropicSSE(w, "message_start", `{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"usage":{"input_tokens":9,"output_tokens":1}}}`)
			anthropicSSE(w, "content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
		} else {
			fmt.Fprint(w, "data: {\"id\":\"c1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"gpt-4o\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n")
		}
		w.(http.Flusher).Flush()
		conn, _, err := http.NewResponseController(w).Hijack()
		if err == nil {
			conn.Close()
		}
	}
}

func TestBrokenStreamsSayWhyAndNameTheProvider(t *testing.T) {
	gw, _, _ := twoProtocolGateway(t, cutStream(true), cutStream(false))
	for i, tc := range []struct{ path, body string }{
		{"/v1/chat/completions", `{"model":"claude/claude-sonnet-4-5","stream":true,"messages":[{"role":"user","content":"hi"}]}`}, // converted
		{"/v1/chat/completions", `{"model":"gpt/gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}`},               // passthrough
		{"/v1/messages", `{"model":"gpt/gpt-4o","stream":true,"max_tokens":10,"messages":[{"role":"user","content":"hi"}]}`},       // converted
	} {
		_, body := rawPost(t, gw.URL+tc.path, clientKey, tc.body)
		row := gw.Logs.waitRows(t, i+1)[i]
		assert.Equal(t, 502, row.StatusCode, tc.body)
		assert.Contains(t, row.Error, "broke off its stream", "the reason survives conversion: %s", tc.body)
		assert.Contains(t, row.Error, "provider "+row.Provider)
		assert.NotContains(t, row.Error, "...", "a key hint is no provider name")
		assert.Contains(t, string(body), "broke off its stream", "the client hears why")
	}
}

func TestUpstreamSizeCaps(t *testing.T) {
	huge := strings.Repeat("x", 2<<20)
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		if strings.Contains(string(readAll(r)), `"stream":true`) {
			w.Header().Set("Content-Type", "text/event-stream")
			fmt.Fprint(w, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\""+huge)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.(http.Flusher).Flush() // chunked: no length announced
		fmt.Fprint(w, `{"x":"`+huge+`"}`)
	})
	gw := startGateway(t, "[server]\nmax_response_mb = 1\n"+oneProviderConfig(up.URL, ""), "")
	resp, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[]}`)
	assert.Equal(t, 502, resp.StatusCode)
	assert.Contains(t, gjson.GetBytes(body, "error.message").String(), "max_response_mb")
	_, body = rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","stream":true,"messages":[]}`)
	assert.Contains(t, string(body), "max_response_mb", "the stream ends with an error frame")
	rows := gw.Logs.waitRows(t, 2)
	assert.Equal(t, 502, rows[1].StatusCode)
	assert.Contains(t, rows[1].Error, "size limit")
}

func TestClientAbortMidBodyIs499(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	conn, err := net.Dial("tcp", strings.TrimPrefix(gw.URL, "http://"))
	require.NoError(t, err)
	fmt.Fprintf(conn, "POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{\"model\":", clientKey)
	time.Sleep(50 * time.Millisecond)
	conn.Close()
	row := gw.Logs.waitRows(t, 1)[0]
	assert.Equal(t, 499, row.StatusCode, row.Error)
	assert.Empty(t, up.requests())
}

func TestRetryAfterDateAndCap(t *testing.T) {
	for _, tc := range []struct {
		name, header string
		min, max     time.Duration
	}{
		{"http-date", time.Now().Add(40 * time.Second).UTC().Format(http.TimeFormat), 30 * time.Second, 41 * time.Second},
		{"huge", "999999999", 9 * time.Minute, 10 * time.Minute},
	} {
		t.Run(tc.name, func(t *testing.T) {
			up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				w.Header().Set("Retry-After", tc.header)
				statusFake(429, `{"error":{"message":"slow down"}}`)(w, r)
			})
			gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
			_, _ = rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[]}`)
			a := gw.GW.Registry().Providers()[0].Pool.Availability(time.Now())
			require.Equal(t, 3, a.Cooling)
			assert.GreaterOrEqual(t, a.RetryIn, tc.min)
			assert.LessOrEqual(t, a.RetryIn, tc.max)
		})
	}
}

// readStatus reads the status code of one HTTP/1.1 answer on conn.
func readStatus(t *testing.T, conn net.Conn) int {
	t.Helper()
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

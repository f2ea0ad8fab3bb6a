package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

const (
	upKey1 = "sk-upstream-key-one-11111111"
	upKey2 = "sk-upstream-key-two-22222222"
	upKey3 = "sk-upstream-key-three-333333"
)

func oneProviderConfig(baseURL, strategy string) string {
	s := ""
	if strategy != "" {
		s = fmt.Sprintf("strategy = %q\n", strategy)
	}
	return fmt.Sprintf(`
[auth]
keys = [%q]
[[providers]]
name = "openai"
type = "openai"
base_url = "%s/v1"
api_keys = "%s,%s,%s"
models = ["Qwen3-Coder-Instruct-MD", "gpt-4o"]
%s`, clientKey, baseURL, upKey1, upKey2, upKey3, s)
}

func chatParams(model string) openai.ChatCompletionNewParams {
	return openai.ChatCompletionNewParams{
		Model:    openai.ChatModel(model),
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	}
}

func TestPrefixRoutingRewritesModel(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("hello there"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	client := gw.openaiClient()

	resp, err := client.Chat.Completions.New(context.Background(), chatParams("openai/Qwen3-Coder-Instruct-MD"))
	require.NoError(t, err)
	assert.Equal(t, "hello there", resp.Choices[0].Message.Content)
	assert.Equal(t, "Qwen3-Coder-Instruct-MD", resp.Model, "the response model is what the upstream returned")

	seen := up.last(t)
	assert.Equal(t, "/v1/chat/completions", seen.Path)
	assert.Equal(t, "Qwen3-Coder-Instruct-MD", gjson.GetBytes(seen.Body, "model").String(), "upstream gets the name without the prefix")
	assert.Equal(t, "hi", gjson.GetBytes(seen.Body, "messages.0.content").String(), "the rest of the body is untouched")

	rows := gw.Logs.waitRows(t, 1)
	r := rows[0]
	assert.Equal(t, 200, r.StatusCode)
	assert.Equal(t, "openai/Qwen3-Coder-Instruct-MD", r.RequestedModel)
	assert.Equal(t, "Qwen3-Coder-Instruct-MD", r.UpstreamModel)
	assert.Equal(t, "openai", r.Provider)
	assert.Equal(t, "sk-...1111", r.KeyHint)
	assert.EqualValues(t, 11, r.PromptTokens)
	assert.EqualValues(t, 7, r.CompletionTokens)
	assert.EqualValues(t, 18, r.TotalTokens)
	assert.Equal(t, 1, r.Attempts)
	assert.NotEmpty(t, r.RequestID)
}

func TestBareModelFromProviderList(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("gpt-4o"))
	require.NoError(t, err)
	assert.Equal(t, "gpt-4o", gjson.GetBytes(up.last(t).Body, "model").String())
}

func upstreamKeys(up *fakeUpstream) []string {
	var out []string
	for _, r := range up.requests() {
		out = append(out, strings.TrimPrefix(r.Header.Get("Authorization"), "Bearer "))
	}
	return out
}

func TestKeyStrategies(t *testing.T) {
	t.Run("round_robin", func(t *testing.T) {
		up := newFakeUpstream(t, openAIChat("ok"))
		gw := startGateway(t, oneProviderConfig(up.URL, "round_robin"), "")
		c := gw.openaiClient()
		for i := 0; i < 6; i++ {
			_, err := c.Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
			require.NoError(t, err)
		}
		assert.Equal(t, []string{upKey1, upKey2, upKey3, upKey1, upKey2, upKey3}, upstreamKeys(up))
	})
	t.Run("random", func(t *testing.T) {
		up := newFakeUpstream(t, openAIChat("ok"))
		gw := startGateway(t, oneProviderConfig(up.URL, "random"), "")
		c := gw.openaiClient()
		for i := 0; i < 60; i++ {
			_, err := c.Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
			require.NoError(t, err)
		}
		used := map[string]int{}
		for _, k := range upstreamKeys(up) {
			used[k]++
		}
		assert.Len(t, used, 3, "every key is used over many requests: %v", used)
	})
	t.Run("no strategy", func(t *testing.T) {
		up := newFakeUpstream(t, openAIChat("ok"))
		gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
		c := gw.openaiClient()
		for i := 0; i < 4; i++ {
			_, err := c.Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
			require.NoError(t, err)
		}
		assert.Equal(t, []string{upKey1, upKey1, upKey1, upKey1}, upstreamKeys(up))
	})
}

func TestAliases(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), `
[aliases]
"GPT-4.1-Fast" = "openai/Qwen3-Coder-Instruct-MD"
"gpt-4.1-fast" = "gpt-4o"
"chain" = "GPT-4.1-Fast"
`)
	c := gw.openaiClient()
	for _, tc := range []struct{ alias, upstream string }{
		{"GPT-4.1-Fast", "Qwen3-Coder-Instruct-MD"},
		{"gpt-4.1-fast", "gpt-4o"},
		{"chain", "Qwen3-Coder-Instruct-MD"},
	} {
		_, err := c.Chat.Completions.New(context.Background(), chatParams(tc.alias))
		require.NoError(t, err, tc.alias)
		assert.Equal(t, tc.upstream, gjson.GetBytes(up.last(t).Body, "model").String(), tc.alias)
	}
	_, err := c.Chat.Completions.New(context.Background(), chatParams("Gpt-4.1-Fast"))
	require.Error(t, err, "aliases are case-sensitive")
}

func TestModelsList(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "[aliases]\n\"GPT-4.1-Fast\" = \"openai/gpt-4o\"\n")
	page, err := gw.openaiClient().Models.List(context.Background())
	require.NoError(t, err)
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
		assert.Equal(t, "model", string(m.Object))
	}
	assert.Equal(t, []string{"openai/Qwen3-Coder-Instruct-MD", "openai/gpt-4o", "GPT-4.1-Fast"}, ids)

	m, err := gw.openaiClient().Models.Get(context.Background(), "openai/gpt-4o")
	require.NoError(t, err)
	assert.Equal(t, "openai", m.OwnedBy)
	assert.Empty(t, up.requests(), "listing models does not call the upstream")
}

func TestUnknownModelIs404(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("nobody/serves-this"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, "model_not_found", apiErr.Code)
	assert.Contains(t, apiErr.Message, "nobody/serves-this")
	assert.Empty(t, up.requests())
	rows := gw.Logs.waitRows(t, 1)
	assert.Equal(t, 404, rows[0].StatusCode)
}

func rawPost(t *testing.T, url, key, body string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, url, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp, b
}

func TestBadRequests(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	url := gw.URL + "/v1/chat/completions"
	cases := []struct {
		name, key, body string
		status          int
		code            string
	}{
		{"malformed json", clientKey, `{"model": "openai/gpt-4o", "messages": [`, 400, "invalid_json"},
		{"not an object", clientKey, `[1,2]`, 400, "invalid_json"},
		{"missing model", clientKey, `{"messages":[]}`, 400, "missing_model"},
		{"model not a string", clientKey, `{"model": 5}`, 400, "invalid_parameter"},
		{"stream not a bool", clientKey, `{"model":"openai/gpt-4o","stream":"yes"}`, 400, "invalid_parameter"},
		{"bad gateway key", "sk-wrong", `{"model":"openai/gpt-4o"}`, 401, "invalid_api_key"},
		{"no gateway key", "", `{"model":"openai/gpt-4o"}`, 401, "invalid_api_key"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawPost(t, url, tc.key, tc.body)
			assert.Equal(t, tc.status, resp.StatusCode, string(body))
			assert.Equal(t, tc.code, gjson.GetBytes(body, "error.code").String(), string(body))
			assert.NotEmpty(t, gjson.GetBytes(body, "error.message").String())
			assert.NotEmpty(t, resp.Header.Get("X-Request-Id"))
		})
	}
	assert.Empty(t, up.requests(), "no bad request reaches the upstream")
	rows := gw.Logs.waitRows(t, len(cases))
	assert.Equal(t, 401, rows[len(rows)-1].StatusCode, "rejected requests are logged too")
}

func TestSDKSeesBadKeyAs401(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	_, err := gw.openaiClient(option.WithAPIKey("sk-not-the-right-key")).Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 401, apiErr.StatusCode)
}

func TestClientCredentialsNeverForwarded(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"openai/gpt-4o","messages":[]}`))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("X-Api-Key", clientKey)
	req.Header.Set("Cookie", "session="+clientKey)
	req.Header.Set("Api-Key", clientKey)
	req.Header.Set("Connection", "keep-alive, X-Custom-Hop")
	req.Header.Set("X-Custom-Hop", "1")
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, 200, resp.StatusCode)

	seen := up.last(t)
	assert.Equal(t, "Bearer "+upKey1, seen.Header.Get("Authorization"))
	for name, vals := range seen.Header {
		for _, v := range vals {
			assert.NotContains(t, v, clientKey, "header %s carries the client key upstream", name)
		}
	}
	assert.Empty(t, seen.Header.Get("X-Custom-Hop"))
	assert.Empty(t, seen.Header.Get("Cookie"))
	assert.NotContains(t, string(seen.Body), clientKey)
	assert.Equal(t, "upstream-req-1", resp.Header.Get("X-Upstream-Request-Id"))
	assert.True(t, strings.HasPrefix(resp.Header.Get("X-Request-Id"), "req_"))
	assert.Equal(t, "127.0.0.1", gw.Logs.waitRows(t, 1)[0].ClientIP, "a forged X-Forwarded-For is not trusted")
}

func TestStreamThroughSDK(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("one two three four"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), chatParams("openai/gpt-4o"))
	var text strings.Builder
	chunks := 0
	for stream.Next() {
		ch := stream.Current()
		require.NotEmpty(t, ch.Choices, "the usage chunk the client did not ask for is hidden")
		text.WriteString(ch.Choices[0].Delta.Content)
		chunks++
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "one two three four", text.String())
	assert.Equal(t, 5, chunks)
	assert.True(t, gjson.GetBytes(up.last(t).Body, "stream_options.include_usage").Bool(), "the gateway asks the upstream for usage")

	rows := gw.Logs.waitRows(t, 1)
	assert.True(t, rows[0].Stream)
	assert.EqualValues(t, 4, rows[0].CompletionTokens, "usage read from the stream")
	assert.EqualValues(t, 15, rows[0].TotalTokens)
}

func TestStreamUsageKeptWhenAsked(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("a b"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	params := chatParams("openai/gpt-4o")
	params.StreamOptions = openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)}
	stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), params)
	var usage int64
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) == 0 {
			usage = ch.Usage.TotalTokens
		}
	}
	require.NoError(t, stream.Err())
	assert.EqualValues(t, 13, usage)
}

// TestStreamIsNotBuffered proves each event reaches the client as it
// arrives: the upstream sends its second chunk only after the client has
// received the first.
func TestStreamIsNotBuffered(t *testing.T) {
	gotFirst := make(chan struct{})
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"first\"},\"finish_reason\":null}]}\n\n")
		fl.Flush()
		select {
		case <-gotFirst:
		case <-time.After(5 * time.Second):
			fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" TIMEOUT\"},\"finish_reason\":null}]}\n\n")
		}
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\" second\"},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), chatParams("openai/gpt-4o"))
	require.True(t, stream.Next())
	assert.Equal(t, "first", stream.Current().Choices[0].Delta.Content)
	close(gotFirst)
	var rest strings.Builder
	for stream.Next() {
		rest.WriteString(stream.Current().Choices[0].Delta.Content)
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, " second", rest.String(), "the first chunk was held back until the stream ended")
}

func TestClientDisconnectCancelsUpstream(t *testing.T) {
	upstreamDone := make(chan struct{})
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"x\"},\"finish_reason\":null}]}\n\n")
		w.(http.Flusher).Flush()
		select {
		case <-r.Context().Done():
			close(upstreamDone)
		case <-time.After(10 * time.Second):
		}
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	ctx, cancel := context.WithCancel(context.Background())
	stream := gw.openaiClient().Chat.Completions.NewStreaming(ctx, chatParams("openai/gpt-4o"))
	require.True(t, stream.Next())
	cancel()
	select {
	case <-upstreamDone:
	case <-time.After(5 * time.Second):
		t.Fatal("the upstream request was not cancelled when the client went away")
	}
	rows := gw.Logs.waitRows(t, 1)
	assert.Equal(t, 499, rows[0].StatusCode)
}

func TestUpstreamErrorPassedOn(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(400)
		fmt.Fprint(w, `{"error":{"message":"max_tokens is too large","type":"invalid_request_error","param":"max_tokens","code":null}}`)
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 400, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "max_tokens is too large")
	assert.Len(t, up.requests(), 1, "a 400 is never retried")
}

func TestDeadUpstreamIs502(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	url := up.URL
	up.Close()
	gw := startGateway(t, oneProviderConfig(url, ""), "")
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 502, apiErr.StatusCode)
	assert.Contains(t, apiErr.Message, "unreachable")
	for _, k := range []string{upKey1, upKey2, upKey3} {
		assert.NotContains(t, apiErr.RawJSON(), k)
	}
}

func TestEmbeddingsPassthrough(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"object":"list","data":[{"object":"embedding","index":0,"embedding":[0.1,0.2]}],"model":"text-embedding-3-small","usage":{"prompt_tokens":3,"total_tokens":3}}`)
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	resp, err := gw.openaiClient().Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "openai/text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfString: openai.String("hello")},
	})
	require.NoError(t, err)
	assert.Len(t, resp.Data[0].Embedding, 2)
	seen := up.last(t)
	assert.Equal(t, "/v1/embeddings", seen.Path)
	assert.Equal(t, "text-embedding-3-small", gjson.GetBytes(seen.Body, "model").String())
	rows := gw.Logs.waitRows(t, 1)
	assert.EqualValues(t, 3, rows[0].PromptTokens)
}

func TestRequestCannotSteerUpstreamURL(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	for _, path := range []string{"/v1/../admin/keys", "/v1/embeddings/..%2f..%2fx", "/v1//evil.example/x", "/v1/x%3Fq=1"} {
		req, err := http.NewRequest(http.MethodPost, gw.URL+path, strings.NewReader(`{"model":"openai/gpt-4o"}`))
		require.NoError(t, err)
		req.Header.Set("Authorization", "Bearer "+clientKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Contains(t, []int{400, 404}, resp.StatusCode, path)
	}
	assert.Empty(t, up.requests(), "no such request reached the upstream")
}

func TestTrustedProxyForwardedFor(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, "[server]\ntrusted_proxies = [\"127.0.0.0/8\"]\n"+oneProviderConfig(up.URL, ""), "")
	req, _ := http.NewRequest(http.MethodPost, gw.URL+"/v1/chat/completions", strings.NewReader(`{"model":"openai/gpt-4o","messages":[]}`))
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("X-Forwarded-For", "203.0.113.9")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, "203.0.113.9", gw.Logs.waitRows(t, 1)[0].ClientIP, "the client behind a trusted load balancer")
}

// TestBodyEditsAreExact checks the bytes the upstream receives: only the
// model name and, for streams, stream_options change; every other byte of
// the client's body, spacing and member order included, arrives as sent.
func TestBodyEditsAreExact(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("a b"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), `
[aliases]
"short" = "openai/Qwen3-Coder-Instruct-MD"
`)
	big := strings.Repeat(`{"role":"user","content":"model stream_options \"x\" 你好"},`, 2000)
	cases := []struct {
		name, body, want string
	}{
		{"model last, as openai-python sends it",
			`{"messages":[` + big + `{"role":"user","content":"hi"}], "temperature" : 0.5 ,"model":"openai/gpt-4o"}`,
			`{"messages":[` + big + `{"role":"user","content":"hi"}], "temperature" : 0.5 ,"model":"gpt-4o"}`},
		{"a longer upstream name",
			`{"model":"short","messages":[{"role":"user","content":"hi"}]}`,
			`{"model":"Qwen3-Coder-Instruct-MD","messages":[{"role":"user","content":"hi"}]}`},
		{"escaped key",
			`{"mod\u0065l":"openai/gpt-4o","messages":[]}`,
			`{"mod\u0065l":"gpt-4o","messages":[]}`},
		{"unprefixed name stays byte for byte",
			`{ "model" : "gpt-4o" , "messages":[] }`,
			`{ "model" : "gpt-4o" , "messages":[] }`},
		{"stream without stream_options gets it added",
			`{"model":"openai/gpt-4o","stream":true,"messages":[` + big + `{"role":"user","content":"hi"}]}  `,
			`{"model":"gpt-4o","stream":true,"messages":[` + big + `{"role":"user","content":"hi"}],"stream_options":{"include_usage":true}}  `},
		{"include_usage false is turned on, other options kept",
			`{"stream_options":{"include_usage":false,"x":1},"stream":true,"messages":[],"model":"openai/gpt-4o"}`,
			`{"stream_options":{"include_usage":true,"x":1},"stream":true,"messages":[],"model":"gpt-4o"}`},
		{"stream_options null is replaced",
			`{"model":"openai/gpt-4o","stream":true,"stream_options":null,"messages":[]}`,
			`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}`},
		{"include_usage already on: nothing added",
			`{"model":"openai/gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}`,
			`{"model":"gpt-4o","stream":true,"stream_options":{"include_usage":true},"messages":[]}`},
		{"stream_options in a message is not the request's",
			`{"model":"openai/gpt-4o","stream":true,"messages":[{"role":"user","content":"x","stream_options":{}}]}`,
			`{"model":"gpt-4o","stream":true,"messages":[{"role":"user","content":"x","stream_options":{}}],"stream_options":{"include_usage":true}}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			resp, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, tc.body)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
			assert.Equal(t, tc.want, string(up.last(t).Body))
			if strings.Contains(tc.body, `"stream":true`) {
				assert.Equal(t, strings.Contains(tc.body, `"include_usage":true`), strings.Contains(string(body), `"usage":{`),
					"the client sees the usage chunk only when it asked for it")
			}
		})
	}
}

// TestDuplicateRoutingMembersRefused: decoders disagree on which of two
// equal keys counts, so a body naming two models could be routed and
// logged as one while the upstream runs the other.
func TestDuplicateRoutingMembersRefused(t *testing.T) {
	up := newFakeUpstream(t, openAIChat("ok"))
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	for _, body := range []string{
		`{"model":"openai/gpt-4o","messages":[],"model":"openai/Qwen3-Coder-Instruct-MD"}`,
		`{"model":"openai/gpt-4o","messages":[],"mod\u0065l":"other"}`,
		`{"model":"openai/gpt-4o","stream":false,"stream":true}`,
	} {
		resp, out := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		assert.Equal(t, "invalid_json", gjson.GetBytes(out, "error.code").String(), string(out))
		assert.Contains(t, gjson.GetBytes(out, "error.message").String(), "twice", string(out))
	}
	resp, out := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[{"model":"a"},{"model":"b"}]}`)
	assert.Equal(t, http.StatusOK, resp.StatusCode, "nested members may repeat: %s", out)
	assert.Len(t, up.requests(), 1, "no refused body reaches the upstream")
	_, out = rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[],"model":"x"}`)
	assert.Contains(t, gjson.GetBytes(out, "error.message").String(), `"model" twice`)
}

// TestUpstreamAnswerShorterThanAnnounced: an answer cut off before its
// Content-Length is a 502, never relayed as a complete shorter answer.
func TestUpstreamAnswerShorterThanAnnounced(t *testing.T) {
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err != nil {
			return
		}
		defer conn.Close()
		fmt.Fprint(buf, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 500\r\n\r\n{\"id\":\"chatcmpl-1\",\"choices\":[")
		buf.Flush()
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	resp, body := rawPost(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"openai/gpt-4o","messages":[]}`)
	assert.Equal(t, http.StatusBadGateway, resp.StatusCode, string(body))
	assert.Contains(t, gjson.GetBytes(body, "error.message").String(), "broke off")
	assert.Equal(t, http.StatusBadGateway, gw.Logs.waitRows(t, 1)[0].StatusCode)
}

// TestUpstreamConnectionsReused: a non-stream answer read into a buffer of
// its announced size still ends at EOF, so the connection goes back to
// the pool instead of being closed after every request.
func TestUpstreamConnectionsReused(t *testing.T) {
	var conns atomic.Int32
	up := httptest.NewUnstartedServer(openAIChat("reuse me"))
	up.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			conns.Add(1)
		}
	}
	up.Start()
	t.Cleanup(up.Close)
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	c := gw.openaiClient()
	for range 10 {
		res, err := c.Chat.Completions.New(context.Background(), chatParams("openai/gpt-4o"))
		require.NoError(t, err)
		require.Equal(t, "reuse me", res.Choices[0].Message.Content)
	}
	assert.EqualValues(t, 1, conns.Load(), "ten sequential requests share one upstream connection")
}

// TestStreamLongEventRelayedWhole: an event with a data line far longer
// than the relay's read buffer (a large tool-call argument or a base64
// image in one chunk) reaches the client byte for byte.
func TestStreamLongEventRelayedWhole(t *testing.T) {
	long := strings.Repeat("0123456789abcdef", 3000) // 48 KB of content in one event
	up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/event-stream")
		for i, piece := range []string{"start ", long, " end"} {
			delta := map[string]any{"content": piece}
			if i == 0 {
				delta["role"] = "assistant"
			}
			d, _ := json.Marshal(delta)
			fmt.Fprintf(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]}\n\n", d)
		}
		fmt.Fprint(w, "data: {\"id\":\"c\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n")
		fmt.Fprint(w, "data: [DONE]\n\n")
	})
	gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
	stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), chatParams("openai/gpt-4o"))
	var text strings.Builder
	for stream.Next() {
		if ch := stream.Current(); len(ch.Choices) > 0 {
			text.WriteString(ch.Choices[0].Delta.Content)
		}
	}
	require.NoError(t, stream.Err())
	assert.True(t, text.String() == "start "+long+" end", "content differs: got %d bytes, want %d", text.Len(), len(long)+10)
}

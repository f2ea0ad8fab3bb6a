package mock

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/shared"
)

func newServer(t *testing.T, opts Options) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(New(opts))
	t.Cleanup(srv.Close)
	return srv
}

func openAIClient(srv *httptest.Server, key string) openai.Client {
	return openai.NewClient(
		option.WithBaseURL(srv.URL+"/v1/"),
		option.WithAPIKey(key),
		option.WithMaxRetries(0),
	)
}

func anthropicClient(srv *httptest.Server, key string) anthropic.Client {
	return anthropic.NewClient(
		aoption.WithBaseURL(srv.URL),
		aoption.WithAPIKey(key),
		aoption.WithMaxRetries(0),
	)
}

func weatherTool() openai.ChatCompletionToolUnionParam {
	return openai.ChatCompletionFunctionTool(shared.FunctionDefinitionParam{
		Name: ToolName,
		Parameters: shared.FunctionParameters{
			"type":       "object",
			"properties": map[string]any{"city": map[string]any{"type": "string"}},
		},
	})
}

func TestOpenAIChat(t *testing.T) {
	srv := newServer(t, Options{})
	client := openAIClient(srv, "sk-anything")
	res, err := client.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{
		Model:    "mock-gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(res.ID, "chatcmpl-mock-") || res.Model != "mock-gpt-4o" || res.Created == 0 {
		t.Errorf("id %q model %q created %d", res.ID, res.Model, res.Created)
	}
	if len(res.Choices) != 1 {
		t.Fatalf("choices: %d", len(res.Choices))
	}
	c := res.Choices[0]
	if c.Message.Content != DefaultText || c.Message.Role != "assistant" || c.FinishReason != "stop" {
		t.Errorf("choice: %+v", c)
	}
	u := res.Usage
	if u.PromptTokens < 1 || u.CompletionTokens != int64(estimateTokens(len(DefaultText))) ||
		u.TotalTokens != u.PromptTokens+u.CompletionTokens {
		t.Errorf("usage: %+v", u)
	}
}

func TestOpenAIChatStream(t *testing.T) {
	const chunks = 7
	srv := newServer(t, Options{Chunks: chunks, Text: "The quick brown fox jumps over the lazy dog."})
	client := openAIClient(srv, "k")
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:         "mock-gpt-4o-mini",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	})
	var (
		text         strings.Builder
		pieces       int
		finish, role string
		usage        *openai.CompletionUsage
	)
	acc := openai.ChatCompletionAccumulator{}
	for stream.Next() {
		chunk := stream.Current()
		acc.AddChunk(chunk)
		if chunk.Model != "mock-gpt-4o-mini" || chunk.Object != "chat.completion.chunk" {
			t.Errorf("chunk: %s", chunk.RawJSON())
		}
		if len(chunk.Choices) == 0 {
			if usage != nil {
				t.Error("two usage chunks")
			}
			usage = &chunk.Usage
			continue
		}
		if chunk.JSON.Usage.Valid() {
			t.Errorf("usage should be null before the last chunk: %s", chunk.RawJSON())
		}
		d := chunk.Choices[0].Delta
		if d.Role != "" {
			role = d.Role
		}
		if d.Content != "" {
			pieces++
			text.WriteString(d.Content)
		}
		if chunk.Choices[0].FinishReason != "" {
			finish = chunk.Choices[0].FinishReason
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if text.String() != "The quick brown fox jumps over the lazy dog." || pieces != chunks {
		t.Errorf("text %q in %d pieces", text.String(), pieces)
	}
	if role != "assistant" || finish != "stop" {
		t.Errorf("role %q finish %q", role, finish)
	}
	if usage == nil || usage.CompletionTokens != 11 || usage.TotalTokens != usage.PromptTokens+11 {
		t.Errorf("usage: %+v", usage)
	}
	if acc.Choices[0].Message.Content != text.String() {
		t.Errorf("accumulated: %q", acc.Choices[0].Message.Content)
	}
}

func TestOpenAIToolCall(t *testing.T) {
	srv := newServer(t, Options{})
	client := openAIClient(srv, "k")
	params := openai.ChatCompletionNewParams{
		Model:    "mock-gpt-4o",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("What's the Weather in Paris?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool()},
	}
	res, err := client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	c := res.Choices[0]
	if c.FinishReason != "tool_calls" || len(c.Message.ToolCalls) != 1 {
		t.Fatalf("choice: %s", c.RawJSON())
	}
	if f := c.Message.ToolCalls[0].Function; f.Name != ToolName || f.Arguments != ToolArguments {
		t.Errorf("function: %+v", f)
	}

	stream := client.Chat.Completions.NewStreaming(context.Background(), params)
	acc := openai.ChatCompletionAccumulator{}
	argChunks := 0
	for stream.Next() {
		chunk := stream.Current()
		acc.AddChunk(chunk)
		if len(chunk.Choices) == 1 {
			for _, tc := range chunk.Choices[0].Delta.ToolCalls {
				if tc.Index != 0 {
					t.Errorf("tool call index %d", tc.Index)
				}
				if tc.Function.Arguments != "" {
					argChunks++
				}
			}
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if argChunks != 2 {
		t.Errorf("arguments in %d chunks, want 2", argChunks)
	}
	got := acc.Choices[0]
	if got.FinishReason != "tool_calls" || len(got.Message.ToolCalls) != 1 ||
		got.Message.ToolCalls[0].Function.Name != ToolName ||
		got.Message.ToolCalls[0].Function.Arguments != ToolArguments ||
		!strings.HasPrefix(got.Message.ToolCalls[0].ID, "call_mock_") {
		t.Errorf("accumulated: %+v", got)
	}

	// Without tools, or once the tool answered, the reply is text again.
	params.Messages = append(params.Messages,
		c.Message.ToParam(),
		openai.ToolMessage(`{"weather":"sunny"}`, c.Message.ToolCalls[0].ID))
	res, err = client.Chat.Completions.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if res.Choices[0].FinishReason != "stop" || res.Choices[0].Message.Content != DefaultText {
		t.Errorf("after tool result: %s", res.Choices[0].RawJSON())
	}
}

func TestOpenAIModels(t *testing.T) {
	srv := newServer(t, Options{})
	client := openAIClient(srv, "k")
	page, err := client.Models.List(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, m := range page.Data {
		if m.Object != "model" || m.Created == 0 || m.OwnedBy == "" {
			t.Errorf("model: %s", m.RawJSON())
		}
		ids = append(ids, m.ID)
	}
	if strings.Join(ids, ",") != strings.Join(DefaultModels(), ",") {
		t.Errorf("ids: %v", ids)
	}
	m, err := client.Models.Get(context.Background(), "mock-gpt-4o")
	if err != nil || m.ID != "mock-gpt-4o" {
		t.Errorf("get: %v %v", m, err)
	}
}

func TestOpenAIEmbeddings(t *testing.T) {
	srv := newServer(t, Options{})
	client := openAIClient(srv, "k")
	res, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model: "mock-text-embedding-3-small",
		Input: openai.EmbeddingNewParamsInputUnion{OfArrayOfStrings: []string{"a", "b"}},
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Data) != 2 || res.Model != "mock-text-embedding-3-small" || res.Usage.PromptTokens < 1 {
		t.Fatalf("response: %s", res.RawJSON())
	}
	for i, d := range res.Data {
		if d.Index != int64(i) || len(d.Embedding) != embeddingDims {
			t.Errorf("embedding %d: %s", i, d.RawJSON())
		}
	}
	if res.Data[0].Embedding[0] == res.Data[1].Embedding[0] {
		t.Error("different inputs gave equal vectors")
	}
	// base64 is what the Python SDK asks for by default.
	b64, err := client.Embeddings.New(context.Background(), openai.EmbeddingNewParams{
		Model:          "m",
		Input:          openai.EmbeddingNewParamsInputUnion{OfString: openai.String("a")},
		EncodingFormat: openai.EmbeddingNewParamsEncodingFormatBase64,
	})
	if err != nil {
		t.Fatal(err)
	}
	var raw struct {
		Data []struct{ Embedding string }
	}
	if err := json.Unmarshal([]byte(b64.RawJSON()), &raw); err != nil || len(raw.Data) != 1 || len(raw.Data[0].Embedding) != 44 {
		t.Errorf("base64: %s %v", b64.RawJSON(), err)
	}
}

func TestAnthropicMessage(t *testing.T) {
	srv := newServer(t, Options{Text: "Bonjour, \"monde\" é\n"})
	client := anthropicClient(srv, "sk-ant")
	msg, err := client.Messages.New(context.Background(), anthropic.MessageNewParams{
		Model:     "claude-mock-sonnet-4-5",
		MaxTokens: 100,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(msg.ID, "msg_mock") || msg.Model != "claude-mock-sonnet-4-5" || msg.Role != "assistant" {
		t.Errorf("message: %s", msg.RawJSON())
	}
	if len(msg.Content) != 1 || msg.Content[0].Type != "text" || msg.Content[0].Text != "Bonjour, \"monde\" é\n" {
		t.Errorf("content: %s", msg.RawJSON())
	}
	if msg.StopReason != "end_turn" || !msg.JSON.StopSequence.Valid() && msg.StopSequence != "" {
		t.Errorf("stop: %s", msg.RawJSON())
	}
	if msg.Usage.InputTokens < 1 || msg.Usage.OutputTokens != int64(estimateTokens(len("Bonjour, \"monde\" é\n"))) {
		t.Errorf("usage: %s", msg.Usage.RawJSON())
	}
}

func TestAnthropicStream(t *testing.T) {
	srv := newServer(t, Options{Chunks: 5})
	client := anthropicClient(srv, "sk-ant")
	stream := client.Messages.NewStreaming(context.Background(), anthropic.MessageNewParams{
		Model:     "claude-mock-haiku-4-5",
		MaxTokens: 100,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	var (
		msg    anthropic.Message
		events []string
		deltas int
	)
	for stream.Next() {
		ev := stream.Current()
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "content_block_delta" {
			deltas++
		} else {
			events = append(events, ev.Type)
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	// The SDK drops ping events; TestRawWireFormat checks that one is sent.
	want := "message_start content_block_start content_block_stop message_delta message_stop"
	if strings.Join(events, " ") != want || deltas != 5 {
		t.Errorf("events %v with %d deltas", events, deltas)
	}
	if len(msg.Content) != 1 || msg.Content[0].Text != DefaultText || msg.StopReason != "end_turn" {
		t.Errorf("accumulated: %s", msg.RawJSON())
	}
	if msg.Model != "claude-mock-haiku-4-5" || msg.Usage.InputTokens < 1 ||
		msg.Usage.OutputTokens != int64(estimateTokens(len(DefaultText))) {
		t.Errorf("accumulated: %s", msg.RawJSON())
	}
}

func TestAnthropicToolUseStream(t *testing.T) {
	srv := newServer(t, Options{})
	client := anthropicClient(srv, "sk-ant")
	params := anthropic.MessageNewParams{
		Model:     "claude-mock-sonnet-4-5",
		MaxTokens: 100,
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("weather in Paris?"))},
		Tools: []anthropic.ToolUnionParam{anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
			Properties: map[string]any{"city": map[string]any{"type": "string"}},
		}, ToolName)},
	}
	stream := client.Messages.NewStreaming(context.Background(), params)
	var msg anthropic.Message
	partials := 0
	for stream.Next() {
		ev := stream.Current()
		if err := msg.Accumulate(ev); err != nil {
			t.Fatal(err)
		}
		if ev.Type == "content_block_delta" && ev.Delta.Type == "input_json_delta" {
			partials++
		}
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if partials != 3 { // Anthropic's empty opening piece, then two halves
		t.Errorf("%d input_json_delta events", partials)
	}
	if msg.StopReason != "tool_use" || len(msg.Content) != 1 {
		t.Fatalf("accumulated: %s", msg.RawJSON())
	}
	block := msg.Content[0]
	if block.Type != "tool_use" || block.Name != ToolName || string(block.Input) != ToolArguments ||
		!strings.HasPrefix(block.ID, "toolu_mock_") {
		t.Errorf("block: %s", block.RawJSON())
	}

	// Non-stream, then the tool result ends the loop.
	res, err := client.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != "tool_use" || res.Content[0].Name != ToolName || string(res.Content[0].Input) != ToolArguments {
		t.Errorf("non-stream: %s", res.RawJSON())
	}
	params.Messages = append(params.Messages, res.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(res.Content[0].ID, "weather: sunny", false)))
	res, err = client.Messages.New(context.Background(), params)
	if err != nil {
		t.Fatal(err)
	}
	if res.StopReason != "end_turn" || res.Content[0].Text != DefaultText {
		t.Errorf("after tool result: %s", res.RawJSON())
	}
}

func TestAnthropicModelsPaging(t *testing.T) {
	models := []string{"claude-mock-opus-4-1", "claude-mock-sonnet-4-5", "claude-mock-haiku-4-5", "m4", "m5"}
	srv := newServer(t, Options{Models: models})
	client := anthropicClient(srv, "sk-ant")

	var requests int
	counting := aoption.WithMiddleware(func(r *http.Request, next aoption.MiddlewareNext) (*http.Response, error) {
		requests++
		return next(r)
	})
	pager := client.Models.ListAutoPaging(context.Background(),
		anthropic.ModelListParams{Limit: anthropic.Int(2)}, counting)
	var ids []string
	for pager.Next() {
		m := pager.Current()
		if m.CreatedAt.IsZero() || m.DisplayName == "" {
			t.Errorf("model: %s", m.RawJSON())
		}
		ids = append(ids, m.ID)
	}
	if err := pager.Err(); err != nil {
		t.Fatal(err)
	}
	if strings.Join(ids, ",") != strings.Join(models, ",") || requests != 3 {
		t.Errorf("ids %v in %d requests", ids, requests)
	}

	page, err := client.Models.List(context.Background(), anthropic.ModelListParams{
		BeforeID: anthropic.String("m4"), Limit: anthropic.Int(2)})
	if err != nil {
		t.Fatal(err)
	}
	if page.FirstID != "claude-mock-sonnet-4-5" || page.LastID != "claude-mock-haiku-4-5" || !page.HasMore {
		t.Errorf("before_id page: %s", page.RawJSON())
	}
	m, err := client.Models.Get(context.Background(), "claude-mock-sonnet-4-5", anthropic.ModelGetParams{})
	if err != nil || m.DisplayName != "Claude Mock Sonnet 4.5" {
		t.Errorf("get: %v %v", m, err)
	}
}

func TestAnthropicCountTokens(t *testing.T) {
	srv := newServer(t, Options{})
	client := anthropicClient(srv, "sk-ant")
	res, err := client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "claude-mock-sonnet-4-5",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hello there"))},
	})
	if err != nil {
		t.Fatal(err)
	}
	if res.InputTokens < 1 {
		t.Errorf("count: %s", res.RawJSON())
	}
}

// do sends a raw request and returns the status and decoded JSON body.
func do(t *testing.T, method, url, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	var out map[string]any
	if err := json.NewDecoder(res.Body).Decode(&out); err != nil {
		t.Fatalf("%s %s: body is not JSON: %v", method, url, err)
	}
	return res.StatusCode, out
}

func TestErrors(t *testing.T) {
	srv := newServer(t, Options{Keys: []string{"good"}})
	chat := srv.URL + "/v1/chat/completions"
	msgs := srv.URL + "/v1/messages"
	okChat := `{"model":"m","messages":[{"role":"user","content":"hi"}]}`
	ant := map[string]string{"x-api-key": "good", "anthropic-version": "2023-06-01"}

	oaiError := func(body map[string]any) (typ, code string) {
		e, _ := body["error"].(map[string]any)
		typ, _ = e["type"].(string)
		code, _ = e["code"].(string)
		if _, ok := e["message"].(string); !ok {
			t.Errorf("no message: %v", body)
		}
		if p, ok := e["param"]; !ok || p != nil {
			t.Errorf("param should be null: %v", body)
		}
		return typ, code
	}
	antError := func(body map[string]any) string {
		if body["type"] != "error" {
			t.Errorf("type: %v", body)
		}
		e, _ := body["error"].(map[string]any)
		if _, ok := e["message"].(string); !ok {
			t.Errorf("no message: %v", body)
		}
		typ, _ := e["type"].(string)
		return typ
	}

	for _, h := range []map[string]string{nil, {"Authorization": "Bearer "}, {"Authorization": "Bearer bad"}} {
		status, body := do(t, "POST", chat, okChat, h)
		if typ, code := oaiError(body); status != 401 || typ != "invalid_request_error" || code != "invalid_api_key" {
			t.Errorf("%v: %d %v", h, status, body)
		}
	}
	if status, body := do(t, "POST", chat, `{"model":`, map[string]string{"Authorization": "Bearer good"}); status != 400 {
		t.Errorf("malformed: %d %v", status, body)
	} else if typ, _ := oaiError(body); typ != "invalid_request_error" {
		t.Errorf("malformed: %v", body)
	}
	if status, body := do(t, "POST", srv.URL+"/v1/embeddings", `[1,`, map[string]string{"Authorization": "Bearer good"}); status != 400 {
		t.Errorf("malformed embeddings: %d %v", status, body)
	}
	if status, body := do(t, "GET", srv.URL+"/v1/models", "", nil); status != 401 {
		t.Errorf("models without key: %d %v", status, body)
	}

	cases := []struct {
		name   string
		header map[string]string
		body   string
		status int
		typ    string
	}{
		{"no key", map[string]string{"anthropic-version": "2023-06-01"}, okChat, 401, "authentication_error"},
		{"bad key", map[string]string{"x-api-key": "bad", "anthropic-version": "2023-06-01"}, okChat, 401, "authentication_error"},
		{"no version", map[string]string{"x-api-key": "good"}, okChat, 400, "invalid_request_error"},
		{"malformed", ant, `{"model":"m",`, 400, "invalid_request_error"},
		{"no messages", ant, `{"model":"m","messages":[]}`, 400, "invalid_request_error"},
	}
	for _, c := range cases {
		status, body := do(t, "POST", msgs, c.body, c.header)
		if typ := antError(body); status != c.status || typ != c.typ {
			t.Errorf("%s: %d %v", c.name, status, body)
		}
	}
	if status, body := do(t, "POST", msgs+"/count_tokens", `nope`, ant); status != 400 || antError(body) != "invalid_request_error" {
		t.Errorf("count_tokens malformed: %d %v", status, body)
	}
	if status, body := do(t, "GET", srv.URL+"/v1/models?limit=0", "", ant); status != 400 {
		t.Errorf("limit 0: %d %v", status, body)
	}
	if status, body := do(t, "GET", srv.URL+"/v1/nope", "", nil); status != 404 {
		t.Errorf("unknown url: %d %v", status, body)
	}
}

// TestRawWireFormat checks details the SDKs tolerate but a gateway relaying
// bytes would notice: frame layout, [DONE], usage:null, event names.
func TestRawWireFormat(t *testing.T) {
	srv := newServer(t, Options{Chunks: 2, Text: "ab"})
	post := func(path, body string, h map[string]string) (string, string) {
		req, _ := http.NewRequest("POST", srv.URL+path, strings.NewReader(body))
		for k, v := range h {
			req.Header.Set(k, v)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.Header.Get("Content-Type"), string(b)
	}

	ct, got := post("/v1/chat/completions",
		`{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"Authorization": "Bearer k"})
	frames := strings.Split(strings.TrimSuffix(got, "\n\n"), "\n\n")
	if ct != "text/event-stream" || len(frames) != 5 || frames[4] != "data: [DONE]" {
		t.Fatalf("%s\n%s", ct, got)
	}
	for i, f := range frames[:4] {
		var v map[string]any
		if !strings.HasPrefix(f, "data: {") || json.Unmarshal([]byte(f[6:]), &v) != nil {
			t.Fatalf("frame %d: %q", i, f)
		}
		if _, ok := v["usage"]; !ok {
			t.Errorf("frame %d has no usage key: %s", i, f)
		}
	}
	if !strings.Contains(frames[0], `"delta":{"role":"assistant","content":"a"}`) ||
		!strings.Contains(frames[2], `"delta":{},"logprobs":null,"finish_reason":"stop"}],"usage":null}`) ||
		!strings.Contains(frames[3], `"choices":[],"usage":{"prompt_tokens":`) {
		t.Errorf("frames:\n%s", got)
	}

	_, got = post("/v1/messages", `{"model":"m","max_tokens":5,"stream":true,"messages":[{"role":"user","content":"hi"}]}`,
		map[string]string{"x-api-key": "k", "anthropic-version": "2023-06-01"})
	var names []string
	for f := range strings.SplitSeq(strings.TrimSuffix(got, "\n\n"), "\n\n") {
		lines := strings.Split(f, "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("frame %q", f)
		}
		name := lines[0][len("event: "):]
		var v struct{ Type string }
		if err := json.Unmarshal([]byte(lines[1][len("data: "):]), &v); err != nil || v.Type != name {
			t.Errorf("frame %q: type %q", f, v.Type)
		}
		names = append(names, name)
	}
	want := "message_start content_block_start ping content_block_delta content_block_delta content_block_stop message_delta message_stop"
	if strings.Join(names, " ") != want {
		t.Errorf("events: %v", names)
	}
}

func TestLatencyAndChunkDelay(t *testing.T) {
	srv := newServer(t, Options{Chunks: 4, ChunkDelay: 20 * time.Millisecond, Latency: 30 * time.Millisecond})
	start := time.Now()
	client := openAIClient(srv, "k")
	stream := client.Chat.Completions.NewStreaming(context.Background(), openai.ChatCompletionNewParams{
		Model:    "m",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")},
	})
	for stream.Next() {
	}
	if err := stream.Err(); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d < 90*time.Millisecond { // 30ms + 3 gaps of 20ms
		t.Errorf("stream took %v", d)
	}
}

func TestSplit(t *testing.T) {
	for _, c := range []struct {
		text string
		n    int
		want []string
	}{
		{"abcdef", 3, []string{"ab", "cd", "ef"}},
		{"abcde", 2, []string{"ab", "cde"}},
		{"héllo", 5, []string{"h", "é", "l", "l", "o"}},
		{"ab", 10, []string{"a", "b"}},
	} {
		got := split(c.text, c.n)
		if strings.Join(got, "|") != strings.Join(c.want, "|") {
			t.Errorf("split(%q, %d) = %q", c.text, c.n, got)
		}
	}
	if got := len(split(DefaultText, DefaultChunks)); got != DefaultChunks {
		t.Errorf("default text splits into %d pieces", got)
	}
}

func BenchmarkChatNonStream(b *testing.B) {
	h := New(Options{})
	body := []byte(`{"model":"mock-gpt-4o","messages":[{"role":"system","content":"You are terse."},{"role":"user","content":"Say hello."}]}`)
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/v1/chat/completions", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer k")
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code, w.Body.String())
		}
	}
}

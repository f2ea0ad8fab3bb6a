package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/anthropics/anthropic-sdk-go/v2"
	"github.com/openai/openai-go/v3"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/app"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/store"
	"github.com/aigw/aigw/internal/testdb"
)

// Usage shapes the fakes below report, as the real APIs do.
//
// OpenAI: prompt_tokens includes the cached part; reasoning is part of
// completion_tokens.
const (
	oaiPrompt, oaiCached, oaiCompletion, oaiReasoning = 1000, 400, 500, 200
	// Anthropic: input_tokens excludes the cache; 300 written to the
	// cache, 200 of them with the 1-hour TTL.
	antInput, antCacheRead, antCacheWrite, antCacheWrite1h, antOutput = 100, 600, 300, 200, 50
)

// costPrices prices the two upstream models (per million tokens). The
// client-facing names are aliases: the price is the upstream model's.
const costPrices = `
[pricing]
currency = "USD"

[prices."oai/gpt-up"]
input = 2.0
output = 8.0
cache_read = 0.5

[prices."claude-up"]
input = 2.0
output = 8.0
cache_read = 0.5
cache_write = 2.5
`

// Expected costs, worked out by hand from README "价格与费用":
// uncached prompt x input + cache reads x cache_read + cache writes x
// cache_write (1-hour writes at 1.6 x cache_write) + completion x output.
var (
	// (1000-400) x 2 + 400 x 0.5 + 500 x 8 = 5400 per million
	wantOpenAICost = 5400.0 / 1e6
	// 100 x 2 + 600 x 0.5 + 100 x 2.5 + 200 x 4 + 50 x 8 = 1950 per million
	wantAnthropicCost = 1950.0 / 1e6
)

const oaiUsageJSON = `{"prompt_tokens":1000,"completion_tokens":500,"total_tokens":1500,` +
	`"prompt_tokens_details":{"cached_tokens":400},"completion_tokens_details":{"reasoning_tokens":200}}`

const antUsageStart = `{"input_tokens":100,"cache_read_input_tokens":600,"cache_creation_input_tokens":300,` +
	`"cache_creation":{"ephemeral_5m_input_tokens":100,"ephemeral_1h_input_tokens":200},"output_tokens":1}`

// costOpenAIUpstream speaks Chat Completions and the Responses API with
// cached and reasoning tokens in its usage.
func costOpenAIUpstream(w http.ResponseWriter, r *http.Request) {
	body := readAll(r)
	model := gjson.GetBytes(body, "model").String()
	stream := gjson.GetBytes(body, "stream").Bool()
	if strings.HasSuffix(r.URL.Path, "/responses") {
		usage := `{"input_tokens":1000,"input_tokens_details":{"cached_tokens":400},"output_tokens":500,` +
			`"output_tokens_details":{"reasoning_tokens":200},"total_tokens":1500}`
		resp := fmt.Sprintf(`{"id":"resp_1","object":"response","status":"completed","model":%q,"output":[],"usage":%s}`, model, usage)
		if !stream {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, resp)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		fmt.Fprintf(w, "event: response.created\ndata: {\"type\":\"response.created\",\"response\":{\"id\":\"resp_1\",\"status\":\"in_progress\",\"model\":%q}}\n\n", model)
		fmt.Fprintf(w, "event: response.completed\ndata: {\"type\":\"response.completed\",\"response\":%s}\n\n", resp)
		return
	}
	if !stream {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":%q,`+
			`"choices":[{"index":0,"message":{"role":"assistant","content":"ok"},"finish_reason":"stop"}],"usage":%s}`, model, oaiUsageJSON)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"ok\"},\"finish_reason\":null}],\"usage\":null}\n\n", model)
	fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}],\"usage\":null}\n\n", model)
	if gjson.GetBytes(body, "stream_options.include_usage").Bool() {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":%s}\n\n", model, oaiUsageJSON)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
}

// costAnthropicUpstream speaks the Messages API with cache reads and
// 5-minute and 1-hour cache writes in its usage.
func costAnthropicUpstream(w http.ResponseWriter, r *http.Request) {
	body := readAll(r)
	model := gjson.GetBytes(body, "model").String()
	if !gjson.GetBytes(body, "stream").Bool() {
		w.Header().Set("Content-Type", "application/json")
		usage := strings.Replace(antUsageStart, `"output_tokens":1`, `"output_tokens":50`, 1)
		fmt.Fprintf(w, `{"id":"msg_1","type":"message","role":"assistant","model":%q,"content":[{"type":"text","text":"ok"}],`+
			`"stop_reason":"end_turn","stop_sequence":null,"usage":%s}`, model, usage)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	anthropicSSE(w, "message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_1","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":%s}}`, model, antUsageStart))
	anthropicSSE(w, "content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"ok"}}`)
	anthropicSSE(w, "content_block_stop", `{"type":"content_block_stop","index":0}`)
	anthropicSSE(w, "message_delta", `{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":50}}`)
	anthropicSSE(w, "message_stop", `{"type":"message_stop"}`)
}

// priceBookOf is the price table of a prices file with this content.
func priceBookOf(t *testing.T, prices string) *app.PriceBook {
	t.Helper()
	path := filepath.Join(t.TempDir(), "prices.toml")
	require.NoError(t, os.WriteFile(path, []byte(prices), 0o600))
	book, err := app.LoadPriceBook(path)
	require.NoError(t, err)
	return book
}

// costGateway serves an openai provider "oai" and an anthropic provider
// "ant" with the prices above, the clients reaching them through aliases.
func costGateway(t *testing.T) (*gatewayEnv, *app.PriceBook) {
	t.Helper()
	oai := newFakeUpstream(t, costOpenAIUpstream)
	ant := newFakeUpstream(t, costAnthropicUpstream)
	book := priceBookOf(t, costPrices)
	gw := startGatewayWith(t, fmt.Sprintf(`
[auth]
keys = [%q]

[[providers]]
name = "oai"
type = "openai"
base_url = "%s/v1"
api_keys = "sk-upstream-oai-1111"
models = ["gpt-up", "unpriced-model"]

[[providers]]
name = "ant"
type = "anthropic"
base_url = "%s/v1"
api_keys = "sk-ant-upstream-2222"
models = ["claude-up"]
`, clientKey, oai.URL, ant.URL), `
[aliases]
"fast" = "oai/gpt-up"
"smart" = "ant/claude-up"
`, gateway.Options{Prices: book})
	return gw, book
}

// TestCostOfEveryUsageShape: each protocol, stream and not, passthrough and
// converted, logs the upstream's cache and reasoning counts and the cost
// at the upstream model's price.
func TestCostOfEveryUsageShape(t *testing.T) {
	gw, _ := costGateway(t)
	ctx := context.Background()
	oc := gw.openaiClient()
	ac := gw.anthropicClient()

	chat := func(model string, stream bool) func(t *testing.T) {
		return func(t *testing.T) {
			params := openai.ChatCompletionNewParams{Model: model,
				Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}}
			if !stream {
				_, err := oc.Chat.Completions.New(ctx, params)
				require.NoError(t, err)
				return
			}
			s := oc.Chat.Completions.NewStreaming(ctx, params)
			for s.Next() {
			}
			require.NoError(t, s.Err())
		}
	}
	messages := func(model string, stream bool) func(t *testing.T) {
		return func(t *testing.T) {
			params := anthropic.MessageNewParams{Model: anthropic.Model(model), MaxTokens: 64,
				Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))}}
			if !stream {
				_, err := ac.Messages.New(ctx, params)
				require.NoError(t, err)
				return
			}
			s := ac.Messages.NewStreaming(ctx, params)
			for s.Next() {
			}
			require.NoError(t, s.Err())
		}
	}
	responses := func(stream bool) func(t *testing.T) {
		return func(t *testing.T) {
			body := fmt.Sprintf(`{"model":"fast","input":"hi","stream":%v}`, stream)
			status, _, out := sendRaw(t, gw.URL+"/v1/responses", clientKey, body)
			require.Equal(t, 200, status, out)
		}
	}

	openaiUsage := store.RequestLog{PromptTokens: oaiPrompt, CompletionTokens: oaiCompletion,
		CacheReadTokens: oaiCached, ReasoningTokens: oaiReasoning}
	anthropicUsage := store.RequestLog{PromptTokens: antInput + antCacheRead + antCacheWrite, CompletionTokens: antOutput,
		CacheReadTokens: antCacheRead, CacheWriteTokens: antCacheWrite}
	for _, tc := range []struct {
		name     string
		call     func(t *testing.T)
		upstream string
		want     store.RequestLog
		cost     float64
	}{
		{"openai chat", chat("fast", false), "gpt-up", openaiUsage, wantOpenAICost},
		{"openai chat stream", chat("fast", true), "gpt-up", openaiUsage, wantOpenAICost},
		{"openai responses", responses(false), "gpt-up", openaiUsage, wantOpenAICost},
		{"openai responses stream", responses(true), "gpt-up", openaiUsage, wantOpenAICost},
		{"anthropic messages", messages("smart", false), "claude-up", anthropicUsage, wantAnthropicCost},
		{"anthropic messages stream", messages("smart", true), "claude-up", anthropicUsage, wantAnthropicCost},
		{"openai client to claude", chat("smart", false), "claude-up", anthropicUsage, wantAnthropicCost},
		{"openai client to claude stream", chat("smart", true), "claude-up", anthropicUsage, wantAnthropicCost},
		{"anthropic client to openai", messages("fast", false), "gpt-up", openaiUsage, wantOpenAICost},
		{"anthropic client to openai stream", messages("fast", true), "gpt-up", openaiUsage, wantOpenAICost},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := len(gw.Logs.waitRows(t, 0))
			tc.call(t)
			row := gw.Logs.waitRows(t, before+1)[before]
			require.Equal(t, 200, row.StatusCode, row.Error)
			assert.Equal(t, tc.upstream, row.UpstreamModel)
			assert.EqualValues(t, tc.want.PromptTokens, row.PromptTokens, "prompt_tokens keeps OpenAI's meaning: cached included")
			assert.EqualValues(t, tc.want.CompletionTokens, row.CompletionTokens)
			assert.EqualValues(t, tc.want.CacheReadTokens, row.CacheReadTokens)
			assert.EqualValues(t, tc.want.CacheWriteTokens, row.CacheWriteTokens)
			assert.EqualValues(t, tc.want.ReasoningTokens, row.ReasoningTokens)
			require.NotNil(t, row.Cost, "a priced model has a cost")
			assert.InDelta(t, tc.cost, *row.Cost, 1e-12)
		})
	}
}

// TestCostUnknownIsNullNotZero: no price, a rejected request and a stream
// without usage all log no cost.
func TestCostUnknownIsNullNotZero(t *testing.T) {
	gw, _ := costGateway(t)
	oc := gw.openaiClient()
	_, err := oc.Chat.Completions.New(context.Background(), openai.ChatCompletionNewParams{Model: "oai/unpriced-model",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("hi")}})
	require.NoError(t, err)
	status, _, _ := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey, `{"model":"nope/x","messages":[]}`)
	require.Equal(t, 404, status)

	rows := gw.Logs.waitRows(t, 2)
	assert.EqualValues(t, oaiPrompt, rows[0].PromptTokens, "tokens are logged")
	assert.Nil(t, rows[0].Cost, "no price applies: cost is unknown, not 0")
	assert.Nil(t, rows[1].Cost, "a request that never reached an upstream has no cost")
}

// TestServePricesReloadMetricsAndBadFiles is the whole server: the prices
// file is read at start (a broken one refuses to start, naming the file
// and the entry), reloaded when it changes (a broken edit keeps the last
// good prices), and the cost reaches the database and /metrics.
func TestServePricesReloadMetricsAndBadFiles(t *testing.T) {
	up := newFakeUpstream(t, costOpenAIUpstream)
	pricesPath := filepath.Join(t.TempDir(), "prices.toml")
	conf := fmt.Sprintf(`
[server]
prices_file = %q

[auth]
keys = [%q]

[[providers]]
name = "oai"
type = "openai"
base_url = "%s/v1"
api_keys = "sk-upstream-oai-1111"
models = ["gpt-up"]
`, pricesPath, clientKey, up.URL)

	// A broken file at start: serve refuses, and says where and why.
	require.NoError(t, os.WriteFile(pricesPath, []byte("[prices.\"oai/gpt-up\"]\ninput = -1\noutput = 8\n"), 0o600))
	dir := t.TempDir()
	cfgPath := filepath.Join(dir, "aigw.toml")
	require.NoError(t, os.WriteFile(cfgPath, []byte(conf+fmt.Sprintf("\n[database]\ndriver = \"sqlite\"\ndsn = %q\n", filepath.Join(dir, "a.db"))), 0o600))
	cfg, err := config.Load(cfgPath)
	require.NoError(t, err)
	err = app.Serve(context.Background(), app.ServeOptions{Config: cfg, Logger: slog.New(slog.DiscardHandler)})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "prices.toml")
	assert.Contains(t, err.Error(), "oai/gpt-up")
	assert.Contains(t, err.Error(), "negative")

	require.NoError(t, os.WriteFile(pricesPath, []byte(costPrices), 0o600))
	db := testdb.SQLite(t)
	s := serveWith(t, conf, db)
	chatOnce := func() string {
		t.Helper()
		status, id, body := sendRaw(t, s.URL+"/v1/chat/completions", clientKey, `{"model":"oai/gpt-up","messages":[{"role":"user","content":"hi"}]}`)
		require.Equal(t, 200, status, body)
		return id
	}
	first := chatOnce()

	// Double every price; the running server picks it up.
	doubled := strings.NewReplacer("input = 2.0", "input = 4.0", "output = 8.0", "output = 16.0", "cache_read = 0.5", "cache_read = 1.0").Replace(costPrices)
	require.NoError(t, os.WriteFile(pricesPath, []byte(doubled), 0o600))
	catEventually(t, 10*time.Second, "prices reloaded", func() bool { return strings.Contains(s.Logs.String(), "prices reloaded") })
	second := chatOnce()

	// A broken edit: reported, and the doubled prices stay in force.
	require.NoError(t, os.WriteFile(pricesPath, []byte(doubled+"\n[prices.\"x\"]\ninput = 1\noutput = 1\ncolour = 3\n"), 0o600))
	catEventually(t, 10*time.Second, "bad prices reported", func() bool {
		return strings.Contains(s.Logs.String(), "prices file not reloaded")
	})
	assert.Contains(t, s.Logs.String(), "colour", "the error names the unknown key")
	third := chatOnce()

	_, metricsText := getText(t, s.URL+"/metrics")
	assert.Contains(t, metricsText, `aigw_tokens_total{client="",kind="cache_read",model="gpt-up",provider="oai"} 1200`)
	assert.Contains(t, metricsText, `aigw_tokens_total{client="",kind="reasoning",model="gpt-up",provider="oai"} 600`)
	m := regexp.MustCompile(`(?m)^aigw_cost_total\{client="",model="gpt-up",provider="oai"\} (\S+)$`).FindStringSubmatch(metricsText)
	require.Len(t, m, 2, "aigw_cost_total for oai/gpt-up")
	total, err := strconv.ParseFloat(m[1], 64)
	require.NoError(t, err)
	assert.InDelta(t, 5*wantOpenAICost, total, 1e-12, "one request at the first prices, two at the doubled ones")

	require.NoError(t, s.Stop(t))
	rows := rowsIn(t, db)
	for id, want := range map[string]float64{first: wantOpenAICost, second: 2 * wantOpenAICost, third: 2 * wantOpenAICost} {
		r := rowByRequestID(t, rows, id)
		require.NotNil(t, r.Cost, id)
		assert.InDelta(t, want, *r.Cost, 1e-12, id)
		assert.EqualValues(t, oaiCached, r.CacheReadTokens)
		assert.EqualValues(t, oaiReasoning, r.ReasoningTokens)
	}
}

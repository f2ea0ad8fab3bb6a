package tests

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/anthropics/anthropic-sdk-go/v2"
	aoption "github.com/anthropics/anthropic-sdk-go/v2/option"
	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/shared"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

const (
	claudeKey = "sk-ant-upstream-claude-key-9999"
	gptKey    = "sk-upstream-gpt-key-88888888"
)

// twoProtocolGateway has an anthropic provider "claude" and an openai
// provider "gpt", each backed by a fake upstream.
func twoProtocolGateway(t *testing.T, claude, gpt http.HandlerFunc) (*gatewayEnv, *fakeUpstream, *fakeUpstream) {
	t.Helper()
	cu := newFakeUpstream(t, claude)
	gu := newFakeUpstream(t, gpt)
	gw := startGateway(t, fmt.Sprintf(`
[auth]
keys = [%q]
[[providers]]
name = "claude"
type = "anthropic"
base_url = "%s/v1"
api_keys = %q
models = ["claude-sonnet-4-5"]
default_max_tokens = 2048
[[providers]]
name = "gpt"
type = "openai"
base_url = "%s/v1"
api_keys = %q
models = ["gpt-4o"]
`, clientKey, cu.URL, claudeKey, gu.URL, gptKey), "")
	return gw, cu, gu
}

func (g *gatewayEnv) anthropicClient() *anthropic.Client {
	c := anthropic.NewClient(aoption.WithBaseURL(g.URL+"/"), aoption.WithAPIKey(clientKey), aoption.WithMaxRetries(0))
	return &c
}

var weatherTool = openai.ChatCompletionToolUnionParam{OfFunction: &openai.ChatCompletionFunctionToolParam{
	Function: shared.FunctionDefinitionParam{
		Name:        "get_weather",
		Description: openai.String("Weather of a city"),
		Parameters:  shared.FunctionParameters{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}},
	},
}}

func TestOpenAIClientToAnthropicUpstream(t *testing.T) {
	gw, cu, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	client := gw.openaiClient()
	params := openai.ChatCompletionNewParams{
		Model: "claude/claude-sonnet-4-5",
		Messages: []openai.ChatCompletionMessageParamUnion{
			openai.SystemMessage("Be brief."),
			openai.UserMessage("hi"),
		},
	}
	resp, err := client.Chat.Completions.New(context.Background(), params)
	require.NoError(t, err)
	assert.Equal(t, "Hello from Claude.", resp.Choices[0].Message.Content)
	assert.Equal(t, "stop", resp.Choices[0].FinishReason)
	assert.Equal(t, "claude-sonnet-4-5", resp.Model)
	assert.EqualValues(t, 12, resp.Usage.PromptTokens, "input + cache read")
	assert.EqualValues(t, 5, resp.Usage.CompletionTokens)
	assert.EqualValues(t, 2, resp.Usage.PromptTokensDetails.CachedTokens)

	seen := cu.last(t)
	assert.Equal(t, "/v1/messages", seen.Path)
	assert.Equal(t, claudeKey, seen.Header.Get("X-Api-Key"))
	assert.Equal(t, "2023-06-01", seen.Header.Get("Anthropic-Version"))
	assert.Empty(t, seen.Header.Get("Authorization"), "no bearer header to Anthropic")
	assert.Equal(t, "claude-sonnet-4-5", gjson.GetBytes(seen.Body, "model").String())
	assert.EqualValues(t, 2048, gjson.GetBytes(seen.Body, "max_tokens").Int(), "the provider's default_max_tokens")
	assert.Contains(t, gjson.GetBytes(seen.Body, "system").Raw, "Be brief.")
	assert.Equal(t, "user", gjson.GetBytes(seen.Body, "messages.0.role").String())

	rows := gw.Logs.waitRows(t, 1)
	assert.Equal(t, "openai", rows[0].InboundFormat)
	assert.EqualValues(t, 12, rows[0].PromptTokens)
	assert.EqualValues(t, 5, rows[0].CompletionTokens)
}

func TestOpenAIClientToAnthropicTools(t *testing.T) {
	gw, cu, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	params := openai.ChatCompletionNewParams{
		Model:    "claude/claude-sonnet-4-5",
		Messages: []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
		Tools:    []openai.ChatCompletionToolUnionParam{weatherTool},
	}
	resp, err := gw.openaiClient().Chat.Completions.New(context.Background(), params)
	require.NoError(t, err)
	msg := resp.Choices[0].Message
	assert.Equal(t, "tool_calls", resp.Choices[0].FinishReason)
	require.Len(t, msg.ToolCalls, 1)
	assert.Equal(t, "toolu_01", msg.ToolCalls[0].ID)
	assert.Equal(t, "get_weather", msg.ToolCalls[0].Function.Name)
	assert.JSONEq(t, `{"city":"Paris","unit":"c"}`, msg.ToolCalls[0].Function.Arguments)
	assert.Equal(t, "get_weather", gjson.GetBytes(cu.last(t).Body, "tools.0.name").String())
	assert.Equal(t, "object", gjson.GetBytes(cu.last(t).Body, "tools.0.input_schema.type").String())
}

func TestOpenAIClientToAnthropicStreamWithTools(t *testing.T) {
	gw, _, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	params := openai.ChatCompletionNewParams{
		Model:         "claude/claude-sonnet-4-5",
		Messages:      []openai.ChatCompletionMessageParamUnion{openai.UserMessage("weather in Paris?")},
		Tools:         []openai.ChatCompletionToolUnionParam{weatherTool},
		StreamOptions: openai.ChatCompletionStreamOptionsParam{IncludeUsage: openai.Bool(true)},
	}
	stream := gw.openaiClient().Chat.Completions.NewStreaming(context.Background(), params)
	acc := openai.ChatCompletionAccumulator{}
	var indexes []int64
	for stream.Next() {
		ch := stream.Current()
		acc.AddChunk(ch)
		for _, c := range ch.Choices {
			for _, tc := range c.Delta.ToolCalls {
				indexes = append(indexes, tc.Index)
			}
		}
	}
	require.NoError(t, stream.Err())
	require.NotEmpty(t, indexes)
	for _, i := range indexes {
		assert.EqualValues(t, 0, i, "the first tool call is index 0 even after a text block")
	}
	require.Len(t, acc.Choices, 1)
	assert.Equal(t, "Hello from Claude.", acc.Choices[0].Message.Content)
	require.Len(t, acc.Choices[0].Message.ToolCalls, 1)
	assert.Equal(t, "get_weather", acc.Choices[0].Message.ToolCalls[0].Function.Name)
	assert.JSONEq(t, `{"city":"Paris"}`, acc.Choices[0].Message.ToolCalls[0].Function.Arguments)
	assert.Equal(t, "tool_calls", acc.Choices[0].FinishReason)
	assert.EqualValues(t, 10, acc.Usage.PromptTokens)
	assert.EqualValues(t, 7, acc.Usage.CompletionTokens)

	rows := gw.Logs.waitRows(t, 1)
	assert.True(t, rows[0].Stream)
	assert.EqualValues(t, 7, rows[0].CompletionTokens)
}

func TestOpenAIClientToAnthropicErrors(t *testing.T) {
	gw, _, _ := twoProtocolGateway(t,
		statusFake(529, `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_1"}`),
		openAIToolChat)
	_, err := gw.openaiClient().Chat.Completions.New(context.Background(), chatParams("claude/claude-sonnet-4-5"))
	var apiErr *openai.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.GreaterOrEqual(t, apiErr.StatusCode, 500)
	assert.Contains(t, apiErr.Message, "Overloaded")

	gw2, _, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	params := chatParams("claude/claude-sonnet-4-5")
	params.Messages = []openai.ChatCompletionMessageParamUnion{openai.UserMessage("FAIL_MID_STREAM")}
	stream := gw2.openaiClient().Chat.Completions.NewStreaming(context.Background(), params)
	for stream.Next() {
	}
	require.Error(t, stream.Err(), "a stream that fails upstream fails for the client too")
	assert.Contains(t, stream.Err().Error(), "Overloaded")
}

func anthropicParams(model, text string) anthropic.MessageNewParams {
	return anthropic.MessageNewParams{
		Model:     anthropic.Model(model),
		MaxTokens: 256,
		System:    []anthropic.TextBlockParam{{Text: "Be brief."}},
		Messages:  []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(text))},
	}
}

var anthropicWeatherTool = anthropic.ToolUnionParamOfTool(anthropic.ToolInputSchemaParam{
	Properties: map[string]any{"city": map[string]any{"type": "string"}},
}, "get_weather")

func TestAnthropicClientToOpenAIUpstream(t *testing.T) {
	gw, _, gu := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	msg, err := gw.anthropicClient().Messages.New(context.Background(), anthropicParams("gpt/gpt-4o", "hi"))
	require.NoError(t, err)
	require.Len(t, msg.Content, 1)
	assert.Equal(t, "Hello from GPT.", msg.Content[0].Text)
	assert.Equal(t, anthropic.StopReasonEndTurn, msg.StopReason)
	assert.EqualValues(t, 16, msg.Usage.InputTokens, "prompt minus cached")
	assert.EqualValues(t, 4, msg.Usage.CacheReadInputTokens)
	assert.EqualValues(t, 6, msg.Usage.OutputTokens)

	seen := gu.last(t)
	assert.Equal(t, "/v1/chat/completions", seen.Path)
	assert.Equal(t, "Bearer "+gptKey, seen.Header.Get("Authorization"))
	assert.Empty(t, seen.Header.Get("X-Api-Key"))
	assert.Empty(t, seen.Header.Get("Anthropic-Version"), "anthropic headers are not sent to OpenAI upstreams")
	assert.Equal(t, "gpt-4o", gjson.GetBytes(seen.Body, "model").String())
	assert.Equal(t, "system", gjson.GetBytes(seen.Body, "messages.0.role").String())
	assert.Equal(t, "user", gjson.GetBytes(seen.Body, "messages.1.role").String())

	rows := gw.Logs.waitRows(t, 1)
	assert.Equal(t, "anthropic", rows[0].InboundFormat)
}

func TestAnthropicClientToOpenAITools(t *testing.T) {
	gw, _, gu := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	params := anthropicParams("gpt/gpt-4o", "weather in Paris?")
	params.Tools = []anthropic.ToolUnionParam{anthropicWeatherTool}
	msg, err := gw.anthropicClient().Messages.New(context.Background(), params)
	require.NoError(t, err)
	assert.Equal(t, anthropic.StopReasonToolUse, msg.StopReason)
	require.Len(t, msg.Content, 2)
	assert.Equal(t, "Let me check.", msg.Content[0].Text)
	tu := msg.Content[1].AsToolUse()
	assert.Equal(t, "get_weather", tu.Name)
	assert.JSONEq(t, `{"city":"Paris"}`, string(tu.Input))
	assert.Equal(t, "get_weather", gjson.GetBytes(gu.last(t).Body, "tools.0.function.name").String())

	// The tool result goes back as a tool message.
	params.Messages = append(params.Messages,
		msg.ToParam(),
		anthropic.NewUserMessage(anthropic.NewToolResultBlock(tu.ID, "18 degrees", false)))
	_, err = gw.anthropicClient().Messages.New(context.Background(), params)
	require.NoError(t, err)
	sent := gu.last(t).Body
	assert.Equal(t, "tool", gjson.GetBytes(sent, "messages.3.role").String(), string(sent))
	assert.Equal(t, tu.ID, gjson.GetBytes(sent, "messages.3.tool_call_id").String())
	assert.Equal(t, "get_weather", gjson.GetBytes(sent, "messages.2.tool_calls.0.function.name").String())
}

func TestAnthropicClientToOpenAIStream(t *testing.T) {
	gw, _, gu := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	params := anthropicParams("gpt/gpt-4o", "weather in Paris?")
	params.Tools = []anthropic.ToolUnionParam{anthropicWeatherTool}
	stream := gw.anthropicClient().Messages.NewStreaming(context.Background(), params)
	var msg anthropic.Message
	var events []string
	for stream.Next() {
		ev := stream.Current()
		events = append(events, ev.Type)
		require.NoError(t, msg.Accumulate(ev))
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "message_start", events[0])
	assert.Equal(t, "message_stop", events[len(events)-1])
	require.Len(t, msg.Content, 2, "%+v", events)
	assert.Equal(t, "Hello from GPT.", msg.Content[0].Text)
	tu := msg.Content[1].AsToolUse()
	assert.Equal(t, "get_weather", tu.Name)
	var input map[string]any
	require.NoError(t, json.Unmarshal(tu.Input, &input))
	assert.Equal(t, "Paris", input["city"])
	assert.Equal(t, anthropic.StopReasonToolUse, msg.StopReason)
	assert.EqualValues(t, 6, msg.Usage.OutputTokens)
	assert.True(t, gjson.GetBytes(gu.last(t).Body, "stream_options.include_usage").Bool())
}

func TestAnthropicClientErrors(t *testing.T) {
	gw, _, _ := twoProtocolGateway(t, anthropicFake,
		statusFake(429, `{"error":{"message":"Rate limit reached for gpt-4o","type":"requests","param":null,"code":"rate_limit_exceeded"}}`))
	_, err := gw.anthropicClient().Messages.New(context.Background(), anthropicParams("gpt/gpt-4o", "hi"))
	var apiErr *anthropic.Error
	require.True(t, errors.As(err, &apiErr), "got %v", err)
	assert.Equal(t, 429, apiErr.StatusCode)
	assert.Equal(t, "rate_limit_error", gjson.Get(apiErr.RawJSON(), "error.type").String(), apiErr.RawJSON())
	assert.Contains(t, apiErr.RawJSON(), "Rate limit reached")

	_, err = gw.anthropicClient().Messages.New(context.Background(), anthropicParams("nope/none", "hi"))
	require.True(t, errors.As(err, &apiErr))
	assert.Equal(t, 404, apiErr.StatusCode)
	assert.Equal(t, "not_found_error", gjson.Get(apiErr.RawJSON(), "error.type").String())

	gw2, _, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	stream := gw2.anthropicClient().Messages.NewStreaming(context.Background(), anthropicParams("gpt/gpt-4o", "FAIL_MID_STREAM"))
	for stream.Next() {
	}
	require.Error(t, stream.Err(), "a broken upstream stream is an error for the client")
}

func TestAnthropicPassthrough(t *testing.T) {
	gw, cu, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	client := gw.anthropicClient()
	stream := client.Messages.NewStreaming(context.Background(), anthropicParams("claude/claude-sonnet-4-5", "hi"),
		aoption.WithHeader("anthropic-beta", "prompt-caching-2024-07-31"))
	var msg anthropic.Message
	for stream.Next() {
		require.NoError(t, msg.Accumulate(stream.Current()))
	}
	require.NoError(t, stream.Err())
	assert.Equal(t, "Hello from Claude.", msg.Content[0].Text)
	seen := cu.last(t)
	assert.Equal(t, "claude-sonnet-4-5", gjson.GetBytes(seen.Body, "model").String())
	assert.Equal(t, claudeKey, seen.Header.Get("X-Api-Key"), "the provider key replaces the client's")
	assert.Equal(t, "prompt-caching-2024-07-31", seen.Header.Get("Anthropic-Beta"))
	rows := gw.Logs.waitRows(t, 1)
	assert.EqualValues(t, 10, rows[0].PromptTokens)
	assert.EqualValues(t, 7, rows[0].CompletionTokens)

	n, err := client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "claude/claude-sonnet-4-5",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock("hi"))},
	})
	require.NoError(t, err)
	assert.EqualValues(t, 42, n.InputTokens)
	assert.Equal(t, "/v1/messages/count_tokens", cu.last(t).Path)

	n, err = client.Messages.CountTokens(context.Background(), anthropic.MessageCountTokensParams{
		Model:    "gpt/gpt-4o",
		Messages: []anthropic.MessageParam{anthropic.NewUserMessage(anthropic.NewTextBlock(strings.Repeat("hello world ", 50)))},
	})
	require.NoError(t, err)
	assert.Greater(t, n.InputTokens, int64(50), "estimated locally for openai providers")
}

func TestAnthropicModelsShape(t *testing.T) {
	gw, _, _ := twoProtocolGateway(t, anthropicFake, openAIToolChat)
	page, err := gw.anthropicClient().Models.List(context.Background(), anthropic.ModelListParams{})
	require.NoError(t, err)
	var ids []string
	for _, m := range page.Data {
		ids = append(ids, m.ID)
	}
	assert.Equal(t, []string{"claude/claude-sonnet-4-5", "gpt/gpt-4o"}, ids)
}

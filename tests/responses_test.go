package tests

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/adapter"
)

// responsesGateway serves "claude" (anthropic) and "deepseek" (openai with
// responses = "chat"), both scripted by script.
func responsesGateway(t *testing.T, script func(req gjson.Result) scriptedReply) (*gatewayEnv, *fakeUpstream, *fakeUpstream) {
	t.Helper()
	cu := newFakeUpstream(t, scriptedAnthropic(script))
	du := newFakeUpstream(t, scriptedChat(script))
	gw := startGateway(t, fmt.Sprintf(`
[auth]
keys = [%q]
[[providers]]
name = "claude"
type = "anthropic"
base_url = "%s"
api_keys = "sk-ant-upstream-resp-1111"
models = ["claude-sonnet-4-5"]
[[providers]]
name = "deepseek"
type = "openai"
base_url = "%s/v1"
api_keys = "sk-upstream-deepseek-2222"
models = ["deepseek-chat"]
responses = "chat"
`, clientKey, cu.URL, du.URL), "")
	return gw, cu, du
}

var responsesTargets = []struct {
	name, model, toolID string
}{
	{"anthropic", "claude/claude-sonnet-4-5", "toolu_w1"},
	{"chat", "deepseek/deepseek-chat", "call_w1"},
}

// collectStream reads a Responses stream with the SDK and checks what
// every stream must hold: sequence numbers from 0 without gaps, a type on
// every event, response.created first, one terminal event last.
func collectStream(t *testing.T, client *openai.Client, params responses.ResponseNewParams, opts ...option.RequestOption) ([]responses.ResponseStreamEventUnion, error) {
	t.Helper()
	st := client.Responses.NewStreaming(context.Background(), params, opts...)
	var evs []responses.ResponseStreamEventUnion
	for st.Next() {
		evs = append(evs, st.Current())
	}
	if err := st.Err(); err != nil {
		return evs, err
	}
	require.NotEmpty(t, evs)
	for i, ev := range evs {
		assert.EqualValues(t, i, ev.SequenceNumber, "sequence_number of event %d (%s)", i, ev.Type)
		assert.NotEmpty(t, ev.Type)
	}
	assert.Equal(t, "response.created", evs[0].Type)
	last := evs[len(evs)-1].Type
	assert.Contains(t, []string{"response.completed", "response.incomplete", "response.failed"}, last)
	return evs, nil
}

func finalResponse(t *testing.T, evs []responses.ResponseStreamEventUnion) responses.Response {
	t.Helper()
	require.NotEmpty(t, evs)
	return evs[len(evs)-1].Response
}

// doneItems are the items of the response.output_item.done events, which
// is where Codex reads tool calls from.
func doneItems(evs []responses.ResponseStreamEventUnion) []responses.ResponseOutputItemUnion {
	var out []responses.ResponseOutputItemUnion
	for _, ev := range evs {
		if ev.Type == "response.output_item.done" {
			out = append(out, ev.Item)
		}
	}
	return out
}

func textReply(text string) func(gjson.Result) scriptedReply {
	return func(gjson.Result) scriptedReply {
		return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: text}}, stop: "end", input: 20, cached: 5, output: 7}
	}
}

func TestResponsesTextBothConversions(t *testing.T) {
	gw, cu, du := responsesGateway(t, textReply("Hello there, friend."))
	client := gw.openaiClient()
	for _, tg := range responsesTargets {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tg.name, stream), func(t *testing.T) {
				params := responses.ResponseNewParams{
					Model:        tg.model,
					Instructions: openai.String("Be brief."),
					Input:        responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")},
				}
				var resp responses.Response
				if stream {
					evs, err := collectStream(t, client, params)
					require.NoError(t, err)
					resp = finalResponse(t, evs)
					var deltas strings.Builder
					for _, ev := range evs {
						if ev.Type == "response.output_text.delta" {
							deltas.WriteString(ev.Delta)
						}
					}
					assert.Equal(t, "Hello there, friend.", deltas.String(), "deltas add up to the text")
				} else {
					var hdr *http.Response
					r, err := client.Responses.New(context.Background(), params, option.WithResponseInto(&hdr))
					require.NoError(t, err)
					resp = *r
					assert.NotEmpty(t, hdr.Header.Get("X-Aigw-Provider"))
				}
				assert.Equal(t, "Hello there, friend.", resp.OutputText())
				assert.Equal(t, responses.ResponseStatusCompleted, resp.Status)
				assert.Equal(t, tg.model, resp.Model)
				assert.True(t, strings.HasPrefix(resp.ID, "resp_"), resp.ID)
				assert.EqualValues(t, 20, resp.Usage.InputTokens, "input tokens include the cached ones")
				assert.EqualValues(t, 5, resp.Usage.InputTokensDetails.CachedTokens)
				assert.EqualValues(t, 7, resp.Usage.OutputTokens)
				assert.EqualValues(t, 27, resp.Usage.TotalTokens)
				assert.Equal(t, "Be brief.", resp.Instructions.OfString, "the request's parameters are echoed")
			})
		}
	}
	// The upstreams got their own protocols, the system prompt included.
	assert.Equal(t, "/v1/messages", cu.last(t).Path)
	assert.Equal(t, "Be brief.", gjson.GetBytes(cu.last(t).Body, "system.0.text").String())
	assert.Equal(t, "/v1/chat/completions", du.last(t).Path)
	assert.Equal(t, "system", gjson.GetBytes(du.last(t).Body, "messages.0.role").String())

	rows := gw.Logs.waitRows(t, 4)
	for _, r := range rows {
		assert.Equal(t, "responses", r.InboundFormat)
		assert.Equal(t, 200, r.StatusCode)
		assert.EqualValues(t, 20, r.PromptTokens)
		assert.EqualValues(t, 7, r.CompletionTokens)
		assert.EqualValues(t, 5, r.CacheReadTokens)
	}
}

var weatherFunction = responses.ToolParamOfFunction("get_weather",
	map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}, "required": []string{"city"}}, false)

// toolScript answers with a weather tool call until the request carries
// the call's result, then with a sentence that quotes the result.
func toolScript(ids ...string) func(gjson.Result) scriptedReply {
	return func(req gjson.Result) scriptedReply {
		if res := lastToolResult(req, ids[0]); res != "" {
			return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: "It is " + res + " in Paris."}}, stop: "end", input: 40, output: 8}
		}
		var blocks []scriptedBlock
		for i, id := range ids {
			blocks = append(blocks, scriptedBlock{kind: "tool", toolID: id, toolName: "get_weather", toolArgs: fmt.Sprintf(`{"city":"City%d"}`, i)})
		}
		return scriptedReply{blocks: blocks, stop: "tool", input: 30, output: 12}
	}
}

func TestResponsesToolRoundTrip(t *testing.T) {
	for _, tg := range responsesTargets {
		for _, stream := range []bool{false, true} {
			t.Run(fmt.Sprintf("%s/stream=%v", tg.name, stream), func(t *testing.T) {
				gw, cu, du := responsesGateway(t, toolScript(tg.toolID))
				client := gw.openaiClient()
				params := responses.ResponseNewParams{
					Model: tg.model,
					Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Paris?")},
					Tools: []responses.ToolUnionParam{weatherFunction},
				}
				var items []responses.ResponseOutputItemUnion
				if stream {
					evs, err := collectStream(t, client, params)
					require.NoError(t, err)
					items = doneItems(evs)
					assert.Len(t, finalResponse(t, evs).Output, len(items), "response.completed holds every item")
				} else {
					resp, err := client.Responses.New(context.Background(), params)
					require.NoError(t, err)
					items = resp.Output
				}
				var call responses.ResponseOutputItemUnion
				for _, it := range items {
					if it.Type == "function_call" {
						call = it
					}
				}
				require.Equal(t, "function_call", call.Type, "items: %+v", items)
				assert.Equal(t, tg.toolID, call.CallID, "call_id is the upstream's tool call id")
				assert.Equal(t, "get_weather", call.Name)
				assert.JSONEq(t, `{"city":"City0"}`, call.Arguments.OfString)
				assert.True(t, strings.HasPrefix(call.ID, "fc_"), call.ID)

				// Step two: the call and its output go back as input items.
				out := responses.ResponseInputItemParamOfFunctionCallOutput("22C")
				out.OfFunctionCallOutput.CallID = openai.String(call.CallID)
				params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
					responses.ResponseInputItemParamOfMessage("Weather in Paris?", responses.EasyInputMessageRoleUser),
					responses.ResponseInputItemParamOfFunctionCall(call.Arguments.OfString, call.CallID, call.Name),
					out,
				}}
				resp, err := client.Responses.New(context.Background(), params)
				require.NoError(t, err)
				assert.Equal(t, "It is 22C in Paris.", resp.OutputText())
				up := du
				if tg.name == "anthropic" {
					up = cu
				}
				assert.Len(t, up.requests(), 2)
			})
		}
	}
}

func TestResponsesParallelToolCalls(t *testing.T) {
	for _, tg := range responsesTargets {
		t.Run(tg.name, func(t *testing.T) {
			gw, _, _ := responsesGateway(t, toolScript(tg.toolID+"a", tg.toolID+"b"))
			evs, err := collectStream(t, gw.openaiClient(), responses.ResponseNewParams{
				Model: tg.model,
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("Two cities")},
				Tools: []responses.ToolUnionParam{weatherFunction},
			})
			require.NoError(t, err)
			var ids, args []string
			for _, it := range doneItems(evs) {
				if it.Type == "function_call" {
					ids = append(ids, it.CallID)
					args = append(args, it.Arguments.OfString)
				}
			}
			assert.Equal(t, []string{tg.toolID + "a", tg.toolID + "b"}, ids)
			require.Len(t, args, 2)
			assert.JSONEq(t, `{"city":"City0"}`, args[0])
			assert.JSONEq(t, `{"city":"City1"}`, args[1])
		})
	}
}

func TestResponsesIncompleteAndReasoningTokens(t *testing.T) {
	gw, _, _ := responsesGateway(t, func(gjson.Result) scriptedReply {
		return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: "A long answer that was cut"}}, stop: "length", input: 9, output: 16, reasoning: 6}
	})
	client := gw.openaiClient()
	for _, tg := range responsesTargets {
		t.Run(tg.name, func(t *testing.T) {
			params := responses.ResponseNewParams{Model: tg.model, MaxOutputTokens: openai.Int(16),
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("write a lot")}}
			resp, err := client.Responses.New(context.Background(), params)
			require.NoError(t, err)
			assert.Equal(t, responses.ResponseStatusIncomplete, resp.Status)
			assert.Equal(t, "max_output_tokens", string(resp.IncompleteDetails.Reason))
			assert.Equal(t, "A long answer that was cut", resp.OutputText())
			if tg.name == "chat" {
				assert.EqualValues(t, 6, resp.Usage.OutputTokensDetails.ReasoningTokens)
			}
			evs, err := collectStream(t, client, params)
			require.NoError(t, err)
			assert.Equal(t, "response.incomplete", evs[len(evs)-1].Type)
		})
	}
}

func TestResponsesJSONSchema(t *testing.T) {
	gw, cu, du := responsesGateway(t, func(req gjson.Result) scriptedReply {
		if req.Get("tools.0.name").String() == "json_tool_call" {
			return scriptedReply{blocks: []scriptedBlock{{kind: "tool", toolID: "toolu_j", toolName: "json_tool_call", toolArgs: `{"name":"Ada"}`}}, stop: "tool", input: 5, output: 5}
		}
		return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: `{"name":"Ada"}`}}, stop: "end", input: 5, output: 5}
	})
	schema := map[string]any{"type": "object", "properties": map[string]any{"name": map[string]any{"type": "string"}}, "required": []string{"name"}}
	for _, tg := range responsesTargets {
		t.Run(tg.name, func(t *testing.T) {
			resp, err := gw.openaiClient().Responses.New(context.Background(), responses.ResponseNewParams{
				Model: tg.model,
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("name?")},
				Text:  responses.ResponseTextConfigParam{Format: responses.ResponseFormatTextConfigParamOfJSONSchema("person", schema)},
			})
			require.NoError(t, err)
			assert.JSONEq(t, `{"name":"Ada"}`, resp.OutputText())
			for _, it := range resp.Output {
				assert.NotEqual(t, "function_call", it.Type, "the JSON mode tool is not the client's")
			}
		})
	}
	assert.Equal(t, "json_schema", gjson.GetBytes(du.last(t).Body, "response_format.type").String())
	assert.Equal(t, "person", gjson.GetBytes(du.last(t).Body, "response_format.json_schema.name").String())
	assert.NotEmpty(t, cu.requests())
}

func TestResponsesUpstreamErrors(t *testing.T) {
	for _, tg := range responsesTargets {
		t.Run(tg.name+"/before the stream", func(t *testing.T) {
			gw, _, _ := responsesGateway(t, func(gjson.Result) scriptedReply {
				return scriptedReply{failStatus: http.StatusTooManyRequests, failMessage: "slow down"}
			})
			client := gw.openaiClient(option.WithMaxRetries(0))
			_, err := collectStream(t, client, responses.ResponseNewParams{Model: tg.model,
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
			var apiErr *openai.Error
			require.True(t, errors.As(err, &apiErr), "an HTTP error, got %v", err)
			assert.Equal(t, http.StatusTooManyRequests, apiErr.StatusCode)
			assert.NotEmpty(t, apiErr.Response.Header.Get("Retry-After"))
			assert.Contains(t, apiErr.Message, "slow down")
		})
		t.Run(tg.name+"/during the stream", func(t *testing.T) {
			gw, _, _ := responsesGateway(t, func(gjson.Result) scriptedReply {
				return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: "partial"}}, failMidStream: 1, failMessage: "Overloaded"}
			})
			evs, err := collectStream(t, gw.openaiClient(), responses.ResponseNewParams{Model: tg.model,
				Input: responses.ResponseNewParamsInputUnion{OfString: openai.String("hi")}})
			require.NoError(t, err)
			last := evs[len(evs)-1]
			require.Equal(t, "response.failed", last.Type)
			assert.Equal(t, responses.ResponseStatusFailed, last.Response.Status)
			assert.NotEmpty(t, last.Response.Error.Code)
			assert.Contains(t, last.Response.Error.Message, "Overloaded")
			rows := gw.Logs.waitRows(t, 1)
			assert.Equal(t, http.StatusBadGateway, rows[0].StatusCode)
		})
	}
}

// post sends a raw Responses request and returns the status, headers and body.
func (g *gatewayEnv) post(t *testing.T, path, body string) (int, http.Header, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, g.URL+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+clientKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return resp.StatusCode, resp.Header, b
}

func TestResponsesRefusalsAndDroppedTools(t *testing.T) {
	gw, cu, _ := responsesGateway(t, textReply("ok"))
	status, _, body := gw.post(t, "/v1/responses", `{"model":"claude/claude-sonnet-4-5","input":"hi","previous_response_id":"resp_123"}`)
	assert.Equal(t, http.StatusBadRequest, status)
	assert.Equal(t, "previous_response_id", gjson.GetBytes(body, "error.param").String())
	assert.Contains(t, gjson.GetBytes(body, "error.message").String(), "previous_response_id")
	assert.Empty(t, cu.requests(), "refused before the upstream")

	status, hdr, body := gw.post(t, "/v1/responses", `{"model":"claude/claude-sonnet-4-5","input":"hi","tools":[{"type":"web_search"},{"type":"function","name":"f","parameters":{"type":"object","properties":{}}}]}`)
	require.Equal(t, http.StatusOK, status, string(body))
	assert.Equal(t, "web_search", hdr.Get("X-Aigw-Dropped-Tools"))
	names := gjson.GetBytes(cu.last(t).Body, "tools.#.name").Array()
	require.Len(t, names, 1, "only the function tool reaches the upstream")
	assert.Equal(t, "f", names[0].String())
}

func TestResponsesThinkingSignatureCrossesTurns(t *testing.T) {
	const sig = "EqQBCkYIARgCKkB-signature-of-claude=="
	gw, cu, _ := responsesGateway(t, func(req gjson.Result) scriptedReply {
		if lastToolResult(req, "toolu_t1") != "" {
			return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: "done"}}, stop: "end", input: 50, output: 3}
		}
		return scriptedReply{blocks: []scriptedBlock{
			{kind: "thinking", text: "I should call the tool.", signature: sig},
			{kind: "tool", toolID: "toolu_t1", toolName: "get_weather", toolArgs: `{"city":"Oslo"}`},
		}, stop: "tool", input: 30, output: 20}
	})
	client := gw.openaiClient()
	params := responses.ResponseNewParams{
		Model:     "claude/claude-sonnet-4-5",
		Input:     responses.ResponseNewParamsInputUnion{OfString: openai.String("Weather in Oslo?")},
		Tools:     []responses.ToolUnionParam{weatherFunction},
		Reasoning: openai.ReasoningParam{Effort: openai.ReasoningEffortMedium, Summary: openai.ReasoningSummaryAuto},
		Include:   []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent},
		Store:     openai.Bool(false),
	}
	evs, err := collectStream(t, client, params)
	require.NoError(t, err)
	items := doneItems(evs)
	require.GreaterOrEqual(t, len(items), 2)
	require.Equal(t, "reasoning", items[0].Type, "thinking comes first")
	assert.Equal(t, "I should call the tool.", items[0].Summary[0].Text)
	block, ok, err := adapter.DecodeReasoning(items[0].EncryptedContent)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, sig, block.Signature)
	assert.NotNil(t, gjson.GetBytes(cu.last(t).Body, "thinking").Value(), "reasoning.effort asks Claude to think")

	// The next turn sends the reasoning item back: Claude gets its
	// thinking block, signature unchanged, before the tool use.
	reasoning := responses.ResponseInputItemParamOfReasoning(items[0].ID, []responses.ResponseReasoningItemSummaryParam{{Text: items[0].Summary[0].Text}})
	reasoning.OfReasoning.EncryptedContent = openai.String(items[0].EncryptedContent)
	call := items[1]
	out := responses.ResponseInputItemParamOfFunctionCallOutput("5C")
	out.OfFunctionCallOutput.CallID = openai.String(call.CallID)
	params.Input = responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
		responses.ResponseInputItemParamOfMessage("Weather in Oslo?", responses.EasyInputMessageRoleUser),
		reasoning,
		responses.ResponseInputItemParamOfFunctionCall(call.Arguments.OfString, call.CallID, call.Name),
		out,
	}}
	resp, err := client.Responses.New(context.Background(), params)
	require.NoError(t, err)
	assert.Equal(t, "done", resp.OutputText())
	assistant := gjson.GetBytes(cu.last(t).Body, `messages.#(role=="assistant").content`)
	require.True(t, assistant.IsArray(), string(cu.last(t).Body))
	assert.Equal(t, "thinking", assistant.Get("0.type").String())
	assert.Equal(t, sig, assistant.Get("0.signature").String())
	assert.Equal(t, "I should call the tool.", assistant.Get("0.thinking").String())
	assert.Equal(t, "tool_use", assistant.Get("1.type").String())
}

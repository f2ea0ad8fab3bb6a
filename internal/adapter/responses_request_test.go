package adapter

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/responses"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

type respConv func([]byte, ResponsesRequestOptions) ([]byte, ResponsesMeta, error)

var respTargets = []struct {
	name string
	conv respConv
}{
	{"chat", ResponsesToChatRequest},
	{"messages", ResponsesToMessagesRequest},
}

func convertBoth(t *testing.T, body string) (chat, msgs gjson.Result, chatMeta, msgsMeta ResponsesMeta) {
	t.Helper()
	require.True(t, gatewayAccepts([]byte(body)), body)
	c, cm, err := ResponsesToChatRequest([]byte(body), ResponsesRequestOptions{})
	require.NoError(t, err)
	require.True(t, json.Valid(c), string(c))
	m, mm, err := ResponsesToMessagesRequest([]byte(body), ResponsesRequestOptions{})
	require.NoError(t, err)
	require.True(t, json.Valid(m), string(m))
	return gjson.ParseBytes(c), gjson.ParseBytes(m), cm, mm
}

func TestResponsesRequestRefusals(t *testing.T) {
	cases := []struct {
		name, body, param, msg string
	}{
		{"previous_response_id", `{"model":"m","input":"hi","previous_response_id":"resp_123"}`, "previous_response_id", "send the whole conversation"},
		{"conversation", `{"model":"m","input":"hi","conversation":"conv_1"}`, "conversation", "send the whole conversation"},
		{"background", `{"model":"m","input":"hi","background":true}`, "background", "without background"},
		{"stored prompt", `{"model":"m","input":"hi","prompt":{"id":"pmpt_1"}}`, "prompt", "instructions and input"},
		{"item_reference", `{"model":"m","input":[{"type":"item_reference","id":"msg_1"}]}`, "input[0].type", "store:false"},
		{"image by file id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_image","file_id":"file-1"}]}]}`, "input[0].content[0].file_id", "image_url"},
		{"file by file id", `{"model":"m","input":[{"role":"user","content":[{"type":"input_file","file_id":"file-1"}]}]}`, "input[0].content[0].file_id", "file_data"},
		{"no input", `{"model":"m","instructions":"be brief"}`, "input", "input is required"},
		{"empty input", `{"model":"m","input":[]}`, "input", "at least one"},
		{"input not a list", `{"model":"m","input":{"role":"user"}}`, "input", "string or an array"},
		{"item not an object", `{"model":"m","input":["hi"]}`, "input[0]", "object"},
		{"bad role", `{"model":"m","input":[{"role":"tool","content":"x"}]}`, "input[0].role", "role must be"},
		{"call without id", `{"model":"m","input":[{"type":"function_call","name":"f","arguments":"{}"}]}`, "input[0].call_id", "call_id"},
		{"output without id", `{"model":"m","input":[{"type":"function_call_output","output":"x"}]}`, "input[0].call_id", "call_id"},
		{"max_output_tokens", `{"model":"m","input":"hi","max_output_tokens":0}`, "max_output_tokens", "positive integer"},
		{"temperature", `{"model":"m","input":"hi","temperature":"hot"}`, "temperature", "number"},
		{"effort", `{"model":"m","input":"hi","reasoning":{"effort":"max"}}`, "reasoning.effort", "one of"},
		{"text format", `{"model":"m","input":"hi","text":{"format":{"type":"xml"}}}`, "text.format.type", "json_schema"},
		{"schema", `{"model":"m","input":"hi","text":{"format":{"type":"json_schema","name":"x"}}}`, "text.format.schema", "schema"},
		{"tool without name", `{"model":"m","input":"hi","tools":[{"type":"function"}]}`, "tools[0].name", "name"},
		{"namespace child without name", `{"model":"m","input":"hi","tools":[{"type":"namespace","name":"ns","tools":[{"type":"custom"}]}]}`, "tools[0].tools[0].name", "name"},
		{"tool_choice", `{"model":"m","input":"hi","tool_choice":"any"}`, "tool_choice", "auto, none, required"},
		{"system image", `{"model":"m","input":[{"role":"developer","content":[{"type":"input_image","image_url":"https://x/y.png"}]}]}`, "input[0].content[0].type", "only contain text"},
		{"assistant image", `{"model":"m","input":[{"role":"assistant","content":[{"type":"input_image","image_url":"https://x/y.png"}]}]}`, "input[0].content[0]", "images"},
		{"output not text", `{"model":"m","input":[{"type":"function_call_output","call_id":"c","output":{"x":1}}]}`, "input[0].output", "string or an array"},
	}
	for _, tc := range cases {
		for _, tg := range respTargets {
			t.Run(tc.name+"/"+tg.name, func(t *testing.T) {
				require.True(t, gatewayAccepts([]byte(tc.body)))
				_, _, err := tg.conv([]byte(tc.body), ResponsesRequestOptions{})
				var e *Error
				require.True(t, errors.As(err, &e), "want *Error, got %v", err)
				assert.Equal(t, 400, e.Status)
				assert.Equal(t, "invalid_request_error", e.Type)
				assert.Equal(t, tc.param, e.Param)
				assert.Contains(t, e.Message, tc.msg)
			})
		}
	}
}

func TestResponsesRequestEmptyPreviousResponseIDIsAccepted(t *testing.T) {
	for _, tg := range respTargets {
		_, _, err := tg.conv([]byte(`{"model":"m","input":"hi","previous_response_id":null,"conversation":null,"background":false}`), ResponsesRequestOptions{})
		assert.NoError(t, err, tg.name)
	}
}

func TestResponsesRequestStringInputAndInstructions(t *testing.T) {
	chat, msgs, cm, mm := convertBoth(t, `{"model":"gpt-x","instructions":"Be brief.","input":"Hello","stream":true}`)
	assert.JSONEq(t, `[{"role":"system","content":"Be brief."},{"role":"user","content":"Hello"}]`, chat.Get("messages").Raw)
	assert.Equal(t, `{"include_usage":true}`, chat.Get("stream_options").Raw)
	assert.JSONEq(t, `[{"type":"text","text":"Be brief."}]`, msgs.Get("system").Raw)
	assert.JSONEq(t, `[{"role":"user","content":[{"type":"text","text":"Hello"}]}]`, msgs.Get("messages").Raw)
	assert.Equal(t, int64(4096), msgs.Get("max_tokens").Int(), "DefaultMaxTokens falls back to 4096")
	assert.True(t, msgs.Get("stream").Bool())
	for _, m := range []ResponsesMeta{cm, mm} {
		assert.True(t, m.Stream)
		assert.Equal(t, "gpt-x", m.RequestedModel)
		assert.Equal(t, "gpt-x", m.UpstreamModel)
		assert.Empty(t, m.Tools)
	}
}

func TestResponsesRequestSystemAndDeveloperMessagesAreHoisted(t *testing.T) {
	body := `{"model":"m","instructions":"A","input":[
		{"role":"user","content":"u1"},
		{"role":"developer","content":[{"type":"input_text","text":"B"}]},
		{"role":"system","content":"C"},
		{"role":"user","content":[{"type":"input_text","text":"u2"}]}]}`
	chat, msgs, _, _ := convertBoth(t, body)
	assert.Equal(t, "A\n\nB\n\nC", chat.Get("messages.0.content").Str)
	assert.Equal(t, "system", chat.Get("messages.0.role").Str)
	assert.Equal(t, 2, len(chat.Get("messages").Array()), "the two user messages become one user turn")
	assert.Equal(t, "u1\nu2", chat.Get("messages.1.content").Str)
	assert.Equal(t, []any{"A", "B", "C"}, msgs.Get("system.#.text").Value())
}

func TestResponsesRequestContentParts(t *testing.T) {
	body := `{"model":"m","input":[{"role":"user","content":[
		{"type":"input_text","text":"look"},
		{"type":"input_text","text":"   "},
		{"type":"input_image","image_url":"data:image/jpg;base64,AAAA","detail":"high"},
		{"type":"input_image","image_url":"https://example.com/a.png"},
		{"type":"input_file","filename":"r.pdf","file_data":"data:application/pdf;base64,JVBER"}]},
		{"role":"assistant","content":[{"type":"output_text","text":"seen"},{"type":"refusal","refusal":"but no"}]},
		{"role":"user","content":"ok"}]}`
	chat, msgs, _, _ := convertBoth(t, body)
	assert.JSONEq(t, `[{"type":"text","text":"look"},
		{"type":"image_url","image_url":{"url":"data:image/jpg;base64,AAAA"}},
		{"type":"image_url","image_url":{"url":"https://example.com/a.png"}},
		{"type":"file","file":{"filename":"r.pdf","file_data":"data:application/pdf;base64,JVBER"}}]`, chat.Get("messages.0.content").Raw)
	assert.Equal(t, "seenbut no", chat.Get("messages.1.content").Str)
	assert.JSONEq(t, `[{"type":"text","text":"look"},
		{"type":"image","source":{"type":"base64","media_type":"image/jpeg","data":"AAAA"}},
		{"type":"image","source":{"type":"url","url":"https://example.com/a.png"}},
		{"type":"document","source":{"type":"base64","media_type":"application/pdf","data":"JVBER"}}]`, msgs.Get("messages.0.content").Raw)
	assert.JSONEq(t, `[{"type":"text","text":"seen"},{"type":"text","text":"but no"}]`, msgs.Get("messages.1.content").Raw)
}

// An assistant message and the function calls after it are one assistant
// turn; the outputs are one user turn, answered in order.
func TestResponsesRequestCallsMergeIntoOneTurn(t *testing.T) {
	body := `{"model":"m","tools":[{"type":"function","name":"get","parameters":{"type":"object","properties":{"k":{"type":"string"}}}}],
	"input":[{"role":"user","content":"go"},
		{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Fetching both."}]},
		{"type":"function_call","call_id":"c1","name":"get","arguments":"{\"k\":\"a\"}"},
		{"type":"function_call","call_id":"c2","name":"get","arguments":"not json"},
		{"type":"function_call_output","call_id":"c1","output":"A"},
		{"type":"function_call_output","call_id":"c2","output":[{"type":"output_text","text":"B1"},{"type":"input_text","text":"B2"}]}]}`
	chat, msgs, _, _ := convertBoth(t, body)
	assert.JSONEq(t, `{"role":"assistant","content":"Fetching both.","tool_calls":[
		{"id":"c1","type":"function","function":{"name":"get","arguments":"{\"k\":\"a\"}"}},
		{"id":"c2","type":"function","function":{"name":"get","arguments":"{}"}}]}`, chat.Get("messages.1").Raw)
	assert.JSONEq(t, `{"role":"tool","tool_call_id":"c1","content":"A"}`, chat.Get("messages.2").Raw)
	assert.JSONEq(t, `{"role":"tool","tool_call_id":"c2","content":"B1\nB2"}`, chat.Get("messages.3").Raw)
	assert.Len(t, chat.Get("messages").Array(), 4)

	assert.JSONEq(t, `[{"type":"text","text":"Fetching both."},
		{"type":"tool_use","id":"c1","name":"get","input":{"k":"a"}},
		{"type":"tool_use","id":"c2","name":"get","input":{}}]`, msgs.Get("messages.1.content").Raw)
	assert.JSONEq(t, `[{"type":"tool_result","tool_use_id":"c1","content":"A"},
		{"type":"tool_result","tool_use_id":"c2","content":"B1\nB2"}]`, msgs.Get("messages.2.content").Raw)
}

// The pitfall fixes of the shared turn model apply: an unanswered call
// gets a placeholder result, an output without its call becomes text.
func TestResponsesRequestToolPairingIsRepaired(t *testing.T) {
	body := `{"model":"m","input":[{"role":"user","content":"go"},
		{"type":"function_call","call_id":"lost","name":"f","arguments":"{}"},
		{"role":"user","content":"never mind"},
		{"type":"function_call_output","call_id":"stray","output":"late"}]}`
	chat, msgs, _, _ := convertBoth(t, body)
	assert.Equal(t, "tool", chat.Get("messages.2.role").Str)
	assert.Equal(t, noResultText, chat.Get("messages.2.content").Str)
	assert.Equal(t, "never mind\n"+orphanPrefix+"stray:\nlate", chat.Get("messages.3.content").Str)
	assert.Equal(t, true, msgs.Get("messages.2.content.0.is_error").Bool())
	assert.Equal(t, "lost", msgs.Get("messages.2.content.0.tool_use_id").Str)
}

func TestResponsesRequestCustomTools(t *testing.T) {
	body := `{"model":"m","tools":[
		{"type":"custom","name":"apply_patch","description":"Edit files.","format":{"type":"grammar","syntax":"lark","definition":"start: \"x\"\n"}},
		{"type":"custom","name":"note","format":{"type":"text"}}],
	"tool_choice":{"type":"custom","name":"apply_patch"},
	"input":[{"role":"user","content":"patch"},
		{"type":"custom_tool_call","call_id":"p1","name":"apply_patch","input":"*** Begin Patch\n\"quoted\"\n"},
		{"type":"custom_tool_call_output","call_id":"p1","output":"Done"}]}`
	chat, msgs, cm, mm := convertBoth(t, body)
	fn := chat.Get("tools.0.function")
	assert.Equal(t, "apply_patch", fn.Get("name").Str)
	assert.Equal(t, "Edit files.\n\nPass the input as raw text in the `input` parameter; it must match this lark grammar:\n```\nstart: \"x\"\n```", fn.Get("description").Str)
	assert.JSONEq(t, customInputSchema, fn.Get("parameters").Raw)
	assert.Equal(t, "Pass the input as raw text in the `input` parameter.", chat.Get("tools.1.function.description").Str)
	assert.JSONEq(t, `{"type":"function","function":{"name":"apply_patch"}}`, chat.Get("tool_choice").Raw)
	assert.Equal(t, `{"input":"*** Begin Patch\n\"quoted\"\n"}`, chat.Get("messages.1.tool_calls.0.function.arguments").Str)

	assert.JSONEq(t, customInputSchema, msgs.Get("tools.0.input_schema").Raw)
	assert.Equal(t, "*** Begin Patch\n\"quoted\"\n", msgs.Get("messages.1.content.0.input.input").Str)
	assert.JSONEq(t, `{"type":"tool","name":"apply_patch"}`, msgs.Get("tool_choice").Raw)
	for _, m := range []ResponsesMeta{cm, mm} {
		assert.Equal(t, ResponsesTool{Kind: "custom", Name: "apply_patch"}, m.Tools["apply_patch"])
		assert.Equal(t, ResponsesTool{Kind: "custom", Name: "note"}, m.Tools["note"])
	}
}

// Namespaced tools get names valid for both protocols, and every upstream
// name maps back to exactly the (namespace, name) the client declared:
// a peer that answered functions__exec sent Codex into a loop.
func TestResponsesRequestNamespaceNamesMapBackExactly(t *testing.T) {
	long := strings.Repeat("n", 50)
	body := `{"model":"m","tools":[
		{"type":"function","name":"x__y"},
		{"type":"namespace","name":"x","description":"X tools.","tools":[{"type":"function","name":"y"},{"type":"custom","name":"z"}]},
		{"type":"namespace","name":"functions","description":"","tools":[{"type":"custom","name":"exec"}]},
		{"type":"namespace","name":"mcp__` + long + `","description":"d","tools":[{"type":"function","name":"tool.with.dots"}]}],
	"input":[{"role":"user","content":"go"},
		{"type":"function_call","call_id":"a","name":"y","namespace":"x","arguments":"{}"},
		{"type":"function_call_output","call_id":"a","output":"ok"},
		{"type":"custom_tool_call","call_id":"b","name":"exec","input":"1"},
		{"type":"custom_tool_call_output","call_id":"b","output":"1"},
		{"type":"function_call","call_id":"c","name":"gone","namespace":"old_ns","arguments":"{}"},
		{"type":"function_call_output","call_id":"c","output":"ok"}]}`
	for _, tg := range respTargets {
		t.Run(tg.name, func(t *testing.T) {
			out, meta, err := tg.conv([]byte(body), ResponsesRequestOptions{})
			require.NoError(t, err)
			want := map[respKey]ResponsesTool{
				{"", "x__y"}:                       {Kind: "function", Name: "x__y"},
				{"x", "y"}:                         {Kind: "function", Name: "y", Namespace: "x"},
				{"x", "z"}:                         {Kind: "custom", Name: "z", Namespace: "x"},
				{"functions", "exec"}:              {Kind: "custom", Name: "exec", Namespace: "functions"},
				{"mcp__" + long, "tool.with.dots"}: {Kind: "function", Name: "tool.with.dots", Namespace: "mcp__" + long},
				{"old_ns", "gone"}:                 {Kind: "function", Name: "gone", Namespace: "old_ns"},
			}
			require.Len(t, meta.Tools, len(want))
			upOf := make(map[respKey]string)
			for up, tool := range meta.Tools {
				assert.Regexp(t, `^[a-zA-Z0-9_-]{1,64}$`, up)
				k := respKey{tool.Namespace, tool.Name}
				require.Contains(t, want, k, "unexpected mapping %s -> %+v", up, tool)
				assert.Equal(t, want[k], tool)
				upOf[k] = up
			}
			assert.Equal(t, "x__y", upOf[respKey{"", "x__y"}], "the client's own name is kept")
			assert.NotEqual(t, "x__y", upOf[respKey{"x", "y"}], "a flattened name never takes another tool's name")
			assert.Equal(t, "exec", upOf[respKey{"functions", "exec"}], "Codex's default namespace adds no prefix")
			assert.Equal(t, "old_ns__gone", upOf[respKey{"old_ns", "gone"}])

			res := gjson.ParseBytes(out)
			var declared, called []string
			if tg.name == "chat" {
				declared = stringsOf(res.Get("tools.#.function.name"))
				called = stringsOf(res.Get("messages.#.tool_calls.#.function.name|@flatten"))
			} else {
				declared = stringsOf(res.Get("tools.#.name"))
				called = stringsOf(res.Get(`messages.#.content.#(type=="tool_use")#.name|@flatten`))
			}
			assert.Len(t, declared, 5)
			for _, n := range append(declared, called...) {
				assert.Contains(t, meta.Tools, n, "an upstream name without a way back")
			}
			assert.Equal(t, []string{upOf[respKey{"x", "y"}], "exec", "old_ns__gone"}, called)
			assert.Contains(t, res.Get("tools.1").Raw, "(Namespace x: X tools.)")
		})
	}
}

func stringsOf(r gjson.Result) []string {
	var out []string
	r.ForEach(func(_, v gjson.Result) bool {
		out = append(out, v.Str)
		return true
	})
	return out
}

// Tools declared in the input (Codex's additional_tools item) count as
// declared tools.
func TestResponsesRequestAdditionalToolsItem(t *testing.T) {
	body := `{"model":"m","input":[
		{"type":"additional_tools","role":"developer","tools":[{"type":"namespace","name":"functions","description":"","tools":[
			{"type":"custom","name":"exec","format":{"type":"text"}},{"type":"function","name":"wait","parameters":{"type":"object","properties":{}}}]},
			{"type":"web_search"}]},
		{"role":"user","content":"hi"}],"tool_choice":{"type":"function","name":"wait"}}`
	chat, msgs, cm, _ := convertBoth(t, body)
	assert.Equal(t, []string{"exec", "wait"}, stringsOf(chat.Get("tools.#.function.name")))
	assert.Equal(t, []string{"exec", "wait"}, stringsOf(msgs.Get("tools.#.name")))
	assert.Equal(t, "wait", chat.Get("tool_choice.function.name").Str)
	assert.Equal(t, []string{"web_search"}, cm.DroppedTools)
	assert.Equal(t, ResponsesTool{Kind: "custom", Name: "exec", Namespace: "functions"}, cm.Tools["exec"])
}

func TestResponsesRequestHostedToolsAreDropped(t *testing.T) {
	body := `{"model":"m","input":"hi","tools":[{"type":"web_search"},{"type":"file_search","vector_store_ids":["v"]},
		{"type":"web_search"},{"type":"image_generation"},{"type":"mcp","server_label":"x"},{"type":"local_shell"},{"type":"tool_search"}],
		"tool_choice":{"type":"web_search"},"parallel_tool_calls":false}`
	chat, msgs, cm, mm := convertBoth(t, body)
	for _, r := range []gjson.Result{chat, msgs} {
		assert.False(t, r.Get("tools").Exists())
		assert.False(t, r.Get("tool_choice").Exists())
		assert.False(t, r.Get("parallel_tool_calls").Exists(), "OpenAI rejects parallel_tool_calls without tools")
	}
	want := []string{"web_search", "file_search", "image_generation", "mcp", "local_shell", "tool_search"}
	assert.Equal(t, want, cm.DroppedTools)
	assert.Equal(t, want, mm.DroppedTools)
	assert.Contains(t, string(cm.Echo), `{"type":"file_search","vector_store_ids":["v"]}`, "the echo keeps the tools as sent")
}

func TestResponsesRequestToolChoice(t *testing.T) {
	tools := `"tools":[{"type":"function","name":"f"},{"type":"web_search"}]`
	cases := []struct {
		name, choice, chat, messages string
	}{
		{"auto", `"auto"`, `"auto"`, `{"type":"auto"}`},
		{"none", `"none"`, `"none"`, `{"type":"none"}`},
		{"required", `"required"`, `"required"`, `{"type":"any"}`},
		{"function", `{"type":"function","name":"f"}`, `{"type":"function","function":{"name":"f"}}`, `{"type":"tool","name":"f"}`},
		{"undeclared function", `{"type":"function","name":"g"}`, `"auto"`, `{"type":"auto"}`},
		{"hosted", `{"type":"web_search_preview"}`, `"auto"`, `{"type":"auto"}`},
		{"allowed tools", `{"type":"allowed_tools","mode":"required","tools":[{"type":"function","name":"f"}]}`, `"required"`, `{"type":"any"}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			chat, msgs, _, _ := convertBoth(t, `{"model":"m","input":"hi",`+tools+`,"tool_choice":`+tc.choice+`}`)
			assert.JSONEq(t, tc.chat, chat.Get("tool_choice").Raw)
			assert.JSONEq(t, tc.messages, msgs.Get("tool_choice").Raw)
		})
	}
	chat, msgs, _, _ := convertBoth(t, `{"model":"m","input":"hi",`+tools+`,"parallel_tool_calls":false}`)
	assert.Equal(t, "false", chat.Get("parallel_tool_calls").Raw)
	assert.JSONEq(t, `{"type":"auto","disable_parallel_tool_use":true}`, msgs.Get("tool_choice").Raw)
}

func TestResponsesRequestSamplingAndThinking(t *testing.T) {
	body := `{"model":"m","input":"hi","max_output_tokens":1000,"temperature":0.5,"top_p":0.9,"reasoning":{"effort":"high","summary":"detailed"}}`
	chat, msgs, cm, mm := convertBoth(t, body)
	assert.Equal(t, int64(1000), chat.Get("max_tokens").Int())
	assert.Equal(t, "0.5", chat.Get("temperature").Raw)
	assert.Equal(t, "0.9", chat.Get("top_p").Raw)
	assert.Equal(t, "high", chat.Get("reasoning_effort").Str)
	assert.True(t, cm.Thinking)

	assert.JSONEq(t, `{"type":"enabled","budget_tokens":4096}`, msgs.Get("thinking").Raw)
	assert.Equal(t, int64(5096), msgs.Get("max_tokens").Int(), "the answer allowance stays on top of the budget")
	assert.False(t, msgs.Get("temperature").Exists(), "thinking allows no temperature")
	assert.False(t, msgs.Get("top_p").Exists(), "thinking allows top_p only within [0.95, 1]")
	assert.True(t, mm.Thinking)

	out, meta, err := ResponsesToMessagesRequest([]byte(body), ResponsesRequestOptions{AdaptiveThinking: true})
	require.NoError(t, err)
	assert.JSONEq(t, `{"type":"adaptive"}`, gjson.GetBytes(out, "thinking").Raw)
	assert.JSONEq(t, `{"effort":"high"}`, gjson.GetBytes(out, "output_config").Raw)
	assert.True(t, meta.Thinking)

	chat, msgs, cm, mm = convertBoth(t, `{"model":"m","input":"hi","temperature":1.5,"reasoning":{"effort":"none"}}`)
	assert.Equal(t, "none", chat.Get("reasoning_effort").Str)
	assert.False(t, cm.Thinking)
	assert.False(t, msgs.Get("thinking").Exists())
	assert.Equal(t, 1.0, msgs.Get("temperature").Num, "Anthropic's range is [0, 1]")
	assert.False(t, mm.Thinking)
}

// A reasoning item aigw wrote carries Claude's thinking block back,
// exactly, before the turn's text and tool calls; other reasoning is
// dropped, and so is all reasoning for Chat Completions.
func TestResponsesRequestReasoningItems(t *testing.T) {
	sig := EncodeReasoning(ReasoningBlock{Thinking: "plan: call f", Signature: "sig/+=="})
	red := EncodeReasoning(ReasoningBlock{Redacted: "REDACTED=="})
	body := `{"model":"m","reasoning":{"effort":"low"},"tools":[{"type":"function","name":"f"}],"input":[
		{"role":"user","content":"go"},
		{"type":"message","role":"assistant","content":[{"type":"output_text","text":"Calling f."}]},
		{"type":"reasoning","summary":[{"type":"summary_text","text":"plan"}],"encrypted_content":"` + sig + `"},
		{"type":"reasoning","summary":[],"encrypted_content":"` + red + `"},
		{"type":"reasoning","summary":[],"encrypted_content":"gAAAAopenai"},
		{"type":"reasoning","summary":[],"encrypted_content":"aigw.r1.!!damaged"},
		{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},
		{"type":"function_call_output","call_id":"c","output":"ok"}]}`
	chat, msgs, _, mm := convertBoth(t, body)
	assert.JSONEq(t, `[{"type":"thinking","thinking":"plan: call f","signature":"sig/+=="},
		{"type":"redacted_thinking","data":"REDACTED=="},
		{"type":"text","text":"Calling f."},
		{"type":"tool_use","id":"c","name":"f","input":{}}]`, msgs.Get("messages.1.content").Raw)
	assert.True(t, mm.Thinking, "a tool loop whose turn opens with signed thinking keeps thinking on")
	assert.Equal(t, int64(1024), msgs.Get("thinking.budget_tokens").Int())
	assert.NotContains(t, chat.Raw, "thinking")
	// Chat upstreams get the readable reasoning back on the message that
	// calls tools (DeepSeek's thinking mode requires it); OpenAI's own and
	// damaged content are dropped.
	assert.Equal(t, "plan: call f", chat.Get("messages.1.reasoning_content").Str)
	assert.Equal(t, 1, strings.Count(chat.Raw, "reasoning_content"))

	// Without its thinking block, the same loop must not ask for thinking.
	plain := strings.Replace(body, sig, "gAAAAx", 1)
	plain = strings.Replace(plain, red, "gAAAAy", 1)
	out, meta, err := ResponsesToMessagesRequest([]byte(plain), ResponsesRequestOptions{})
	require.NoError(t, err)
	assert.False(t, meta.Thinking)
	assert.False(t, gjson.GetBytes(out, "thinking").Exists())
	assert.NotContains(t, string(out), `"thinking"`)
}

func TestResponsesRequestTextFormat(t *testing.T) {
	schema := `{"type":"object","properties":{"ok":{"type":"boolean"}}}`
	body := `{"model":"m","input":"hi","text":{"format":{"type":"json_schema","name":"verdict","schema":` + schema + `,"strict":true},"verbosity":"low"}}`
	chat, msgs, cm, mm := convertBoth(t, body)
	assert.JSONEq(t, `{"type":"json_schema","json_schema":{"name":"verdict","schema":`+schema+`,"strict":true}}`, chat.Get("response_format").Raw)
	assert.False(t, cm.JSONMode)
	assert.Equal(t, jsonToolName, msgs.Get("tools.0.name").Str)
	assert.JSONEq(t, schema, msgs.Get("tools.0.input_schema").Raw)
	assert.JSONEq(t, `{"type":"tool","name":"json_tool_call"}`, msgs.Get("tool_choice").Raw)
	assert.True(t, mm.JSONMode)
	assert.Empty(t, mm.Tools, "json_tool_call is not a client tool")

	chat, msgs, _, mm = convertBoth(t, `{"model":"m","input":"hi","text":{"format":{"type":"json_object"}},"reasoning":{"effort":"low"}}`)
	assert.JSONEq(t, `{"type":"json_object"}`, chat.Get("response_format").Raw)
	assert.True(t, mm.JSONMode)
	assert.JSONEq(t, `{"type":"auto"}`, msgs.Get("tool_choice").Raw, "thinking cannot force the JSON tool")

	chat, msgs, _, mm = convertBoth(t, `{"model":"m","input":"hi","text":{"format":{"type":"text"}}}`)
	assert.False(t, chat.Get("response_format").Exists())
	assert.False(t, msgs.Get("tools").Exists())
	assert.False(t, mm.JSONMode)
}

func TestResponsesRequestUserAndStore(t *testing.T) {
	chat, msgs, _, _ := convertBoth(t, `{"model":"m","input":"hi","user":"u-42","store":true,"metadata":{"k":"v"},"service_tier":"flex","truncation":"auto","prompt_cache_key":"pk"}`)
	assert.Equal(t, "u-42", chat.Get("user").Str)
	assert.Equal(t, "u-42", msgs.Get("metadata.user_id").Str)
	for _, r := range []gjson.Result{chat, msgs} {
		for _, k := range []string{"store", "service_tier", "truncation", "prompt_cache_key"} {
			assert.False(t, r.Get(k).Exists(), k)
		}
	}
	assert.False(t, chat.Get("metadata").Exists())

	chat, msgs, _, _ = convertBoth(t, `{"model":"m","input":"hi","user":"bob@example.com"}`)
	assert.Equal(t, "bob@example.com", chat.Get("user").Str)
	assert.False(t, msgs.Get("metadata").Exists(), "Anthropic rejects user ids that look like an e-mail address")

	chat, msgs, _, _ = convertBoth(t, `{"model":"m","input":"hi","safety_identifier":"hash-9"}`)
	assert.Equal(t, "hash-9", chat.Get("user").Str)
	assert.Equal(t, "hash-9", msgs.Get("metadata.user_id").Str)
}

func TestResponsesRequestEcho(t *testing.T) {
	_, _, cm, mm := convertBoth(t, `{"model":"m","input":"hi","store":true,"include":["reasoning.encrypted_content"],
		"tools":[ {"type":"function", "name":"f"} ],"temperature":0.3,"metadata":{"a":"b"},"truncation":"auto"}`)
	want := `{"instructions":null,"max_output_tokens":null,"temperature":0.3,"top_p":1.0,"tool_choice":"auto",
		"tools":[{"type":"function","name":"f"}],"parallel_tool_calls":true,"text":{"format":{"type":"text"}},
		"reasoning":{"effort":null,"summary":null},"metadata":{"a":"b"},"user":null,"truncation":"auto","store":false}`
	assert.JSONEq(t, want, string(cm.Echo))
	assert.Equal(t, cm.Echo, mm.Echo)
	assert.NotContains(t, string(cm.Echo), "\n", "the echo goes on SSE data lines")
	assert.True(t, cm.IncludeEncryptedReasoning)
	assert.True(t, mm.IncludeEncryptedReasoning)
}

// Nothing in the meta points into the request body, which the gateway
// may reuse.
func TestResponsesRequestMetaOutlivesBody(t *testing.T) {
	body := []byte(`{"model":"req-model","input":"hi","tools":[{"type":"namespace","name":"nsp","description":"","tools":[{"type":"function","name":"fn"}]},{"type":"web_search"}]}`)
	for _, tg := range respTargets {
		b := append([]byte(nil), body...)
		_, meta, err := tg.conv(b, ResponsesRequestOptions{})
		require.NoError(t, err)
		for i := range b {
			b[i] = 'X'
		}
		assert.Equal(t, "req-model", meta.RequestedModel)
		assert.Equal(t, ResponsesTool{Kind: "function", Name: "fn", Namespace: "nsp"}, meta.Tools["nsp__fn"])
		assert.Equal(t, []string{"web_search"}, meta.DroppedTools)
	}
}

// A request built with the official SDK converts: function and custom
// tools, their calls and outputs, a namespace tool.
func TestResponsesRequestFromOpenAISDK(t *testing.T) {
	params := responses.ResponseNewParams{
		Model:             "gpt-5.1-codex",
		Instructions:      openai.String("Be terse."),
		Store:             openai.Bool(false),
		ParallelToolCalls: openai.Bool(true),
		MaxOutputTokens:   openai.Int(512),
		Include:           []responses.ResponseIncludable{responses.ResponseIncludableReasoningEncryptedContent},
		Tools: []responses.ToolUnionParam{
			responses.ToolParamOfFunction("get_weather", map[string]any{"type": "object", "properties": map[string]any{"city": map[string]any{"type": "string"}}}, false),
			{OfCustom: &responses.CustomToolParam{Name: "apply_patch", Description: openai.String("Edit files.")}},
			{OfNamespace: &responses.NamespaceToolParam{Name: "crm", Description: "CRM tools.", Tools: []responses.NamespaceToolToolUnionParam{
				{OfFunction: &responses.NamespaceToolToolFunctionParam{Name: "list_orders"}}}}},
		},
		ToolChoice: responses.ResponseNewParamsToolChoiceUnion{OfToolChoiceMode: openai.Opt(responses.ToolChoiceOptionsRequired)},
		Input: responses.ResponseNewParamsInputUnion{OfInputItemList: responses.ResponseInputParam{
			responses.ResponseInputItemParamOfMessage("Weather in Paris?", responses.EasyInputMessageRoleUser),
			responses.ResponseInputItemParamOfFunctionCall(`{"city":"Paris"}`, "call_w", "get_weather"),
			fnOutput("call_w", "18C"),
			responses.ResponseInputItemParamOfCustomToolCall("call_p", "*** Begin Patch\n*** End Patch", "apply_patch"),
			{OfCustomToolCallOutput: &responses.ResponseCustomToolCallOutputParam{CallID: "call_p",
				Output: responses.ResponseCustomToolCallOutputOutputUnionParam{OfString: openai.String("ok")}}},
		}},
	}
	body, err := json.Marshal(params)
	require.NoError(t, err)
	chat, msgs, cm, mm := convertBoth(t, string(body))

	assert.Equal(t, []string{"get_weather", "apply_patch", "crm__list_orders"}, stringsOf(chat.Get("tools.#.function.name")))
	assert.Equal(t, `"required"`, chat.Get("tool_choice").Raw)
	assert.Equal(t, "true", chat.Get("parallel_tool_calls").Raw)
	assert.Equal(t, int64(512), chat.Get("max_tokens").Int())
	assert.Equal(t, []string{"system", "user", "assistant", "tool", "assistant", "tool"}, stringsOf(chat.Get("messages.#.role")))
	assert.Equal(t, `{"input":"*** Begin Patch\n*** End Patch"}`, chat.Get("messages.4.tool_calls.0.function.arguments").Str)

	assert.Equal(t, []string{"get_weather", "apply_patch", "crm__list_orders"}, stringsOf(msgs.Get("tools.#.name")))
	assert.JSONEq(t, `{"type":"any"}`, msgs.Get("tool_choice").Raw)
	assert.Equal(t, int64(512), msgs.Get("max_tokens").Int())
	assert.Equal(t, "Paris", msgs.Get("messages.1.content.0.input.city").Str)
	for _, m := range []ResponsesMeta{cm, mm} {
		assert.True(t, m.IncludeEncryptedReasoning)
		assert.Equal(t, ResponsesTool{Kind: "function", Name: "list_orders", Namespace: "crm"}, m.Tools["crm__list_orders"])
		assert.Equal(t, "custom", m.Tools["apply_patch"].Kind)
	}
}

func fnOutput(callID, out string) responses.ResponseInputItemUnionParam {
	item := responses.ResponseInputItemParamOfFunctionCallOutput(out)
	item.OfFunctionCallOutput.CallID = openai.String(callID)
	return item
}

// A chat upstream's reasoning_content comes back on the assistant message
// that calls tools, from the item's encrypted_content or, without it, its
// summary; never on a message without calls.
func TestResponsesRequestChatReasoningContent(t *testing.T) {
	enc := EncodeReasoning(ReasoningBlock{Thinking: "think about the weather"})
	cases := []struct{ name, reasoning, want string }{
		{"encrypted", `{"type":"reasoning","summary":[{"type":"summary_text","text":"short"}],"encrypted_content":"` + enc + `"}`, "think about the weather"},
		{"summary only", `{"type":"reasoning","summary":[{"type":"summary_text","text":"a"},{"type":"summary_text","text":"b"}]}`, "a\nb"},
		{"openai's own", `{"type":"reasoning","summary":[{"type":"summary_text","text":"s"}],"encrypted_content":"gAAAA"}`, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{"model":"m","tools":[{"type":"function","name":"f"}],"input":[{"role":"user","content":"go"},` + tc.reasoning + `,
				{"type":"function_call","call_id":"c","name":"f","arguments":"{}"},{"type":"function_call_output","call_id":"c","output":"ok"},
				` + tc.reasoning + `,{"type":"message","role":"assistant","content":[{"type":"output_text","text":"done"}]},{"role":"user","content":"thanks"}]}`
			out, _, err := ResponsesToChatRequest([]byte(body), ResponsesRequestOptions{})
			require.NoError(t, err)
			msgs := gjson.GetBytes(out, "messages")
			assert.Equal(t, tc.want, msgs.Get("1.reasoning_content").Str, msgs.Raw)
			assert.False(t, msgs.Get("3.reasoning_content").Exists(), "a message without tool calls never carries it")
		})
	}
}

package adapter

import (
	"strings"

	"github.com/tidwall/gjson"
)

// MessagesToChatResponse converts a (2xx) Anthropic Messages response body
// to an OpenAI chat.completion (docs/conversion.md, "Responses"). It
// returns the usage for the request log. An error means the upstream sent something that is not a
// Messages response; the gateway answers 502.
func MessagesToChatResponse(body []byte, meta ChatMeta) ([]byte, Usage, error) {
	root, content, usage, err := readMessagesAnswer(body)
	if err != nil {
		return nil, Usage{}, err
	}

	var ans anthropicAnswer
	ans.read(content, &meta)
	finish := finishReason(root.Get("stop_reason").Str)
	if ans.jsonUsed && len(ans.calls) == 0 && finish == "tool_calls" {
		finish = "stop" // the forced JSON tool is the answer, not a call
	}
	id := root.Get("id").Str
	if id == "" {
		id = randomID("chatcmpl-")
	}
	model := root.Get("model").Str
	if model == "" {
		model = meta.UpstreamModel
	}
	w := jw{b: make([]byte, 0, len(body)+256)}
	w.open()
	w.key("id")
	w.str(id)
	w.key("object")
	w.str("chat.completion")
	w.key("created")
	w.int(nowOr(meta.Now).Unix())
	w.key("model")
	w.str(model)
	w.key("choices")
	w.openArr()
	w.open()
	w.key("index")
	w.int(0)
	w.key("message")
	ans.write(&w)
	w.key("logprobs")
	w.null()
	w.key("finish_reason")
	w.str(finish)
	w.close()
	w.closeArr()
	w.key("usage")
	writeOpenAIUsage(&w, usage)
	w.close()
	return w.b, usage, nil
}

// anthropicAnswer is what an Anthropic response's content says, sorted for
// an OpenAI message.
type anthropicAnswer struct {
	text, reasoning strings.Builder
	thinkingBlocks  []string
	calls           []toolCall
	json            string // the json_tool_call input, in JSON mode
	jsonUsed        bool
}

// read sorts the content blocks. Server tool blocks (server_tool_use,
// web_search_tool_result...) and citations are left out: the client cannot
// act on server tools, their effect is in the text.
func (ans *anthropicAnswer) read(content gjson.Result, meta *ChatMeta) {
	content.ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").Str {
		case "text":
			ans.text.WriteString(b.Get("text").Str)
		case "thinking":
			ans.reasoning.WriteString(b.Get("thinking").Str)
			ans.thinkingBlocks = append(ans.thinkingBlocks, b.Raw)
		case "redacted_thinking":
			ans.thinkingBlocks = append(ans.thinkingBlocks, b.Raw)
		case "tool_use":
			name := b.Get("name").Str
			raw := "{}"
			if input := b.Get("input"); input.IsObject() {
				raw = input.Raw
			}
			if meta.JSONMode && name == jsonToolName {
				if !ans.jsonUsed {
					ans.json, ans.jsonUsed = string(appendCompact(nil, raw)), true
				}
				return true
			}
			ans.calls = append(ans.calls, toolCall{id: b.Get("id").Str, name: toolNames(meta.ToolNames).restore(name), input: raw})
		}
		return true
	})
	if ans.jsonUsed {
		// The JSON tool's input is the answer; a preamble text would break
		// the client's JSON parsing.
		ans.text.Reset()
		ans.text.WriteString(ans.json)
	}
}

// write writes the choice's message object.
func (ans *anthropicAnswer) write(w *jw) {
	w.open()
	w.key("role")
	w.str("assistant")
	w.key("content")
	if ans.text.Len() > 0 || len(ans.calls) == 0 {
		w.str(ans.text.String())
	} else {
		w.null() // tool calls only: content null, as OpenAI sends it
	}
	if ans.reasoning.Len() > 0 {
		// Non-standard but widely read (DeepSeek, LiteLLM, new-api).
		w.key("reasoning_content")
		w.str(ans.reasoning.String())
	}
	if len(ans.thinkingBlocks) > 0 {
		// Signed blocks a client can echo back (LiteLLM's extension) so
		// thinking survives tool loops.
		w.key("thinking_blocks")
		w.openArr()
		for _, tb := range ans.thinkingBlocks {
			w.raw(tb)
		}
		w.closeArr()
	}
	if len(ans.calls) > 0 {
		w.key("tool_calls")
		w.openArr()
		for _, c := range ans.calls {
			w.toolCall(c)
		}
		w.closeArr()
	}
	w.key("refusal")
	w.null()
	w.close()
}

package adapter

import (
	"errors"
	"fmt"
	"strings"

	"github.com/tidwall/gjson"
)

// MessagesToChatResponse converts a (2xx) Anthropic Messages response body
// to an OpenAI chat.completion (docs/conversion.md, "Responses"). It returns the usage for the
// request log. An error means the upstream sent something that is not a
// Messages response; the gateway answers 502.
func MessagesToChatResponse(body []byte, meta ChatMeta) ([]byte, Usage, error) {
	if why := checkUpstream(body); why != "" {
		return nil, Usage{}, errors.New("convert anthropic response: body " + why)
	}
	root := gjson.Parse(string(body))
	if root.Get("type").Str == "error" {
		return nil, Usage{}, fmt.Errorf("convert anthropic response: upstream error: %s", root.Get("error.message").Str)
	}
	content := root.Get("content")
	if !content.IsArray() {
		return nil, Usage{}, errors.New("convert anthropic response: no content array")
	}
	usage := anthropicUsage(root.Get("usage"))

	var text, reasoning strings.Builder
	var thinkingBlocks []string
	var calls []toolCall
	jsonContent, jsonUsed := "", false
	content.ForEach(func(_, b gjson.Result) bool {
		switch b.Get("type").Str {
		case "text":
			text.WriteString(b.Get("text").Str)
		case "thinking":
			reasoning.WriteString(b.Get("thinking").Str)
			thinkingBlocks = append(thinkingBlocks, b.Raw)
		case "redacted_thinking":
			thinkingBlocks = append(thinkingBlocks, b.Raw)
		case "tool_use":
			name := b.Get("name").Str
			input := b.Get("input")
			raw := "{}"
			if input.IsObject() {
				raw = input.Raw
			}
			if meta.JSONMode && name == jsonToolName {
				if !jsonUsed {
					jsonContent, jsonUsed = string(appendCompact(nil, raw)), true
				}
				return true
			}
			calls = append(calls, toolCall{id: b.Get("id").Str, name: toolNames(meta.ToolNames).restore(name), input: raw})
		}
		// server_tool_use, web_search_tool_result, citations...: the
		// client cannot act on server tools; their effect is in the text.
		return true
	})

	finish := finishReason(root.Get("stop_reason").Str)
	if jsonUsed {
		// The forced JSON tool is the answer, not a call the client makes;
		// a preamble text would break the client's JSON parsing.
		text.Reset()
		text.WriteString(jsonContent)
		if len(calls) == 0 && finish == "tool_calls" {
			finish = "stop"
		}
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
	w.open()
	w.key("role")
	w.str("assistant")
	w.key("content")
	if text.Len() > 0 || len(calls) == 0 {
		w.str(text.String())
	} else {
		w.null() // tool calls only: content null, as OpenAI sends it
	}
	if reasoning.Len() > 0 {
		// Non-standard but widely read (DeepSeek, LiteLLM, new-api).
		w.key("reasoning_content")
		w.str(reasoning.String())
	}
	if len(thinkingBlocks) > 0 {
		// Signed blocks a client can echo back (LiteLLM's extension) so
		// thinking survives tool loops.
		w.key("thinking_blocks")
		w.openArr()
		for _, tb := range thinkingBlocks {
			w.raw(tb)
		}
		w.closeArr()
	}
	if len(calls) > 0 {
		w.key("tool_calls")
		w.openArr()
		for _, c := range calls {
			w.toolCall(c)
		}
		w.closeArr()
	}
	w.key("refusal")
	w.null()
	w.close()
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

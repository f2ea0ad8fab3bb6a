package adapter

import (
	"errors"
	"fmt"

	"github.com/tidwall/gjson"
)

// The first checks of a whole upstream answer, shared by the converters of
// both directions and of the Responses API (docs/conversion.md, "Responses").

// readChatAnswer checks a whole Chat Completions answer and returns its
// root, its first choice and its usage. An error means the upstream sent
// something that is not a chat completion (the gateway answers 502).
func readChatAnswer(body []byte) (root, choice gjson.Result, usage Usage, err error) {
	if why := checkUpstream(body); why != "" {
		return root, choice, usage, errors.New("convert openai response: body " + why)
	}
	root = gjson.Parse(string(body))
	if e := root.Get("error"); present(e) {
		return root, choice, usage, fmt.Errorf("convert openai response: upstream error: %s", upstreamMessage(502, body))
	}
	choices := root.Get("choices")
	if !choices.IsArray() {
		return root, choice, usage, errors.New("convert openai response: no choices array")
	}
	return root, choices.Get("0"), openAIUsage(root.Get("usage")), nil
}

// readMessagesAnswer checks a whole Messages answer and returns its root,
// its content blocks and its usage. An error means the upstream sent
// something that is not a Messages response (the gateway answers 502).
func readMessagesAnswer(body []byte) (root, content gjson.Result, usage Usage, err error) {
	if why := checkUpstream(body); why != "" {
		return root, content, usage, errors.New("convert anthropic response: body " + why)
	}
	root = gjson.Parse(string(body))
	if root.Get("type").Str == "error" {
		return root, content, usage, fmt.Errorf("convert anthropic response: upstream error: %s", root.Get("error.message").Str)
	}
	content = root.Get("content")
	if !content.IsArray() {
		return root, content, usage, errors.New("convert anthropic response: no content array")
	}
	return root, content, anthropicUsage(root.Get("usage")), nil
}

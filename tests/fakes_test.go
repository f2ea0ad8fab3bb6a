package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// openAIChat answers chat completions like OpenAI: a completion, or an SSE
// stream of chunks split from the reply, with a usage chunk when asked.
func openAIChat(reply string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		body := readAll(r)
		model := gjson.GetBytes(body, "model").String()
		if !gjson.GetBytes(body, "stream").Bool() {
			w.Header().Set("Content-Type", "application/json")
			w.Header().Set("X-Request-Id", "upstream-req-1")
			fmt.Fprintf(w, `{"id":"chatcmpl-1","object":"chat.completion","created":1700000000,"model":%q,`+
				`"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],`+
				`"usage":{"prompt_tokens":11,"completion_tokens":7,"total_tokens":18}}`, model, reply)
			return
		}
		includeUsage := gjson.GetBytes(body, "stream_options.include_usage").Bool()
		w.Header().Set("Content-Type", "text/event-stream")
		fl := w.(http.Flusher)
		usageField := ""
		if includeUsage {
			usageField = `,"usage":null`
		}
		words := strings.SplitAfter(reply, " ")
		for i, piece := range words {
			delta := map[string]any{"content": piece}
			if i == 0 {
				delta["role"] = "assistant"
			}
			d, _ := json.Marshal(delta)
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":null}]%s}\n\n", model, d, usageField)
			fl.Flush()
		}
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]%s}\n\n", model, usageField)
		if includeUsage {
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":{\"prompt_tokens\":11,\"completion_tokens\":%d,\"total_tokens\":%d}}\n\n", model, len(words), 11+len(words))
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
		fl.Flush()
	}
}

func readAll(r *http.Request) []byte {
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := r.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			return []byte(b.String())
		}
	}
}

package tests

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// anthropicSSE writes one Anthropic SSE frame, as the API does: an event
// line and a data line whose type matches.
func anthropicSSE(w http.ResponseWriter, event, data string) {
	fmt.Fprintf(w, "event: %s\ndata: %s\n\n", event, data)
	w.(http.Flusher).Flush()
}

// anthropicFake speaks the Messages API. With tools in the request it
// answers with a text block followed by a tool_use block.
func anthropicFake(w http.ResponseWriter, r *http.Request) {
	body := readAll(r)
	model := gjson.GetBytes(body, "model").String()
	withTools := gjson.GetBytes(body, "tools.#").Int() > 0
	if r.URL.Path == "/v1/messages/count_tokens" {
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"input_tokens":42}`)
		return
	}
	if !gjson.GetBytes(body, "stream").Bool() {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("request-id", "req_upstream_anthropic")
		content := `[{"type":"text","text":"Hello from Claude."}]`
		stop := "end_turn"
		if withTools {
			content = `[{"type":"text","text":"Let me check."},{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{"city":"Paris","unit":"c"}}]`
			stop = "tool_use"
		}
		fmt.Fprintf(w, `{"id":"msg_01","type":"message","role":"assistant","model":%q,"content":%s,"stop_reason":%q,"stop_sequence":null,`+
			`"usage":{"input_tokens":10,"output_tokens":5,"cache_read_input_tokens":2,"cache_creation_input_tokens":0}}`, model, content, stop)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	anthropicSSE(w, "message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_01","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":1}}}`, model))
	anthropicSSE(w, "content_block_start", `{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}`)
	anthropicSSE(w, "ping", `{"type": "ping"}`)
	for _, piece := range []string{"Hello", " from", " Claude."} {
		anthropicSSE(w, "content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":%q}}`, piece))
	}
	anthropicSSE(w, "content_block_stop", `{"type":"content_block_stop","index":0}`)
	stop := "end_turn"
	if withTools {
		stop = "tool_use"
		anthropicSSE(w, "content_block_start", `{"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01","name":"get_weather","input":{}}}`)
		anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}`)
		anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\"city\": \"Pa"}}`)
		anthropicSSE(w, "content_block_delta", `{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ris\"}"}}`)
		anthropicSSE(w, "content_block_stop", `{"type":"content_block_stop","index":1}`)
	}
	if strings.Contains(string(body), "FAIL_MID_STREAM") {
		anthropicSSE(w, "error", `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`)
		return
	}
	anthropicSSE(w, "message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":7}}`, stop))
	anthropicSSE(w, "message_stop", `{"type":"message_stop"}`)
}

// openAIToolChat speaks Chat Completions; with tools in the request it
// answers with text followed by a get_weather tool call.
func openAIToolChat(w http.ResponseWriter, r *http.Request) {
	body := readAll(r)
	model := gjson.GetBytes(body, "model").String()
	withTools := gjson.GetBytes(body, "tools.#").Int() > 0
	if !gjson.GetBytes(body, "stream").Bool() {
		w.Header().Set("Content-Type", "application/json")
		msg := `{"role":"assistant","content":"Hello from GPT."}`
		finish := "stop"
		if withTools {
			msg = `{"role":"assistant","content":"Let me check.","tool_calls":[{"id":"call_1","type":"function","function":{"name":"get_weather","arguments":"{\"city\":\"Paris\"}"}}]}`
			finish = "tool_calls"
		}
		fmt.Fprintf(w, `{"id":"chatcmpl-9","object":"chat.completion","created":1700000000,"model":%q,"choices":[{"index":0,"message":%s,"finish_reason":%q}],`+
			`"usage":{"prompt_tokens":20,"completion_tokens":6,"total_tokens":26,"prompt_tokens_details":{"cached_tokens":4}}}`, model, msg, finish)
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	fl := w.(http.Flusher)
	chunk := func(choices string, usage string) {
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-9\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":%s,\"usage\":%s}\n\n", model, choices, usage)
		fl.Flush()
	}
	chunk(`[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]`, "null")
	for _, p := range []string{"Hello", " from", " GPT."} {
		chunk(fmt.Sprintf(`[{"index":0,"delta":{"content":%q},"finish_reason":null}]`, p), "null")
	}
	finish := "stop"
	if withTools {
		finish = "tool_calls"
		chunk(`[{"index":0,"delta":{"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"get_weather","arguments":""}}]},"finish_reason":null}]`, "null")
		chunk(`[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"{\"city\":"}}]},"finish_reason":null}]`, "null")
		chunk(`[{"index":0,"delta":{"tool_calls":[{"index":0,"function":{"arguments":"\"Paris\"}"}}]},"finish_reason":null}]`, "null")
	}
	if strings.Contains(string(body), "FAIL_MID_STREAM") {
		fmt.Fprint(w, "data: {\"error\":{\"message\":\"upstream exploded\",\"type\":\"server_error\",\"param\":null,\"code\":null}}\n\n")
		return
	}
	chunk(fmt.Sprintf(`[{"index":0,"delta":{},"finish_reason":%q}]`, finish), "null")
	if gjson.GetBytes(body, "stream_options.include_usage").Bool() {
		chunk(`[]`, `{"prompt_tokens":20,"completion_tokens":6,"total_tokens":26}`)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	fl.Flush()
}

// statusFake answers every request with status and body.
func statusFake(status int, body string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		fmt.Fprint(w, body)
	}
}

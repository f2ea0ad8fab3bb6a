package tests

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/tidwall/gjson"
)

// A scripted upstream answer, written in either protocol, whole or as a
// stream, so one scenario runs against both conversions.
type scriptedBlock struct {
	kind      string // "thinking", "text", "tool"
	text      string // thinking or text
	signature string // thinking
	toolID    string
	toolName  string
	toolArgs  string // JSON
}

type scriptedReply struct {
	blocks []scriptedBlock
	// stop is "end", "tool" or "length".
	stop                      string
	input, output, cached     int64
	reasoning                 int64 // chat only: completion_tokens_details.reasoning_tokens
	failMidStream, failStatus int   // an error event after the first block; an HTTP error instead of an answer
	failMessage               string
}

// scriptedAnthropic answers the Messages API with what script decides
// from the request.
func scriptedAnthropic(script func(req gjson.Result) scriptedReply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := gjson.ParseBytes(readAll(r))
		rep := script(req)
		if rep.failStatus != 0 {
			w.Header().Set("Content-Type", "application/json")
			if rep.failStatus == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "7")
			}
			w.WriteHeader(rep.failStatus)
			fmt.Fprintf(w, `{"type":"error","error":{"type":"rate_limit_error","message":%q}}`, rep.failMessage)
			return
		}
		stop := map[string]string{"end": "end_turn", "tool": "tool_use", "length": "max_tokens"}[rep.stop]
		usage := fmt.Sprintf(`{"input_tokens":%d,"output_tokens":%d,"cache_read_input_tokens":%d,"cache_creation_input_tokens":0}`,
			rep.input-rep.cached, rep.output, rep.cached)
		if !req.Get("stream").Bool() {
			var content []string
			for _, b := range rep.blocks {
				switch b.kind {
				case "thinking":
					content = append(content, fmt.Sprintf(`{"type":"thinking","thinking":%q,"signature":%q}`, b.text, b.signature))
				case "text":
					content = append(content, fmt.Sprintf(`{"type":"text","text":%q}`, b.text))
				case "tool":
					content = append(content, fmt.Sprintf(`{"type":"tool_use","id":%q,"name":%q,"input":%s}`, b.toolID, b.toolName, b.toolArgs))
				}
			}
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"msg_s1","type":"message","role":"assistant","model":%q,"content":[%s],"stop_reason":%q,"stop_sequence":null,"usage":%s}`,
				req.Get("model").String(), strings.Join(content, ","), stop, usage)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		anthropicSSE(w, "message_start", fmt.Sprintf(`{"type":"message_start","message":{"id":"msg_s1","type":"message","role":"assistant","model":%q,"content":[],"stop_reason":null,"stop_sequence":null,"usage":%s}}`,
			req.Get("model").String(), strings.Replace(usage, fmt.Sprintf(`"output_tokens":%d`, rep.output), `"output_tokens":1`, 1)))
		for i, b := range rep.blocks {
			switch b.kind {
			case "thinking":
				anthropicSSE(w, "content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"thinking","thinking":"","signature":""}}`, i))
				anthropicSSE(w, "content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"thinking_delta","thinking":%q}}`, i, b.text))
				anthropicSSE(w, "content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"signature_delta","signature":%q}}`, i, b.signature))
			case "text":
				anthropicSSE(w, "content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"text","text":""}}`, i))
				half := len(b.text) / 2
				for _, piece := range []string{b.text[:half], b.text[half:]} {
					anthropicSSE(w, "content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"text_delta","text":%q}}`, i, piece))
				}
			case "tool":
				anthropicSSE(w, "content_block_start", fmt.Sprintf(`{"type":"content_block_start","index":%d,"content_block":{"type":"tool_use","id":%q,"name":%q,"input":{}}}`, i, b.toolID, b.toolName))
				half := len(b.toolArgs) / 2
				for _, piece := range []string{b.toolArgs[:half], b.toolArgs[half:]} {
					anthropicSSE(w, "content_block_delta", fmt.Sprintf(`{"type":"content_block_delta","index":%d,"delta":{"type":"input_json_delta","partial_json":%q}}`, i, piece))
				}
			}
			anthropicSSE(w, "content_block_stop", fmt.Sprintf(`{"type":"content_block_stop","index":%d}`, i))
			if rep.failMidStream != 0 {
				anthropicSSE(w, "error", fmt.Sprintf(`{"type":"error","error":{"type":"overloaded_error","message":%q}}`, rep.failMessage))
				return
			}
		}
		anthropicSSE(w, "message_delta", fmt.Sprintf(`{"type":"message_delta","delta":{"stop_reason":%q,"stop_sequence":null},"usage":{"output_tokens":%d}}`, stop, rep.output))
		anthropicSSE(w, "message_stop", `{"type":"message_stop"}`)
	}
}

// scriptedChat answers Chat Completions with what script decides.
func scriptedChat(script func(req gjson.Result) scriptedReply) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		req := gjson.ParseBytes(readAll(r))
		rep := script(req)
		if rep.failStatus != 0 {
			w.Header().Set("Content-Type", "application/json")
			if rep.failStatus == http.StatusTooManyRequests {
				w.Header().Set("Retry-After", "7")
			}
			w.WriteHeader(rep.failStatus)
			fmt.Fprintf(w, `{"error":{"message":%q,"type":"rate_limit_error","code":"rate_limit_exceeded"}}`, rep.failMessage)
			return
		}
		finish := map[string]string{"end": "stop", "tool": "tool_calls", "length": "length"}[rep.stop]
		usage := fmt.Sprintf(`{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d,"prompt_tokens_details":{"cached_tokens":%d},"completion_tokens_details":{"reasoning_tokens":%d}}`,
			rep.input, rep.output, rep.input+rep.output, rep.cached, rep.reasoning)
		model := req.Get("model").String()
		if !req.Get("stream").Bool() {
			msg := map[string]any{"role": "assistant", "content": nil}
			var text strings.Builder
			var calls []map[string]any
			for _, b := range rep.blocks {
				switch b.kind {
				case "thinking":
					msg["reasoning_content"] = b.text
				case "text":
					text.WriteString(b.text)
				case "tool":
					calls = append(calls, map[string]any{"id": b.toolID, "type": "function",
						"function": map[string]any{"name": b.toolName, "arguments": b.toolArgs}})
				}
			}
			if text.Len() > 0 {
				msg["content"] = text.String()
			}
			if calls != nil {
				msg["tool_calls"] = calls
			}
			m, _ := json.Marshal(msg)
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprintf(w, `{"id":"chatcmpl-s1","object":"chat.completion","created":1700000000,"model":%q,"choices":[{"index":0,"message":%s,"finish_reason":%q}],"usage":%s}`,
				model, m, finish, usage)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		chunk := func(delta, finish string) {
			fin := "null"
			if finish != "" {
				fin = fmt.Sprintf("%q", finish)
			}
			fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[{\"index\":0,\"delta\":%s,\"finish_reason\":%s}]}\n\n", model, delta, fin)
			w.(http.Flusher).Flush()
		}
		chunk(`{"role":"assistant","content":""}`, "")
		tool := 0
		for _, b := range rep.blocks {
			switch b.kind {
			case "thinking":
				chunk(fmt.Sprintf(`{"reasoning_content":%q}`, b.text), "")
			case "text":
				half := len(b.text) / 2
				chunk(fmt.Sprintf(`{"content":%q}`, b.text[:half]), "")
				chunk(fmt.Sprintf(`{"content":%q}`, b.text[half:]), "")
			case "tool":
				half := len(b.toolArgs) / 2
				chunk(fmt.Sprintf(`{"tool_calls":[{"index":%d,"id":%q,"type":"function","function":{"name":%q,"arguments":%q}}]}`, tool, b.toolID, b.toolName, b.toolArgs[:half]), "")
				chunk(fmt.Sprintf(`{"tool_calls":[{"index":%d,"function":{"arguments":%q}}]}`, tool, b.toolArgs[half:]), "")
				tool++
			}
			if rep.failMidStream != 0 {
				fmt.Fprintf(w, "data: {\"error\":{\"message\":%q,\"type\":\"server_error\",\"code\":\"server_is_overloaded\"}}\n\n", rep.failMessage)
				return
			}
		}
		chunk(`{}`, finish)
		fmt.Fprintf(w, "data: {\"id\":\"chatcmpl-s1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":%q,\"choices\":[],\"usage\":%s}\n\ndata: [DONE]\n\n", model, usage)
	}
}

// lastToolResult is the content of the request's tool result for callID,
// in either protocol ("" when there is none).
func lastToolResult(req gjson.Result, callID string) string {
	var out string
	req.Get("messages").ForEach(func(_, m gjson.Result) bool {
		if m.Get("role").String() == "tool" && m.Get("tool_call_id").String() == callID {
			out = m.Get("content").String()
			if m.Get("content").IsArray() {
				out = m.Get("content.0.text").String()
			}
		}
		m.Get("content").ForEach(func(_, c gjson.Result) bool {
			if c.Get("type").String() == "tool_result" && c.Get("tool_use_id").String() == callID {
				out = c.Get("content").String()
				if c.Get("content").IsArray() {
					out = c.Get("content.0.text").String()
				}
			}
			return true
		})
		return true
	})
	return out
}

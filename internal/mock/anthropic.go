package mock

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Anthropic SSE frames that never vary.
const (
	antTextBlockStart = "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n"
	antPing           = "event: ping\ndata: {\"type\":\"ping\"}\n\n"
	antBlockStop      = "event: content_block_stop\ndata: {\"type\":\"content_block_stop\",\"index\":0}\n\n"
	antMessageStop    = "event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"
)

func antFrame(event string, data []byte) string {
	return "event: " + event + "\ndata: " + string(data) + "\n\n"
}

func (s *server) precomputeAnthropic(pieces []string) {
	s.antTextDeltas = make([]string, len(pieces))
	for i, p := range pieces {
		b := appendJSONString([]byte(`{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":`), p)
		s.antTextDeltas[i] = antFrame("content_block_delta", append(b, "}}"...))
	}
	// Anthropic opens a tool_use block's input with an empty partial_json.
	s.antToolDeltas = []string{antFrame("content_block_delta",
		[]byte(`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":""}}`))}
	for _, p := range toolArgPieces() {
		b := appendJSONString([]byte(`{"type":"content_block_delta","index":0,"delta":{"type":"input_json_delta","partial_json":`), p)
		s.antToolDeltas = append(s.antToolDeltas, antFrame("content_block_delta", append(b, "}}"...)))
	}
	messageDelta := func(stop string, tokens int) string {
		b := []byte(`{"type":"message_delta","delta":{"stop_reason":"` + stop + `","stop_sequence":null},"usage":{"output_tokens":`)
		b = strconv.AppendInt(b, int64(tokens), 10)
		return antFrame("message_delta", append(b, "}}"...))
	}
	s.antEndTurnDelta = messageDelta("end_turn", s.outputTokens)
	s.antToolUseDelta = messageDelta("tool_use", s.toolTokens)

	// Anthropic model objects; created_at goes a day back per entry, newest first.
	s.antModels = make([]string, len(s.models))
	for i, m := range s.models {
		b := []byte(`{"type":"model","id":`)
		b = appendJSONString(b, m)
		b = append(b, `,"display_name":`...)
		b = appendJSONString(b, displayName(m))
		b = append(b, `,"created_at":"`...)
		b = time.Unix(modelsCreated-int64(i)*86400, 0).UTC().AppendFormat(b, time.RFC3339)
		s.antModels[i] = string(append(b, `"}`...))
	}
}

// displayName turns "claude-mock-sonnet-4-5" into "Claude Mock Sonnet 4.5",
// the way Anthropic names its models.
func displayName(id string) string {
	var sb strings.Builder
	prevNum := false
	for i, part := range strings.Split(id, "-") {
		if part == "" {
			continue
		}
		num := strings.Trim(part, "0123456789") == ""
		switch {
		case i == 0:
		case num && prevNum:
			sb.WriteByte('.')
		default:
			sb.WriteByte(' ')
		}
		sb.WriteString(strings.ToUpper(part[:1]) + part[1:])
		prevNum = num
	}
	return sb.String()
}

// anthropicAuth checks the key and anthropic-version, writing the error
// itself, in the order the real API checks them. The key is x-api-key or,
// as the real API also accepts and the Go SDK (v2) sends, a Bearer token.
func (s *server) anthropicAuth(w http.ResponseWriter, r *http.Request) bool {
	key := r.Header.Get("x-api-key")
	if key == "" {
		key = bearerKey(r)
	}
	switch {
	case key == "":
		writeAnthropicError(w, http.StatusUnauthorized, "authentication_error", "x-api-key header is required")
	case !s.keyOK(key):
		writeAnthropicError(w, http.StatusUnauthorized, "authentication_error", "invalid x-api-key")
	case !isAnthropic(r):
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "anthropic-version: header is required")
	default:
		return true
	}
	return false
}

func writeAnthropicError(w http.ResponseWriter, status int, typ, msg string) {
	b := make([]byte, 0, 64+len(msg))
	b = append(b, `{"type":"error","error":{"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"message":`...)
	b = appendJSONString(b, msg)
	b = append(b, "}}"...)
	writeJSON(w, status, b)
}

func (s *server) messages(w http.ResponseWriter, r *http.Request) {
	if !s.anthropicAuth(w, r) {
		return
	}
	body, err := readBody(r)
	var req request
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		status, msg := bodyError(err)
		typ := "invalid_request_error"
		if status == http.StatusRequestEntityTooLarge {
			typ = "request_too_large"
		}
		writeAnthropicError(w, status, typ, msg)
		return
	}
	if msg := req.validate(); msg != "" {
		writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", msg)
		return
	}
	if !sleep(r.Context(), s.latency) {
		return
	}
	inputTokens := estimateTokens(len(body))
	tool := req.wantsTool()
	id := s.seq.Add(1)
	if req.Stream {
		s.streamMessage(w, r, &req, id, inputTokens, tool)
		return
	}

	b := make([]byte, 0, 384+len(s.textJSON)+len(req.Model))
	b = appendMessageHead(b, id, req.Model)
	if tool {
		b = append(b, `[{"type":"tool_use","id":"toolu_mock_`...)
		b = strconv.AppendUint(b, id, 10)
		b = append(b, `","name":"`+ToolName+`","input":`+ToolArguments+`}],"stop_reason":"tool_use"`...)
	} else {
		b = append(b, `[{"type":"text","text":`...)
		b = append(b, s.textJSON...)
		b = append(b, `}],"stop_reason":"end_turn"`...)
	}
	b = append(b, `,"stop_sequence":null,"usage":`...)
	out := s.outputTokens
	if tool {
		out = s.toolTokens
	}
	b = appendAnthropicUsage(b, inputTokens, out)
	writeJSON(w, http.StatusOK, append(b, '}'))
}

// appendMessageHead appends a message object up to its content value.
func appendMessageHead(b []byte, id uint64, model string) []byte {
	b = append(b, `{"id":"msg_mock_`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `","type":"message","role":"assistant","model":`...)
	b = appendJSONString(b, model)
	return append(b, `,"content":`...)
}

func appendAnthropicUsage(b []byte, input, output int) []byte {
	b = append(b, `{"input_tokens":`...)
	b = strconv.AppendInt(b, int64(input), 10)
	b = append(b, `,"cache_creation_input_tokens":0,"cache_read_input_tokens":0,"output_tokens":`...)
	b = strconv.AppendInt(b, int64(output), 10)
	return append(b, '}')
}

// streamMessage sends Anthropic's event sequence: message_start,
// content_block_start, ping, the deltas, content_block_stop, message_delta,
// message_stop.
func (s *server) streamMessage(w http.ResponseWriter, r *http.Request, req *request, id uint64, inputTokens int, tool bool) {
	b := make([]byte, 0, 384+len(req.Model))
	b = append(b, "event: message_start\ndata: {\"type\":\"message_start\",\"message\":"...)
	b = appendMessageHead(b, id, req.Model)
	b = append(b, `[],"stop_reason":null,"stop_sequence":null,"usage":`...)
	b = appendAnthropicUsage(b, inputTokens, 1)
	b = append(b, "}}\n\n"...)

	st := startStream(w)
	if st.send(b) != nil {
		return
	}
	deltas, end := s.antTextDeltas, s.antEndTurnDelta
	if tool {
		deltas, end = s.antToolDeltas, s.antToolUseDelta
		b = append(b[:0], "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_mock_"...)
		b = strconv.AppendUint(b, id, 10)
		b = append(b, `","name":"`+ToolName+`","input":{}}}`+"\n\n"...)
		if st.send(b) != nil {
			return
		}
	} else if st.sendString(antTextBlockStart) != nil {
		return
	}
	if st.sendString(antPing) != nil {
		return
	}
	for i, d := range deltas {
		if i > 0 && !sleep(r.Context(), s.chunkDelay) {
			return
		}
		if st.sendString(d) != nil {
			return
		}
	}
	for _, f := range [...]string{antBlockStop, end, antMessageStop} {
		if st.sendString(f) != nil {
			return
		}
	}
}

func (s *server) countTokens(w http.ResponseWriter, r *http.Request) {
	if !s.anthropicAuth(w, r) {
		return
	}
	body, err := readBody(r)
	if err == nil && !json.Valid(body) {
		err = errInvalidJSON
	}
	if err != nil {
		status, msg := bodyError(err)
		writeAnthropicError(w, status, "invalid_request_error", msg)
		return
	}
	b := strconv.AppendInt([]byte(`{"input_tokens":`), int64(estimateTokens(len(body))), 10)
	writeJSON(w, http.StatusOK, append(b, '}'))
}

// listModels answers both protocols' model lists on one path.
func (s *server) listModels(w http.ResponseWriter, r *http.Request) {
	if !isAnthropic(r) {
		if s.openAIAuth(w, r) {
			writeJSON(w, http.StatusOK, s.oaiModelsB)
		}
		return
	}
	if !s.anthropicAuth(w, r) {
		return
	}
	q := r.URL.Query()
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 1000 {
			writeAnthropicError(w, http.StatusBadRequest, "invalid_request_error", "limit: must be an integer from 1 to 1000")
			return
		}
		limit = n
	}
	// Cursors work as Anthropic's do: after_id pages forward, before_id pages
	// back; an unknown id gives an empty page.
	n := len(s.models)
	start, end, more := 0, min(limit, n), limit < n
	if id := q.Get("after_id"); id != "" {
		i := s.modelIndex(id)
		start = i + 1
		end = min(start+limit, n)
		more = end < n
		if i < 0 {
			start, end, more = 0, 0, false
		}
	} else if id := q.Get("before_id"); id != "" {
		end = s.modelIndex(id)
		start = max(0, end-limit)
		more = start > 0
		if end < 0 {
			start, end, more = 0, 0, false
		}
	}

	b := make([]byte, 0, 128+(end-start)*128)
	b = append(b, `{"data":[`...)
	for i := start; i < end; i++ {
		if i > start {
			b = append(b, ',')
		}
		b = append(b, s.antModels[i]...)
	}
	b = append(b, `],"has_more":`...)
	b = strconv.AppendBool(b, more)
	b = append(b, `,"first_id":`...)
	b = s.appendModelID(b, start, end)
	b = append(b, `,"last_id":`...)
	b = s.appendModelID(b, end-1, end)
	writeJSON(w, http.StatusOK, append(b, '}'))
}

// appendModelID appends the id of model i as JSON, or null when i is outside
// [0, end) (an empty page).
func (s *server) appendModelID(b []byte, i, end int) []byte {
	if i < 0 || i >= end {
		return append(b, "null"...)
	}
	return appendJSONString(b, s.models[i])
}

func (s *server) modelIndex(id string) int {
	for i, m := range s.models {
		if m == id {
			return i
		}
	}
	return -1
}

func (s *server) getModel(w http.ResponseWriter, r *http.Request) {
	anthropic := isAnthropic(r)
	if anthropic && !s.anthropicAuth(w, r) || !anthropic && !s.openAIAuth(w, r) {
		return
	}
	id := r.PathValue("id")
	i := s.modelIndex(id)
	switch {
	case i < 0 && anthropic:
		writeAnthropicError(w, http.StatusNotFound, "not_found_error", "model: "+id)
	case i < 0:
		writeOpenAIError(w, http.StatusNotFound, "invalid_request_error", "model_not_found",
			"The model '"+id+"' does not exist")
	case anthropic:
		writeJSON(w, http.StatusOK, []byte(s.antModels[i]))
	default:
		writeJSON(w, http.StatusOK, []byte(s.oaiModels[i]))
	}
}

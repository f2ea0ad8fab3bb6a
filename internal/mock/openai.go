package mock

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"hash/fnv"
	"math"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// modelsCreated is the "created" time of the first listed model; each next
// one is a day older, so the list reads newest first like the real ones.
const modelsCreated = 1735689600 // 2025-01-01T00:00:00Z

// toolArgPieces splits the tool call's arguments in two for streams, as real
// upstreams cut them mid-token.
func toolArgPieces() [2]string {
	h := len(ToolArguments) / 2
	return [2]string{ToolArguments[:h], ToolArguments[h:]}
}

func (s *server) precomputeOpenAI(pieces []string) {
	s.oaiDeltas = make([]string, len(pieces))
	for i, p := range pieces {
		b := []byte(`{`)
		if i == 0 {
			b = append(b, `"role":"assistant",`...)
		}
		b = append(b, `"content":`...)
		b = appendJSONString(b, p)
		s.oaiDeltas[i] = string(append(b, '}'))
	}
	for i, p := range toolArgPieces() {
		b := appendJSONString([]byte(`{"tool_calls":[{"index":0,"function":{"arguments":`), p)
		s.oaiToolDeltas[i] = string(append(b, "}}]}"...))
	}

	s.oaiModels = make([]string, len(s.models))
	list := []byte(`{"object":"list","data":[`)
	for i, m := range s.models {
		b := []byte(`{"id":`)
		b = appendJSONString(b, m)
		b = append(b, `,"object":"model","created":`...)
		b = strconv.AppendInt(b, modelsCreated-int64(i)*86400, 10)
		b = append(b, `,"owned_by":"aigw-mock"}`...)
		s.oaiModels[i] = string(b)
		if i > 0 {
			list = append(list, ',')
		}
		list = append(list, b...)
	}
	s.oaiModelsB = append(list, "]}"...)
}

// openAIAuth checks the Bearer key and writes the 401 itself.
func (s *server) openAIAuth(w http.ResponseWriter, r *http.Request) bool {
	key := bearerKey(r)
	if s.keyOK(key) {
		return true
	}
	msg := "Incorrect API key provided. You can use any key unless the mock was started with --keys."
	if key == "" {
		msg = "You didn't provide an API key. You need to provide your API key in an Authorization header using Bearer auth (i.e. Authorization: Bearer YOUR_KEY)."
	}
	writeOpenAIError(w, http.StatusUnauthorized, "invalid_request_error", "invalid_api_key", msg)
	return false
}

// bearerKey returns the key of an "Authorization: Bearer KEY" header, or "".
func bearerKey(r *http.Request) string {
	auth := r.Header.Get("Authorization")
	if len(auth) > 7 && strings.EqualFold(auth[:7], "bearer ") {
		return strings.TrimSpace(auth[7:])
	}
	return ""
}

// writeOpenAIError writes OpenAI's error shape; an empty code is null.
func writeOpenAIError(w http.ResponseWriter, status int, typ, code, msg string) {
	b := make([]byte, 0, 96+len(msg))
	b = append(b, `{"error":{"message":`...)
	b = appendJSONString(b, msg)
	b = append(b, `,"type":`...)
	b = appendJSONString(b, typ)
	b = append(b, `,"param":null,"code":`...)
	if code == "" {
		b = append(b, "null"...)
	} else {
		b = appendJSONString(b, code)
	}
	b = append(b, "}}"...)
	writeJSON(w, status, b)
}

func (s *server) chatCompletions(w http.ResponseWriter, r *http.Request) {
	if !s.openAIAuth(w, r) {
		return
	}
	body, err := readBody(r)
	var req request
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		status, msg := bodyError(err)
		writeOpenAIError(w, status, "invalid_request_error", "", msg)
		return
	}
	if msg := req.validate(); msg != "" {
		writeOpenAIError(w, http.StatusBadRequest, "invalid_request_error", "", msg)
		return
	}
	if !sleep(r.Context(), s.latency) {
		return
	}
	u := usage{prompt: estimateTokens(len(body)), completion: s.outputTokens}
	tool := req.wantsTool()
	if tool {
		u.completion = s.toolTokens
	}
	id := s.seq.Add(1)
	if req.Stream {
		s.streamChat(w, r, &req, id, u, tool)
		return
	}

	b := make([]byte, 0, 512+len(s.textJSON)+len(req.Model))
	b = append(b, `{"id":"chatcmpl-mock-`...)
	b = strconv.AppendUint(b, id, 10)
	b = append(b, `","object":"chat.completion","created":`...)
	b = strconv.AppendInt(b, time.Now().Unix(), 10)
	b = append(b, `,"model":`...)
	b = appendJSONString(b, req.Model)
	b = append(b, `,"choices":[{"index":0,"message":{"role":"assistant","content":`...)
	if tool {
		b = append(b, `null,"refusal":null,"annotations":[],"tool_calls":[{"id":"call_mock_`...)
		b = strconv.AppendUint(b, id, 10)
		b = append(b, `","type":"function","function":{"name":"`+ToolName+`","arguments":`...)
		b = appendJSONString(b, ToolArguments)
		b = append(b, `}}]},"logprobs":null,"finish_reason":"tool_calls"}],"usage":`...)
	} else {
		b = append(b, s.textJSON...)
		b = append(b, `,"refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":`...)
	}
	b = u.appendOpenAI(b)
	b = append(b, `,"system_fingerprint":null}`...)
	writeJSON(w, http.StatusOK, b)
}

type usage struct{ prompt, completion int }

func (u usage) appendOpenAI(b []byte) []byte {
	b = append(b, `{"prompt_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt), 10)
	b = append(b, `,"completion_tokens":`...)
	b = strconv.AppendInt(b, int64(u.completion), 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, int64(u.prompt+u.completion), 10)
	return append(b, `,"prompt_tokens_details":{"cached_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}}`...)
}

// streamChat sends the reply as chat.completion.chunk frames: one per text
// piece (the first also carrying the role), a closing frame with an empty
// delta and the finish_reason, the usage frame when asked for, then [DONE] —
// the order OpenAI uses.
func (s *server) streamChat(w http.ResponseWriter, r *http.Request, req *request, id uint64, u usage, tool bool) {
	// Everything before the choices is the same in every frame of a stream.
	head := make([]byte, 0, 160+len(req.Model))
	head = append(head, `data: {"id":"chatcmpl-mock-`...)
	head = strconv.AppendUint(head, id, 10)
	head = append(head, `","object":"chat.completion.chunk","created":`...)
	head = strconv.AppendInt(head, time.Now().Unix(), 10)
	head = append(head, `,"model":`...)
	head = appendJSONString(head, req.Model)
	head = append(head, `,"system_fingerprint":null,"choices":[`...)
	tail := "}]}\n\n"
	if req.StreamOptions.IncludeUsage {
		tail = "}],\"usage\":null}\n\n"
	}

	st := startStream(w)
	buf := make([]byte, 0, len(head)+256)
	frame := func(delta, finish string) error {
		buf = append(buf[:0], head...)
		buf = append(buf, `{"index":0,"delta":`...)
		buf = append(buf, delta...)
		buf = append(buf, `,"logprobs":null,"finish_reason":`...)
		buf = append(buf, finish...)
		buf = append(buf, tail...)
		return st.send(buf)
	}

	finish := `"stop"`
	if tool {
		finish = `"tool_calls"`
		first := `{"role":"assistant","content":null,"tool_calls":[{"index":0,"id":"call_mock_` +
			strconv.FormatUint(id, 10) +
			`","type":"function","function":{"name":"` + ToolName + `","arguments":""}}]}`
		if frame(first, "null") != nil {
			return
		}
		for _, d := range s.oaiToolDeltas {
			if !sleep(r.Context(), s.chunkDelay) {
				return
			}
			if frame(d, "null") != nil {
				return
			}
		}
	} else {
		for i, d := range s.oaiDeltas {
			if i > 0 && !sleep(r.Context(), s.chunkDelay) {
				return
			}
			if frame(d, "null") != nil {
				return
			}
		}
	}
	if frame("{}", finish) != nil {
		return
	}
	if req.StreamOptions.IncludeUsage {
		buf = append(buf[:0], head...)
		buf = append(buf, `],"usage":`...)
		buf = u.appendOpenAI(buf)
		buf = append(buf, "}\n\n"...)
		if st.send(buf) != nil {
			return
		}
	}
	_ = st.sendString("data: [DONE]\n\n")
}

// embeddingDims is the length of every mock embedding: enough to compare
// vectors, small enough to stay cheap.
const embeddingDims = 8

func (s *server) embeddings(w http.ResponseWriter, r *http.Request) {
	if !s.openAIAuth(w, r) {
		return
	}
	body, err := readBody(r)
	var req struct {
		Model          string          `json:"model"`
		Input          json.RawMessage `json:"input"`
		EncodingFormat string          `json:"encoding_format"`
	}
	if err == nil {
		err = json.Unmarshal(body, &req)
	}
	if err != nil {
		status, msg := bodyError(err)
		writeOpenAIError(w, status, "invalid_request_error", "", msg)
		return
	}
	inputs := embeddingInputs(req.Input)
	if req.Model == "" || len(inputs) == 0 {
		writeOpenAIError(w, http.StatusBadRequest, "invalid_request_error", "",
			"model and a non-empty input (a string, an array of strings, or token arrays) are required")
		return
	}
	if !sleep(r.Context(), s.latency) {
		return
	}
	b64 := req.EncodingFormat == "base64"

	b := make([]byte, 0, 128+len(req.Model)+len(inputs)*(96+embeddingDims*12))
	b = append(b, `{"object":"list","data":[`...)
	for i, in := range inputs {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"object":"embedding","index":`...)
		b = strconv.AppendInt(b, int64(i), 10)
		b = append(b, `,"embedding":`...)
		b = appendEmbedding(b, in, b64)
		b = append(b, '}')
	}
	b = append(b, `],"model":`...)
	b = appendJSONString(b, req.Model)
	tokens := int64(estimateTokens(len(req.Input)))
	b = append(b, `,"usage":{"prompt_tokens":`...)
	b = strconv.AppendInt(b, tokens, 10)
	b = append(b, `,"total_tokens":`...)
	b = strconv.AppendInt(b, tokens, 10)
	b = append(b, "}}"...)
	writeJSON(w, http.StatusOK, b)
}

// embeddingInputs splits the input field into the items that each get a
// vector: a string is one, an array of strings or of token arrays is one per
// element, and a single token array is one.
func embeddingInputs(raw json.RawMessage) []json.RawMessage {
	if len(raw) == 0 || string(raw) == "null" {
		return nil
	}
	if raw[0] != '[' {
		return []json.RawMessage{raw}
	}
	var items []json.RawMessage
	if json.Unmarshal(raw, &items) != nil || len(items) == 0 {
		return nil
	}
	if c := items[0][0]; c == '-' || (c >= '0' && c <= '9') {
		return []json.RawMessage{raw}
	}
	return items
}

// appendEmbedding appends a unit vector derived from the input's bytes, so
// equal inputs embed equally and different ones (almost surely) differ.
func appendEmbedding(b []byte, input []byte, b64 bool) []byte {
	h := fnv.New64a()
	_, _ = h.Write(input)
	x := h.Sum64()
	var v [embeddingDims]float32
	var norm float64
	for i := range v {
		x ^= x << 13 // xorshift64: cheap and deterministic
		x ^= x >> 7
		x ^= x << 17
		v[i] = float32(int64(x>>11))/float32(1<<52) - 1
		norm += float64(v[i]) * float64(v[i])
	}
	norm = math.Sqrt(norm)
	for i := range v {
		v[i] = float32(float64(v[i]) / norm)
	}
	if b64 {
		var raw [embeddingDims * 4]byte
		for i, f := range v {
			binary.LittleEndian.PutUint32(raw[i*4:], math.Float32bits(f))
		}
		b = append(b, '"')
		b = base64.StdEncoding.AppendEncode(b, raw[:])
		return append(b, '"')
	}
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = strconv.AppendFloat(b, float64(f), 'g', -1, 32)
	}
	return append(b, ']')
}

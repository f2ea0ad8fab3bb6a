// Package mock is a fast, local fake upstream that speaks the OpenAI and
// Anthropic wire formats.
//
// It serves three users: `aigw mock`, so a new user can try the gateway
// without any real key; load benchmarks, where it is the upstream and must
// cost far less than the gateway it feeds; and tests, which assert on its
// replies. Hence: replies are deterministic, everything that does not depend
// on the request is encoded once in New, and the per-request parts (id, model,
// token counts) are spliced in with appends rather than by encoding structs.
//
// Routes, all under /v1:
//
//	POST /v1/chat/completions        OpenAI Chat Completions (stream or not)
//	POST /v1/embeddings              OpenAI Embeddings
//	POST /v1/messages                Anthropic Messages (stream or not)
//	POST /v1/messages/count_tokens   Anthropic token counting
//	GET  /v1/models[/{id}]           Anthropic shape when anthropic-version is
//	                                 sent, OpenAI shape otherwise
//
// Any model name is answered; Options.Models only feeds the model list.
//
// If a request carries tools and its last message is a user message whose
// text contains "weather", the reply is a call of the tool ToolName with the
// arguments ToolArguments instead of text. A user message that carries a
// tool_result never triggers it, so client tool loops end.
package mock

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// DefaultText is the reply when Options.Text is empty.
const DefaultText = "Hello from the aigw mock upstream! This reply is always the same, " +
	"so tests can check it, and streams send it in as many pieces as asked for."

// The tool call answered to a "weather" question.
const (
	ToolName      = "get_weather"
	ToolArguments = `{"city":"Paris"}`
)

// DefaultChunks is the number of stream pieces when Options.Chunks is 0.
const DefaultChunks = 20

// maxBody bounds what the mock reads from one request; the gateway has its own
// limit, this one only protects the mock.
const maxBody = 32 << 20

// DefaultModels returns the model list used when Options.Models is empty. It
// matches the names in config/custom-config.example.toml.
func DefaultModels() []string {
	return []string{
		"mock-gpt-4o",
		"mock-gpt-4o-mini",
		"mock-o3-mini",
		"mock-text-embedding-3-small",
		"claude-mock-opus-4-1",
		"claude-mock-sonnet-4-5",
		"claude-mock-haiku-4-5",
	}
}

// Options configures the mock. The zero value is usable.
type Options struct {
	Models []string // served by /v1/models; default DefaultModels()
	Keys   []string // accepted keys; empty = any non-empty key
	// Chunks is the number of content pieces a stream sends the reply text in
	// (default DefaultChunks). It is lowered to the text's length in runes so
	// that no piece is empty.
	Chunks     int
	ChunkDelay time.Duration // pause between two stream pieces
	Latency    time.Duration // pause before answering at all
	Text       string        // reply text; default DefaultText
}

// server is the handler New returns. Apart from seq it is read-only after
// New, so one server is safe for any number of concurrent requests.
type server struct {
	mux        *http.ServeMux
	keys       map[string]struct{}
	latency    time.Duration
	chunkDelay time.Duration
	seq        atomic.Uint64 // makes ids unique within this server

	textJSON     string // the reply text as a JSON string literal
	outputTokens int    // completion tokens of the text reply
	toolTokens   int    // completion tokens of the tool-call reply

	oaiDeltas       []string  // per piece: the OpenAI chunk's delta object
	oaiToolDeltas   [2]string // the tool arguments' two delta objects
	antTextDeltas   []string  // per piece: the whole Anthropic SSE frame
	antToolDeltas   []string  // tool arguments as whole input_json_delta frames
	antEndTurnDelta string    // message_delta frame of a text reply
	antToolUseDelta string    // message_delta frame of a tool-call reply

	models     []string
	oaiModels  []string // per model: its OpenAI JSON object
	antModels  []string // per model: its Anthropic JSON object
	oaiModelsB []byte   // the whole OpenAI list body
}

// New returns the mock upstream as an http.Handler.
func New(opts Options) http.Handler {
	if opts.Chunks <= 0 {
		opts.Chunks = DefaultChunks
	}
	if opts.Text == "" {
		opts.Text = DefaultText
	}
	if len(opts.Models) == 0 {
		opts.Models = DefaultModels()
	}
	s := &server{
		latency:      opts.Latency,
		chunkDelay:   opts.ChunkDelay,
		textJSON:     string(appendJSONString(nil, opts.Text)),
		outputTokens: estimateTokens(len(opts.Text)),
		toolTokens:   estimateTokens(len(ToolName) + len(ToolArguments)),
		models:       append([]string(nil), opts.Models...),
	}
	if len(opts.Keys) > 0 {
		s.keys = make(map[string]struct{}, len(opts.Keys))
		for _, k := range opts.Keys {
			s.keys[k] = struct{}{}
		}
	}
	s.precomputeOpenAI(split(opts.Text, opts.Chunks))
	s.precomputeAnthropic(split(opts.Text, opts.Chunks))

	s.mux = http.NewServeMux()
	s.mux.HandleFunc("POST /v1/chat/completions", s.chatCompletions)
	s.mux.HandleFunc("POST /v1/embeddings", s.embeddings)
	s.mux.HandleFunc("POST /v1/messages", s.messages)
	s.mux.HandleFunc("POST /v1/messages/count_tokens", s.countTokens)
	s.mux.HandleFunc("GET /v1/models", s.listModels)
	s.mux.HandleFunc("GET /v1/models/{id}", s.getModel)
	s.mux.HandleFunc("/", s.notFound)
	return s
}

func (s *server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// isAnthropic tells which protocol a request that exists in both (models,
// unknown URLs) speaks: Anthropic clients always send anthropic-version.
func isAnthropic(r *http.Request) bool { return r.Header.Get("anthropic-version") != "" }

func (s *server) notFound(w http.ResponseWriter, r *http.Request) {
	msg := "Unknown request URL: " + r.Method + " " + r.URL.Path
	if isAnthropic(r) {
		writeAnthropicError(w, http.StatusNotFound, "not_found_error", msg)
		return
	}
	writeOpenAIError(w, http.StatusNotFound, "invalid_request_error", "unknown_url", msg)
}

// keyOK reports whether key is accepted: any non-empty key when no keys are
// configured.
func (s *server) keyOK(key string) bool {
	if key == "" {
		return false
	}
	if s.keys == nil {
		return true
	}
	_, ok := s.keys[key]
	return ok
}

// request holds the fields of a chat or messages request that the mock uses.
// Messages stays raw because only the tool trigger looks inside it, and Tools
// decodes into empty structs so that tool schemas are skipped, not copied.
type request struct {
	Model         string          `json:"model"`
	Messages      json.RawMessage `json:"messages"`
	Tools         []struct{}      `json:"tools"`
	Stream        bool            `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

// validate returns a client error message, or "" when req can be answered.
func (req *request) validate() string {
	if req.Model == "" {
		return "model: field required"
	}
	if !nonEmptyArray(req.Messages) {
		return "messages: must be a non-empty array"
	}
	return ""
}

// wantsTool is the deterministic tool trigger described in the package doc.
func (req *request) wantsTool() bool {
	if len(req.Tools) == 0 {
		return false
	}
	var msgs []struct {
		Role    string          `json:"role"`
		Content json.RawMessage `json:"content"`
	}
	if json.Unmarshal(req.Messages, &msgs) != nil || len(msgs) == 0 {
		return false
	}
	last := msgs[len(msgs)-1]
	return last.Role == "user" && mentionsWeather(last.Content)
}

// mentionsWeather looks at the text of a message content, which both
// protocols give as a string or as an array of typed parts.
func mentionsWeather(content json.RawMessage) bool {
	var text string
	if json.Unmarshal(content, &text) == nil {
		return strings.Contains(strings.ToLower(text), "weather")
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if json.Unmarshal(content, &parts) != nil {
		return false
	}
	found := false
	for _, p := range parts {
		switch p.Type {
		case "tool_result":
			return false // the answer to our own call: end the loop
		case "text":
			found = found || strings.Contains(strings.ToLower(p.Text), "weather")
		}
	}
	return found
}

// nonEmptyArray reports whether raw is a JSON array with at least one element.
func nonEmptyArray(raw json.RawMessage) bool {
	if len(raw) == 0 || raw[0] != '[' {
		return false
	}
	for _, c := range raw[1:] {
		switch c {
		case ' ', '\t', '\n', '\r':
		case ']':
			return false
		default:
			return true
		}
	}
	return false
}

var (
	errTooLarge    = errors.New("request body too large")
	errInvalidJSON = errors.New("invalid JSON")
)

// readBody reads the whole body, in one allocation when the length is known.
func readBody(r *http.Request) ([]byte, error) {
	if r.ContentLength > maxBody {
		return nil, errTooLarge
	}
	if r.ContentLength > 0 {
		b := make([]byte, r.ContentLength)
		_, err := io.ReadFull(r.Body, b)
		return b, err
	}
	b, err := io.ReadAll(io.LimitReader(r.Body, maxBody+1))
	if err == nil && len(b) > maxBody {
		err = errTooLarge
	}
	return b, err
}

// bodyError maps a readBody or JSON error to a status and message.
func bodyError(err error) (int, string) {
	if errors.Is(err, errTooLarge) {
		return http.StatusRequestEntityTooLarge, err.Error()
	}
	return http.StatusBadRequest, "could not parse the JSON body of your request: " + err.Error()
}

// estimateTokens is the mock's tokenizer: about four bytes a token.
func estimateTokens(n int) int { return max(1, (n+3)/4) }

// sleep waits d, or until ctx ends; it reports whether the wait was complete.
func sleep(ctx context.Context, d time.Duration) bool {
	if d <= 0 {
		return ctx.Err() == nil
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// split cuts text into n pieces of (nearly) equal rune counts; n is lowered
// to the rune count so that no piece is empty.
func split(text string, n int) []string {
	starts := make([]int, 0, len(text)+1)
	for i := range text {
		starts = append(starts, i)
	}
	runes := len(starts)
	starts = append(starts, len(text))
	n = max(1, min(n, runes))
	pieces := make([]string, n)
	for i := range n {
		pieces[i] = text[starts[i*runes/n]:starts[(i+1)*runes/n]]
	}
	return pieces
}

// appendJSONString appends s as a JSON string literal. Model names and most
// texts are plain ASCII, which is copied as is; anything else goes through
// encoding/json so escaping stays correct.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			q, _ := json.Marshal(s) // a string always marshals
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// writeJSON sends a complete JSON body with its length, so clients and the
// gateway need no chunked decoding.
func writeJSON(w http.ResponseWriter, status int, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

// stream writes SSE frames, flushing each one so clients see it at once.
type stream struct {
	w  http.ResponseWriter
	rc *http.ResponseController
}

func startStream(w http.ResponseWriter) stream {
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	return stream{w: w, rc: http.NewResponseController(w)}
}

// send writes one frame; an error means the client is gone.
func (st stream) send(frame []byte) error {
	if _, err := st.w.Write(frame); err != nil {
		return err
	}
	if err := st.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

func (st stream) sendString(frame string) error {
	if _, err := io.WriteString(st.w, frame); err != nil {
		return err
	}
	if err := st.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}

package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

const (
	defaultMaxTokens  = 4096
	minThinkingBudget = 1024
)

// chatSampling is how direction A's answer is to be generated: the length
// limit, the sampling parameters, stop sequences and thinking.
// docs/conversion.md, "Requests: sampling and thinking".
type chatSampling struct {
	maxTokens         int
	temperature, topP float64
	hasTemp, hasTopP  bool
	topK              int
	stops             []string
	budget            int    // thinking budget_tokens; 0: no budget
	adaptive          string // adaptive thinking object, as sent
	effort            string // output_config.effort with adaptive thinking
}

func (s *chatSampling) thinking() bool { return s.budget > 0 || s.adaptive != "" }

func readChatSampling(f *chatFields, opts ChatRequestOptions) (chatSampling, error) {
	var s chatSampling
	var err error
	if s.maxTokens, err = chatMaxTokens(f, opts.DefaultMaxTokens); err != nil {
		return s, err
	}
	if present(f.temperature) {
		if f.temperature.Type != gjson.Number {
			return s, badRequest("temperature", "temperature must be a number")
		}
		// OpenAI allows 0-2, Anthropic 0-1: cap, as Anthropic's compat layer does.
		s.temperature, s.hasTemp = min(max(f.temperature.Num, 0), 1), true
	}
	if present(f.topP) {
		if f.topP.Type != gjson.Number {
			return s, badRequest("top_p", "top_p must be a number")
		}
		s.topP, s.hasTopP = f.topP.Num, true
	}
	if present(f.topK) {
		if s.topK, err = positiveIntParam(f.topK, "top_k"); err != nil {
			return s, err
		}
	}
	if s.stops, err = chatStops(f.stop); err != nil {
		return s, err
	}
	err = s.readThinking(f, opts.AdaptiveThinking)
	return s, err
}

// chatMaxTokens: max_completion_tokens > max_tokens > the provider's
// default (Anthropic requires max_tokens).
func chatMaxTokens(f *chatFields, def int) (int, error) {
	if present(f.maxCompletionTokens) {
		return positiveIntParam(f.maxCompletionTokens, "max_completion_tokens")
	}
	if present(f.maxTokens) {
		return positiveIntParam(f.maxTokens, "max_tokens")
	}
	if def <= 0 {
		def = defaultMaxTokens
	}
	return def, nil
}

// readThinking reads an Anthropic-style `thinking` object (extension),
// which wins, or reasoning_effort.
func (s *chatSampling) readThinking(f *chatFields, adaptiveModel bool) error {
	if present(f.thinking) {
		if !f.thinking.IsObject() {
			return badRequest("thinking", "thinking must be an object")
		}
		switch f.thinking.Get("type").Str {
		case "enabled":
			b, err := positiveIntParam(f.thinking.Get("budget_tokens"), "thinking.budget_tokens")
			s.budget = max(b, minThinkingBudget)
			return err
		case "adaptive":
			s.adaptive = f.thinking.Raw
		case "disabled":
		default:
			return badRequest("thinking.type", "thinking.type must be enabled, adaptive or disabled")
		}
		return nil
	}
	if !present(f.reasoningEffort) {
		return nil
	}
	b, ok := reasoningBudget(f.reasoningEffort.Str)
	switch {
	case f.reasoningEffort.Type != gjson.String || !ok:
		return badRequest("reasoning_effort", "reasoning_effort must be one of none, minimal, low, medium, high, xhigh")
	case b == 0:
	case adaptiveModel:
		s.adaptive, s.effort = `{"type":"adaptive"}`, adaptiveEffort(f.reasoningEffort.Str)
	default:
		s.budget = b
	}
	return nil
}

// reasoningBudget maps OpenAI reasoning_effort to an Anthropic thinking
// budget (LiteLLM's constants; 1024 is Anthropic's minimum).
func reasoningBudget(effort string) (budget int, ok bool) {
	switch effort {
	case "none":
		return 0, true
	case "minimal", "low":
		return 1024, true
	case "medium":
		return 2048, true
	case "high":
		return 4096, true
	case "xhigh":
		return 8192, true
	}
	return 0, false
}

// adaptiveEffort maps reasoning_effort to output_config.effort.
func adaptiveEffort(e string) string {
	switch e {
	case "minimal", "low":
		return "low"
	case "medium":
		return "medium"
	}
	return "high"
}

// fitHistory switches thinking off where the history makes it invalid and
// keeps max_tokens above the budget. Thinking cannot be used with an
// assistant prefill, and in a tool loop the last assistant turn must start
// with a signed thinking block that plain OpenAI history cannot carry:
// without thinking the request still works, with it Anthropic rejects it.
func (s *chatSampling) fitHistory(turns []turn) {
	if !s.thinking() {
		return
	}
	last := turns[len(turns)-1]
	switch {
	case last.role == roleAssistant:
		s.budget, s.adaptive = 0, ""
	case len(turns) >= 2 && hasKind(last.blocks, blockToolResult):
		if prev := turns[len(turns)-2]; len(prev.blocks) == 0 || prev.blocks[0].kind != blockThinking {
			s.budget, s.adaptive = 0, ""
		}
	}
	if s.budget > 0 && s.maxTokens <= s.budget {
		// budget_tokens counts towards max_tokens and must be below it:
		// keep the client's answer allowance on top of the budget.
		s.maxTokens += s.budget
	}
}

// write writes stop_sequences and either thinking (with the only sampling
// parameter it allows, top_p within [0.95, 1]) or the sampling parameters.
func (s *chatSampling) write(w *jw) {
	if len(s.stops) > 0 {
		w.key("stop_sequences")
		w.openArr()
		for _, st := range s.stops {
			w.str(st)
		}
		w.closeArr()
	}
	if s.thinking() {
		if s.hasTopP && s.topP >= 0.95 && s.topP <= 1 {
			w.key("top_p")
			w.float(s.topP)
		}
		s.writeThinking(w)
		return
	}
	// Newer Claude models reject temperature together with top_p: send
	// only temperature.
	if s.hasTemp {
		w.key("temperature")
		w.float(s.temperature)
	} else if s.hasTopP {
		w.key("top_p")
		w.float(s.topP)
	}
	if s.topK > 0 {
		w.key("top_k")
		w.int(int64(s.topK))
	}
}

func (s *chatSampling) writeThinking(w *jw) {
	w.key("thinking")
	if s.adaptive == "" {
		w.open()
		w.key("type")
		w.str("enabled")
		w.key("budget_tokens")
		w.int(int64(s.budget))
		w.close()
		return
	}
	w.rawCompact(s.adaptive)
	if s.effort != "" {
		w.key("output_config")
		w.open()
		w.key("effort")
		w.str(s.effort)
		w.close()
	}
}

// chatStops converts `stop` (string or array) to stop_sequences, dropping
// whitespace-only entries that Anthropic rejects.
func chatStops(r gjson.Result) ([]string, error) {
	var out []string
	switch {
	case !present(r):
	case r.Type == gjson.String:
		if strings.TrimSpace(r.Str) != "" {
			out = append(out, r.Str)
		}
	case r.IsArray():
		for i, v := range r.Array() {
			if v.Type != gjson.String {
				return nil, badRequest("stop["+strconv.Itoa(i)+"]", "stop entries must be strings")
			}
			if strings.TrimSpace(v.Str) != "" {
				out = append(out, v.Str)
			}
		}
	default:
		return nil, badRequest("stop", "stop must be a string or an array of strings")
	}
	return out, nil
}

// positiveInt reads a JSON number that is a positive integer.
func positiveInt(r gjson.Result) (int, bool) {
	if r.Type != gjson.Number {
		return 0, false
	}
	f := r.Num
	if f < 1 || f != float64(int64(f)) || f > 1<<31 {
		return 0, false
	}
	return int(f), true
}

// positiveIntParam is positiveInt with the 400 naming the field.
func positiveIntParam(r gjson.Result, param string) (int, error) {
	n, ok := positiveInt(r)
	if !ok {
		return 0, badRequest(param, "%s must be a positive integer", param)
	}
	return n, nil
}

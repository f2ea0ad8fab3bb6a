package adapter

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"
)

// Anthropic limits tool names to ^[a-zA-Z0-9_-]{1,128}$; OpenAI function
// names to the same characters and 64.
const (
	anthropicToolNameMax = 128
	openAIToolNameMax    = 64
)

func isIDChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:4])
}

// SanitizeToolID maps a tool-call id to Anthropic's ^[a-zA-Z0-9_-]+$.
// Valid ids are returned unchanged. Otherwise every other byte becomes '_'
// and a short hash of the original is appended, so two ids that differ
// only in replaced characters (functions.Bash:0 vs functions_Bash_0) stay
// distinct. It is deterministic, so a tool_use id and the tool_result that
// refers to it, converted in different requests, still match.
func SanitizeToolID(id string) string {
	if id == "" {
		return "toolu_empty"
	}
	ok := true
	for i := 0; i < len(id); i++ {
		if !isIDChar(id[i]) {
			ok = false
			break
		}
	}
	if ok {
		return id
	}
	b := make([]byte, 0, len(id)+9)
	for i := 0; i < len(id); i++ {
		if isIDChar(id[i]) {
			b = append(b, id[i])
		} else {
			b = append(b, '_')
		}
	}
	b = append(b, '_')
	b = append(b, shortHash(id)...)
	return string(b)
}

// sanitizeToolName maps a tool name to ^[a-zA-Z0-9_-]{1,max}$: invalid bytes
// become '_' (kept readable, since the model reads the name); a name still
// too long keeps a prefix plus a hash of the whole name. Deterministic,
// so names in history and in the tools list map identically.
func sanitizeToolName(name string, max int) string {
	ok := len(name) > 0 && len(name) <= max
	for i := 0; ok && i < len(name); i++ {
		ok = isIDChar(name[i])
	}
	if ok {
		return name
	}
	if name == "" {
		return "unnamed_tool"
	}
	b := make([]byte, 0, len(name))
	for i := 0; i < len(name); i++ {
		if isIDChar(name[i]) {
			b = append(b, name[i])
		} else {
			b = append(b, '_')
		}
	}
	if len(b) > max {
		b = append(b[:max-9], '_')
		b = append(b, shortHash(name)...)
	}
	return string(b)
}

// toolNames records the sanitized → original tool names of one request so
// responses can restore what the client declared.
type toolNames map[string]string

func (t *toolNames) sanitize(name string, max int) string {
	s := sanitizeToolName(name, max)
	if s != name {
		if *t == nil {
			*t = make(toolNames)
		}
		(*t)[s] = keep(name) // the name may point into the request body
	}
	return s
}

// kept is the map for a Meta: nil when no name changed.
func (t toolNames) kept() map[string]string {
	if len(t) == 0 {
		return nil
	}
	return t
}

func (t toolNames) restore(name string) string {
	if orig, ok := t[name]; ok {
		return orig
	}
	return name
}

// randomID returns prefix + 24 random base62-ish characters.
func randomID(prefix string) string {
	const alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	var buf [24]byte
	_, _ = rand.Read(buf[:])
	for i := range buf {
		buf[i] = alphabet[int(buf[i])%len(alphabet)]
	}
	return prefix + string(buf[:])
}

func nowOr(f func() time.Time) time.Time {
	if f != nil {
		return f()
	}
	return time.Now()
}

// looksLikeEmail: Anthropic rejects metadata.user_id values that look like
// personal data (LiteLLM's _valid_user_id), so such `user` values are not
// forwarded.
func looksLikeEmail(s string) bool {
	at := strings.IndexByte(s, '@')
	return at > 0 && strings.Contains(s[at+1:], ".")
}

// looksLikePhone: a value that is mostly digits with optional +, spaces,
// dashes or parentheses and at least 7 digits.
func looksLikePhone(s string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9':
			digits++
		case c == '+' || c == ' ' || c == '-' || c == '(' || c == ')' || c == '.':
		default:
			return false
		}
	}
	return digits >= 7
}

// finishReason maps an Anthropic stop_reason to an OpenAI finish_reason
// (docs/conversion.md, "Stop reasons").
func finishReason(stop string) string {
	switch stop {
	case "max_tokens", "model_context_window_exceeded", "compaction":
		return "length"
	case "tool_use":
		return "tool_calls"
	case "refusal":
		return "content_filter"
	default: // end_turn, stop_sequence, pause_turn, null, unknown
		return "stop"
	}
}

// stopReason maps an OpenAI finish_reason to an Anthropic stop_reason
// (docs/conversion.md, "Stop reasons"); the result is always inside Anthropic's enum.
func stopReason(finish string) string {
	switch finish {
	case "length":
		return "max_tokens"
	case "tool_calls", "function_call":
		return "tool_use"
	case "content_filter":
		return "refusal"
	default:
		return "end_turn"
	}
}

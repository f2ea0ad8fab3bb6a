package adapter

import (
	"strconv"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// jw is a minimal append-only JSON writer. Conversions build their output
// directly into one buffer instead of going through map/struct marshalling:
// key order stays exactly as written (and as received, for raw values), and
// a 1 MB request costs one copy instead of a decode/encode round trip.
//
// Commas are placed automatically: every value or key writer inserts one
// unless the buffer ends with '{', '[' or ':'. That is always correct
// because a completed value never ends with one of those bytes.
type jw struct {
	b []byte
}

func (w *jw) sep() {
	if n := len(w.b); n > 0 {
		switch w.b[n-1] {
		case '{', '[', ':':
		default:
			w.b = append(w.b, ',')
		}
	}
}

// key writes "k": . k must be a plain ASCII literal (no escaping is done).
func (w *jw) key(k string) {
	w.sep()
	w.b = append(w.b, '"')
	w.b = append(w.b, k...)
	w.b = append(w.b, '"', ':')
}

func (w *jw) open()        { w.sep(); w.b = append(w.b, '{') }
func (w *jw) close()       { w.b = append(w.b, '}') }
func (w *jw) openArr()     { w.sep(); w.b = append(w.b, '[') }
func (w *jw) closeArr()    { w.b = append(w.b, ']') }
func (w *jw) null()        { w.sep(); w.b = append(w.b, "null"...) }
func (w *jw) str(s string) { w.sep(); w.b = appendString(w.b, s) }
func (w *jw) int(n int64)  { w.sep(); w.b = strconv.AppendInt(w.b, n, 10) }

func (w *jw) bool(v bool) {
	w.sep()
	w.b = strconv.AppendBool(w.b, v)
}

func (w *jw) float(f float64) {
	w.sep()
	w.b = strconv.AppendFloat(w.b, f, 'f', -1, 64)
}

// toolCall is one OpenAI tool call: input is the tool's arguments as JSON.
type toolCall struct{ id, name, input string }

// toolCall writes c as an OpenAI tool_calls entry, arguments as a JSON
// string holding the input.
func (w *jw) toolCall(c toolCall) {
	w.open()
	w.key("id")
	w.str(c.id)
	w.key("type")
	w.str("function")
	w.key("function")
	w.open()
	w.key("name")
	w.str(c.name)
	w.key("arguments")
	w.sep()
	w.b = appendJSONStringOfJSON(w.b, c.input)
	w.close()
	w.close()
}

// raw writes an already valid JSON value.
func (w *jw) raw(s string) { w.sep(); w.b = append(w.b, s...) }

// rawBytes writes an already valid JSON value held in a byte slice.
func (w *jw) rawBytes(b []byte) { w.sep(); w.b = append(w.b, b...) }

// rawCompact writes a valid JSON value without insignificant whitespace,
// so it can go on a single SSE data line.
func (w *jw) rawCompact(s string) {
	w.sep()
	w.b = appendCompact(w.b, s)
}

// appendCompact appends the JSON value s with insignificant whitespace
// removed. s must be valid JSON; string contents are copied verbatim.
func appendCompact(dst []byte, s string) []byte {
	inStr := false
	start := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if inStr {
			switch c {
			case '\\':
				i++
			case '"':
				inStr = false
			}
			continue
		}
		switch c {
		case '"':
			inStr = true
		case ' ', '\t', '\n', '\r':
			dst = append(dst, s[start:i]...)
			start = i + 1
		}
	}
	return append(dst, s[start:]...)
}

// appendJSONStringOfJSON appends a JSON string whose content is the compact
// form of the JSON value v (OpenAI tool-call arguments are JSON text inside
// a string).
func appendJSONStringOfJSON(dst []byte, v string) []byte {
	var tmp [256]byte
	c := appendCompact(tmp[:0], v)
	return appendStringBytes(dst, c)
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string. Invalid UTF-8 becomes U+FFFD,
// as encoding/json does, so the output is always valid JSON.
func appendString(dst []byte, s string) []byte {
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch c {
			case '"':
				dst = append(dst, '\\', '"')
			case '\\':
				dst = append(dst, '\\', '\\')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i++
			start = i
			continue
		}
		// U+2028/U+2029 are valid JSON but break JavaScript line parsing
		// in some SSE consumers; escaping them costs nothing.
		if r == '\u2028' || r == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\u202`...)
			dst = append(dst, hexDigits[r&0xf])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}

func appendStringBytes(dst, s []byte) []byte {
	// The conversion does not escape s; appendString only reads it.
	return appendString(dst, string(s))
}

// isJSONObject reports whether s is a valid JSON object (surrounding
// whitespace allowed). Tool-call arguments are JSON text inside a string
// the gateway's check could not look into, so they are checked here.
func isJSONObject(s string) bool {
	t := strings.TrimSpace(s)
	return len(t) > 0 && t[0] == '{' && checkUpstream(unsafe.Slice(unsafe.StringData(t), len(t))) == ""
}

package adapter

import (
	"unicode/utf16"
	"unicode/utf8"
)

// customDecoder streams a custom tool call's input while the upstream
// streams the arguments of the function standing for it: {"input":"…"}
// arrives in pieces, and the client wants the string's decoded text in
// response.custom_tool_call_input.delta events (docs/responses.md,
// "Stream"). It decodes the string as far as the arguments received so far
// allow: an escape cut between two pieces waits for the next one.
// Arguments of another shape (other members first, not an object) stream
// nothing; the done event carries the input then.
type customDecoder struct {
	state customState
	pos   int // in the arguments: the next byte to look at
}

type customState uint8

const (
	customSeek   customState = iota // before the string's opening quote
	customInside                    // decoding the string
	customEnded                     // closing quote seen
	customOff                       // not the expected shape: nothing streams
)

// inputPrefix is what precedes the string: `{"input":"`, whitespace allowed.
var inputPrefix = [...]string{"{", `"input"`, ":", `"`}

// feed decodes what args now holds past the last call and appends the text
// to dst.
func (d *customDecoder) feed(dst, args []byte) []byte {
	if d.state == customSeek {
		d.seek(args)
	}
	if d.state != customInside {
		return dst
	}
	i := d.pos
	for i < len(args) {
		c := args[i]
		switch {
		case c == '"':
			d.state, d.pos = customEnded, i+1
			return dst
		case c == '\\':
			r, n := unescape(args[i:])
			if n == 0 {
				d.pos = i
				return dst // the escape continues in the next piece
			}
			if n < 0 {
				d.state = customOff
				return dst
			}
			dst = utf8.AppendRune(dst, r)
			i += n
		case c < 0x20:
			d.state = customOff // not a JSON string
			return dst
		default:
			j := i + 1
			for j < len(args) && args[j] != '"' && args[j] != '\\' && args[j] >= 0x20 {
				j++
			}
			dst = append(dst, args[i:j]...)
			i = j
		}
	}
	d.pos = i
	return dst
}

// seek looks for `{"input":"` from the start of args.
func (d *customDecoder) seek(args []byte) {
	i := 0
	for _, tok := range inputPrefix {
		for i < len(args) && isJSONSpace(args[i]) {
			i++
		}
		n := min(len(tok), len(args)-i)
		if string(args[i:i+n]) != tok[:n] {
			d.state = customOff
			return
		}
		if n < len(tok) {
			return // not all there yet
		}
		i += n
	}
	d.state, d.pos = customInside, i
}

func isJSONSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\r' }

// unescape decodes the escape at the start of s (s[0] is '\\'). n is the
// bytes it takes, 0 when s ends before the escape does, -1 when it is not
// a JSON escape. A UTF-16 surrogate pair is decoded whole.
func unescape(s []byte) (r rune, n int) {
	if len(s) < 2 {
		return 0, 0
	}
	switch s[1] {
	case '"', '\\', '/':
		return rune(s[1]), 2
	case 'b':
		return '\b', 2
	case 'f':
		return '\f', 2
	case 'n':
		return '\n', 2
	case 'r':
		return '\r', 2
	case 't':
		return '\t', 2
	case 'u':
	default:
		return 0, -1
	}
	for _, c := range s[2:min(6, len(s))] {
		if !isHex(c) {
			return 0, -1
		}
	}
	if len(s) < 6 {
		return 0, 0
	}
	r1, _ := hex4(s[2:])
	if !utf16.IsSurrogate(r1) {
		return r1, 6
	}
	// A high surrogate wants the low one: \uD83D\uDE00.
	if len(s) < 12 {
		if rest := s[6:]; len(rest) >= 1 && rest[0] != '\\' || len(rest) >= 2 && rest[1] != 'u' {
			return utf8.RuneError, 6
		}
		return 0, 0
	}
	if s[6] != '\\' || s[7] != 'u' {
		return utf8.RuneError, 6
	}
	r2, ok := hex4(s[8:])
	if !ok {
		return utf8.RuneError, 6
	}
	if dec := utf16.DecodeRune(r1, r2); dec != utf8.RuneError {
		return dec, 12
	}
	return utf8.RuneError, 6
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func hex4(s []byte) (rune, bool) {
	if len(s) < 4 {
		return 0, false
	}
	var r rune
	for _, c := range s[:4] {
		r <<= 4
		switch {
		case c >= '0' && c <= '9':
			r |= rune(c - '0')
		case c >= 'a' && c <= 'f':
			r |= rune(c-'a') + 10
		case c >= 'A' && c <= 'F':
			r |= rune(c-'A') + 10
		default:
			return 0, false
		}
	}
	return r, true
}

package jsonx

import (
	"bytes"
	"encoding/binary"
	"math/bits"
	"unicode/utf8"
)

// Problem says what Check found wrong with a body.
type Problem int

const (
	// OK: one valid JSON value, UTF-8, nested within the limit.
	OK Problem = iota
	// TooDeep: arrays and objects nest deeper than the limit.
	TooDeep
	// Invalid: not JSON (syntax, control characters in strings, bad
	// escapes, invalid UTF-8, trailing data).
	Invalid
)

// maxFixedDepth is the deepest nesting tracked without allocating: one bit
// per level says whether it is an object or an array.
const maxFixedDepth = 1024

// Check validates b as one JSON value (RFC 8259) in valid UTF-8, nested at
// most maxDepth deep, in a single pass. It returns the problem and the byte
// offset where it was found.
//
// It replaces three passes on the request path (nesting guard, syntax
// check, UTF-8 check): string contents, most of a large chat body, are
// crossed with bytes.IndexByte and an eight-bytes-at-a-time check for
// control characters, not a switch per byte. It never recurses, so no
// input can exhaust the stack.
func Check(b []byte, maxDepth int) (Problem, int) {
	var fixed [maxFixedDepth / 64]uint64
	stack := fixed[:]
	if maxDepth > maxFixedDepth {
		stack = make([]uint64, (maxDepth+63)/64)
	}
	depth := 0

	n := len(b)
	i := skipSpace(b, 0)
	// Each turn reads one value at i, then what may follow it.
	for {
		if i >= n {
			return Invalid, i
		}
		switch c := b[i]; {
		case c == '{' || c == '[':
			depth++
			if depth > maxDepth {
				return TooDeep, i
			}
			w, bit := (depth-1)/64, uint64(1)<<((depth-1)%64)
			if c == '{' {
				stack[w] |= bit
			} else {
				stack[w] &^= bit
			}
			i = skipSpace(b, i+1)
			if i < n && (b[i] == '}' && c == '{' || b[i] == ']' && c == '[') {
				depth--
				i++
				break // an empty container is a whole value
			}
			if c == '{' {
				var ok bool
				if i, ok = objectKey(b, i); !ok {
					return Invalid, i
				}
			}
			continue // the first element's value
		case c == '"':
			end, ok := scanString(b, i)
			if !ok {
				return Invalid, end
			}
			i = end
		case c == 't':
			if !bytes.HasPrefix(b[i:], []byte("true")) {
				return Invalid, i
			}
			i += 4
		case c == 'f':
			if !bytes.HasPrefix(b[i:], []byte("false")) {
				return Invalid, i
			}
			i += 5
		case c == 'n':
			if !bytes.HasPrefix(b[i:], []byte("null")) {
				return Invalid, i
			}
			i += 4
		case c == '-' || c >= '0' && c <= '9':
			end, ok := scanNumber(b, i)
			if !ok {
				return Invalid, end
			}
			i = end
		default:
			return Invalid, i
		}

		// After a value: a comma and the next element, or closers.
		for {
			i = skipSpace(b, i)
			if depth == 0 {
				if i != n {
					return Invalid, i
				}
				return OK, n
			}
			if i >= n {
				return Invalid, i
			}
			obj := stack[(depth-1)/64]&(1<<((depth-1)%64)) != 0
			if b[i] == ',' {
				i = skipSpace(b, i+1)
				if obj {
					var ok bool
					if i, ok = objectKey(b, i); !ok {
						return Invalid, i
					}
				}
				break
			}
			if obj && b[i] == '}' || !obj && b[i] == ']' {
				depth--
				i++
				continue
			}
			return Invalid, i
		}
	}
}

// objectKey reads `"key" :` at i and returns the offset of the value.
func objectKey(b []byte, i int) (int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, false
	}
	end, ok := scanString(b, i)
	if !ok {
		return end, false
	}
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, false
	}
	return skipSpace(b, i+1), true
}

func skipSpace(b []byte, i int) int {
	for i < len(b) {
		switch b[i] {
		case ' ', '\t', '\n', '\r':
			i++
		default:
			return i
		}
	}
	return i
}

// scanString checks the string starting at b[i] == '"' and returns the
// offset after its closing quote.
func scanString(b []byte, i int) (int, bool) {
	n := len(b)
	start := i + 1
	i = start
	var high bool
	for {
		var h bool
		i, h = nextSpecial(b, i)
		high = high || h
		if i >= n {
			return n, false
		}
		switch b[i] {
		case '"':
			// Escapes are ASCII, so the raw bytes are UTF-8 exactly when
			// the content is.
			if high && !utf8.Valid(b[start:i]) {
				return start, false
			}
			return i + 1, true
		case '\\':
			i++
			if i >= n {
				return i, false
			}
			switch b[i] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i++
			case 'u':
				if i+5 > n || !isHex(b[i+1]) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) {
					return i, false
				}
				i += 5
			default:
				return i, false
			}
		default: // a control character, which JSON requires escaped
			return i, false
		}
	}
}

const (
	ones    = 0x0101010101010101
	highs   = 0x8080808080808080
	quotes  = '"' * ones
	slashes = '\\' * ones
	spaces  = 0x20 * ones
)

// nextSpecial returns the offset of the first '"', '\\' or control
// character at or after i (len(b) if none), and whether a byte >= 0x80 may
// lie before it. It tests eight bytes per step: a byte equal to c makes
// (x^c*ones)-ones borrow into its high bit, and a byte below 0x20 does the
// same for x-0x20*ones. Borrows only ever spill upwards from a true match,
// so the lowest flagged byte is a real one.
func nextSpecial(b []byte, i int) (int, bool) {
	var seen uint64
	for ; i+8 <= len(b); i += 8 {
		w := binary.LittleEndian.Uint64(b[i:])
		seen |= w
		q, s := w^quotes, w^slashes
		if m := ((q-ones)&^q | (s-ones)&^s | (w-spaces)&^w) & highs; m != 0 {
			return i + bits.TrailingZeros64(m)>>3, seen&highs != 0
		}
	}
	for ; i < len(b); i++ {
		c := b[i]
		if c == '"' || c == '\\' || c < 0x20 {
			break
		}
		seen |= uint64(c)
	}
	return i, seen&highs != 0
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

// scanNumber checks -?(0|[1-9]\d*)(\.\d+)?([eE][+-]?\d+)? at i.
func scanNumber(b []byte, i int) (int, bool) {
	n := len(b)
	if b[i] == '-' {
		i++
	}
	switch {
	case i < n && b[i] == '0':
		i++
	case i < n && b[i] >= '1' && b[i] <= '9':
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		return i, false
	}
	if i < n && b[i] == '.' {
		i++
		start := i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return i, false
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		start := i
		for i < n && b[i] >= '0' && b[i] <= '9' {
			i++
		}
		if i == start {
			return i, false
		}
	}
	return i, true
}

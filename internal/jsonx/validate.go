package jsonx

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"math/bits"
	"unicode/utf8"
	"unsafe"
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
	// Duplicate: a member CheckMembers looks for appears twice in the root
	// object. Decoders disagree on which one counts (gjson reads the first,
	// Python's json the last), so a gateway that routed on one while the
	// upstream used the other could be steered; such a body is refused.
	Duplicate
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
	return CheckMembers(b, maxDepth, nil, nil)
}

// Span is where a value lies in a checked body: b[Start:End]. End is 0
// when the member was not found.
type Span struct{ Start, End int }

// Found reports whether the member was present.
func (s Span) Found() bool { return s.End > 0 }

// CheckMembers is Check that also finds, in the same pass, the values of
// the root object's members named in names: spans[i] gets the value of
// names[i] (the first one, as gjson reads it, if a name repeats). spans
// must be as long as names; it is reset first. The gateway needs model,
// stream and stream_options of a body it otherwise leaves undecoded, and
// a separate gjson lookup would cross a large body once more for each
// member that comes after the messages (openai-python sends model last).
func CheckMembers(b []byte, maxDepth int, names []string, spans []Span) (Problem, int) {
	clear(spans)
	pending := -1 // index in names of the root member being read
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
				var p Problem
				if i, p = memberKey(b, i, depth, names, spans, &pending); p != OK {
					return p, i
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
			if pending >= 0 && depth == 1 {
				spans[pending].End = i
				pending = -1
			}
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
					var p Problem
					if i, p = memberKey(b, i, depth, names, spans, &pending); p != OK {
						return p, i
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

// memberKey reads an object member's `"key" :` at i and returns the
// offset of its value, or the problem and where it lies. In the root
// object (depth 1) it sets *pending to the key's index in names (-1 if not
// wanted) and notes where that member's value starts.
func memberKey(b []byte, i, depth int, names []string, spans []Span, pending *int) (int, Problem) {
	keyAt := i
	next, keyEnd, ok := objectKey(b, i)
	if !ok {
		return next, Invalid
	}
	if depth != 1 || names == nil {
		return next, OK
	}
	k, dup := memberIndex(b[keyAt:keyEnd], names, spans)
	if dup {
		return keyAt, Duplicate
	}
	if k >= 0 {
		spans[k].Start = next
	}
	*pending = k
	return next, OK
}

// memberIndex returns the index in names of the key whose string
// (quotes included, already checked) is quoted, -1 if it is not wanted, and
// whether it was seen before. A key written with escapes is decoded first, so
// "mod\u0065l" is model, as every JSON decoder reads it.
func memberIndex(quoted []byte, names []string, spans []Span) (int, bool) {
	raw := quoted[1 : len(quoted)-1]
	key := unsafe.String(unsafe.SliceData(raw), len(raw))
	if bytes.IndexByte(raw, '\\') >= 0 {
		var s string
		if json.Unmarshal(quoted, &s) != nil {
			return -1, false
		}
		key = s
	}
	for k, name := range names {
		if key == name {
			return k, spans[k].Start > 0
		}
	}
	return -1, false
}

// objectKey reads `"key" :` at i and returns the offset of the value and
// the end of the key's string.
func objectKey(b []byte, i int) (int, int, bool) {
	if i >= len(b) || b[i] != '"' {
		return i, 0, false
	}
	end, ok := scanString(b, i)
	if !ok {
		return end, 0, false
	}
	i = skipSpace(b, end)
	if i >= len(b) || b[i] != ':' {
		return i, 0, false
	}
	return skipSpace(b, i+1), end, true
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
		var ok bool
		if i, ok = digits(b, i+1); !ok {
			return i, false
		}
	}
	if i < n && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < n && (b[i] == '+' || b[i] == '-') {
			i++
		}
		var ok bool
		if i, ok = digits(b, i); !ok {
			return i, false
		}
	}
	return i, true
}

// digits skips the run of one or more digits at i; false if there is none.
func digits(b []byte, i int) (int, bool) {
	start := i
	for i < len(b) && b[i] >= '0' && b[i] <= '9' {
		i++
	}
	return i, i > start
}

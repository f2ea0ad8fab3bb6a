package adapter

import (
	"bytes"
	"unsafe"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/jsonx"
)

// A one-pass reader of values already checked by jsonx (the chunk passed
// CheckMembers): it finds an object's members or an array's elements
// without decoding what it skips. gjson reads every level again for each
// lookup; a chat chunk is read for every token of the answer, so the
// conversion of a stream reads each level once (bench/responses_test.go).
// The input is valid JSON, so the scan need not check anything.

// members finds the values of the named members of the object in b (b
// starts at its '{'): spans[i] for names[i], the first one if a name
// repeats. A key written with escapes is compared decoded.
func members(b []byte, names []string, spans []jsonx.Span) {
	clear(spans)
	i := skipWS(b, 1)
	for i < len(b) && b[i] == '"' {
		kEnd := stringEnd(b, i)
		key := b[i+1 : kEnd-1]
		if bytes.IndexByte(key, '\\') >= 0 {
			key = []byte(gjson.ParseBytes(b[i:kEnd]).Str)
		}
		i = skipWS(b, kEnd)
		i = skipWS(b, i+1) // ':'
		end := valueEnd(b, i)
		for n, name := range names {
			if !spans[n].Found() && string(key) == name {
				spans[n] = jsonx.Span{Start: i, End: end}
				break
			}
		}
		i = skipWS(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
		}
	}
}

// elements calls fn with each element of the array in b (b starts at its
// '['), until fn returns false.
func elements(b []byte, fn func(elem []byte) bool) {
	i := skipWS(b, 1)
	for i < len(b) && b[i] != ']' {
		end := valueEnd(b, i)
		if !fn(b[i:end]) {
			return
		}
		i = skipWS(b, end)
		if i < len(b) && b[i] == ',' {
			i = skipWS(b, i+1)
		}
	}
}

// valueEnd is the end of the value starting at b[i].
func valueEnd(b []byte, i int) int {
	switch b[i] {
	case '"':
		return stringEnd(b, i)
	case '{', '[':
		depth := 0
		for j := i; j < len(b); j++ {
			switch b[j] {
			case '"':
				j = stringEnd(b, j) - 1
			case '{', '[':
				depth++
			case '}', ']':
				if depth--; depth == 0 {
					return j + 1
				}
			}
		}
		return len(b)
	}
	j := i
	for j < len(b) && b[j] != ',' && b[j] != '}' && b[j] != ']' && !isJSONSpace(b[j]) {
		j++
	}
	return j
}

// stringEnd is the index after the closing quote of the string starting
// at b[i].
func stringEnd(b []byte, i int) int {
	j := i + 1
	for {
		k := bytes.IndexByte(b[j:], '"')
		if k < 0 {
			return len(b)
		}
		j += k
		// The quote is escaped when an odd number of backslashes precede it.
		n := 0
		for p := j - 1; p > i && b[p] == '\\'; p-- {
			n++
		}
		if n%2 == 0 {
			return j + 1
		}
		j++
	}
}

func skipWS(b []byte, i int) int {
	for i < len(b) && isJSONSpace(b[i]) {
		i++
	}
	return i
}

// span is b's part a span gives, nil for a member not found.
func span(b []byte, s jsonx.Span) []byte {
	if !s.Found() {
		return nil
	}
	return b[s.Start:s.End]
}

// stringValue reads a JSON string value: a view of b when it has no
// escapes (the common case: no copy), else decoded. ok is false for a
// value that is not a string.
func stringValue(v []byte) (s string, ok bool) {
	if len(v) < 2 || v[0] != '"' {
		return "", false
	}
	raw := v[1 : len(v)-1]
	if bytes.IndexByte(raw, '\\') < 0 {
		return unsafe.String(unsafe.SliceData(raw), len(raw)), true
	}
	return gjson.ParseBytes(v).Str, true
}

// view is a gjson value over b without copying it; what is kept past the
// event is copied by its keeper.
func view(v []byte) gjson.Result {
	if len(v) == 0 {
		return gjson.Result{}
	}
	return gjson.Parse(unsafe.String(unsafe.SliceData(v), len(v)))
}

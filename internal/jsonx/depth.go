// Package jsonx holds byte-level JSON checks used on the request path,
// where decoding a body is work the gateway need not do.
package jsonx

import (
	"bytes"
	"unsafe"
)

// DepthOK reports whether b nests arrays and objects at most max deep.
//
// gjson and sjson recurse once per level, so a body of a few million '['
// would overflow the goroutine stack, a fatal error that no recover()
// catches; this guard runs first. It is one pass: string contents, most of
// a large body, are skipped with bytes.IndexByte (vectorised) instead of a
// switch per byte. An unterminated string ends the scan; the validator
// that runs next rejects it.
func DepthOK(b []byte, max int) bool {
	depth := 0
	for i := 0; i < len(b); i++ {
		switch b[i] {
		case '"':
			// The closing quote is the first one not preceded by an odd
			// number of backslashes.
			for {
				j := bytes.IndexByte(b[i+1:], '"')
				if j < 0 {
					return true
				}
				i += j + 1
				n := 0
				for k := i - 1; k >= 0 && b[k] == '\\'; k-- {
					n++
				}
				if n%2 == 0 {
					break
				}
			}
		case '[', '{':
			depth++
			if depth > max {
				return false
			}
		case ']', '}':
			depth--
		}
	}
	return true
}

// DepthOKString is DepthOK for a string, without copying it: the bytes are
// only read.
func DepthOKString(s string, max int) bool {
	return DepthOK(unsafe.Slice(unsafe.StringData(s), len(s)), max)
}

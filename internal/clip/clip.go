// Package clip bounds strings that come from outside (client model names
// and paths, upstream error messages) without splitting a UTF-8 character.
package clip

import "unicode/utf8"

// UTF8 returns s cut to at most n bytes, on a character boundary.
func UTF8(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Package secret turns API keys into hints that are safe to print, log and
// store. A key itself never leaves the process except in the upstream request.
package secret

// Hint returns a recognisable but harmless form of key: at most its first 3
// and last 4 characters ("sk-...c3f9"). Short keys reveal less, so that a
// hint never gives away most of a key.
func Hint(key string) string {
	n := len(key)
	switch {
	case n == 0:
		return ""
	case n >= 16:
		return key[:3] + "..." + key[n-4:]
	case n >= 8:
		return "..." + key[n-2:]
	default:
		return "***"
	}
}

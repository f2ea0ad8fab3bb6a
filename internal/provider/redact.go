package provider

import (
	"slices"
	"strings"
)

// minRedactedKey is the shortest key replaced in text: shorter strings
// would match ordinary words of an error message.
const minRedactedKey = 6

// newRedactor builds a replacer of every configured key (all pools) by its
// hint. Some upstreams echo the key they were sent in error messages
// ("Incorrect API key provided: sk-..."); whatever of an upstream's answer
// leaves the process or reaches the database goes through it.
func newRedactor(providers []*Provider) *strings.Replacer {
	var keys []*Key
	for _, p := range providers {
		for _, k := range p.Pool.Keys() {
			if len(k.Secret) >= minRedactedKey {
				keys = append(keys, k)
			}
		}
	}
	// Longer keys first: one key may begin with another.
	slices.SortStableFunc(keys, func(a, b *Key) int { return len(b.Secret) - len(a.Secret) })
	pairs := make([]string, 0, 2*len(keys))
	for _, k := range keys {
		pairs = append(pairs, k.Secret, k.Hint)
	}
	return strings.NewReplacer(pairs...)
}

// Redact replaces every configured upstream key in s by its hint.
func (r *Registry) Redact(s string) string { return r.redactor.Replace(s) }

// RedactBytes is Redact for a body; b is returned as is when it holds no key.
func (r *Registry) RedactBytes(b []byte) []byte {
	s := string(b)
	if out := r.redactor.Replace(s); out != s {
		return []byte(out)
	}
	return b
}

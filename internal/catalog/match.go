package catalog

import (
	"fmt"
	"path"
	"strings"
)

// slashStandIn replaces '/' in both pattern and id before matching. It is
// a control character no model id contains, so a literal '/' in the
// pattern still matches only '/'.
const slashStandIn = "\x00"

// match reports whether id matches the shell glob pattern: '*' any run of
// characters, '?' one character, '[a-z]' a class, '\' escapes. Unlike a
// file-name glob, '*' and '?' also match '/': model ids are names, not
// paths, and "*claude*" should find "anthropic/claude-3.5" on an
// OpenRouter-style upstream. Matching is case-sensitive.
func match(pattern, id string) (bool, error) {
	ok, err := path.Match(strings.ReplaceAll(pattern, "/", slashStandIn), strings.ReplaceAll(id, "/", slashStandIn))
	if err != nil {
		return false, fmt.Errorf("bad --match pattern %q: %w (use a shell glob such as 'gpt-4o*' or '*sonnet*')", pattern, err)
	}
	return ok, nil
}

// ValidatePattern checks a glob before any upstream is asked.
func ValidatePattern(pattern string) error {
	_, err := match(pattern, "")
	return err
}

// Filter keeps the models whose id matches pattern; an empty pattern keeps
// them all.
func Filter(models []Model, pattern string) ([]Model, error) {
	if pattern == "" {
		return models, nil
	}
	if err := ValidatePattern(pattern); err != nil {
		return nil, err
	}
	var out []Model
	for _, m := range models {
		if ok, _ := match(pattern, m.ID); ok {
			out = append(out, m)
		}
	}
	return out, nil
}

package config

import (
	"errors"
	"maps"
	"os"
	"strings"

	"github.com/BurntSushi/toml"
)

// editAliases returns the redirect file content old rewritten to hold
// exactly next, as a person would edit it: the line of a changed alias
// gets the new target (key, spacing and trailing comment as written), the
// line of a removed alias goes, new aliases are appended after the last
// entry of [aliases] in name order, and every other line (comments, blank
// lines, other tables) stays where it was. ok is false when the file is
// written in a way this line editor does not follow (a multi-line value,
// say); the caller then writes the file afresh.
func editAliases(old string, next Aliases) (string, bool) {
	if strings.TrimSpace(old) == "" {
		return "", false
	}
	eol := "\n"
	if strings.Contains(old, "\r\n") {
		eol = "\r\n"
	}
	lines := strings.SplitAfter(old, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}

	var out []string
	seen := map[string]bool{}
	inAliases, foundTable := false, false
	insertAt := -1 // index in out after which new aliases go
	for _, raw := range lines {
		body := strings.TrimRight(raw, "\r\n")
		ending := raw[len(body):]
		trimmed := strings.TrimSpace(body)
		if strings.HasPrefix(trimmed, "[") {
			inAliases = isAliasesHeader(trimmed)
			if inAliases {
				foundTable = true
				out = append(out, raw)
				insertAt = len(out)
				continue
			}
		}
		if !inAliases || trimmed == "" || strings.HasPrefix(trimmed, "#") {
			out = append(out, raw)
			continue
		}
		name, valStart, valEnd, ok := parseAliasLine(body)
		if !ok {
			return "", false
		}
		seen[name] = true
		target, keep := next[name]
		switch {
		case !keep:
			continue
		case target != aliasValue(body, valStart, valEnd):
			out = append(out, body[:valStart]+quoteTOML(target)+body[valEnd:]+ending)
		default:
			out = append(out, raw)
		}
		insertAt = len(out)
	}

	var added []string
	for _, name := range next.Names() {
		if !seen[name] {
			added = append(added, quoteTOML(name)+" = "+quoteTOML(next[name])+eol)
		}
	}
	if !foundTable {
		if len(out) > 0 && !strings.HasSuffix(out[len(out)-1], "\n") {
			out[len(out)-1] += eol
		}
		out = append(out, eol, "[aliases]"+eol)
		insertAt = len(out)
	}
	if insertAt > 0 && !strings.HasSuffix(out[insertAt-1], "\n") && len(added) > 0 {
		out[insertAt-1] += eol
	}
	out = append(out[:insertAt], append(added, out[insertAt:]...)...)
	return strings.Join(out, ""), true
}

// isAliasesHeader reports whether a table header line opens [aliases]
// (written as [aliases], [ aliases ] or ["aliases"], perhaps with a comment).
func isAliasesHeader(line string) bool {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil {
		return false
	}
	t, ok := doc["aliases"].(map[string]any)
	return ok && len(doc) == 1 && len(t) == 0
}

// parseAliasLine reads one `key = "target"` line: the alias name, and
// where the value starts and ends in line (the end excludes the space
// before a trailing comment).
func parseAliasLine(line string) (name string, valStart, valEnd int, ok bool) {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil || len(doc) != 1 {
		return "", 0, 0, false
	}
	for k, v := range doc {
		if _, isString := v.(string); !isString {
			return "", 0, 0, false
		}
		name = k
	}
	eq := indexOutsideStrings(line, '=', 0)
	if eq < 0 {
		return "", 0, 0, false
	}
	valStart = eq + 1
	for valStart < len(line) && (line[valStart] == ' ' || line[valStart] == '\t') {
		valStart++
	}
	valEnd = len(line)
	if hash := indexOutsideStrings(line, '#', valStart); hash >= 0 {
		valEnd = hash
	}
	for valEnd > valStart && (line[valEnd-1] == ' ' || line[valEnd-1] == '\t') {
		valEnd--
	}
	return name, valStart, valEnd, true
}

// aliasValue decodes the value written at line[start:end].
func aliasValue(line string, start, end int) string {
	var doc struct{ V string }
	if _, err := toml.Decode("V = "+line[start:end], &doc); err != nil {
		return ""
	}
	return doc.V
}

// indexOutsideStrings finds c in line from "from" on, skipping TOML basic
// ("...", with \ escapes) and literal ('...') strings.
func indexOutsideStrings(line string, c byte, from int) int {
	var quote byte
	for i := from; i < len(line); i++ {
		switch ch := line[i]; {
		case quote == '"' && ch == '\\':
			i++
		case quote != 0:
			if ch == quote {
				quote = 0
			}
		case ch == '"' || ch == '\'':
			quote = ch
		case ch == c:
			return i
		}
	}
	return -1
}

// aliasFileContent is what WriteAliases writes to path for a: the file as
// it is, edited line by line, or a fresh file when there is none or the
// edit cannot be trusted (it is checked by parsing it back).
func aliasFileContent(path string, a Aliases) ([]byte, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return a.encode(), nil
	}
	if err != nil {
		return nil, err
	}
	edited, ok := editAliases(string(old), a)
	if !ok {
		return a.encode(), nil
	}
	back, err := parseAliases(path, []byte(edited))
	if err != nil || !maps.Equal(back, a) {
		return a.encode(), nil
	}
	return []byte(edited), nil
}

package config

import (
	"errors"
	"maps"
	"os"
	"slices"
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
		// Before the first other table (and the comments right above it),
		// so [aliases] comes ahead of the routes; else at the end.
		at := slices.IndexFunc(out, func(l string) bool { return strings.HasPrefix(strings.TrimSpace(l), "[") })
		if at < 0 {
			out = append(out, eol, "[aliases]"+eol)
			insertAt = len(out)
		} else {
			for at > 0 && strings.HasPrefix(strings.TrimSpace(out[at-1]), "#") {
				at--
			}
			block := append([]string{"[aliases]" + eol}, added...)
			block = append(block, eol)
			out = append(out[:at], append(block, out[at:]...)...)
			return strings.Join(out, ""), true
		}
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
// where the value starts and ends in line.
func parseAliasLine(line string) (name string, valStart, valEnd int, ok bool) {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil || len(doc) != 1 {
		return "", 0, 0, false
	}
	for _, v := range doc {
		if _, isString := v.(string); !isString {
			return "", 0, 0, false
		}
	}
	return parseKeyLine(line)
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

// redirectFileContent is what WriteRedirect writes to path for next: the
// file as it is, with only the changed section edited (editAliases,
// editRoutes), or a fresh file when there is none or the edit cannot be
// trusted (it is checked by parsing it back).
func redirectFileContent(path string, next Redirect) ([]byte, error) {
	old, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return next.encode(), nil
	}
	if err != nil {
		return nil, err
	}
	cur, curErr := parseRedirect(path, old)
	edited, ok := string(old), true
	if curErr != nil || !maps.Equal(cur.Aliases, next.Aliases) {
		edited, ok = editAliases(edited, next.Aliases)
	}
	if ok && (curErr != nil || !maps.EqualFunc(cur.Routes, next.Routes, Route.Equal)) {
		edited, ok = editRoutes(edited, next.Routes)
	}
	if !ok {
		return next.encode(), nil
	}
	back, err := parseRedirect(path, []byte(edited))
	if err != nil || !maps.Equal(back.Aliases, next.Aliases) || !maps.EqualFunc(back.Routes, next.Routes, Route.Equal) {
		return next.encode(), nil
	}
	return []byte(edited), nil
}

// editRoutes returns the redirect file content old rewritten to hold
// exactly the routes next. Every line outside the [routes."NAME"] tables
// stays as written. The table of a removed route goes; the table of a
// changed route keeps its header, comments and key order, each changed
// key line getting its new value (trailing comment kept), or, when the
// table is written in a way this line editor does not follow (a
// multi-line array, say), gets its keys written afresh; new routes are
// appended at the end in name order. ok is false when the file holds
// routes in another shape (a bare [routes] table, [routes."a".b]).
func editRoutes(old string, next Routes) (string, bool) {
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
	for i := 0; i < len(lines); {
		trimmed := strings.TrimSpace(lines[i])
		if !strings.HasPrefix(trimmed, "[") {
			// Routes written as dotted keys (routes.x.targets = ...) are
			// not seen here; the caller's parse-back check catches them.
			out = append(out, lines[i])
			i++
			continue
		}
		name, isRoute, ok := routeHeader(trimmed)
		if !ok {
			return "", false
		}
		// The table runs to the next header; trailing blank and comment
		// lines stay outside it (they belong to what follows).
		end := i + 1
		for end < len(lines) && !strings.HasPrefix(strings.TrimSpace(lines[end]), "[") {
			end++
		}
		for end > i+1 && isBlankOrComment(lines[end-1]) {
			end--
		}
		if !isRoute {
			out = append(out, lines[i:end]...)
			i = end
			continue
		}
		if seen[name] {
			return "", false
		}
		seen[name] = true
		rt, keep := next[name]
		if !keep {
			// Drop the table and one blank line, so removals leave no gaps.
			i = end
			if i < len(lines) && strings.TrimSpace(lines[i]) == "" && (len(out) == 0 || strings.TrimSpace(out[len(out)-1]) == "") {
				i++
			}
			continue
		}
		out = append(out, editRouteTable(lines[i:end], rt, eol)...)
		i = end
	}
	for _, name := range next.Names() {
		if seen[name] {
			continue
		}
		if len(out) > 0 && !strings.HasSuffix(out[len(out)-1], "\n") {
			out[len(out)-1] += eol
		}
		if len(out) > 0 && strings.TrimSpace(out[len(out)-1]) != "" {
			out = append(out, eol)
		}
		out = append(out, routeTable(name, next[name], eol))
	}
	return strings.Join(out, ""), true
}

// editRouteTable rewrites one route table (header first) to hold rt.
func editRouteTable(table []string, rt Route, eol string) []string {
	out := []string{table[0]}
	if !strings.HasSuffix(table[0], "\n") {
		out[0] += eol
	}
	written := map[string]bool{}
	lastKey := 0 // index in out after which missing keys go
	for _, raw := range table[1:] {
		body := strings.TrimRight(raw, "\r\n")
		ending := raw[len(body):]
		if ending == "" {
			ending = eol
		}
		if isBlankOrComment(raw) {
			out = append(out, body+ending)
			continue
		}
		key, valStart, valEnd, ok := parseKeyLine(body)
		if !ok || written[key] || (key != "targets" && key != "strategy" && key != "weights") {
			return freshRouteTable(table, rt, eol)
		}
		written[key] = true
		val := routeValue(rt, key)
		if val == "" {
			continue
		}
		out = append(out, body[:valStart]+val+body[valEnd:]+ending)
		lastKey = len(out)
	}
	var added []string
	for _, key := range []string{"targets", "strategy", "weights"} {
		if val := routeValue(rt, key); !written[key] && val != "" {
			added = append(added, key+" = "+val+eol)
		}
	}
	if lastKey == 0 {
		lastKey = 1
	}
	return append(out[:lastKey], append(added, out[lastKey:]...)...)
}

// freshRouteTable keeps a table's header and comment lines and writes its
// keys afresh, after the comments.
func freshRouteTable(table []string, rt Route, eol string) []string {
	out := []string{strings.TrimRight(table[0], "\r\n") + eol}
	for _, raw := range table[1:] {
		if t := strings.TrimSpace(raw); strings.HasPrefix(t, "#") {
			out = append(out, strings.TrimRight(raw, "\r\n")+eol)
		}
	}
	for _, l := range routeLines(rt) {
		out = append(out, l+eol)
	}
	return out
}

// routeHeader reads a table header line: whether it opens
// [routes."NAME"] and NAME. ok is false for a line this editor does not
// follow ([routes] itself, [routes."a".b]) or that is not a header.
func routeHeader(line string) (name string, isRoute, ok bool) {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil || len(doc) != 1 {
		return "", false, strings.HasPrefix(line, "[[")
	}
	t, isRoutes := doc["routes"].(map[string]any)
	if !isRoutes {
		return "", false, true
	}
	if len(t) != 1 {
		return "", false, false
	}
	for k, v := range t {
		inner, isTable := v.(map[string]any)
		if !isTable || len(inner) != 0 {
			return "", false, false
		}
		name = k
	}
	return name, true, true
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

// parseKeyLine reads one single-line `key = value` line: the key, and
// where the value starts and ends in line (the end excludes the space
// before a trailing comment).
func parseKeyLine(line string) (key string, valStart, valEnd int, ok bool) {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil || len(doc) != 1 {
		return "", 0, 0, false
	}
	for k := range doc {
		key = k
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
	return key, valStart, valEnd, true
}

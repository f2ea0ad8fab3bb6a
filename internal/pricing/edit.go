package pricing

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/aigw/aigw/internal/atomicfile"
)

// newFileHeader is what a prices file created by Set starts with.
const newFileHeader = "# aigw prices: per million tokens; entries here take precedence over the built-in table.\n" +
	"# See README.md, \"价格与费用\". A running aigw serve reloads this file.\n" +
	"[pricing]\ncurrency = \"USD\"\n"

// Set adds or replaces the entry [prices."model"] of the prices file at
// path with p, creating the file (with a [pricing] currency = "USD"
// header) when there is none. The file is edited as a person would: the
// entry's lines get the new values (keys, spacing and trailing comments as
// written), keys p does not give are removed, other lines (comments, other
// entries, their order) stay. The result is checked by parsing it back and
// written atomically (a temporary file renamed over the old one). It
// returns the entry's previous price, if it had one.
func Set(path, model string, p Price) (old *Price, err error) {
	if _, err := parseEntry(model, priceMap(p)); err != nil {
		return nil, fmt.Errorf("[prices.%s]: %w", strconv.Quote(model), err)
	}
	content, err := os.ReadFile(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		content = []byte(newFileHeader)
	case err != nil:
		return nil, fmt.Errorf("read prices file: %w", err)
	}
	before, err := parseFile(path, content)
	if err != nil {
		return nil, fmt.Errorf("%w (fix the file before setting a price)", err)
	}
	for _, e := range before.entries {
		if e.key == model {
			prev := e.price
			old = &prev
		}
	}
	edited, err := editEntry(string(content), model, p)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if err := checkEdit(path, before, []byte(edited), model, p); err != nil {
		return nil, err
	}
	if err := writeAtomic(path, []byte(edited)); err != nil {
		return nil, err
	}
	return old, nil
}

// priceMap is p as the decoded TOML of an entry.
func priceMap(p Price) map[string]any {
	m := map[string]any{"input": p.Input, "output": p.Output}
	if p.HasCacheRead {
		m["cache_read"] = p.CacheRead
	}
	if p.HasCacheWrite {
		m["cache_write"] = p.CacheWrite
	}
	if p.HasCacheWrite1h {
		m["cache_write_1h"] = p.CacheWrite1h
	}
	return m
}

// priceValues are the key = value pairs of p, in priceKeys order.
func priceValues(p Price) [][2]string {
	var kv [][2]string
	add := func(k string, v float64, given bool) {
		if given {
			kv = append(kv, [2]string{k, formatNumber(v)})
		}
	}
	add("input", p.Input, true)
	add("output", p.Output, true)
	add("cache_read", p.CacheRead, p.HasCacheRead)
	add("cache_write", p.CacheWrite, p.HasCacheWrite)
	add("cache_write_1h", p.CacheWrite1h, p.HasCacheWrite1h)
	return kv
}

// editEntry rewrites content so that [prices."model"] holds exactly p.
func editEntry(content, model string, p Price) (string, error) {
	eol := "\n"
	if strings.Contains(content, "\r\n") {
		eol = "\r\n"
	}
	lines := strings.SplitAfter(content, "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	want := priceValues(p)
	wantValue := map[string]string{}
	for _, kv := range want {
		wantValue[kv[0]] = kv[1]
	}

	var out []string
	written := map[string]bool{}
	inEntry, found := false, false
	insertAt := -1
	for _, raw := range lines {
		body := strings.TrimRight(raw, "\r\n")
		trimmed := strings.TrimSpace(body)
		if strings.HasPrefix(trimmed, "[") {
			inEntry = isEntryHeader(trimmed, model)
			if inEntry {
				if found {
					return "", fmt.Errorf("[prices.%s] is defined twice", strconv.Quote(model))
				}
				found = true
				out = append(out, raw)
				insertAt = len(out)
				continue
			}
		}
		if !inEntry || trimmed == "" || strings.HasPrefix(trimmed, "#") {
			out = append(out, raw)
			continue
		}
		key, valStart, valEnd, ok := parseKeyLine(body)
		if !ok {
			return "", fmt.Errorf("cannot edit the line %q of [prices.%s]: edit the file by hand", trimmed, strconv.Quote(model))
		}
		v, keep := wantValue[key]
		if keep && !written[key] {
			out = append(out, body[:valStart]+v+body[valEnd:]+raw[len(body):])
			written[key] = true
		}
		insertAt = len(out)
	}
	var added []string
	for _, kv := range want {
		if !written[kv[0]] {
			added = append(added, kv[0]+" = "+kv[1]+eol)
		}
	}
	if !found {
		if len(out) > 0 && !strings.HasSuffix(out[len(out)-1], "\n") {
			out[len(out)-1] += eol
		}
		out = append(out, eol, "[prices."+strconv.Quote(model)+"]"+eol)
		insertAt = len(out)
	}
	if insertAt > 0 && len(added) > 0 && !strings.HasSuffix(out[insertAt-1], "\n") {
		out[insertAt-1] += eol
	}
	out = append(out[:insertAt], append(added, out[insertAt:]...)...)
	return strings.Join(out, ""), nil
}

// isEntryHeader reports whether a table header line opens
// [prices."model"], however the key is quoted. A line it cannot read is
// not the entry; checkEdit catches what that misses.
func isEntryHeader(line, model string) bool {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil {
		return false
	}
	prices, ok := doc["prices"].(map[string]any)
	if !ok || len(doc) != 1 || len(prices) != 1 {
		return false
	}
	t, ok := prices[model].(map[string]any)
	return ok && len(t) == 0
}

// parseKeyLine reads one `key = number` line of an entry: the key, and
// where the value starts and ends (before any trailing comment).
func parseKeyLine(line string) (key string, valStart, valEnd int, ok bool) {
	var doc map[string]any
	if _, err := toml.Decode(line, &doc); err != nil || len(doc) != 1 {
		return "", 0, 0, false
	}
	for k, v := range doc {
		if _, isNum := number(v); !isNum {
			return "", 0, 0, false
		}
		key = k
	}
	eq := strings.IndexByte(line, '=')
	if eq < 0 {
		return "", 0, 0, false
	}
	valStart = eq + 1
	for valStart < len(line) && (line[valStart] == ' ' || line[valStart] == '\t') {
		valStart++
	}
	valEnd = len(line)
	if hash := strings.IndexByte(line[valStart:], '#'); hash >= 0 {
		valEnd = valStart + hash
	}
	for valEnd > valStart && (line[valEnd-1] == ' ' || line[valEnd-1] == '\t') {
		valEnd--
	}
	return key, valStart, valEnd, true
}

// checkEdit parses the edited file back: it must hold the same currency
// and entries as before, in the same order, except model, which must hold p.
func checkEdit(path string, before *parsed, edited []byte, model string, p Price) error {
	after, err := parseFile(path, edited)
	if err != nil {
		return fmt.Errorf("editing %s would break it (%w): edit the file by hand", path, err)
	}
	want := map[string]Price{model: p}
	for _, e := range before.entries {
		if e.key != model {
			want[e.key] = e.price
		}
	}
	if after.currency != before.currency || after.usdRate != before.usdRate || len(after.entries) != len(want) {
		return fmt.Errorf("editing %s changed more than [prices.%s]: edit the file by hand", path, strconv.Quote(model))
	}
	for _, e := range after.entries {
		if w, ok := want[e.key]; !ok || w != e.price {
			return fmt.Errorf("editing %s changed more than [prices.%s]: edit the file by hand", path, strconv.Quote(model))
		}
	}
	return nil
}

// writeAtomic replaces path with content (internal/atomicfile); a new
// prices file is readable by everyone, as an editor would make it.
func writeAtomic(path string, content []byte) error {
	return atomicfile.Write(path, content, 0o644)
}

package pricing

import (
	"fmt"
	"math"
	"path"
	"slices"
	"strconv"
	"strings"

	"github.com/BurntSushi/toml"
)

// priceKeys are the keys of one [prices."..."] entry, in the order
// `prices set` writes them.
var priceKeys = []string{"input", "output", "cache_read", "cache_write", "cache_write_1h"}

// parsed is a prices file as written: its currency, usd_rate and entries
// in file order.
type parsed struct {
	currency string
	usdRate  float64 // 0: not given
	entries  []parsedEntry
}

type parsedEntry struct {
	key   string
	price Price
}

// parseFile reads a prices file's content. name is how errors name the
// file. Every error names the file, the entry when there is one, and the
// reason.
func parseFile(name string, data []byte) (*parsed, error) {
	var doc map[string]any
	md, err := toml.Decode(string(data), &doc)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	out := &parsed{currency: "USD"}
	for k := range doc {
		if k != "pricing" && k != "prices" {
			return nil, fmt.Errorf("%s: unknown key %q (known: pricing, prices)", name, k)
		}
	}
	if raw, ok := doc["pricing"]; ok {
		if err := parsePricing(raw, out); err != nil {
			return nil, fmt.Errorf("%s: [pricing]: %w", name, err)
		}
	}
	raw, ok := doc["prices"]
	if !ok {
		return out, nil
	}
	prices, ok := raw.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: prices must be a table of [prices.\"model\"] entries, not %s", name, describe(raw))
	}
	// File order: the metadata's keys are in the order they were defined.
	seen := map[string]string{} // lowercased key -> key as written
	for _, k := range md.Keys() {
		if len(k) != 2 || k[0] != "prices" {
			continue
		}
		key := k[1]
		entry := fmt.Sprintf("[prices.%s]", strconv.Quote(key))
		p, err := parseEntry(key, prices[key])
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", name, entry, err)
		}
		lower := strings.ToLower(key)
		if prev, dup := seen[lower]; dup {
			return nil, fmt.Errorf("%s: %s: same name as [prices.%s] (names are compared without case)",
				name, entry, strconv.Quote(prev))
		}
		seen[lower] = key
		out.entries = append(out.entries, parsedEntry{key: key, price: p})
	}
	return out, nil
}

func parsePricing(raw any, out *parsed) error {
	t, ok := raw.(map[string]any)
	if !ok {
		return fmt.Errorf("must be a table, not %s", describe(raw))
	}
	rateGiven := false
	for k, v := range t {
		switch k {
		case "currency":
			s, ok := v.(string)
			if !ok || strings.TrimSpace(s) == "" {
				return fmt.Errorf("currency is %s: it must be a currency code such as \"USD\" or \"CNY\"", describe(v))
			}
			out.currency = strings.ToUpper(strings.TrimSpace(s))
		case "usd_rate":
			f, ok := number(v)
			if !ok || f <= 0 || math.IsInf(f, 0) || math.IsNaN(f) {
				return fmt.Errorf("usd_rate is %s: it must be a positive number (units of the currency per USD)", describe(v))
			}
			out.usdRate, rateGiven = f, true
		default:
			return fmt.Errorf("unknown key %q (known: currency, usd_rate)", k)
		}
	}
	if rateGiven && out.currency == "USD" && out.usdRate != 1 {
		return fmt.Errorf("usd_rate is %s but currency is USD: usd_rate converts built-in USD prices to another currency", describe(t["usd_rate"]))
	}
	return nil
}

func parseEntry(key string, raw any) (Price, error) {
	var p Price
	if strings.TrimSpace(key) == "" {
		return p, fmt.Errorf("the model name is empty")
	}
	if strings.ContainsFunc(key, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return p, fmt.Errorf("the model name holds a control character")
	}
	if isGlob(key) {
		if _, err := path.Match(strings.ToLower(key), ""); err != nil {
			return p, fmt.Errorf("invalid glob: %w", err)
		}
	}
	t, ok := raw.(map[string]any)
	if !ok {
		return p, fmt.Errorf("must be a table with input and output, not %s", describe(raw))
	}
	for k := range t {
		if !slices.Contains(priceKeys, k) {
			return p, fmt.Errorf("unknown key %q (known: %s)", k, strings.Join(priceKeys, ", "))
		}
	}
	for _, k := range priceKeys {
		v, given := t[k]
		if !given {
			continue
		}
		f, ok := number(v)
		switch {
		case !ok:
			return p, fmt.Errorf("%s is %s: a price must be a number", k, describe(v))
		case math.IsNaN(f) || math.IsInf(f, 0):
			return p, fmt.Errorf("%s is %v: a price must be a finite number", k, f)
		case f < 0:
			return p, fmt.Errorf("%s is %s: a price cannot be negative", k, formatNumber(f))
		}
		switch k {
		case "input":
			p.Input = f
		case "output":
			p.Output = f
		case "cache_read":
			p.CacheRead, p.HasCacheRead = f, true
		case "cache_write":
			p.CacheWrite, p.HasCacheWrite = f, true
		case "cache_write_1h":
			p.CacheWrite1h, p.HasCacheWrite1h = f, true
		}
	}
	for _, k := range []string{"input", "output"} {
		if _, given := t[k]; !given {
			return p, fmt.Errorf("%s is missing: an entry needs input and output", k)
		}
	}
	return p, nil
}

// number reads a TOML integer or float.
func number(v any) (float64, bool) {
	switch v := v.(type) {
	case int64:
		return float64(v), true
	case float64:
		return v, true
	}
	return 0, false
}

// describe shows a decoded TOML value in an error message.
func describe(v any) string {
	switch v := v.(type) {
	case string:
		return strconv.Quote(v) + " (a string)"
	case bool:
		return strconv.FormatBool(v) + " (a boolean)"
	case int64, float64:
		f, _ := number(v)
		return formatNumber(f)
	case map[string]any:
		return "a table"
	case []any, []map[string]any:
		return "an array"
	}
	return fmt.Sprintf("%v (%T)", v, v)
}

// formatNumber writes a price the shortest way that reads back exactly.
func formatNumber(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

// isGlob reports whether a key is a path.Match pattern.
func isGlob(key string) bool { return strings.ContainsAny(key, `*?[\`) }

package pricing

import "strings"

// normalize returns the request's model name with what vendors and
// gateways add to a model id taken off, or "" when nothing is. In order:
//
//  1. a provider-style prefix: everything up to the last '/'
//     ("openai/gpt-4o", "models/gemini-2.5-pro" as Gemini writes it,
//     "accounts/x/models/y" as Fireworks does);
//  2. a version suffix: "-latest", or a date: "-2025-08-07", "-20250514",
//     "@20250514" (Vertex AI's Claude ids), or "-0613"; a date must be a
//     real one (year 2000-2099, month 01-12, day 01-31), so "-2507" (Qwen's
//     year-month, as in qwen3-coder-480b-a35b-instruct-2507) and "-2411"
//     (Mistral's) stay; "-MMDD" goes (gpt-4-0613 -> gpt-4).
//
// Only one suffix goes, so "x-2025-01-01-latest" keeps its date: such
// names are not in use.
//
// Case is compared separately (the table's keys are lower case).
func normalize(model string) string {
	m := model
	if i := strings.LastIndexByte(m, '/'); i >= 0 {
		m = m[i+1:]
	}
	m = stripVersion(m)
	if m == model || m == "" {
		return ""
	}
	return m
}

// stripVersion takes one version suffix off m, if it has one.
func stripVersion(m string) string {
	if s, ok := strings.CutSuffix(m, "-latest"); ok && s != "" {
		return s
	}
	n := len(m)
	// -YYYY-MM-DD
	if n > 11 && m[n-11] == '-' && m[n-6] == '-' && m[n-3] == '-' &&
		isDate(m[n-10:n-6], m[n-5:n-3], m[n-2:]) {
		return m[:n-11]
	}
	// -YYYYMMDD or @YYYYMMDD
	if n > 9 && (m[n-9] == '-' || m[n-9] == '@') && isDate(m[n-8:n-4], m[n-4:n-2], m[n-2:]) {
		return m[:n-9]
	}
	// -MMDD, after a name part: "gpt-4-0613", "deepseek-v3-0324".
	if n > 5 && m[n-5] == '-' && isDate("2000", m[n-4:n-2], m[n-2:]) {
		return m[:n-5]
	}
	return m
}

func isDate(y, mo, d string) bool {
	if !isDigits(y) || !isDigits(mo) || !isDigits(d) || len(y) != 4 || len(mo) != 2 || len(d) != 2 {
		return false
	}
	month := int(mo[0]-'0')*10 + int(mo[1]-'0')
	day := int(d[0]-'0')*10 + int(d[1]-'0')
	return y[:2] == "20" && month >= 1 && month <= 12 && day >= 1 && day <= 31
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// hasUpper reports whether s holds an ASCII upper-case letter.
func hasUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return true
		}
	}
	return false
}

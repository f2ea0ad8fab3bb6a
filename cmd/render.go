package cmd

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jedib0t/go-pretty/v6/table"
	"github.com/jedib0t/go-pretty/v6/text"
)

// cliTable is the one way commands print a table. Every cell goes through
// escapeCell: paths, model names and upstream messages come from clients
// and upstreams, and a raw escape sequence in one would clear the screen
// or forge rows (hardening item 10). It exposes only what escapes.
type cliTable struct {
	t table.Writer
}

// newTable starts a table with header on w.
func newTable(w io.Writer, header ...any) *cliTable {
	t := table.NewWriter()
	t.SetOutputMirror(w)
	t.SetStyle(table.StyleLight)
	t.AppendHeader(escapeRow(header))
	return &cliTable{t: t}
}

// alignRight right-aligns the given columns (1-based), footer included.
func (c *cliTable) alignRight(columns ...int) {
	cfgs := make([]table.ColumnConfig, 0, len(columns))
	for _, n := range columns {
		cfgs = append(cfgs, table.ColumnConfig{Number: n, Align: text.AlignRight, AlignFooter: text.AlignRight})
	}
	c.t.SetColumnConfigs(cfgs)
}

func (c *cliTable) row(cells ...any)    { c.t.AppendRow(escapeRow(cells)) }
func (c *cliTable) footer(cells ...any) { c.t.AppendFooter(escapeRow(cells)) }
func (c *cliTable) render()             { c.t.Render() }

func escapeRow(cells []any) table.Row {
	row := make(table.Row, len(cells))
	for i, v := range cells {
		switch v := v.(type) {
		case string:
			row[i] = escapeCell(v)
		case int, int64:
			row[i] = v
		default:
			row[i] = escapeCell(fmt.Sprint(v))
		}
	}
	return row
}

// escapeCell writes the characters a terminal would act on as visible
// escapes: C0 controls (newline, carriage return, ESC...), DEL and C1 as
// \xHH; the line and paragraph separators U+2028/U+2029 and the bidi
// embeddings, overrides and isolates (U+202A-U+202E, U+2066-U+2069, which
// reorder what follows them: "Trojan Source", CVE-2021-42574) as \uHHHH.
// A byte that is not UTF-8 is shown as \xHH too. Everything else is kept.
func escapeCell(s string) string {
	if !needsEscape(s) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			fmt.Fprintf(&b, `\x%02x`, s[i])
		case escapedRune(r) && r < 0x100:
			fmt.Fprintf(&b, `\x%02x`, r)
		case escapedRune(r):
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteString(s[i : i+size])
		}
		i += size
	}
	return b.String()
}

func needsEscape(s string) bool {
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if escapedRune(r) || (r == utf8.RuneError && size == 1) {
			return true
		}
		i += size
	}
	return false
}

func escapedRune(r rune) bool {
	return r < 0x20 || (r >= 0x7f && r <= 0x9f) || r == 0x2028 || r == 0x2029 ||
		(r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069)
}

// writeJSON prints v as indented JSON (the --json of list commands).
func writeJSON(w io.Writer, v any) error {
	enc := jsonLineEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("write JSON: %w", err)
	}
	return nil
}

// jsonLineEncoder writes one JSON value a line, with <, > and & as they are.
func jsonLineEncoder(w io.Writer) *json.Encoder {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	return enc
}

// displayTime is how log times are printed: the configured zone, to the
// millisecond, with the offset so that it is never ambiguous.
const displayTime = "2006-01-02 15:04:05.000 -07:00"

// formatCreated prints a unix time as a date in the configured zone.
func formatCreated(unix int64, loc *time.Location) string {
	if unix <= 0 {
		return "-"
	}
	return time.Unix(unix, 0).In(loc).Format("2006-01-02")
}

// joinOrNone lists names on one line, "-" for none. The names may come
// from an upstream (model ids), so they are escaped like table cells.
func joinOrNone(names []string) string {
	if len(names) == 0 {
		return "-"
	}
	return escapeCell(strings.Join(names, ", "))
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

package pricing

import (
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"
	"sync"
)

// Sources of a price, as Source and Listed report them.
const (
	SourceFile    = "file"
	SourceBuiltin = "builtin"
)

//go:embed builtin.toml
var builtinTOML []byte

// builtinParsed is the embedded table, parsed once.
var builtinParsed = sync.OnceValue(func() *parsed {
	p, err := parseFile("builtin.toml", builtinTOML)
	if err != nil {
		panic(fmt.Sprintf("pricing: the embedded table is broken: %v", err))
	}
	if p.currency != "USD" || p.usdRate != 0 {
		panic("pricing: the embedded table must be in USD without usd_rate")
	}
	for _, e := range p.entries {
		if isGlob(e.key) || strings.Contains(e.key, "/") {
			panic(fmt.Sprintf("pricing: built-in key %q must be a vendor's model id", e.key))
		}
	}
	return p
})

var builtinTable = sync.OnceValue(func() *Table { return newTable("", &parsed{currency: "USD"}, builtinParsed()) })

// Builtin returns the embedded table of list prices (USD), without a file.
func Builtin() *Table { return builtinTable() }

// Load reads the prices file at path over the built-in table. A missing
// file is the built-in table alone, not an error. Any error names the
// file, the entry and the reason.
func Load(path string) (*Table, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return Builtin(), nil
	}
	if err != nil {
		return nil, fmt.Errorf("read prices file: %w", err)
	}
	p, err := parseFile(path, data)
	if err != nil {
		return nil, err
	}
	return newTable(path, p, builtinParsed()), nil
}

// Table is a price table: a prices file's entries over the built-in ones.
// It is immutable once built and safe for concurrent use.
type Table struct {
	path     string
	currency string
	usdRate  float64
	// builtinNote says why built-in prices are not used ("" when they are).
	builtinNote string

	file       []*entry                     // file order
	byProvider map[string]map[string]*entry // "p/m" keys: lower p -> lower m
	bare       map[string]*entry            // every plain file key, lower case
	globs      []*entry                     // file order
	builtin    map[string]*entry            // lower key; empty when unusable
	builtins   []*entry                     // every built-in entry, usable or not

	cache lookupCache
}

type entry struct {
	key    string // as written
	lower  string
	price  Price // in the table's currency (built-in: converted, when usable)
	source string
}

func newTable(filePath string, file, builtin *parsed) *Table {
	t := &Table{
		path:       filePath,
		currency:   file.currency,
		usdRate:    file.usdRate,
		byProvider: map[string]map[string]*entry{},
		bare:       map[string]*entry{},
		builtin:    map[string]*entry{},
	}
	t.cache.m = map[cacheKey]*entry{}
	for _, pe := range file.entries {
		e := &entry{key: pe.key, lower: strings.ToLower(pe.key), price: pe.price, source: SourceFile}
		t.file = append(t.file, e)
		if isGlob(pe.key) {
			t.globs = append(t.globs, e)
			continue
		}
		t.bare[e.lower] = e
		if p, m, ok := strings.Cut(e.lower, "/"); ok && p != "" && m != "" {
			if t.byProvider[p] == nil {
				t.byProvider[p] = map[string]*entry{}
			}
			t.byProvider[p][m] = e
		}
	}
	rate := 1.0
	switch {
	case t.currency == "USD":
	case t.usdRate > 0:
		rate = t.usdRate
	default:
		t.builtinNote = fmt.Sprintf("built-in prices are in USD and the prices file's currency is %s without "+
			"[pricing] usd_rate: models priced only by the built-in table have no price", t.currency)
	}
	for _, pe := range builtin.entries {
		e := &entry{key: pe.key, lower: strings.ToLower(pe.key), price: pe.price, source: SourceBuiltin}
		if t.builtinNote == "" {
			e.price = e.price.scale(rate)
			t.builtin[e.lower] = e
		}
		t.builtins = append(t.builtins, e)
	}
	return t
}

// Currency is the currency of every price the table returns.
func (t *Table) Currency() string { return t.currency }

// Path is the prices file the table was loaded from ("" for Builtin).
func (t *Table) Path() string { return t.path }

// BuiltinNote says why built-in prices are not used (a non-USD file
// without usd_rate), or "" when they are.
func (t *Table) BuiltinNote() string { return t.builtinNote }

// Lookup returns the price of model as sent upstream by provider (aigw's
// provider name from the config), or false when no entry applies: the
// cost is then unknown (NULL), never 0.
//
// Order: the file's "provider/model", the file's bare model, the file's
// globs in file order (path.Match against "provider/model", then against
// the model), each first with the name as given and then with the name
// normalised (see normalize); then the built-in table, by the name and by
// the normalised name. Names compare without ASCII case.
//
// A hit on an exact file key costs two map lookups; anything else is
// resolved once per (provider, model) and kept in a bounded cache, so a
// hit never allocates.
func (t *Table) Lookup(provider, model string) (Price, bool) {
	e := t.find(provider, model)
	if e == nil {
		return Price{}, false
	}
	return e.price, true
}

// Source says which entry Lookup uses for provider and model: its source
// (SourceFile or SourceBuiltin) and its key as written.
func (t *Table) Source(provider, model string) (source string, pattern string, ok bool) {
	e := t.find(provider, model)
	if e == nil {
		return "", "", false
	}
	return e.source, e.key, true
}

func (t *Table) find(provider, model string) *entry {
	if ms, ok := t.byProvider[provider]; ok {
		if e, ok := ms[model]; ok {
			return e
		}
	}
	// A bare key answers only when the provider lookup above was
	// definitive (keys are lower case).
	if e, ok := t.bare[model]; ok && !hasUpper(provider) {
		return e
	}
	return t.cache.get(provider, model, t.resolve)
}

// resolve is the full lookup (see Lookup), without the cache.
func (t *Table) resolve(provider, model string) *entry {
	p, m := provider, model
	if hasUpper(p) {
		p = strings.ToLower(p)
	}
	if hasUpper(m) {
		m = strings.ToLower(m)
	}
	names := []string{m}
	if n := normalize(m); n != "" {
		names = append(names, n)
	}
	for _, name := range names {
		if e := t.fileMatch(p, name); e != nil {
			return e
		}
	}
	for _, name := range names {
		if e, ok := t.builtin[name]; ok {
			return e
		}
	}
	return nil
}

func (t *Table) fileMatch(provider, name string) *entry {
	if e, ok := t.byProvider[provider][name]; ok {
		return e
	}
	if e, ok := t.bare[name]; ok {
		return e
	}
	if len(t.globs) == 0 {
		return nil
	}
	full := ""
	if provider != "" {
		full = provider + "/" + name
	}
	for _, g := range t.globs {
		if full != "" {
			if ok, _ := path.Match(g.lower, full); ok {
				return g
			}
		}
		if ok, _ := path.Match(g.lower, name); ok {
			return g
		}
	}
	return nil
}

// Listed is one entry of the table as `prices list` shows it.
type Listed struct {
	// Pattern is the entry's key as written: "provider/model", a model
	// name or a glob.
	Pattern string
	// Price is the effective price in Currency (a built-in price converted
	// with usd_rate when the file's currency is not USD).
	Price    Price
	Currency string
	Source   string // SourceFile or SourceBuiltin
	// Note says why a built-in entry is not used ("" when it is).
	Note string
}

// Models lists every entry: the file's, sorted by name, then the built-in
// ones, sorted by name.
func (t *Table) Models() []Listed {
	out := make([]Listed, 0, len(t.file)+len(t.builtins))
	for _, e := range t.file {
		out = append(out, Listed{Pattern: e.key, Price: e.price, Currency: t.currency, Source: SourceFile})
	}
	slices.SortFunc(out, func(a, b Listed) int { return strings.Compare(a.Pattern, b.Pattern) })
	n := len(out)
	for _, e := range t.builtins {
		l := Listed{Pattern: e.key, Price: e.price, Currency: t.currency, Source: SourceBuiltin}
		switch {
		case t.builtinNote != "":
			l.Currency, l.Note = "USD", "not used: the prices file's currency is "+t.currency+" and [pricing] usd_rate is not set"
		case t.bare[e.lower] != nil:
			l.Note = "not used: the prices file has " + t.bare[e.lower].key
		}
		out = append(out, l)
	}
	slices.SortFunc(out[n:], func(a, b Listed) int { return strings.Compare(a.Pattern, b.Pattern) })
	return out
}

// ---- the lookup cache ----

type cacheKey struct{ provider, model string }

// cacheCap bounds the resolved (provider, model) pairs a table keeps;
// past it, lookups that miss the cache are resolved each time. Names are
// chosen by clients (default_provider forwards any model name), so the
// bound is what keeps a table's memory fixed.
const (
	cacheCap     = 4096
	cacheMaxName = 256
)

// lookupCache maps (provider, model) to the entry resolve found (nil: no
// price). A map under an RWMutex: a lookup with a struct of two strings
// neither allocates nor converts to an interface.
type lookupCache struct {
	mu sync.RWMutex
	m  map[cacheKey]*entry
}

func (c *lookupCache) get(provider, model string, resolve func(p, m string) *entry) *entry {
	k := cacheKey{provider, model}
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if ok {
		return e
	}
	e = resolve(provider, model)
	if len(provider)+len(model) > cacheMaxName {
		return e
	}
	c.mu.Lock()
	if len(c.m) < cacheCap {
		// The names may point into a request body: keep copies, not the body.
		c.m[cacheKey{strings.Clone(provider), strings.Clone(model)}] = e
	}
	c.mu.Unlock()
	return e
}

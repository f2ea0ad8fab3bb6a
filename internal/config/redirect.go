package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/aigw/aigw/internal/atomicfile"
)

// maxAliasSteps bounds alias chains (at most 8 steps, as README.md documents).
const maxAliasSteps = 8

// Aliases maps an alias to its target model ("model" or "provider/model").
// Names keep their case and dots: the file is read with a TOML decoder
// directly, never through Viper, which lowercases keys and splits them on
// dots.
type Aliases map[string]string

type redirectFile struct {
	Aliases map[string]string `toml:"aliases"`
	Routes  map[string]Route  `toml:"routes"`
}

// Redirect is the content of the redirect file: the aliases and the
// routes, one namespace (a name is an alias or a route, not both; README
// "路由").
type Redirect struct {
	// Path is the file it was read from, for errors; "" when built in code.
	Path    string
	Aliases Aliases
	Routes  Routes
}

// LoadRedirect reads and validates a redirect file. A missing file (or an
// empty path) means no aliases and no routes. Provider names are checked
// separately, by CheckProviders, where the config is known.
func LoadRedirect(path string) (Redirect, error) {
	empty := Redirect{Path: path, Aliases: Aliases{}, Routes: Routes{}}
	if path == "" {
		return empty, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return empty, nil
	}
	if err != nil {
		return Redirect{}, fmt.Errorf("redirect file %s: %w", path, err)
	}
	return parseRedirect(path, data)
}

// LoadAliases reads the aliases of a redirect file (the routes are read and
// validated too). A missing file means no aliases.
func LoadAliases(path string) (Aliases, error) {
	r, err := LoadRedirect(path)
	if err != nil {
		return nil, err
	}
	return r.Aliases, nil
}

// parseRedirect parses redirect file content; path is used in errors only.
func parseRedirect(path string, data []byte) (Redirect, error) {
	var f redirectFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return Redirect{}, fmt.Errorf("redirect file %s: not valid TOML: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return Redirect{}, fmt.Errorf("redirect file %s: unknown key(s) %s: aliases go under [aliases] as \"alias\" = \"target\", "+
			"routes as [routes.\"name\"] with targets, strategy and weights (quote names that hold dots)",
			path, strings.Join(keys, ", "))
	}
	r := Redirect{Path: path, Aliases: Aliases(f.Aliases), Routes: Routes(f.Routes)}
	if r.Aliases == nil {
		r.Aliases = Aliases{}
	}
	if r.Routes == nil {
		r.Routes = Routes{}
	}
	if err := r.Validate(); err != nil {
		return Redirect{}, fmt.Errorf("redirect file %s: %w", path, err)
	}
	return r, nil
}

// Validate refuses empty names and cycles.
func (a Aliases) Validate() error {
	var errs []error
	for _, name := range a.Names() {
		target := a[name]
		if strings.TrimSpace(name) == "" {
			errs = append(errs, errors.New("aliases: an alias name is empty"))
			continue
		}
		if strings.TrimSpace(target) == "" {
			errs = append(errs, fmt.Errorf("aliases.%q: target is empty", name))
			continue
		}
		if chain, cyclic := a.cycleFrom(name); cyclic {
			errs = append(errs, fmt.Errorf("aliases.%q: cycle %s", name, strings.Join(chain, " -> ")))
		}
	}
	return errors.Join(errs...)
}

// cycleFrom follows name's chain and reports a cycle with its path.
func (a Aliases) cycleFrom(name string) ([]string, bool) {
	chain := []string{name}
	seen := map[string]bool{name: true}
	cur := name
	for {
		next, ok := a[cur]
		if !ok {
			return nil, false
		}
		chain = append(chain, next)
		if seen[next] {
			return chain, true
		}
		seen[next] = true
		cur = next
	}
}

// Resolve follows aliases from model, at most maxAliasSteps times.
func (a Aliases) Resolve(model string) (string, error) {
	cur := model
	for i := 0; i < maxAliasSteps; i++ {
		next, ok := a[cur]
		if !ok {
			return cur, nil
		}
		cur = next
	}
	if _, ok := a[cur]; ok {
		return "", fmt.Errorf("alias %q: chain longer than %d steps", model, maxAliasSteps)
	}
	return cur, nil
}

// Names returns the aliases sorted, for stable output.
func (a Aliases) Names() []string {
	names := make([]string, 0, len(a))
	for k := range a {
		names = append(names, k)
	}
	sort.Strings(names)
	return names
}

// encode renders a fresh file: a header comment, [aliases] with one
// sorted entry a line, then one [routes."NAME"] table per route in name
// order; every name is quoted so dots and case survive.
func (r Redirect) encode() []byte {
	var b bytes.Buffer
	b.WriteString("# Model aliases for aigw (redirect file). Edited by `aigw alias set/rm`;\n")
	b.WriteString("# an alias maps to a bare model name or to provider/model.\n")
	if len(r.Routes) > 0 {
		b.WriteString("# A route serves one name from several targets with failover (`aigw route set/rm`).\n")
	}
	if len(r.Aliases) > 0 || len(r.Routes) == 0 {
		b.WriteString("\n[aliases]\n")
		for _, name := range r.Aliases.Names() {
			fmt.Fprintf(&b, "%s = %s\n", quoteTOML(name), quoteTOML(r.Aliases[name]))
		}
	}
	for _, name := range r.Routes.Names() {
		b.WriteString("\n")
		b.WriteString(routeTable(name, r.Routes[name], "\n"))
	}
	return b.Bytes()
}

// quoteTOML writes s as a TOML basic string.
func quoteTOML(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteString(`\"`)
		case r == '\\':
			b.WriteString(`\\`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04X`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// WriteRedirect makes the redirect file at path hold exactly next, after
// validating it. The file is edited as a person would (editAliases,
// editRoutes), so comments, blank lines and the order of entries survive
// `aigw alias` and `aigw route`; a missing file is created. It is replaced
// atomically: a temp file in the same folder, synced, then renamed over
// the old one, so a reader (the running server's watcher) never sees half
// a file.
func WriteRedirect(path string, next Redirect) error {
	if err := next.Validate(); err != nil {
		return fmt.Errorf("redirect file %s: %w", path, err)
	}
	content, err := redirectFileContent(path, next)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	// CreateTemp would make a new file 0600; an existing one keeps its mode.
	return atomicfile.Write(path, content, 0o600)
}

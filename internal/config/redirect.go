package config

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
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
}

// LoadAliases reads a redirect file. A missing file means no aliases.
func LoadAliases(path string) (Aliases, error) {
	if path == "" {
		return Aliases{}, nil
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return Aliases{}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("redirect file %s: %w", path, err)
	}
	return parseAliases(path, data)
}

// parseAliases parses redirect file content; path is used in errors only.
func parseAliases(path string, data []byte) (Aliases, error) {
	var f redirectFile
	md, err := toml.Decode(string(data), &f)
	if err != nil {
		return nil, fmt.Errorf("redirect file %s: not valid TOML: %w", path, err)
	}
	if und := md.Undecoded(); len(und) > 0 {
		keys := make([]string, len(und))
		for i, k := range und {
			keys[i] = k.String()
		}
		return nil, fmt.Errorf("redirect file %s: unknown key(s) %s: aliases go under [aliases] as \"alias\" = \"target\"",
			path, strings.Join(keys, ", "))
	}
	a := Aliases(f.Aliases)
	if a == nil {
		a = Aliases{}
	}
	if err := a.Validate(); err != nil {
		return nil, fmt.Errorf("redirect file %s: %w", path, err)
	}
	return a, nil
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

// Encode renders the file content: a header comment and one sorted entry a
// line, every name quoted so dots and case survive.
func (a Aliases) encode() []byte {
	var b bytes.Buffer
	b.WriteString("# Model aliases for aigw (redirect file). Edited by `aigw alias set/rm`;\n")
	b.WriteString("# an alias maps to a bare model name or to provider/model.\n\n[aliases]\n")
	for _, name := range a.Names() {
		fmt.Fprintf(&b, "%s = %s\n", quoteTOML(name), quoteTOML(a[name]))
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

// WriteAliases makes the redirect file hold exactly a. The file is edited
// line by line, so comments, blank lines and the order of entries survive
// `aigw alias set/rm` (see editAliases); a missing file is created. It is
// replaced atomically: a temp file in the same folder, synced, then
// renamed over the old one, so a reader (the running server's watcher)
// never sees half a file.
func WriteAliases(path string, a Aliases) error {
	if err := a.Validate(); err != nil {
		return err
	}
	content, err := aliasFileContent(path, a)
	if err != nil {
		return fmt.Errorf("read %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("create folder for %s: %w", path, err)
	}
	tmp, err := os.CreateTemp(dir, ".redirect-*.toml")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer os.Remove(tmp.Name()) // no-op after a successful rename
	// CreateTemp makes the file 0600; an edited file keeps its own mode, so
	// a server running as another user can still read it.
	if fi, err := os.Stat(path); err == nil {
		if err := tmp.Chmod(fi.Mode().Perm()); err != nil {
			tmp.Close()
			return fmt.Errorf("write %s: %w", path, err)
		}
	}
	if _, err := tmp.Write(content); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("replace %s: %w", path, err)
	}
	return nil
}

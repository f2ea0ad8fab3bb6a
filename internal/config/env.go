package config

import (
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// envPrefix starts every environment override: AIGW_SERVER_LISTEN
// overrides server.listen.
const envPrefix = "AIGW_"

// envOverrides maps each config key whose value comes from a set (non-empty)
// environment variable to that variable's name, so that an invalid value
// is reported by the name the user typed, not only by the file key. Viper
// reads these variables itself (AutomaticEnv); this only records which.
func envOverrides(v *viper.Viper) map[string]string {
	out := map[string]string{}
	for _, key := range v.AllKeys() {
		name := envPrefix + strings.ToUpper(strings.ReplaceAll(key, ".", "_"))
		if os.Getenv(name) != "" {
			out[key] = name
		}
	}
	return out
}

// providerBaseURLEnv is the variable that overrides a provider's base_url:
// AIGW_PROVIDERS_<NAME>_BASE_URL with NAME upper-cased and '-' and '.' as
// '_'. [[providers]] is a list, which Viper's AutomaticEnv cannot reach,
// so these are applied by name after decoding.
func providerBaseURLEnv(name string) string {
	n := strings.NewReplacer("-", "_", ".", "_").Replace(strings.ToUpper(name))
	return envPrefix + "PROVIDERS_" + n + "_BASE_URL"
}

// applyProviderEnv sets each provider's base_url from its variable, when
// set, and records the override in fromEnv under providers[i].base_url.
func (c *Config) applyProviderEnv() {
	for i := range c.Providers {
		name := providerBaseURLEnv(c.Providers[i].Name)
		if u := os.Getenv(name); u != "" {
			c.Providers[i].BaseURL = u
			c.fromEnv[fmt.Sprintf("providers[%d].base_url", i)] = name
		}
	}
}

// envNote says which environment variable set key, or "" when the file did.
func (c *Config) envNote(key string) string {
	if name, ok := c.fromEnv[key]; ok {
		return envNoteFor(name)
	}
	return ""
}

func envNoteFor(name string) string {
	return fmt.Sprintf(" (set by environment variable %s: correct or unset it)", name)
}

// nameEnvInDecodeErrors lists the decoding errors (a value that is not a
// number or a duration) one a line, adding the environment variable to
// each whose key it set.
func nameEnvInDecodeErrors(err error, fromEnv map[string]string) error {
	leaves := decodeLeaves(err)
	for i, e := range leaves {
		var de *mapstructure.DecodeError
		if errors.As(e, &de) {
			if name, ok := fromEnv[de.Name()]; ok {
				leaves[i] = fmt.Errorf("%w%s", e, envNoteFor(name))
			}
		}
	}
	return fmt.Errorf("invalid values:\n%w", errors.Join(leaves...))
}

// decodeLeaves flattens mapstructure's error tree (a wrapped join of
// per-struct joins of per-key *DecodeError) into the per-key errors.
func decodeLeaves(err error) []error {
	switch e := err.(type) {
	case interface{ Unwrap() []error }:
		var out []error
		for _, inner := range e.Unwrap() {
			out = append(out, decodeLeaves(inner)...)
		}
		return out
	case *mapstructure.DecodeError:
		if _, nested := e.Unwrap().(interface{ Unwrap() []error }); nested {
			return decodeLeaves(e.Unwrap())
		}
		return []error{e}
	case interface{ Unwrap() error }:
		if inner := e.Unwrap(); inner != nil {
			return decodeLeaves(inner)
		}
	}
	return []error{err}
}

var envRef = regexp.MustCompile(`\$\{([A-Za-z_][A-Za-z0-9_]*)\}`)

// expandEnv replaces ${NAME} in every string value by the environment
// variable NAME. An unset variable is an error that names the key, because
// an empty key or URL would fail later in a far less obvious way.
func expandEnv(v any, path string) (map[string]any, error) {
	out, err := expandValue(v, path)
	if err != nil {
		return nil, err
	}
	m, _ := out.(map[string]any)
	return m, nil
}

func expandValue(v any, path string) (any, error) {
	join := func(k string) string {
		if path == "" {
			return k
		}
		return path + "." + k
	}
	switch t := v.(type) {
	case string:
		var missing []string
		s := envRef.ReplaceAllStringFunc(t, func(ref string) string {
			name := envRef.FindStringSubmatch(ref)[1]
			val, ok := os.LookupEnv(name)
			if !ok {
				missing = append(missing, name)
			}
			return val
		})
		if len(missing) > 0 {
			return nil, fmt.Errorf("%s: environment variable %s is not set (export it or write the value in the file)",
				path, strings.Join(missing, ", "))
		}
		return s, nil
	case map[string]any:
		m := make(map[string]any, len(t))
		for k, val := range t {
			e, err := expandValue(val, join(k))
			if err != nil {
				return nil, err
			}
			m[k] = e
		}
		return m, nil
	case []any:
		return expandList(t, path)
	case []map[string]any:
		return expandList(anySlice(t), path)
	case []string:
		return expandList(anySlice(t), path)
	default:
		return v, nil
	}
}

func anySlice[T any](s []T) []any {
	out := make([]any, len(s))
	for i := range s {
		out[i] = s[i]
	}
	return out
}

func expandList(list []any, path string) ([]any, error) {
	out := make([]any, len(list))
	for i, val := range list {
		e, err := expandValue(val, path+"["+strconv.Itoa(i)+"]")
		if err != nil {
			return nil, err
		}
		out[i] = e
	}
	return out, nil
}

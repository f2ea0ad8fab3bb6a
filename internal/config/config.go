// Package config loads and validates aigw's TOML configuration and the
// separate redirect (model alias) file.
package config

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"sort"
	"strings"
	"time"
	_ "time/tzdata" // a bare machine has no zoneinfo; timestamps default to Asia/Shanghai

	"github.com/go-viper/mapstructure/v2"
	"github.com/spf13/viper"
)

// Provider types.
const (
	TypeOpenAI    = "openai"
	TypeAnthropic = "anthropic"
)

// Key pool strategies. An empty strategy always uses the first key.
const (
	StrategyFirst      = ""
	StrategyRoundRobin = "round_robin"
	StrategyRandom     = "random"
)

// Config is the whole configuration file after defaults, environment
// overrides and ${ENV} expansion.
type Config struct {
	// Path is the absolute path of the file that was loaded.
	Path string `mapstructure:"-"`

	Server    Server     `mapstructure:"server"`
	Auth      Auth       `mapstructure:"auth"`
	Database  Database   `mapstructure:"database"`
	Logging   Logging    `mapstructure:"logging"`
	Redis     Redis      `mapstructure:"redis"`
	Providers []Provider `mapstructure:"providers"`

	// fromEnv maps the keys set by environment variables to the variable,
	// so that errors name what the user typed.
	fromEnv map[string]string
}

// Server is the [server] section.
type Server struct {
	Listen       string `mapstructure:"listen"`
	RedirectFile string `mapstructure:"redirect_file"`
	// PricesFile holds price overrides (README, "价格与费用"); a missing
	// file means the built-in table alone.
	PricesFile      string `mapstructure:"prices_file"`
	MaxBodyMB       int    `mapstructure:"max_body_mb"`
	DefaultProvider string `mapstructure:"default_provider"`
	// ShutdownGrace is how long in-flight requests and streams may run
	// after SIGTERM before the server closes them.
	ShutdownGrace time.Duration `mapstructure:"shutdown_grace"`
	// KeyProbeInterval is how often keys set aside after a 401/403 are
	// tried again.
	KeyProbeInterval time.Duration `mapstructure:"key_probe_interval"`
	// TrustedProxies are the addresses (IPs or CIDRs) of load balancers
	// whose X-Forwarded-For names the real client; empty trusts none.
	TrustedProxies []string `mapstructure:"trusted_proxies"`
	// ReadTimeout bounds reading a request's headers and body; a client
	// that trickles its body slower is cut off (hardening: slow bodies held
	// file handles forever).
	ReadTimeout time.Duration `mapstructure:"read_timeout"`
	// MaxResponseMB caps a non-stream upstream answer, and each SSE event
	// of a stream; more is a 502, never unbounded memory.
	MaxResponseMB int `mapstructure:"max_response_mb"`
}

// Auth is the [auth] section.
type Auth struct {
	Keys      []string `mapstructure:"keys"`
	AdminKeys []string `mapstructure:"admin_keys"`
	// ClientKeysOnly: every /v1 request needs a key, static or a client
	// key (aigw clients), even while the clients table is empty; a server
	// without static keys may then listen beyond loopback (README,
	// "客户端密钥").
	ClientKeysOnly bool `mapstructure:"client_keys_only"`
}

// Database is the [database] section.
type Database struct {
	Driver   string `mapstructure:"driver"`
	DSN      string `mapstructure:"dsn"`
	Timezone string `mapstructure:"timezone"`
}

// Redis is the [redis] section: with a url, client limits are counted in
// Redis, so several instances behave as one gateway (README, "多实例").
type Redis struct {
	URL string `mapstructure:"url"`
	// FailOpen: while Redis is unreachable, serve without client limits
	// (true) or answer 503 (false).
	FailOpen bool `mapstructure:"fail_open"`
	// KeyPrefix starts every key aigw writes (several gateways, or tests,
	// can share one Redis).
	KeyPrefix string `mapstructure:"key_prefix"`
}

// Logging is the [logging] section.
type Logging struct {
	Level         string `mapstructure:"level"`
	StoreBodies   bool   `mapstructure:"store_bodies"`
	RetentionDays int    `mapstructure:"retention_days"`
}

// Provider is one [[providers]] entry.
type Provider struct {
	Name     string   `mapstructure:"name"`
	Type     string   `mapstructure:"type"`
	BaseURL  string   `mapstructure:"base_url"`
	APIKeys  []string `mapstructure:"api_keys"`
	Strategy string   `mapstructure:"strategy"`
	Models   []string `mapstructure:"models"`
	// Timeout is the time allowed until the upstream's first response byte.
	Timeout time.Duration `mapstructure:"timeout"`
	// ConnectTimeout bounds dialing and the TLS handshake.
	ConnectTimeout time.Duration `mapstructure:"connect_timeout"`
	// StreamIdleTimeout bounds the silence between two stream events.
	StreamIdleTimeout time.Duration     `mapstructure:"stream_idle_timeout"`
	MaxAttempts       int               `mapstructure:"max_attempts"`
	DefaultMaxTokens  int               `mapstructure:"default_max_tokens"`
	Headers           map[string]string `mapstructure:"headers"`
	// PassthroughPaths are further POST /v1 paths (besides the built-in
	// allowlist) forwarded to this provider, e.g. "/files" or
	// "/fine_tuning/*" (a trailing /* takes every path below).
	PassthroughPaths []string `mapstructure:"passthrough_paths"`
	// Responses is how an openai provider serves POST /v1/responses:
	// ResponsesNative passes it through (the default), ResponsesChat
	// converts it to Chat Completions (docs/responses.md). anthropic
	// providers always convert it to Messages.
	Responses string `mapstructure:"responses"`
}

// The values of a provider's responses setting.
const (
	ResponsesNative = "native"
	ResponsesChat   = "chat"
)

// Defaults applied when a value is absent.
const (
	DefaultListen           = "127.0.0.1:8080"
	DefaultRedirectFile     = "redirect.toml"
	DefaultPricesFile       = "prices.toml"
	DefaultMaxBodyMB        = 32
	DefaultShutdownGrace    = 30 * time.Second
	DefaultReadTimeout      = 60 * time.Second
	DefaultMaxResponseMB    = 64
	DefaultKeyProbeInterval = time.Minute
	DefaultDriver           = "sqlite"
	DefaultSQLiteDSN        = "data/aigw.db"
	DefaultTimezone         = "Asia/Shanghai"
	DefaultTimeout          = 300 * time.Second
	DefaultConnectTimeout   = 10 * time.Second
	DefaultStreamIdle       = 300 * time.Second
	DefaultMaxAttempts      = 3
	DefaultAnthropicMaxToks = 4096
)

// searchedConfig is the file name looked for, in the working folder and
// then in config/, when neither --config nor AIGW_CONFIG is given.
const searchedConfig = "custom-config.toml"

// find returns the config file to load: explicit, then $AIGW_CONFIG, then
// the default lookup.
func find(explicit string) (string, error) {
	if explicit != "" {
		return explicit, nil
	}
	if env := os.Getenv("AIGW_CONFIG"); env != "" {
		return env, nil
	}
	for _, p := range []string{searchedConfig, filepath.Join("config", searchedConfig)} {
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", errors.New("no config file found: pass --config FILE, set AIGW_CONFIG, " +
		"or create ./custom-config.toml (start from config/custom-config.example.toml)")
}

// Load finds, reads, expands and validates the configuration. Every problem
// is reported with the file, the key and the reason; nothing is returned
// half-valid.
func Load(explicit string) (*Config, error) {
	path, err := find(explicit)
	if err != nil {
		return nil, err
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", path, err)
	}
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("config %s: cannot read the file: %w", abs, err)
	}

	v := viper.New()
	v.SetConfigFile(abs)
	v.SetConfigType("toml") // any file name, whatever its extension
	setDefaults(v)
	v.SetEnvPrefix("AIGW")
	v.SetEnvKeyReplacer(strings.NewReplacer(".", "_"))
	v.AutomaticEnv()
	if err := v.ReadInConfig(); err != nil {
		return nil, fmt.Errorf("config %s: not valid TOML: %w", abs, err)
	}

	settings, err := expandEnv(v.AllSettings(), "")
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", abs, err)
	}

	cfg := &Config{}
	var md mapstructure.Metadata
	dec, err := mapstructure.NewDecoder(&mapstructure.DecoderConfig{
		Result:           cfg,
		Metadata:         &md,
		WeaklyTypedInput: true,
		DecodeHook: mapstructure.ComposeDecodeHookFunc(
			mapstructure.StringToTimeDurationHookFunc(),
			commaListHook,
		),
	})
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", abs, err)
	}
	fromEnv := envOverrides(v)
	if err := dec.Decode(settings); err != nil {
		return nil, fmt.Errorf("config %s: %w", abs, nameEnvInDecodeErrors(err, fromEnv))
	}
	if len(md.Unused) > 0 {
		sort.Strings(md.Unused)
		return nil, fmt.Errorf("config %s: unknown key(s) %s: check the spelling against config/custom-config.example.toml",
			abs, strings.Join(md.Unused, ", "))
	}
	cfg.Path = abs
	cfg.fromEnv = fromEnv
	cfg.applyProviderEnv()
	cfg.applyProviderDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", abs, err)
	}
	return cfg, nil
}

func setDefaults(v *viper.Viper) {
	v.SetDefault("server.listen", DefaultListen)
	v.SetDefault("server.redirect_file", DefaultRedirectFile)
	v.SetDefault("server.prices_file", DefaultPricesFile)
	v.SetDefault("server.max_body_mb", DefaultMaxBodyMB)
	v.SetDefault("server.default_provider", "")
	v.SetDefault("server.shutdown_grace", DefaultShutdownGrace.String())
	v.SetDefault("server.key_probe_interval", DefaultKeyProbeInterval.String())
	v.SetDefault("server.trusted_proxies", []string{})
	v.SetDefault("server.read_timeout", DefaultReadTimeout.String())
	v.SetDefault("server.max_response_mb", DefaultMaxResponseMB)
	v.SetDefault("auth.keys", []string{})
	v.SetDefault("auth.admin_keys", []string{})
	v.SetDefault("database.driver", DefaultDriver)
	v.SetDefault("database.dsn", "")
	v.SetDefault("database.timezone", DefaultTimezone)
	v.SetDefault("redis.fail_open", true)
	v.SetDefault("redis.key_prefix", "aigw:")
	v.SetDefault("logging.level", "info")
	v.SetDefault("logging.store_bodies", false)
	v.SetDefault("logging.retention_days", 0)
}

// commaListHook accepts a comma-separated string wherever a list of strings
// is expected: api_keys = "sk-a,sk-b" and AIGW_AUTH_KEYS=k1,k2 alike.
func commaListHook(_, to reflect.Type, data any) (any, error) {
	s, ok := data.(string)
	if !ok || to.Kind() != reflect.Slice || to.Elem().Kind() != reflect.String {
		return data, nil
	}
	var out []string
	for _, part := range strings.Split(s, ",") {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	return out, nil
}

func (c *Config) applyProviderDefaults() {
	for i := range c.Providers {
		p := &c.Providers[i]
		p.Type = strings.ToLower(strings.TrimSpace(p.Type))
		p.BaseURL = strings.TrimRight(strings.TrimSpace(p.BaseURL), "/")
		if p.Type == TypeAnthropic {
			// "https://api.anthropic.com/v1" is accepted, not doubled.
			p.BaseURL = strings.TrimSuffix(p.BaseURL, "/v1")
		}
		if p.Timeout == 0 {
			p.Timeout = DefaultTimeout
		}
		if p.ConnectTimeout == 0 {
			p.ConnectTimeout = DefaultConnectTimeout
		}
		if p.StreamIdleTimeout == 0 {
			p.StreamIdleTimeout = DefaultStreamIdle
		}
		if p.MaxAttempts == 0 {
			p.MaxAttempts = DefaultMaxAttempts
		}
		if p.DefaultMaxTokens == 0 && p.Type == TypeAnthropic {
			p.DefaultMaxTokens = DefaultAnthropicMaxToks
		}
		p.Responses = strings.ToLower(strings.TrimSpace(p.Responses))
		if p.Responses == "" && p.Type == TypeOpenAI {
			p.Responses = ResponsesNative
		}
	}
	if c.Database.DSN == "" && (c.Database.Driver == "" || c.Database.Driver == DefaultDriver) {
		c.Database.DSN = DefaultSQLiteDSN
	}
}

var providerName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// Validate checks every rule of the configuration (README.md, 配置参考) and returns all problems
// found, each naming its key.
func (c *Config) Validate() error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("%s: %s%s", key, fmt.Sprintf(format, args...), c.envNote(key)))
	}

	if _, _, err := net.SplitHostPort(c.Server.Listen); err != nil {
		bad("server.listen", "%q is not host:port (%v)", c.Server.Listen, err)
	}
	if c.Server.MaxBodyMB <= 0 {
		bad("server.max_body_mb", "must be a positive number of MiB, got %d", c.Server.MaxBodyMB)
	}
	if c.Server.ReadTimeout <= 0 {
		bad("server.read_timeout", "must be a positive duration such as 60s")
	}
	if c.Server.MaxResponseMB <= 0 {
		bad("server.max_response_mb", "must be a positive number of MiB, got %d", c.Server.MaxResponseMB)
	}
	if c.Server.ShutdownGrace < 0 {
		bad("server.shutdown_grace", "must not be negative")
	}
	for i, p := range c.Server.TrustedProxies {
		if net.ParseIP(p) == nil {
			if _, _, err := net.ParseCIDR(p); err != nil {
				bad(fmt.Sprintf("server.trusted_proxies[%d]", i), "%q is neither an IP address nor a CIDR such as 10.0.0.0/8", p)
			}
		}
	}
	if c.Server.KeyProbeInterval <= 0 {
		bad("server.key_probe_interval", "must be a positive duration such as 60s")
	}
	for i, k := range c.Auth.Keys {
		if strings.TrimSpace(k) == "" {
			bad(fmt.Sprintf("auth.keys[%d]", i), "is empty")
		}
	}
	for i, k := range c.Auth.AdminKeys {
		if strings.TrimSpace(k) == "" {
			bad(fmt.Sprintf("auth.admin_keys[%d]", i), "is empty")
		}
	}
	if len(c.Auth.Keys) == 0 && !c.Auth.ClientKeysOnly && !IsLoopback(c.Server.Listen) {
		bad("auth.keys", "is empty while server.listen %q is not a loopback address: set keys, or client_keys_only = true to admit only client keys (aigw clients create), or listen on 127.0.0.1", c.Server.Listen)
	}

	switch c.Database.Driver {
	case "sqlite", "postgres":
	default:
		bad("database.driver", "unknown driver %q (use sqlite or postgres)", c.Database.Driver)
	}
	if c.Database.Driver == "postgres" && c.Database.DSN == "" {
		bad("database.dsn", "is required for postgres, e.g. postgres://user@127.0.0.1:5432/aigw?sslmode=disable")
	}
	if _, err := time.LoadLocation(c.Database.Timezone); err != nil {
		bad("database.timezone", "unknown time zone %q (use an IANA name such as Asia/Shanghai or UTC)", c.Database.Timezone)
	}
	switch strings.ToLower(c.Logging.Level) {
	case "debug", "info", "warn", "error":
	default:
		bad("logging.level", "unknown level %q (use debug, info, warn or error)", c.Logging.Level)
	}
	if c.Logging.RetentionDays < 0 {
		bad("logging.retention_days", "must not be negative")
	}

	if len(c.Providers) == 0 {
		bad("providers", "no [[providers]] defined: add at least one")
	}
	seen := map[string]int{}
	for i, p := range c.Providers {
		key := func(k string) string { return fmt.Sprintf("providers[%d].%s", i, k) }
		if p.Name != "" {
			key = func(k string) string { return fmt.Sprintf("providers[%d] (%s).%s", i, p.Name, k) }
		}
		switch {
		case p.Name == "":
			bad(key("name"), "is required")
		case !providerName.MatchString(p.Name):
			bad(key("name"), "%q may hold only letters, digits, '.', '_' and '-' (it is the model prefix, so no '/')", p.Name)
		default:
			if j, dup := seen[p.Name]; dup {
				bad(key("name"), "duplicate provider name %q (also providers[%d])", p.Name, j)
			}
			seen[p.Name] = i
		}
		switch p.Type {
		case TypeOpenAI, TypeAnthropic:
		case "":
			bad(key("type"), "is required (openai or anthropic)")
		default:
			bad(key("type"), "unknown type %q (use openai or anthropic)", p.Type)
		}
		switch {
		case p.Type == TypeAnthropic && p.Responses != "":
			bad(key("responses"), "applies to openai providers only: an anthropic provider always serves /v1/responses by converting it to Messages; remove the setting")
		case p.Type == TypeOpenAI && p.Responses != ResponsesNative && p.Responses != ResponsesChat:
			bad(key("responses"), "unknown value %q (use \"native\" to pass /v1/responses through, or \"chat\" to convert it to Chat Completions for services without the Responses API)", p.Responses)
		}
		if u, err := url.Parse(p.BaseURL); p.BaseURL == "" {
			bad(key("base_url"), "is required")
		} else if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			bad(key("base_url"), "%q is not an http(s) URL%s", p.BaseURL, c.envNote(fmt.Sprintf("providers[%d].base_url", i)))
		}
		if len(p.APIKeys) == 0 {
			bad(key("api_keys"), "the key pool is empty: give one key or several, comma-separated")
		}
		for j, k := range p.APIKeys {
			if strings.TrimSpace(k) == "" {
				bad(fmt.Sprintf("%s[%d]", key("api_keys"), j), "is empty")
			}
		}
		switch p.Strategy {
		case StrategyFirst, StrategyRoundRobin, StrategyRandom:
		default:
			bad(key("strategy"), "unknown strategy %q (use round_robin, random, or leave it out to always use the first key)", p.Strategy)
		}
		if p.MaxAttempts < 0 {
			bad(key("max_attempts"), "must not be negative")
		}
		if p.Timeout < 0 || p.ConnectTimeout < 0 || p.StreamIdleTimeout < 0 {
			bad(key("timeout"), "timeouts must not be negative")
		}
		if p.DefaultMaxTokens < 0 {
			bad(key("default_max_tokens"), "must not be negative")
		}
		for j, m := range p.Models {
			if strings.TrimSpace(m) == "" {
				bad(fmt.Sprintf("%s[%d]", key("models"), j), "is empty")
			}
		}
		for j, pp := range p.PassthroughPaths {
			if !strings.HasPrefix(pp, "/") || strings.HasPrefix(pp, "/v1/") || strings.Contains(strings.TrimSuffix(pp, "/*"), "*") {
				bad(fmt.Sprintf("%s[%d]", key("passthrough_paths"), j),
					"%q must be a path below /v1 written without it, such as \"/files\" or \"/fine_tuning/*\"", pp)
			}
		}
	}
	if d := c.Server.DefaultProvider; d != "" {
		if _, ok := seen[d]; !ok {
			bad("server.default_provider", "%q is not the name of a provider", d)
		}
	}
	return errors.Join(errs...)
}

// RedirectPath is the redirect file's path: relative paths resolve against
// the config file's folder.
func (c *Config) RedirectPath() string { return c.besideConfig(c.Server.RedirectFile) }

// PricesPath is the prices file's path, resolved like RedirectPath.
func (c *Config) PricesPath() string { return c.besideConfig(c.Server.PricesFile) }

func (c *Config) besideConfig(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(filepath.Dir(c.Path), p)
}

// Location returns the configured time zone (validated by Load).
func (c *Config) Location() *time.Location {
	loc, err := time.LoadLocation(c.Database.Timezone)
	if err != nil {
		return time.UTC
	}
	return loc
}

// IsLoopback reports whether a listen address binds only to loopback.
func IsLoopback(listen string) bool {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

package clients

import (
	"regexp"
	"strings"
	"testing"
	"time"
)

func TestAllows(t *testing.T) {
	cases := []struct {
		name                string
		models              []string
		requested, resolved string
		want                bool
	}{
		{"no list allows all", nil, "anything", "x/anything", true},
		{"prefix glob", []string{"gpt-4o*"}, "gpt-4o-mini", "openai/gpt-4o-mini", true},
		{"star crosses slash", []string{"openai/*"}, "smart", "openai/gpt-4o", true},
		{"star crosses several slashes", []string{"*/llama-*"}, "x", "groq/meta/llama-3", true},
		{"leading star crosses slash", []string{"*gpt-4o"}, "fast", "openai/gpt-4o", true},
		{"question mark is one char", []string{"gpt-?o"}, "gpt-4o", "", true},
		{"question mark matches slash", []string{"a?b"}, "a/b", "", true},
		{"question mark is not two", []string{"gpt-?o"}, "gpt-40o", "", false},
		{"requested name alone", []string{"smart"}, "smart", "anthropic/claude-sonnet-4-5", true},
		{"neither name", []string{"gpt-4o*"}, "claude", "anthropic/claude-sonnet-4-5", false},
		{"case-sensitive", []string{"gpt-4o*"}, "GPT-4O", "", false},
		{"class", []string{"gpt-4[ao]"}, "gpt-4a", "", true},
		{"exact resolved", []string{"deepseek/deepseek-chat"}, "ds", "deepseek/deepseek-chat", true},
		{"a glob without star is whole-name", []string{"openai/gpt-4o"}, "", "openai/gpt-4o-mini", false},
		{"bad pattern matches nothing", []string{"gpt-["}, "gpt-[", "", false},
		{"empty names never match", []string{"*x"}, "", "", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			c := Client{Models: tc.models}
			if got := c.Allows(tc.requested, tc.resolved); got != tc.want {
				t.Errorf("Allows(%q, %q) with %q = %v, want %v", tc.requested, tc.resolved, tc.models, got, tc.want)
			}
		})
	}
}

func TestParseModels(t *testing.T) {
	got, err := ParseModels(" gpt-4o* , smart,,openai/* ")
	if err != nil || strings.Join(got, "|") != "gpt-4o*|smart|openai/*" {
		t.Fatalf("ParseModels = %q, %v", got, err)
	}
	if got, err := ParseModels(""); err != nil || got != nil {
		t.Fatalf("ParseModels(\"\") = %q, %v; want no list", got, err)
	}
	for _, bad := range []string{"gpt-[", "a/[b", `x\`} {
		if _, err := ParseModels(bad); err == nil {
			t.Errorf("ParseModels(%q): want an error", bad)
		}
	}
}

func TestPeriodStart(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	at := func(s string) time.Time {
		v, err := time.ParseInLocation("2006-01-02 15:04", s, sh)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	cases := []struct {
		period string
		now    time.Time
		want   string // "" = zero time
	}{
		{"day", at("2026-03-04 15:30"), "2026-03-04 00:00"},
		{"day", at("2026-03-04 00:00"), "2026-03-04 00:00"},
		// 2026-03-03 16:30 UTC is already the 4th in Shanghai.
		{"day", time.Date(2026, 3, 3, 16, 30, 0, 0, time.UTC), "2026-03-04 00:00"},
		{"week", at("2026-03-04 15:30"), "2026-03-02 00:00"}, // Wednesday -> Monday
		{"week", at("2026-03-08 23:59"), "2026-03-02 00:00"}, // Sunday belongs to the week before
		{"week", at("2026-03-09 00:00"), "2026-03-09 00:00"}, // Monday starts a week
		{"week", at("2026-03-01 10:00"), "2026-02-23 00:00"}, // across a month
		{"week", at("2026-01-01 10:00"), "2025-12-29 00:00"}, // across a year
		{"month", at("2026-03-31 23:59"), "2026-03-01 00:00"},
		{"month", at("2026-03-01 00:00"), "2026-03-01 00:00"},
		// 2026-02-28 17:00 UTC is March 1st in Shanghai.
		{"month", time.Date(2026, 2, 28, 17, 0, 0, 0, time.UTC), "2026-03-01 00:00"},
		{"total", at("2026-03-04 15:30"), ""},
		{"", at("2026-03-04 15:30"), ""},
	}
	for _, tc := range cases {
		got := PeriodStart(tc.period, tc.now, sh)
		if tc.want == "" {
			if !got.IsZero() {
				t.Errorf("PeriodStart(%q, %s) = %s, want the zero time", tc.period, tc.now, got)
			}
			continue
		}
		if want := at(tc.want); !got.Equal(want) || got.Location() != sh {
			t.Errorf("PeriodStart(%q, %s) = %s, want %s", tc.period, tc.now, got, want)
		}
	}
}

func TestExpiry(t *testing.T) {
	sh, err := time.LoadLocation("Asia/Shanghai")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := ExpiryFromDate("2026-12-31", sh)
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(2026, 12, 31, 23, 59, 59, 999_999_999, sh); !exp.Equal(want) {
		t.Fatalf("ExpiryFromDate = %s, want %s", exp, want)
	}
	c := Client{ExpiresAt: &exp}
	if c.Expired(time.Date(2026, 12, 31, 23, 59, 59, 0, sh)) {
		t.Error("expired during its last day")
	}
	if !c.Expired(time.Date(2027, 1, 1, 0, 0, 0, 0, sh)) {
		t.Error("not expired the next day")
	}
	// 2026-12-31 16:00 UTC is already 2027-01-01 in Shanghai.
	if !c.Expired(time.Date(2026, 12, 31, 16, 0, 0, 0, time.UTC)) {
		t.Error("the end of the day is taken in the zone given")
	}
	if (&Client{}).Expired(time.Now()) {
		t.Error("no expiry expired")
	}
	for _, bad := range []string{"", "2026-13-01", "31.12.2026", "2026-12-31T00:00:00Z"} {
		if _, err := ExpiryFromDate(bad, sh); err == nil {
			t.Errorf("ExpiryFromDate(%q): want an error", bad)
		}
	}
}

func TestNewKey(t *testing.T) {
	format := regexp.MustCompile(`^sk-aigw-[0-9A-Za-z]{40}$`)
	seen := map[string]bool{}
	for range 1000 {
		key, hash, hint, err := NewKey()
		if err != nil {
			t.Fatal(err)
		}
		if !format.MatchString(key) {
			t.Fatalf("key %q is not sk-aigw- and 40 base62 characters", key)
		}
		if seen[key] {
			t.Fatalf("key %q made twice", key)
		}
		seen[key] = true
		if hash != HashKey(key) {
			t.Fatalf("hash %q is not HashKey(key)", hash)
		}
		if want := "sk-aigw-..." + key[len(key)-4:]; hint != want {
			t.Fatalf("hint %q, want %q", hint, want)
		}
		if strings.Contains(hint, key[8:20]) {
			t.Fatal("the hint shows the key")
		}
	}
}

func TestHashKey(t *testing.T) {
	// sha256("abc"), FIPS 180-2 appendix B.1.
	if got := HashKey("abc"); got != "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad" {
		t.Fatalf("HashKey(abc) = %s", got)
	}
	if HashKey("sk-aigw-a") == HashKey("sk-aigw-b") {
		t.Fatal("two keys, one hash")
	}
}

func TestValidate(t *testing.T) {
	b := func(v float64) *float64 { return &v }
	ok := Client{Name: "alice", KeyHash: HashKey("k"), Models: []string{"gpt-*"}, RPM: 10, Budget: b(5), Period: "month"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("valid client: %v", err)
	}
	bad := map[string]func(c *Client){
		"empty name":        func(c *Client) { c.Name = " " },
		"control char":      func(c *Client) { c.Name = "a\x1b[2Jb" },
		"bidi override":     func(c *Client) { c.Name = "a\u202eb" },
		"no hash":           func(c *Client) { c.KeyHash = "" },
		"negative rpm":      func(c *Client) { c.RPM = -1 },
		"negative tpm":      func(c *Client) { c.TPM = -1 },
		"zero budget":       func(c *Client) { c.Budget = b(0) },
		"budget, no period": func(c *Client) { c.Period = "" },
		"bad period":        func(c *Client) { c.Period = "year" },
		"period, no budget": func(c *Client) { c.Budget = nil },
		"bad glob":          func(c *Client) { c.Models = []string{"gpt-["} },
	}
	for name, change := range bad {
		c := ok
		change(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestNextPeriodStart(t *testing.T) {
	loc := time.FixedZone("CST", 8*3600)
	now := time.Date(2026, 12, 31, 23, 30, 0, 0, loc) // a Thursday
	for period, want := range map[string]time.Time{
		PeriodDay:   time.Date(2027, 1, 1, 0, 0, 0, 0, loc),
		PeriodWeek:  time.Date(2027, 1, 4, 0, 0, 0, 0, loc), // Monday
		PeriodMonth: time.Date(2027, 1, 1, 0, 0, 0, 0, loc),
		PeriodTotal: {},
	} {
		got := NextPeriodStart(period, PeriodStart(period, now, loc))
		if !got.Equal(want) {
			t.Errorf("%s: next period starts %v, want %v", period, got, want)
		}
	}
}

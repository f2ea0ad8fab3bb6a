// Package catalog asks upstream providers which models they serve, filters
// those lists, stores the chosen ids in the model catalog (cached_models)
// and checks a provider's keys with the same cheap call.
package catalog

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/tidwall/gjson"

	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/provider"
)

// anthropicVersion is sent on Anthropic model-list calls unless the
// provider's headers set another one.
const anthropicVersion = "2023-06-01"

// anthropicPageLimit is the largest page Anthropic's list endpoint accepts.
const anthropicPageLimit = 1000

// maxPages stops a misbehaving upstream whose has_more never ends.
const maxPages = 200

// maxBody bounds what is read from one list response.
const maxBody = 32 << 20

// Model is one entry of an upstream's model list.
type Model struct {
	ID string `json:"id"`
	// Created is unix seconds; 0 when the upstream does not say. Anthropic's
	// RFC 3339 created_at is converted.
	Created     int64  `json:"created"`
	OwnedBy     string `json:"owned_by,omitempty"`
	DisplayName string `json:"display_name,omitempty"`
}

// StatusError is an upstream answer that was not 2xx. It names the key by
// its hint only; Message is the upstream's own error text with any echo
// of the key replaced by the hint.
type StatusError struct {
	Provider string
	KeyHint  string
	URL      string // without query string
	Status   int
	Message  string
}

func (e *StatusError) Error() string {
	msg := e.Message
	if msg == "" {
		msg = http.StatusText(e.Status)
	}
	return fmt.Sprintf("provider %s, key %s: GET %s answered %d: %s", e.Provider, e.KeyHint, e.URL, e.Status, msg)
}

// UnreachableError is a request that got no HTTP answer at all
// (connection refused, DNS, TLS, timeout).
type UnreachableError struct {
	Provider string
	KeyHint  string
	Err      error
}

func (e *UnreachableError) Error() string {
	return fmt.Sprintf("provider %s, key %s: upstream unreachable: %v", e.Provider, e.KeyHint, e.Err)
}

func (e *UnreachableError) Unwrap() error { return e.Err }

// ErrNotAList is a 2xx answer without a data array: the key was accepted
// but base_url probably points somewhere else.
var ErrNotAList = errors.New("the answer has no data array")

// ErrNoKey is returned when a provider's pool has no key at all.
var ErrNoKey = errors.New("the provider has no API key")

// Fetch returns p's upstream model list. It asks with the pool's usable
// keys in order, then with the keys set aside (an explicit fetch is worth
// a try), moving on to the next key only when one is rejected (401/403):
// any other failure is the upstream's, not the key's, and is returned.
// keyHint says which key answered, or on failure the last key tried.
//
// OpenAI-type: GET {base_url}/models with a Bearer key; when that is 404
// and base_url does not end in /v1, GET {base_url}/v1/models, so base URLs
// written with or without /v1 both work. Anthropic-type: GET
// {base_url}/v1/models with x-api-key and anthropic-version, following
// has_more/after_id until the last page.
func Fetch(ctx context.Context, client *http.Client, p *provider.Provider) ([]Model, string, error) {
	keys := keysToTry(p)
	if len(keys) == 0 {
		return nil, "", fmt.Errorf("provider %s: %w", p.Name, ErrNoKey)
	}
	var rejected []error
	for _, key := range keys {
		models, err := fetchWithKey(ctx, client, &p.Provider, key, false)
		if result, _ := classify(err); result != ResultUnauthorized {
			return models, key.Hint, err
		}
		rejected = append(rejected, err)
	}
	if len(rejected) == 1 {
		return nil, keys[0].Hint, rejected[0]
	}
	return nil, keys[len(keys)-1].Hint, fmt.Errorf("provider %s: every key of the pool was rejected:\n%w", p.Name, errors.Join(rejected...))
}

// keysToTry orders p's keys: usable ones first, then those set aside.
func keysToTry(p *provider.Provider) []*provider.Key {
	if p.Pool == nil {
		return nil
	}
	now := time.Now()
	var usable, aside []*provider.Key
	for _, k := range p.Pool.Keys() {
		if k.Usable(now) {
			usable = append(usable, k)
		} else {
			aside = append(aside, k)
		}
	}
	return append(usable, aside...)
}

// fetchWithKey lists p's models with one key. probe asks for a single
// Anthropic page of one model: keys test only needs the status.
func fetchWithKey(ctx context.Context, client *http.Client, p *config.Provider, key *provider.Key, probe bool) ([]Model, error) {
	if client == nil {
		client = http.DefaultClient
	}
	base := strings.TrimRight(p.BaseURL, "/")
	switch p.Type {
	case config.TypeAnthropic:
		return fetchAnthropic(ctx, client, p, key, strings.TrimSuffix(base, "/v1"), probe)
	default:
		models, err := fetchOpenAI(ctx, client, p, key, base+"/models")
		var se *StatusError
		if errors.As(err, &se) && se.Status == http.StatusNotFound && !strings.HasSuffix(base, "/v1") {
			m, err2 := fetchOpenAI(ctx, client, p, key, base+"/v1/models")
			var se2 *StatusError
			if err2 == nil || !errors.As(err2, &se2) || se2.Status != http.StatusNotFound {
				// The /v1 endpoint exists: its answer (a list, or a 401
				// for a bad key) is the one that matters.
				return m, err2
			}
			// Both 404: report base_url as written, which is what to fix.
		}
		return models, err
	}
}

func fetchOpenAI(ctx context.Context, client *http.Client, p *config.Provider, key *provider.Key, u string) ([]Model, error) {
	body, err := get(ctx, client, p, key, u, func(h http.Header) {
		h.Set("Authorization", "Bearer "+key.Secret)
	})
	if err != nil {
		return nil, err
	}
	doc := gjson.ParseBytes(body)
	list := doc.Get("data")
	if !list.Exists() && doc.IsArray() {
		list = doc // a few compatible servers answer a bare array
	}
	if !list.IsArray() {
		return nil, fmt.Errorf("provider %s, key %s: GET %s: %w (is base_url the OpenAI-compatible API root?)",
			p.Name, key.Hint, shownURL(u), ErrNotAList)
	}
	var out []Model
	for _, m := range list.Array() {
		id := m.Get("id").String()
		if id == "" {
			continue
		}
		out = append(out, Model{
			ID:          id,
			Created:     unixOf(m.Get("created")),
			OwnedBy:     m.Get("owned_by").String(),
			DisplayName: m.Get("name").String(),
		})
	}
	return out, nil
}

func fetchAnthropic(ctx context.Context, client *http.Client, p *config.Provider, key *provider.Key, base string, probe bool) ([]Model, error) {
	limit := anthropicPageLimit
	if probe {
		limit = 1
	}
	setHeaders := func(h http.Header) {
		h.Set("X-Api-Key", key.Secret)
		if h.Get("Anthropic-Version") == "" {
			h.Set("Anthropic-Version", anthropicVersion)
		}
	}
	var out []Model
	after := ""
	for page := 0; page < maxPages; page++ {
		q := url.Values{"limit": {strconv.Itoa(limit)}}
		if after != "" {
			q.Set("after_id", after)
		}
		body, err := get(ctx, client, p, key, base+"/v1/models?"+q.Encode(), setHeaders)
		if err != nil {
			return nil, err
		}
		doc := gjson.ParseBytes(body)
		if !doc.Get("data").IsArray() {
			return nil, fmt.Errorf("provider %s, key %s: GET %s/v1/models: %w (is base_url the Anthropic API root?)",
				p.Name, key.Hint, shownURL(base), ErrNotAList)
		}
		for _, m := range doc.Get("data").Array() {
			id := m.Get("id").String()
			if id == "" {
				continue
			}
			// Anthropic's list has no owner field; every model it lists is
			// Anthropic's, so say so rather than leave owned_by empty.
			out = append(out, Model{ID: id, Created: unixOf(m.Get("created_at")), OwnedBy: "anthropic",
				DisplayName: m.Get("display_name").String()})
		}
		next := doc.Get("last_id").String()
		if probe || !doc.Get("has_more").Bool() {
			return out, nil
		}
		if next == "" || next == after {
			return nil, fmt.Errorf("provider %s: GET %s/v1/models says has_more but gives no new last_id to continue from", p.Name, shownURL(base))
		}
		after = next
	}
	return nil, fmt.Errorf("provider %s: GET %s/v1/models: more than %d pages, giving up", p.Name, shownURL(base), maxPages)
}

// get performs one GET with the provider's extra headers and credentials
// and returns the body of a 2xx answer.
func get(ctx context.Context, client *http.Client, p *config.Provider, key *provider.Key, u string, auth func(http.Header)) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("provider %s: bad model list URL: %w", p.Name, err)
	}
	for k, v := range p.Headers {
		req.Header.Set(k, v)
	}
	auth(req.Header)
	req.Header.Set("Accept", "application/json")
	shown := shownURL(u)

	resp, err := client.Do(req)
	if err != nil {
		if ctx.Err() != nil && !errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("provider %s: model list: %w", p.Name, ctx.Err())
		}
		return nil, &UnreachableError{Provider: p.Name, KeyHint: key.Hint, Err: scrub(urlErrorText(err), key)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxBody))
	if err != nil {
		return nil, &UnreachableError{Provider: p.Name, KeyHint: key.Hint, Err: fmt.Errorf("reading the answer of GET %s: %w", shown, err)}
	}
	if resp.StatusCode/100 != 2 {
		return nil, &StatusError{Provider: p.Name, KeyHint: key.Hint, URL: shown, Status: resp.StatusCode,
			Message: scrub(upstreamMessage(body), key).Error()}
	}
	return body, nil
}

// upstreamMessage picks the human part of an error body in either
// protocol's shape, or a short prefix of whatever was sent.
func upstreamMessage(body []byte) string {
	for _, path := range []string{"error.message", "message", "error", "detail"} {
		if v := gjson.GetBytes(body, path); v.Exists() && v.Type == gjson.String && v.String() != "" {
			return v.String()
		}
	}
	s := strings.TrimSpace(string(body))
	if len(s) > 200 {
		s = s[:200] + "..."
	}
	return s
}

// scrub replaces any echo of the secret key (some upstreams quote the key
// they rejected) by its hint: error text is printed and logged.
func scrub(msg string, key *provider.Key) error {
	if key.Secret != "" {
		msg = strings.ReplaceAll(msg, key.Secret, key.Hint)
	}
	return errors.New(msg)
}

// urlErrorText drops the query string that *url.Error quotes.
func urlErrorText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return fmt.Sprintf("%s %s: %v", ue.Op, shownURL(ue.URL), ue.Err)
	}
	return err.Error()
}

// shownURL is u as errors print it: without the query string and with
// the password of a base_url's user info masked (both may hold secrets).
func shownURL(u string) string {
	parsed, err := url.Parse(u)
	if err != nil {
		if i := strings.IndexByte(u, '?'); i >= 0 {
			return u[:i]
		}
		return u
	}
	parsed.RawQuery, parsed.ForceQuery = "", false
	return parsed.Redacted()
}

// unixOf reads a creation time given as unix seconds (number or numeric
// string) or as an RFC 3339 timestamp.
func unixOf(v gjson.Result) int64 {
	switch v.Type {
	case gjson.Number:
		return v.Int()
	case gjson.String:
		s := v.String()
		if n, err := strconv.ParseInt(s, 10, 64); err == nil {
			return n
		}
		if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
			return t.Unix()
		}
	}
	return 0
}

// MarshalList renders models in the OpenAI list shape
// ({"object":"list","data":[{id, object, created, owned_by}]}).
func MarshalList(models []Model) ([]byte, error) {
	type entry struct {
		ID      string `json:"id"`
		Object  string `json:"object"`
		Created int64  `json:"created"`
		OwnedBy string `json:"owned_by"`
	}
	data := make([]entry, 0, len(models))
	for _, m := range models {
		data = append(data, entry{ID: m.ID, Object: "model", Created: m.Created, OwnedBy: m.OwnedBy})
	}
	return json.Marshal(struct {
		Object string  `json:"object"`
		Data   []entry `json:"data"`
	}{"list", data})
}

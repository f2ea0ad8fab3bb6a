// Package pricing holds aigw's price table: the built-in list prices
// (builtin.toml, embedded) and the operator's prices file over them, the
// lookup of a request's model in it, and the cost of a request. The format,
// the precedence and the currency rules are in README.md ("价格与费用").
package pricing

// Price is one model's price per million tokens in the table's currency.
type Price struct {
	Input, Output, CacheRead, CacheWrite, CacheWrite1h float64
	// HasCacheRead, HasCacheWrite and HasCacheWrite1h say whether the
	// entry gave the price. When it did not: cache reads and cache writes
	// are priced at Input (that is how a vendor without a cache discount
	// bills: a cached token costs what any prompt token costs), and 1-hour
	// cache writes at 1.6 x the cache write price (Anthropic's ratio: 2x
	// input for 1 hour against 1.25x for 5 minutes).
	HasCacheRead, HasCacheWrite, HasCacheWrite1h bool
}

// Tokens is what one request used. Prompt includes the cached parts
// (OpenAI's meaning of prompt_tokens, for both protocols).
type Tokens struct {
	Prompt, Completion, CacheRead, CacheWrite int64
	// CacheWrite1h is the part of CacheWrite written with the 1-hour TTL.
	CacheWrite1h int64
}

// Ratio1h is what a 1-hour cache write costs relative to a 5-minute one
// when an entry gives no cache_write_1h (Anthropic: $10 against $6.25 for
// Claude Opus 5, https://platform.claude.com/docs/en/about-claude/pricing).
const Ratio1h = 1.6

// EffectiveCacheRead is the price of a prompt token read from cache.
func (p Price) EffectiveCacheRead() float64 {
	if p.HasCacheRead {
		return p.CacheRead
	}
	return p.Input
}

// EffectiveCacheWrite is the price of a prompt token written to cache
// (the 5-minute TTL where the vendor has two).
func (p Price) EffectiveCacheWrite() float64 {
	if p.HasCacheWrite {
		return p.CacheWrite
	}
	return p.Input
}

// EffectiveCacheWrite1h is the price of a prompt token written to cache
// with Anthropic's 1-hour TTL.
func (p Price) EffectiveCacheWrite1h() float64 {
	if p.HasCacheWrite1h {
		return p.CacheWrite1h
	}
	return Ratio1h * p.EffectiveCacheWrite()
}

// Cost is what t costs at p, in the table's currency:
//
//	(uncached prompt x input + cache reads x cache_read
//	 + 5-minute cache writes x cache_write + 1-hour cache writes x cache_write_1h
//	 + completion x output) / 1e6
//
// where uncached prompt = Prompt - CacheRead - CacheWrite, taken as 0 when
// an upstream reports more cached tokens than prompt tokens. A negative
// count is taken as 0, and CacheWrite as at least CacheWrite1h, so the cost
// is never negative (prices are validated non-negative on load).
func (p Price) Cost(t Tokens) float64 {
	prompt, completion := max(t.Prompt, 0), max(t.Completion, 0)
	read, w1h := max(t.CacheRead, 0), max(t.CacheWrite1h, 0)
	writes := max(t.CacheWrite, w1h)
	w5m := writes - w1h
	uncached := max(prompt-read-writes, 0)
	sum := float64(uncached)*p.Input +
		float64(read)*p.EffectiveCacheRead() +
		float64(w5m)*p.EffectiveCacheWrite() +
		float64(w1h)*p.EffectiveCacheWrite1h() +
		float64(completion)*p.Output
	return sum / 1e6
}

// scale returns p with every price multiplied by r (built-in USD prices in
// the file's currency).
func (p Price) scale(r float64) Price {
	p.Input *= r
	p.Output *= r
	p.CacheRead *= r
	p.CacheWrite *= r
	p.CacheWrite1h *= r
	return p
}

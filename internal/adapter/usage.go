package adapter

import "github.com/tidwall/gjson"

// Usage is the token accounting of one request in OpenAI terms:
// PromptTokens includes cached input (read and written), as OpenAI's
// prompt_tokens does; the cache counts are the parts of it.
// CacheCreation1hTokens is the part of CacheCreationTokens written with
// Anthropic's 1-hour TTL (priced higher), ReasoningTokens the part of
// CompletionTokens spent reasoning (OpenAI reports it; Anthropic counts
// thinking in output_tokens without a separate figure).
type Usage struct {
	PromptTokens, CompletionTokens, TotalTokens int64
	CacheReadTokens, CacheCreationTokens        int64
	CacheCreation1hTokens, ReasoningTokens      int64
}

// OpenAIUsage reads an OpenAI `usage` object (Chat Completions, or the
// Responses API's input_tokens/output_tokens form).
func OpenAIUsage(usageJSON []byte) Usage {
	return openAIUsage(gjson.ParseBytes(usageJSON))
}

func openAIUsage(r gjson.Result) Usage {
	var u Usage
	if !r.IsObject() {
		return u
	}
	if v := r.Get("prompt_tokens"); v.Exists() {
		u.PromptTokens = v.Int()
	} else {
		u.PromptTokens = r.Get("input_tokens").Int()
	}
	if v := r.Get("completion_tokens"); v.Exists() {
		u.CompletionTokens = v.Int()
	} else {
		u.CompletionTokens = r.Get("output_tokens").Int()
	}
	u.TotalTokens = r.Get("total_tokens").Int()
	if v := r.Get("prompt_tokens_details.cached_tokens"); v.Exists() {
		u.CacheReadTokens = v.Int()
	} else if v := r.Get("input_tokens_details.cached_tokens"); v.Exists() {
		u.CacheReadTokens = v.Int()
	} else {
		// Some compatible upstreams (and aigw's own direction A output)
		// carry Anthropic-style extension fields.
		u.CacheReadTokens = r.Get("cache_read_input_tokens").Int()
	}
	if v := r.Get("prompt_tokens_details.cache_creation_tokens"); v.Exists() {
		u.CacheCreationTokens = v.Int()
	} else {
		u.CacheCreationTokens = r.Get("cache_creation_input_tokens").Int()
	}
	if v := r.Get("completion_tokens_details.reasoning_tokens"); v.Exists() {
		u.ReasoningTokens = v.Int()
	} else {
		u.ReasoningTokens = r.Get("output_tokens_details.reasoning_tokens").Int()
	}
	if u.TotalTokens == 0 {
		u.TotalTokens = u.PromptTokens + u.CompletionTokens
	}
	return u
}

// AnthropicUsage reads an Anthropic `usage` object. PromptTokens =
// input_tokens + cache_read + cache_creation, because Anthropic's
// input_tokens excludes the cached parts (docs/conversion.md, "Usage").
func AnthropicUsage(usageJSON []byte) Usage {
	return anthropicUsage(gjson.ParseBytes(usageJSON))
}

func anthropicUsage(r gjson.Result) Usage {
	var u Usage
	if !r.IsObject() {
		return u
	}
	u.CacheReadTokens = r.Get("cache_read_input_tokens").Int()
	u.CacheCreationTokens = r.Get("cache_creation_input_tokens").Int()
	u.CacheCreation1hTokens = r.Get("cache_creation.ephemeral_1h_input_tokens").Int()
	u.PromptTokens = r.Get("input_tokens").Int() + u.CacheReadTokens + u.CacheCreationTokens
	u.CompletionTokens = r.Get("output_tokens").Int()
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

// writeOpenAIUsage writes an OpenAI usage object (docs/conversion.md, "Usage"):
// cached_tokens is the cache read; the Anthropic counts ride along as
// extension fields for clients that bill cache writes.
func writeOpenAIUsage(w *jw, u Usage) {
	w.open()
	w.key("prompt_tokens")
	w.int(u.PromptTokens)
	w.key("completion_tokens")
	w.int(u.CompletionTokens)
	w.key("total_tokens")
	w.int(u.PromptTokens + u.CompletionTokens)
	w.key("prompt_tokens_details")
	w.open()
	w.key("cached_tokens")
	w.int(u.CacheReadTokens)
	w.close()
	w.key("cache_read_input_tokens")
	w.int(u.CacheReadTokens)
	w.key("cache_creation_input_tokens")
	w.int(u.CacheCreationTokens)
	w.close()
}

// anthropicInput is the non-cached input count Anthropic clients expect:
// max(prompt - cache_read - cache_creation, 0) (docs/conversion.md, "Usage").
func anthropicInput(u Usage) int64 {
	n := u.PromptTokens - u.CacheReadTokens - u.CacheCreationTokens
	if n < 0 {
		return 0
	}
	return n
}

// anthropicStreamUsage folds the usage objects of a Messages stream
// (message_start, then each message_delta). message_delta's usage is
// cumulative: output_tokens replaces, and input and cache counts override
// when present.
type anthropicStreamUsage struct {
	input, cacheRead, cacheCreate, cacheCreate1h, output int64
}

func (a *anthropicStreamUsage) take(u gjson.Result) {
	if !u.IsObject() {
		return
	}
	if v := u.Get("input_tokens"); v.Type == gjson.Number {
		a.input = v.Int()
	}
	if v := u.Get("cache_read_input_tokens"); v.Type == gjson.Number {
		a.cacheRead = v.Int()
	}
	if v := u.Get("cache_creation_input_tokens"); v.Type == gjson.Number {
		a.cacheCreate = v.Int()
	}
	if v := u.Get("cache_creation.ephemeral_1h_input_tokens"); v.Type == gjson.Number {
		a.cacheCreate1h = v.Int()
	}
	if v := u.Get("output_tokens"); v.Type == gjson.Number {
		a.output = v.Int()
	}
}

// usage is the usage so far in OpenAI terms (prompt includes the cache).
func (a *anthropicStreamUsage) usage() Usage {
	u := Usage{
		PromptTokens:        a.input + a.cacheRead + a.cacheCreate,
		CompletionTokens:    a.output,
		CacheReadTokens:     a.cacheRead,
		CacheCreationTokens: a.cacheCreate,
		// The 1-hour part, for pricing (docs/conversion.md, "Usage").
		CacheCreation1hTokens: a.cacheCreate1h,
	}
	u.TotalTokens = u.PromptTokens + u.CompletionTokens
	return u
}

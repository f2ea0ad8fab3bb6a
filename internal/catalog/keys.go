package catalog

import (
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/aigw/aigw/internal/provider"
)

// Key test results.
const (
	ResultOK           = "ok"
	ResultUnauthorized = "unauthorized"
	ResultRateLimited  = "rate-limited"
	ResultUnreachable  = "unreachable"
	ResultOther        = "other"
)

// defaultKeyTimeout bounds one key's check when the provider's own timeout
// is longer: a models list answers in well under a second.
const defaultKeyTimeout = 20 * time.Second

// KeyResult is the outcome of checking one key. It carries the key's hint,
// never the key.
type KeyResult struct {
	Provider  string `json:"provider"`
	KeyHint   string `json:"key"`
	Result    string `json:"result"`
	Status    int    `json:"status"` // HTTP status; 0 when there was no answer
	LatencyMs int64  `json:"latency_ms"`
	Error     string `json:"error,omitempty"`
}

// OK reports whether the key works.
func (r KeyResult) OK() bool { return r.Result == ResultOK }

// TestKeys checks every key of every given provider with the cheapest
// authenticated call there is, the models list (one page of one model for
// Anthropic), running at most concurrency checks at once. Results come in
// provider order, then key order, whatever order the checks finish in.
func TestKeys(ctx context.Context, client *http.Client, providers []*provider.Provider, concurrency int) []KeyResult {
	type job struct {
		p   *provider.Provider
		key *provider.Key
		i   int
	}
	var jobs []job
	for _, p := range providers {
		for _, k := range p.Pool.Keys() {
			jobs = append(jobs, job{p: p, key: k, i: len(jobs)})
		}
	}
	results := make([]KeyResult, len(jobs))
	if concurrency < 1 {
		concurrency = 1
	}
	sem := make(chan struct{}, concurrency)
	var wg sync.WaitGroup
	for _, j := range jobs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer wg.Done()
			defer func() { <-sem }()
			results[j.i] = testKey(ctx, client, j.p, j.key)
		}()
	}
	wg.Wait()
	return results
}

func testKey(ctx context.Context, client *http.Client, p *provider.Provider, key *provider.Key) KeyResult {
	timeout := defaultKeyTimeout
	if p.Timeout > 0 && p.Timeout < timeout {
		timeout = p.Timeout
	}
	kctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	start := time.Now()
	_, err := fetchWithKey(kctx, client, &p.Provider, key, true)
	r := KeyResult{Provider: p.Name, KeyHint: key.Hint}
	r.LatencyMs = time.Since(start).Milliseconds()
	r.Result, r.Status = classify(err)
	r.Error = shortError(err)
	return r
}

// shortError is the part of err a key-test row needs: the row already
// names the provider and the key.
func shortError(err error) string {
	var se *StatusError
	var ue *UnreachableError
	switch {
	case err == nil:
		return ""
	case errors.As(err, &se):
		if se.Message != "" {
			return se.Message
		}
		return http.StatusText(se.Status)
	case errors.As(err, &ue):
		return ue.Err.Error()
	default:
		return err.Error()
	}
}

// classify maps a model-list error to a key test result and HTTP status.
// A 2xx whose body is not a model list still proves the key works.
func classify(err error) (string, int) {
	if err == nil {
		return ResultOK, http.StatusOK
	}
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusUnauthorized, http.StatusForbidden:
			return ResultUnauthorized, se.Status
		case http.StatusTooManyRequests:
			return ResultRateLimited, se.Status
		default:
			return ResultOther, se.Status
		}
	}
	var ue *UnreachableError
	if errors.As(err, &ue) {
		return ResultUnreachable, 0
	}
	if errors.Is(err, ErrNotAList) {
		return ResultOK, http.StatusOK
	}
	return ResultOther, 0
}

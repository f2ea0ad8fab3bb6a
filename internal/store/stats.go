package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
)

// StatsFilter selects the rows and the grouping of `logs stats`.
type StatsFilter struct {
	// Since is how far back to look (default 24h); 0 with All set means
	// every row.
	Since time.Duration
	All   bool
	// By is "model" (the requested model), "provider", "key" (provider
	// and key hint), "client" (the client key's name, StaticKeyGroup for
	// the static [auth] keys) or "day" (the calendar day in the configured
	// zone).
	// Default "model".
	By string
	// Now is the end of the window (default time.Now); tests pin it.
	Now time.Time
}

// StatsRow is one group of `logs stats`.
type StatsRow struct {
	Group            string  `json:"group"`
	Requests         int64   `json:"requests"`
	Errors           int64   `json:"errors"`     // status >= 400
	ErrorRate        float64 `json:"error_rate"` // errors / requests, 0..1
	P50LatencyMs     int64   `json:"p50_latency_ms"`
	P95LatencyMs     int64   `json:"p95_latency_ms"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	TotalTokens      int64   `json:"total_tokens"`
	CacheReadTokens  int64   `json:"cache_read_tokens"`
	CacheWriteTokens int64   `json:"cache_write_tokens"`
	ReasoningTokens  int64   `json:"reasoning_tokens"`
	// Cost sums the rows with a known cost; nil when none had one.
	Cost *float64 `json:"cost"`
	// Unpriced counts rows that used tokens but have no cost (no price
	// applied): when it is not 0, Cost is a lower bound.
	Unpriced int64 `json:"unpriced"`
}

// StaticKeyGroup names the group of `logs stats --by client` whose rows
// came with a static [auth] key (client ”).
const StaticKeyGroup = "(static key)"

// statsGroupExpr maps --by to the SQL that names a group.
func statsGroupExpr(by string) (string, error) {
	switch by {
	case "", "model":
		return "requested_model", nil
	case "provider":
		return "provider", nil
	case "client":
		return "client", nil
	case "key":
		// A hint alone (sk-...c3f9) could be shared by keys of two providers.
		return "provider || ' ' || key_hint", nil
	case "day":
		// The day is taken in Go from created_at, in the configured zone,
		// the same on both dialects.
		return "''", nil
	default:
		return "", fmt.Errorf("--by %q: use model, provider, key, client or day", by)
	}
}

// Stats aggregates request logs per group: counts, error rate, latency
// percentiles and tokens, largest groups first. Percentiles are computed
// exactly, in Go, from the latencies of the window (nearest-rank method:
// pX is the smallest latency that at least X% of requests do not exceed),
// the same on SQLite and PostgreSQL.
func (db *DB) Stats(ctx context.Context, f StatsFilter) ([]StatsRow, error) {
	group, err := statsGroupExpr(f.By)
	if err != nil {
		return nil, err
	}
	if f.Since <= 0 && !f.All {
		f.Since = 24 * time.Hour
	}
	if f.Now.IsZero() {
		f.Now = time.Now()
	}
	q := db.read.WithContext(ctx).Table("request_logs").
		Select(group + " AS grp, created_at, status_code, latency_ms, prompt_tokens, completion_tokens, total_tokens, " +
			"cache_read_tokens, cache_write_tokens, reasoning_tokens, cost")
	if !f.All {
		q = q.Where("created_at >= ?", db.dbTime(f.Now.Add(-f.Since)))
	}
	rows, err := q.Rows()
	if err != nil {
		return nil, fmt.Errorf("read request logs for stats: %w", err)
	}
	defer rows.Close()

	type acc struct {
		StatsRow
		latencies []int64
	}
	groups := map[string]*acc{}
	for rows.Next() {
		var (
			g                  string
			created            time.Time
			status             int
			lat, pt, ct, total int64
			cr, cw, reasoning  int64
			cost               sql.NullFloat64
		)
		if err := rows.Scan(&g, timeScanner{dst: &created, loc: db.loc}, &status, &lat, &pt, &ct, &total,
			&cr, &cw, &reasoning, &cost); err != nil {
			return nil, fmt.Errorf("read request logs for stats: %w", err)
		}
		if f.By == "day" {
			g = created.Format(time.DateOnly)
		}
		a := groups[g]
		if a == nil {
			a = &acc{StatsRow: StatsRow{Group: g}}
			groups[g] = a
		}
		a.Requests++
		if status >= 400 {
			a.Errors++
		}
		a.PromptTokens += pt
		a.CompletionTokens += ct
		a.TotalTokens += total
		a.CacheReadTokens += cr
		a.CacheWriteTokens += cw
		a.ReasoningTokens += reasoning
		switch {
		case cost.Valid:
			a.Cost = addCost(a.Cost, cost.Float64)
		case pt+ct > 0:
			a.Unpriced++
		}
		a.latencies = append(a.latencies, lat)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read request logs for stats: %w", err)
	}

	out := make([]StatsRow, 0, len(groups))
	for _, a := range groups {
		slices.Sort(a.latencies)
		a.P50LatencyMs = percentile(a.latencies, 50)
		a.P95LatencyMs = percentile(a.latencies, 95)
		a.ErrorRate = float64(a.Errors) / float64(a.Requests)
		if strings.TrimSpace(a.Group) == "" {
			a.Group = "(none)"
			if f.By == "client" {
				a.Group = StaticKeyGroup
			}
		}
		out = append(out, a.StatsRow)
	}
	slices.SortFunc(out, func(x, y StatsRow) int {
		if f.By == "day" {
			return strings.Compare(x.Group, y.Group) // oldest first
		}
		return cmp.Or(cmp.Compare(y.Requests, x.Requests), strings.Compare(x.Group, y.Group))
	})
	return out, nil
}

// addCost adds c to a sum that is nil until a first known cost.
func addCost(sum *float64, c float64) *float64 {
	if sum == nil {
		return &c
	}
	*sum += c
	return sum
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

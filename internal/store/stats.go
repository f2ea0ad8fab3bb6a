package store

import (
	"cmp"
	"context"
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
	// By is "model" (the requested model), "provider" or "key" (provider
	// and key hint). Default "model".
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
}

// statsGroupExpr maps --by to the SQL that names a group.
func statsGroupExpr(by string) (string, error) {
	switch by {
	case "", "model":
		return "requested_model", nil
	case "provider":
		return "provider", nil
	case "key":
		// A hint alone (sk-...c3f9) could be shared by keys of two providers.
		return "provider || ' ' || key_hint", nil
	default:
		return "", fmt.Errorf("--by %q: use model, provider or key", by)
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
		Select(group + " AS grp, status_code, latency_ms, prompt_tokens, completion_tokens, total_tokens")
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
			status             int
			lat, pt, ct, total int64
		)
		if err := rows.Scan(&g, &status, &lat, &pt, &ct, &total); err != nil {
			return nil, fmt.Errorf("read request logs for stats: %w", err)
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
		}
		out = append(out, a.StatsRow)
	}
	slices.SortFunc(out, func(x, y StatsRow) int {
		return cmp.Or(cmp.Compare(y.Requests, x.Requests), strings.Compare(x.Group, y.Group))
	})
	return out, nil
}

// percentile is the nearest-rank percentile of sorted values.
func percentile(sorted []int64, p float64) int64 {
	if len(sorted) == 0 {
		return 0
	}
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	return sorted[min(max(rank, 1), len(sorted))-1]
}

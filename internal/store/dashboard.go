package store

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"
)

// The dashboard's overview (README, "控制台"; docs/admin-api.md,
// "Overview"), computed from the rollups (rollups.go), never from a scan of
// request_logs.

// OverviewQuery selects the dashboard overview: [From, To) cut into
// buckets of Step (the caller picks it: 1 min for 1 h, 15 min for 24 h,
// 2 h for 7 d, 6 h for 30 d). Top is how many top models, providers and
// clients to return (default 5).
type OverviewQuery struct {
	From, To time.Time
	Step     time.Duration
	Top      int
}

// OverviewStats are the figures of one bucket or of the whole range.
type OverviewStats struct {
	// Time is the bucket's start (zero for totals).
	Time             time.Time `json:"t,omitzero"`
	Requests         int64     `json:"requests"`
	Errors           int64     `json:"errors"` // status >= 400
	PromptTokens     int64     `json:"prompt_tokens"`
	CompletionTokens int64     `json:"completion_tokens"`
	// Cost sums the rows with a known cost; Unpriced counts rows with
	// tokens but no cost (Cost is then a lower bound).
	Cost     float64 `json:"cost"`
	Unpriced int64   `json:"unpriced"`
	// Percentiles in milliseconds, over the rows of the bucket (latency:
	// all rows; TTFT: streams that got a first byte). They come from
	// histograms, so they are bucket bounds, not exact values: the upper
	// bound of the histogram bucket (histBounds) that holds the
	// nearest-rank percentile, so the exact value lies between the bound
	// below and this one; 600000 means "10 min or more". 0 when no row
	// counts.
	LatencyP50 int64 `json:"latency_p50_ms"`
	LatencyP95 int64 `json:"latency_p95_ms"`
	TTFTP50    int64 `json:"ttft_p50_ms"`
	TTFTP95    int64 `json:"ttft_p95_ms"`
}

// OverviewTop is one of the top models, providers or clients by requests.
type OverviewTop struct {
	Name     string  `json:"name"`
	Requests int64   `json:"requests"`
	Errors   int64   `json:"errors"`
	Tokens   int64   `json:"tokens"` // prompt + completion
	Cost     float64 `json:"cost"`
}

// Overview is the dashboard's first page.
type Overview struct {
	// From and To are the range the figures cover: the query's range
	// widened to whole buckets (From rounded down to Step, To up).
	From time.Time `json:"from"`
	To   time.Time `json:"to"`

	Totals       OverviewStats   `json:"totals"`
	Series       []OverviewStats `json:"series"` // every bucket of the range, empty ones included
	TopModels    []OverviewTop   `json:"top_models"`
	TopProviders []OverviewTop   `json:"top_providers"`
	TopClients   []OverviewTop   `json:"top_clients"` // "" is the static keys' group
}

// Bounds of an overview query: a series longer than this is a mistake
// (a year by the minute), not a chart.
const (
	maxOverviewBuckets = 10000
	defaultOverviewTop = 5
	maxOverviewTop     = 100
)

// Overview computes the dashboard overview from the rollups, never by a
// scan of request_logs.
//
// Buckets are aligned to Step in the configured zone: a bucket starts where
// the zone's wall clock is a multiple of Step since its midnight (for a
// Step that divides a day), so 6 h buckets start at 00:00, 06:00... Beijing
// time. The range is widened to whole buckets. In a zone with daylight
// saving time, buckets after a change within the range keep the grid of
// the range's start.
//
// The series reads request_rollup_totals: the hourly rows when Step is a
// whole number of hours and the buckets start on UTC hours (any zone whose
// offset is whole hours, Beijing time included), else the minute rows. The
// top lists read request_rollups, each part of the range at the coarsest
// grain that fits it (minutes at the edges, then hours, then days).
func (db *DB) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	step := int64(q.Step / time.Second)
	switch {
	case q.Step < time.Minute || q.Step%time.Minute != 0:
		return Overview{}, fmt.Errorf("overview: step %s: use a whole number of minutes", q.Step)
	case !q.To.After(q.From):
		return Overview{}, fmt.Errorf("overview: the range ends (%s) before it starts (%s)", q.To, q.From)
	}
	top := q.Top
	if top <= 0 {
		top = defaultOverviewTop
	}
	top = min(top, maxOverviewTop)

	_, off := q.From.In(db.loc).Zone()
	origin := floorTo(q.From.Unix()+int64(off), step) - int64(off)
	to := q.To.Unix()
	if q.To.Nanosecond() > 0 {
		to++ // the second To falls in is part of the range
	}
	n := (to - origin + step - 1) / step
	if n > maxOverviewBuckets {
		return Overview{}, fmt.Errorf("overview: %d buckets of %s; use a longer step (at most %d buckets)", n, q.Step, maxOverviewBuckets)
	}
	end := origin + n*step

	figs, err := db.overviewSeries(ctx, origin, end, step)
	if err != nil {
		return Overview{}, err
	}
	out := Overview{
		From:   time.Unix(origin, 0).In(db.loc),
		To:     time.Unix(end, 0).In(db.loc),
		Series: make([]OverviewStats, len(figs)),
	}
	var total rollupFigures
	for i := range figs {
		total.merge(&figs[i])
		out.Series[i] = figs[i].stats()
		out.Series[i].Time = time.Unix(origin+int64(i)*step, 0).In(db.loc)
	}
	out.Totals = total.stats()

	if out.TopModels, out.TopProviders, out.TopClients, err = db.overviewTops(ctx, origin, end, top); err != nil {
		return Overview{}, err
	}
	return out, nil
}

// overviewSeries sums request_rollup_totals into the n buckets of
// [origin, end).
func (db *DB) overviewSeries(ctx context.Context, origin, end, step int64) ([]rollupFigures, error) {
	grain := int64(grainMinute)
	if step%grainHour == 0 && floorTo(origin, grainHour) == origin {
		grain = grainHour
	}
	var b strings.Builder
	b.WriteString("SELECT (bucket - ?) / ? AS i")
	for _, c := range rollupMetricColumns {
		if c == "cost" {
			b.WriteString(", SUM(cost)")
		} else {
			fmt.Fprintf(&b, ", CAST(SUM(%s) AS BIGINT)", c)
		}
	}
	b.WriteString(" FROM request_rollup_totals WHERE grain = ? AND bucket >= ? AND bucket < ? GROUP BY 1")
	rows, err := db.read.WithContext(ctx).Raw(b.String(), origin, step, grain, origin, end).Rows()
	if err != nil {
		return nil, fmt.Errorf("overview: read the rollups: %w", err)
	}
	defer rows.Close()
	figs := make([]rollupFigures, (end-origin)/step)
	dest := make([]any, 0, 1+len(rollupMetricColumns))
	for rows.Next() {
		var i int64
		var f rollupFigures
		if err := rows.Scan(f.scanDest(append(dest[:0], &i))...); err != nil {
			return nil, fmt.Errorf("overview: read the rollups: %w", err)
		}
		if i >= 0 && i < int64(len(figs)) {
			figs[i] = f
		}
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("overview: read the rollups: %w", err)
	}
	return figs, nil
}

// grainRange is a part of a range read at one grain.
type grainRange struct{ grain, from, to int64 }

// coverRange cuts the minute-aligned range [from, to) into the fewest
// parts of whole UTC minutes, hours and days: minutes up to the first hour,
// hours up to the first day, days, then hours and minutes again.
func coverRange(from, to int64) []grainRange {
	var parts []grainRange
	add := func(g, a, b int64) {
		if a < b {
			parts = append(parts, grainRange{g, a, b})
		}
	}
	h0, h1 := floorTo(from+grainHour-1, grainHour), floorTo(to, grainHour)
	if h0 >= h1 {
		add(grainMinute, from, to)
		return parts
	}
	add(grainMinute, from, h0)
	d0, d1 := floorTo(h0+grainDay-1, grainDay), floorTo(h1, grainDay)
	if d0 < d1 {
		add(grainHour, h0, d0)
		add(grainDay, d0, d1)
		add(grainHour, d1, h1)
	} else {
		add(grainHour, h0, h1)
	}
	add(grainMinute, h1, to)
	return parts
}

// overviewTops sums request_rollups over [from, to) per provider, model and
// client, and ranks each dimension by requests (then by name).
func (db *DB) overviewTops(ctx context.Context, from, to int64, top int) (models, providers, clients []OverviewTop, err error) {
	var where []string
	var args []any
	for _, p := range coverRange(from, to) {
		where = append(where, "(grain = ? AND bucket >= ? AND bucket < ?)")
		args = append(args, p.grain, p.from, p.to)
	}
	query := "SELECT provider, requested_model, client, CAST(SUM(requests) AS BIGINT), CAST(SUM(errors) AS BIGINT), " +
		"CAST(SUM(prompt_tokens + completion_tokens) AS BIGINT), SUM(cost) FROM request_rollups WHERE " +
		strings.Join(where, " OR ") + " GROUP BY provider, requested_model, client"
	rows, err := db.read.WithContext(ctx).Raw(query, args...).Rows()
	if err != nil {
		return nil, nil, nil, fmt.Errorf("overview: read the rollups: %w", err)
	}
	defer rows.Close()
	byModel, byProvider, byClient := map[string]*OverviewTop{}, map[string]*OverviewTop{}, map[string]*OverviewTop{}
	for rows.Next() {
		var provider, model, client string
		var t OverviewTop
		if err := rows.Scan(&provider, &model, &client, &t.Requests, &t.Errors, &t.Tokens, &t.Cost); err != nil {
			return nil, nil, nil, fmt.Errorf("overview: read the rollups: %w", err)
		}
		addTop(byModel, model, t)
		addTop(byProvider, provider, t)
		addTop(byClient, client, t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, nil, fmt.Errorf("overview: read the rollups: %w", err)
	}
	return rankTops(byModel, top), rankTops(byProvider, top), rankTops(byClient, top), nil
}

func addTop(m map[string]*OverviewTop, name string, t OverviewTop) {
	a := m[name]
	if a == nil {
		a = &OverviewTop{Name: name}
		m[name] = a
	}
	a.Requests += t.Requests
	a.Errors += t.Errors
	a.Tokens += t.Tokens
	a.Cost += t.Cost
}

// rankTops returns the n largest by requests, ties by name.
func rankTops(m map[string]*OverviewTop, n int) []OverviewTop {
	out := make([]OverviewTop, 0, len(m))
	for _, t := range m {
		out = append(out, *t)
	}
	slices.SortFunc(out, func(a, b OverviewTop) int {
		return cmp.Or(cmp.Compare(b.Requests, a.Requests), strings.Compare(a.Name, b.Name))
	})
	return out[:min(n, len(out))]
}

// stats turns summed figures into OverviewStats.
func (f *rollupFigures) stats() OverviewStats {
	return OverviewStats{
		Requests:         f.requests,
		Errors:           f.errors,
		PromptTokens:     f.promptTokens,
		CompletionTokens: f.completionTokens,
		Cost:             f.cost,
		Unpriced:         f.unpriced,
		LatencyP50:       histPercentile(&f.lat, 50),
		LatencyP95:       histPercentile(&f.lat, 95),
		TTFTP50:          histPercentile(&f.ttft, 50),
		TTFTP95:          histPercentile(&f.ttft, 95),
	}
}

// histPercentile is the upper bound of the bucket holding the nearest-rank
// p-th percentile (the last bucket, unbounded, reports the last bound); 0
// for an empty histogram.
func histPercentile(h *[histBuckets]int64, p int64) int64 {
	var n int64
	for _, c := range h {
		n += c
	}
	if n == 0 {
		return 0
	}
	rank := max((p*n+99)/100, 1) // ceil(p/100 * n)
	var seen int64
	for i, c := range h {
		seen += c
		if seen >= rank {
			return histBounds[min(i, len(histBounds)-1)]
		}
	}
	return histBounds[len(histBounds)-1]
}

package store

import (
	"context"
	"errors"
	"time"
)

// Contract for the dashboard's data (README, "控制台"); replaced by the
// real implementation (rollups.go, dashboard.go).

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
	// histograms, so they are bucket bounds, not exact values.
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
	Tokens   int64   `json:"tokens"`
	Cost     float64 `json:"cost"`
}

// Overview is the dashboard's first page.
type Overview struct {
	Totals       OverviewStats   `json:"totals"`
	Series       []OverviewStats `json:"series"` // every bucket of the range, empty ones included
	TopModels    []OverviewTop   `json:"top_models"`
	TopProviders []OverviewTop   `json:"top_providers"`
	TopClients   []OverviewTop   `json:"top_clients"` // "" is the static keys' group
}

// LogQuery selects a page of the request log for the dashboard.
type LogQuery struct {
	// From, To bound created_at ([From, To)); zero means open.
	From, To time.Time
	// Model matches the requested or the upstream model exactly.
	Model, Provider, Client string
	// RequestID matches exactly (X-Request-Id).
	RequestID string
	// StatusLo..StatusHi (inclusive) when StatusHi > 0.
	StatusLo, StatusHi int
	// BeforeID: rows with a smaller id, newest first (the next page).
	// AfterID: rows with a larger id, oldest first (live follow). At most
	// one is set; neither: the newest rows.
	BeforeID, AfterID int64
	// Limit is the most rows returned (default 50, at most 500).
	Limit int
}

// Overview computes the dashboard overview from the rollups, never by a
// scan of request_logs.
func (db *DB) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	return Overview{}, errors.New("not implemented")
}

// QueryLogs returns a page of log rows without their bodies.
func (db *DB) QueryLogs(ctx context.Context, q LogQuery) ([]RequestLog, error) {
	return nil, errors.New("not implemented")
}

// LogByID returns one row with its bodies; an error wrapping ErrLogNotFound when none.
func (db *DB) LogByID(ctx context.Context, id int64) (RequestLog, error) {
	return RequestLog{}, errors.New("not implemented")
}

// Overview is DB.Overview once the database is connected.
func (c *Connection) Overview(ctx context.Context, q OverviewQuery) (Overview, error) {
	db, err := c.DB()
	if err != nil {
		return Overview{}, err
	}
	return db.Overview(ctx, q)
}

// QueryLogs is DB.QueryLogs once the database is connected.
func (c *Connection) QueryLogs(ctx context.Context, q LogQuery) ([]RequestLog, error) {
	db, err := c.DB()
	if err != nil {
		return nil, err
	}
	return db.QueryLogs(ctx, q)
}

// LogByID is DB.LogByID once the database is connected.
func (c *Connection) LogByID(ctx context.Context, id int64) (RequestLog, error) {
	db, err := c.DB()
	if err != nil {
		return RequestLog{}, err
	}
	return db.LogByID(ctx, id)
}

// ErrLogNotFound: no log row has the id asked for.
var ErrLogNotFound = errors.New("no such log row")

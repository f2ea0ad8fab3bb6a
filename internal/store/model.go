// Package store keeps the request log and the model catalog in SQLite or
// PostgreSQL.
package store

import "time"

// RequestLog is one row of request_logs: one per /v1/* request, rejected
// ones included. The gateway fills it and hands it to the async writer; it
// never waits for the database.
type RequestLog struct {
	ID               int64     `gorm:"primaryKey;autoIncrement" json:"id"`
	RequestID        string    `gorm:"column:request_id" json:"request_id"`
	CreatedAt        time.Time `gorm:"column:created_at" json:"created_at"`
	Method           string    `gorm:"column:method" json:"method"`
	Path             string    `gorm:"column:path" json:"path"`
	InboundFormat    string    `gorm:"column:inbound_format" json:"inbound_format"` // openai | anthropic
	RequestedModel   string    `gorm:"column:requested_model" json:"requested_model"`
	UpstreamModel    string    `gorm:"column:upstream_model" json:"upstream_model"`
	Provider         string    `gorm:"column:provider" json:"provider"`
	KeyHint          string    `gorm:"column:key_hint" json:"key_hint"`
	Stream           bool      `gorm:"column:stream" json:"stream"`
	StatusCode       int       `gorm:"column:status_code" json:"status_code"`
	Error            string    `gorm:"column:error" json:"error,omitempty"`
	LatencyMs        int64     `gorm:"column:latency_ms" json:"latency_ms"`
	TTFTMs           int64     `gorm:"column:ttft_ms" json:"ttft_ms"`
	PromptTokens     int64     `gorm:"column:prompt_tokens" json:"prompt_tokens"`
	CompletionTokens int64     `gorm:"column:completion_tokens" json:"completion_tokens"`
	TotalTokens      int64     `gorm:"column:total_tokens" json:"total_tokens"`
	// The parts of PromptTokens read from and written to the upstream's
	// prompt cache, and the part of CompletionTokens spent reasoning.
	CacheReadTokens  int64 `gorm:"column:cache_read_tokens" json:"cache_read_tokens"`
	CacheWriteTokens int64 `gorm:"column:cache_write_tokens" json:"cache_write_tokens"`
	ReasoningTokens  int64 `gorm:"column:reasoning_tokens" json:"reasoning_tokens"`
	// Cost is in the price table's currency; nil when no price applied
	// (stored as NULL, never as 0).
	Cost *float64 `gorm:"column:cost" json:"cost"`
	// Route is the route the request came through ("" for a model);
	// Tried lists each target tried and its outcome, in order.
	Route    string `gorm:"column:route" json:"route,omitempty"`
	Tried    string `gorm:"column:tried" json:"tried,omitempty"`
	Attempts int    `gorm:"column:attempts" json:"attempts"`
	// Client is the name of the client key the request came with ("" for
	// a static [auth] key) and ClientKeyHint that key's hint.
	Client        string `gorm:"column:client" json:"client,omitempty"`
	ClientKeyHint string `gorm:"column:client_key_hint" json:"client_key_hint,omitempty"`
	RequestBytes  int64  `gorm:"column:request_bytes" json:"request_bytes"`
	ResponseBytes int64  `gorm:"column:response_bytes" json:"response_bytes"`
	ClientIP      string `gorm:"column:client_ip" json:"client_ip"`
	RequestBody   string `gorm:"column:request_body" json:"request_body,omitempty"`
	ResponseBody  string `gorm:"column:response_body" json:"response_body,omitempty"`
}

// TableName pins the table name used by the migrations.
func (RequestLog) TableName() string { return "request_logs" }

// CachedModel is one upstream model id the user chose to add (models fetch --add).
type CachedModel struct {
	ID       int64     `gorm:"primaryKey;autoIncrement" json:"-"`
	Provider string    `gorm:"column:provider" json:"provider"`
	ModelID  string    `gorm:"column:model_id" json:"model_id"`
	OwnedBy  string    `gorm:"column:owned_by" json:"owned_by"`
	Created  int64     `gorm:"column:created" json:"created"` // unix seconds from the upstream; 0 when unknown
	CachedAt time.Time `gorm:"column:cached_at" json:"cached_at"`
}

// TableName pins the table name used by the migrations.
func (CachedModel) TableName() string { return "cached_models" }

package store

import (
	"database/sql"
	"fmt"
	"strings"
)

// logColumns are request_logs' columns besides id, in the order of
// insertArgs and scanLog. Rows are written and read with explicit columns
// (not GORM's reflection) because created_at is stored in a dialect-specific
// form, and because the writer's batched insert is the hot path.
var logColumns = []string{
	"request_id", "created_at", "method", "path", "inbound_format",
	"requested_model", "upstream_model", "provider", "key_hint", "stream",
	"status_code", "error", "latency_ms", "ttft_ms", "prompt_tokens",
	"completion_tokens", "total_tokens", "attempts", "request_bytes",
	"response_bytes", "client_ip", "request_body", "response_body",
	"cost", "cache_read_tokens", "cache_write_tokens", "reasoning_tokens",
	"route", "tried", "client", "client_key_hint",
}

// selectLogColumns is the column list of every query returning RequestLog.
var selectLogColumns = "id, " + strings.Join(logColumns, ", ")

// appendInsertArgs appends r's values in logColumns order.
func (db *DB) appendInsertArgs(args []any, r *RequestLog) []any {
	return append(args,
		r.RequestID, db.dbTime(r.CreatedAt), r.Method, r.Path, r.InboundFormat,
		r.RequestedModel, r.UpstreamModel, r.Provider, r.KeyHint, r.Stream,
		r.StatusCode, r.Error, r.LatencyMs, r.TTFTMs, r.PromptTokens,
		r.CompletionTokens, r.TotalTokens, r.Attempts, r.RequestBytes,
		r.ResponseBytes, r.ClientIP, r.RequestBody, r.ResponseBody,
		costArg(r.Cost), r.CacheReadTokens, r.CacheWriteTokens, r.ReasoningTokens,
		r.Route, r.Tried, r.Client, r.ClientKeyHint,
	)
}

// costArg is the cost as a bound value: NULL when unknown.
func costArg(c *float64) any {
	if c == nil {
		return nil
	}
	return *c
}

// scanLog reads one row selected with selectLogColumns.
func (db *DB) scanLog(rows *sql.Rows, r *RequestLog) error {
	err := rows.Scan(&r.ID,
		&r.RequestID, timeScanner{dst: &r.CreatedAt, loc: db.loc}, &r.Method, &r.Path, &r.InboundFormat,
		&r.RequestedModel, &r.UpstreamModel, &r.Provider, &r.KeyHint, &r.Stream,
		&r.StatusCode, &r.Error, &r.LatencyMs, &r.TTFTMs, &r.PromptTokens,
		&r.CompletionTokens, &r.TotalTokens, &r.Attempts, &r.RequestBytes,
		&r.ResponseBytes, &r.ClientIP, &r.RequestBody, &r.ResponseBody,
		&r.Cost, &r.CacheReadTokens, &r.CacheWriteTokens, &r.ReasoningTokens,
		&r.Route, &r.Tried, &r.Client, &r.ClientKeyHint,
	)
	if err != nil {
		return fmt.Errorf("read a request_logs row: %w", err)
	}
	return nil
}

// insertLogsSQL builds one multi-row INSERT for n rows. ON CONFLICT
// (request_id) DO NOTHING makes a retried batch or a replayed spill file
// idempotent: a row that did reach the database is not inserted twice.
func (db *DB) insertLogsSQL(n int) string {
	var b strings.Builder
	cols := len(logColumns)
	b.Grow(64 + len(selectLogColumns) + n*cols*6)
	b.WriteString("INSERT INTO request_logs (")
	b.WriteString(strings.Join(logColumns, ", "))
	b.WriteString(") VALUES ")
	p := 1
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteByte('(')
		for j := range cols {
			if j > 0 {
				b.WriteByte(',')
			}
			if db.dialect == dialectPostgres {
				fmt.Fprintf(&b, "$%d", p)
			} else {
				b.WriteByte('?')
			}
			p++
		}
		b.WriteByte(')')
	}
	b.WriteString(insertConflict)
	return b.String()
}

// sqliteInsertHead and insertConflict frame SQLite's multi-row INSERT (see
// sqliteChunk).
var sqliteInsertHead = "INSERT INTO request_logs (" + strings.Join(logColumns, ", ") + ") VALUES "

const insertConflict = " ON CONFLICT (request_id) DO NOTHING"

package store

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"gorm.io/gorm"
)

// TailFilter selects rows for `logs tail`.
type TailFilter struct {
	// Limit is the most rows returned (default 20).
	Limit int
	// Model matches the requested or the upstream model exactly.
	Model    string
	Provider string
	// Client is a client key's name (logs tail --client).
	Client string
	// Status is an exact code ("200") or a class ("4xx", "5xx").
	Status string
	// AfterID, when > 0, asks for rows with a larger id, oldest first (the
	// follow mode of `logs tail -f`). Otherwise the newest rows come first.
	AfterID int64
}

// ParseStatus checks a --status value: an exact code or a class like 4xx.
// It returns the inclusive range of codes it matches.
func ParseStatus(s string) (lo, hi int, err error) {
	s = strings.ToLower(strings.TrimSpace(s))
	if len(s) == 3 && strings.HasSuffix(s, "xx") && s[0] >= '1' && s[0] <= '5' {
		lo = int(s[0]-'0') * 100
		return lo, lo + 99, nil
	}
	code, err := strconv.Atoi(s)
	if err != nil || code < 100 || code > 599 {
		return 0, 0, fmt.Errorf("--status %q: use a status code such as 200 or 429, or a class: 2xx, 4xx, 5xx", s)
	}
	return code, code, nil
}

// Tail returns log rows matching f: the newest first, or with AfterID set,
// the rows after it in insertion order.
func (db *DB) Tail(ctx context.Context, f TailFilter) ([]RequestLog, error) {
	if f.Limit <= 0 {
		f.Limit = 20
	}
	q := db.read.WithContext(ctx).Table("request_logs").Select(selectLogColumns)
	q, err := applyTailFilter(q, f)
	if err != nil {
		return nil, err
	}
	if f.AfterID > 0 {
		q = q.Where("id > ?", f.AfterID).Order("id ASC")
	} else {
		// created_at, not id: rows replayed from a spill file get new ids
		// but keep the time the request was made.
		q = q.Order("created_at DESC").Order("id DESC")
	}
	rows, err := q.Limit(f.Limit).Rows()
	if err != nil {
		return nil, fmt.Errorf("read request logs: %w", err)
	}
	return db.scanLogs(rows, f.Limit)
}

// scanLogs reads every row of rows (closing it) into request logs.
func (db *DB) scanLogs(rows *sql.Rows, capacity int) ([]RequestLog, error) {
	defer rows.Close()
	out := make([]RequestLog, 0, capacity)
	for rows.Next() {
		var r RequestLog
		if err := db.scanLog(rows, &r); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("read request logs: %w", err)
	}
	return out, nil
}

func applyTailFilter(q *gorm.DB, f TailFilter) (*gorm.DB, error) {
	if f.Model != "" {
		q = q.Where("(requested_model = ? OR upstream_model = ?)", f.Model, f.Model)
	}
	if f.Provider != "" {
		q = q.Where("provider = ?", f.Provider)
	}
	if f.Client != "" {
		q = q.Where("client = ?", f.Client)
	}
	if f.Status != "" {
		lo, hi, err := ParseStatus(f.Status)
		if err != nil {
			return nil, err
		}
		if lo == hi {
			q = q.Where("status_code = ?", lo)
		} else {
			q = q.Where("status_code BETWEEN ? AND ?", lo, hi)
		}
	}
	return q, nil
}

// LastID is the largest row id (0 for an empty table): where `logs tail -f`
// starts following.
func (db *DB) LastID(ctx context.Context) (int64, error) {
	var id int64
	err := db.read.WithContext(ctx).Raw("SELECT COALESCE(MAX(id), 0) FROM request_logs").Scan(&id).Error
	if err != nil {
		return 0, fmt.Errorf("read request logs: %w", err)
	}
	return id, nil
}

// CountLogs is the number of rows in request_logs.
func (db *DB) CountLogs(ctx context.Context) (int64, error) {
	var n int64
	if err := db.read.WithContext(ctx).Raw("SELECT COUNT(*) FROM request_logs").Scan(&n).Error; err != nil {
		return 0, fmt.Errorf("count request logs: %w", err)
	}
	return n, nil
}

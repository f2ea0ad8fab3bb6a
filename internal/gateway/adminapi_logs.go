package gateway

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/store"
)

// overviewRanges are the ranges of GET /admin/api/overview and the step
// of their series (docs/admin-api.md, "Overview").
var overviewRanges = map[string]struct{ span, step time.Duration }{
	"1h":  {time.Hour, time.Minute},
	"24h": {24 * time.Hour, 15 * time.Minute},
	"7d":  {7 * 24 * time.Hour, 2 * time.Hour},
	"30d": {30 * 24 * time.Hour, 6 * time.Hour},
}

// overviewWindow is the range ending with the bucket that holds now:
// buckets start on multiples of step in the configured zone's wall clock
// (a 6 h step starts at 00:00, 06:00, ... there, not in UTC).
func overviewWindow(span, step time.Duration, now time.Time, loc *time.Location) (from, to time.Time) {
	_, offset := now.In(loc).Zone()
	wall := now.Unix() + int64(offset)
	stepS := int64(step / time.Second)
	end := (wall/stepS + 1) * stepS
	to = time.Unix(end-int64(offset), 0).In(loc)
	return to.Add(-span), to
}

// currency is the price table's currency, or USD when the server prices
// nothing it can ask.
func (s *Server) currency() string {
	if p, ok := s.prices.(interface{ Currency() string }); ok {
		if cur := p.Currency(); cur != "" {
			return cur
		}
	}
	return "USD"
}

// apiOverview serves GET /admin/api/overview?range=1h|24h|7d|30d.
func (s *Server) apiOverview(c *gin.Context) {
	name := c.DefaultQuery("range", "24h")
	r, ok := overviewRanges[name]
	if !ok {
		adminError(c, http.StatusBadRequest, codeInvalidParameter,
			fmt.Sprintf("range %q: use 1h, 24h, 7d or 30d", clip(name, 40)))
		return
	}
	if !s.needStore(c) {
		return
	}
	from, to := overviewWindow(r.span, r.step, time.Now(), s.location)
	ov, err := s.api.store.Overview(c.Request.Context(), store.OverviewQuery{From: from, To: to, Step: r.step, Top: 5})
	if err != nil {
		s.storeError(c, err)
		return
	}
	for i := range ov.Series {
		ov.Series[i].Time = ov.Series[i].Time.In(s.location)
	}
	c.JSON(http.StatusOK, struct {
		Range       string    `json:"range"`
		From        time.Time `json:"from"`
		To          time.Time `json:"to"`
		StepSeconds int64     `json:"step_seconds"`
		Currency    string    `json:"currency"`
		store.Overview
	}{name, from, to, int64(r.step / time.Second), s.currency(), ov})
}

// Bounds of a logs page.
const (
	defaultLogLimit = 50
	maxLogLimit     = 500
)

// logQuery reads the filters of GET /admin/api/logs; the error says
// which parameter is wrong and what to give.
func (s *Server) logQuery(c *gin.Context) (store.LogQuery, error) {
	q := store.LogQuery{
		Model: c.Query("model"), Provider: c.Query("provider"), Client: c.Query("client"),
		RequestID: c.Query("request_id"), Limit: defaultLogLimit,
	}
	var err error
	if q.From, err = s.parseTime("from", c.Query("from")); err != nil {
		return q, err
	}
	if q.To, err = s.parseTime("to", c.Query("to")); err != nil {
		return q, err
	}
	if !q.From.IsZero() && !q.To.IsZero() && !q.From.Before(q.To) {
		return q, fmt.Errorf("from must be before to")
	}
	if st := c.Query("status"); st != "" {
		lo, hi, err := store.ParseStatus(st)
		if err != nil {
			return q, fmt.Errorf("status %q: give a code such as 200 or 429, or a class: 2xx, 4xx, 5xx", clip(st, 20))
		}
		q.StatusLo, q.StatusHi = lo, hi
	}
	for _, p := range []struct {
		name string
		dst  *int64
	}{{"before", &q.BeforeID}, {"after", &q.AfterID}} {
		if v := c.Query(p.name); v != "" {
			n, err := strconv.ParseInt(v, 10, 64)
			if err != nil || n < 0 {
				return q, fmt.Errorf("%s %q: give a log row id (a whole number)", p.name, clip(v, 30))
			}
			*p.dst = n
		}
	}
	if q.BeforeID > 0 && q.AfterID > 0 {
		return q, fmt.Errorf("give before (the next page) or after (live follow), not both")
	}
	if v := c.Query("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxLogLimit {
			return q, fmt.Errorf("limit %q: give 1 to %d", clip(v, 30), maxLogLimit)
		}
		q.Limit = n
	}
	return q, nil
}

// parseTime reads a from/to bound: RFC 3339, or "2006-01-02 15:04" (also
// with a T, or with seconds) in the configured zone.
func (s *Server) parseTime(name, v string) (time.Time, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, nil
	}
	for _, layout := range []string{"2006-01-02 15:04", "2006-01-02T15:04", time.DateTime, "2006-01-02T15:04:05", time.DateOnly} {
		if t, err := time.ParseInLocation(layout, v, s.location); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("%s %q: give RFC 3339 (2026-01-02T15:04:05+08:00) or \"2026-01-02 15:04\" in %s",
		name, clip(v, 40), s.location)
}

// apiLogs serves GET /admin/api/logs: a page of rows without bodies.
// next_before is the id to pass as before for the next page (0 on the
// last); next_after the id to pass as after to follow new rows.
func (s *Server) apiLogs(c *gin.Context) {
	q, err := s.logQuery(c)
	if err != nil {
		adminError(c, http.StatusBadRequest, codeInvalidParameter, err.Error())
		return
	}
	if !s.needStore(c) {
		return
	}
	rows, err := s.api.store.QueryLogs(c.Request.Context(), q)
	if err != nil {
		s.storeError(c, err)
		return
	}
	nextBefore, nextAfter := int64(0), q.AfterID
	for i := range rows {
		rows[i].RequestBody, rows[i].ResponseBody = "", ""
		s.redactRow(&rows[i])
		nextAfter = max(nextAfter, rows[i].ID)
	}
	if q.AfterID == 0 && len(rows) == q.Limit {
		nextBefore = rows[len(rows)-1].ID
	}
	if rows == nil {
		rows = []store.RequestLog{}
	}
	c.JSON(http.StatusOK, gin.H{"logs": rows, "next_before": nextBefore, "next_after": nextAfter})
}

// apiLog serves GET /admin/api/logs/{id}: one row with its bodies.
func (s *Server) apiLog(c *gin.Context) {
	id, err := strconv.ParseInt(c.Param("id"), 10, 64)
	if err != nil || id <= 0 {
		adminError(c, http.StatusBadRequest, codeInvalidParameter, "give a log row id (a whole number): GET /admin/api/logs/{id}")
		return
	}
	if !s.needStore(c) {
		return
	}
	row, err := s.api.store.LogByID(c.Request.Context(), id)
	if err != nil {
		s.storeError(c, err)
		return
	}
	s.redactRow(&row)
	row.RequestBody = s.reg.Redact(row.RequestBody)
	row.ResponseBody = s.reg.Redact(row.ResponseBody)
	c.JSON(http.StatusOK, row)
}

// redactRow runs the redactor over a row's free text once more (rows are
// redacted when written; an upstream key added to the config since, or a
// row written by an older version, is caught here) and puts its time in
// the configured zone.
func (s *Server) redactRow(r *store.RequestLog) {
	r.CreatedAt = r.CreatedAt.In(s.location)
	r.Error = s.reg.Redact(r.Error)
	r.Tried = s.reg.Redact(r.Tried)
	r.Path = s.reg.Redact(r.Path)
}

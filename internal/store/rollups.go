package store

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// The rollups (migrations 00005) keep the dashboard's figures per minute,
// hour and day, so that no page ever scans request_logs for a chart (README,
// "控制台": every page under 300 ms with five million log rows). The log
// writer adds each batch's figures in the transaction that inserts the
// batch (insertLogs): the rollups hold exactly the rows stored, spill
// replays included, and a replayed row already stored adds nothing.

// histBounds are the inclusive upper bounds, in milliseconds, of the
// latency and TTFT histogram buckets (lat_00.., ttft_00..); one more bucket
// holds everything above the last. Roughly log-spaced from 5 ms to 10 min;
// migrations 00005 bucket the backfilled rows with the same bounds. Read
// only.
var histBounds = [...]int64{5, 10, 25, 50, 100, 200, 300, 500, 750, 1000, 1500, 2000,
	3000, 5000, 7500, 10000, 15000, 20000, 30000, 60000, 120000, 300000, 600000}

// histBuckets is the number of buckets of each histogram.
const histBuckets = len(histBounds) + 1

// Grains of the rollups, in seconds. Minutes are the same in every zone
// (every zone's offset is a whole number of minutes); hours and days are
// UTC's, and serve the overview only where that gives the same answer as
// the configured zone's (see Overview).
const (
	grainMinute = 60
	grainHour   = 3600
	grainDay    = 86400
)

// rollupDimGrains are request_rollups' grains, rollupTotalGrains those of
// request_rollup_totals (the charts never need days).
var (
	rollupDimGrains   = [...]int64{grainMinute, grainHour, grainDay}
	rollupTotalGrains = [...]int64{grainMinute, grainHour}
)

// histBucket is the histogram bucket of a duration in milliseconds.
func histBucket(ms int64) int {
	i, _ := slices.BinarySearch(histBounds[:], ms)
	return i
}

// rollupFigures are the figures of one rollup row, in the order of
// rollupMetricColumns.
type rollupFigures struct {
	requests, errors, promptTokens, completionTokens int64
	cost                                             float64
	unpriced                                         int64
	lat, ttft                                        [histBuckets]int64
}

// knownCost is a row's cost when it has one that is stored as a number
// (costLiteral stores a non-finite cost as NULL).
func knownCost(c *float64) (float64, bool) {
	if c == nil || math.IsNaN(*c) || math.IsInf(*c, 0) {
		return 0, false
	}
	return *c, true
}

// add counts one log row, as the backfill of migrations 00005 does.
func (f *rollupFigures) add(r *RequestLog) {
	f.requests++
	if r.StatusCode >= 400 {
		f.errors++
	}
	f.promptTokens += r.PromptTokens
	f.completionTokens += r.CompletionTokens
	if c, ok := knownCost(r.Cost); ok {
		f.cost += c
	} else if r.PromptTokens+r.CompletionTokens > 0 {
		f.unpriced++
	}
	f.lat[histBucket(r.LatencyMs)]++
	// Time to first byte means something for streams only; 0 is "none".
	if r.Stream && r.TTFTMs > 0 {
		f.ttft[histBucket(r.TTFTMs)]++
	}
}

// merge adds o's figures.
func (f *rollupFigures) merge(o *rollupFigures) {
	f.requests += o.requests
	f.errors += o.errors
	f.promptTokens += o.promptTokens
	f.completionTokens += o.completionTokens
	f.cost += o.cost
	f.unpriced += o.unpriced
	for i := range f.lat {
		f.lat[i] += o.lat[i]
		f.ttft[i] += o.ttft[i]
	}
}

// scanDest returns pointers to the figures in rollupMetricColumns order,
// for rows.Scan.
func (f *rollupFigures) scanDest(dst []any) []any {
	dst = append(dst, &f.requests, &f.errors, &f.promptTokens, &f.completionTokens, &f.cost, &f.unpriced)
	for i := range f.lat {
		dst = append(dst, &f.lat[i])
	}
	for i := range f.ttft {
		dst = append(dst, &f.ttft[i])
	}
	return dst
}

// rollupMetricColumns are the figures' columns, in rollupFigures' order.
var rollupMetricColumns = func() []string {
	cols := []string{"requests", "errors", "prompt_tokens", "completion_tokens", "cost", "unpriced"}
	for _, h := range []string{"lat", "ttft"} {
		for i := range histBuckets {
			cols = append(cols, fmt.Sprintf("%s_%02d", h, i))
		}
	}
	return cols
}()

// rollupKey names one rollup row; total rows (request_rollup_totals) have
// no dimensions.
type rollupKey struct {
	total                   bool
	grain, bucket           int64
	provider, model, client string
}

func compareRollupKeys(a, b rollupKey) int {
	if a.total != b.total {
		if a.total {
			return 1
		}
		return -1
	}
	return cmp.Or(cmp.Compare(a.grain, b.grain), cmp.Compare(a.bucket, b.bucket),
		strings.Compare(a.provider, b.provider), strings.Compare(a.model, b.model),
		strings.Compare(a.client, b.client))
}

// rollupDelta is what one batch adds to one rollup row.
type rollupDelta struct {
	key rollupKey
	fig rollupFigures
}

// floorTo is t rounded down to a multiple of grain.
func floorTo(t, grain int64) int64 {
	m := t % grain
	if m < 0 {
		m += grain
	}
	return t - m
}

// rollupDeltas sums a batch's stored rows into one delta per rollup row,
// sorted by key: every writer takes the rows' locks in the same order, so
// two instances writing to one PostgreSQL database cannot deadlock.
func rollupDeltas(rows []*RequestLog) []rollupDelta {
	if len(rows) == 0 {
		return nil
	}
	idx := make(map[rollupKey]int, 8)
	var out []rollupDelta
	addTo := func(k rollupKey, r *RequestLog) {
		i, ok := idx[k]
		if !ok {
			i = len(out)
			idx[k] = i
			out = append(out, rollupDelta{key: k})
		}
		out[i].fig.add(r)
	}
	for _, r := range rows {
		unix := r.CreatedAt.Unix()
		for _, g := range rollupDimGrains {
			addTo(rollupKey{grain: g, bucket: floorTo(unix, g), provider: r.Provider, model: r.RequestedModel, client: r.Client}, r)
		}
		for _, g := range rollupTotalGrains {
			addTo(rollupKey{total: true, grain: g, bucket: floorTo(unix, g)}, r)
		}
	}
	slices.SortFunc(out, func(a, b rollupDelta) int { return compareRollupKeys(a.key, b.key) })
	return out
}

// Rows per rollup upsert statement: SQLite binds only the three names of a
// row (numbers are literals, see sqliteChunk); PostgreSQL binds every value
// and allows 65535 parameters.
const (
	sqliteRollupsPerStatement   = 64
	postgresRollupsPerStatement = 500
)

// rollupUpsertTail adds a delta to an existing row: the figures are sums,
// so adding them is all an upsert needs.
func rollupUpsertTail(table string, keyCols, cols []string) string {
	var b strings.Builder
	b.WriteString(" ON CONFLICT (")
	b.WriteString(strings.Join(keyCols, ", "))
	b.WriteString(") DO UPDATE SET ")
	for i, c := range cols {
		if i > 0 {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s = %s.%s + excluded.%s", c, table, c, c)
	}
	return b.String()
}

// rollupUpsertSQL is the fixed part of one kind of upsert.
type rollupUpsertSQL struct {
	head, tail string
	dims, hist bool
}

func newRollupUpsertSQL(table string, dims, hist bool) rollupUpsertSQL {
	keys := []string{"grain", "bucket"}
	if dims {
		keys = append(keys, "provider", "requested_model", "client")
	}
	cols := rollupMetricColumns
	if !hist {
		cols = cols[:rollupCountColumns]
	}
	return rollupUpsertSQL{
		head: "INSERT INTO " + table + " (" + strings.Join(keys, ", ") + ", " + strings.Join(cols, ", ") + ") VALUES ",
		tail: rollupUpsertTail(table, keys, cols),
		dims: dims,
		hist: hist,
	}
}

// rollupCountColumns is how many of rollupMetricColumns come before the
// histograms.
const rollupCountColumns = 6

// The three upserts: request_rollups' minute rows, its hour and day rows
// (without the histograms: they serve the top lists, which show none, and
// writing 48 more columns for them would double the writer's cost of the
// rollups) and request_rollup_totals.
var (
	rollupMinuteUpsert = newRollupUpsertSQL("request_rollups", true, true)
	rollupCoarseUpsert = newRollupUpsertSQL("request_rollups", true, false)
	rollupTotalUpsert  = newRollupUpsertSQL("request_rollup_totals", false, true)
)

// upsertRollups adds a batch's deltas to the rollups, inside the batch's
// transaction.
func (db *DB) upsertRollups(ctx context.Context, tx *sql.Tx, deltas []rollupDelta) error {
	// Sorted: request_rollups' minutes, its hours and days, then the totals.
	coarse := slices.IndexFunc(deltas, func(d rollupDelta) bool { return d.key.total || d.key.grain > grainMinute })
	totals := slices.IndexFunc(deltas, func(d rollupDelta) bool { return d.key.total })
	if totals < 0 {
		totals = len(deltas)
	}
	if coarse < 0 {
		coarse = totals
	}
	per := postgresRollupsPerStatement
	if db.dialect == dialectSQLite {
		per = sqliteRollupsPerStatement
	}
	for _, part := range []struct {
		deltas []rollupDelta
		sql    *rollupUpsertSQL
	}{
		{deltas[:coarse], &rollupMinuteUpsert},
		{deltas[coarse:totals], &rollupCoarseUpsert},
		{deltas[totals:], &rollupTotalUpsert},
	} {
		for start := 0; start < len(part.deltas); start += per {
			chunk := part.deltas[start:min(start+per, len(part.deltas))]
			query, args := db.rollupUpsert(part.sql, chunk)
			if _, err := tx.ExecContext(ctx, query, args...); err != nil {
				return fmt.Errorf("add %d rows to the rollups: %w", len(chunk), err)
			}
		}
	}
	return nil
}

// rollupUpsert builds one multi-row upsert. On SQLite the numbers are
// literals (formatted by strconv, see sqliteChunk) and only the names are
// bound; on PostgreSQL everything is bound.
func (db *DB) rollupUpsert(u *rollupUpsertSQL, chunk []rollupDelta) (string, []any) {
	w := valueWriter{sqlite: db.dialect == dialectSQLite}
	w.b.Grow(len(u.head) + len(u.tail) + len(chunk)*(len(rollupMetricColumns)*3+32))
	w.b.WriteString(u.head)
	for i := range chunk {
		d := &chunk[i]
		if i > 0 {
			w.b.WriteByte(',')
		}
		w.b.WriteByte('(')
		w.first = true
		w.int(d.key.grain)
		w.int(d.key.bucket)
		if u.dims {
			w.text(d.key.provider)
			w.text(d.key.model)
			w.text(d.key.client)
		}
		f := &d.fig
		w.int(f.requests)
		w.int(f.errors)
		w.int(f.promptTokens)
		w.int(f.completionTokens)
		w.float(f.cost)
		w.int(f.unpriced)
		if u.hist {
			for _, v := range f.lat {
				w.int(v)
			}
			for _, v := range f.ttft {
				w.int(v)
			}
		}
		w.b.WriteByte(')')
	}
	w.b.WriteString(u.tail)
	if !w.sqlite {
		sanitizeForPostgres(w.args)
	}
	return w.b.String(), w.args
}

// valueWriter writes the values of a VALUES list: numbers as literals on
// SQLite, everything else as a bound parameter.
type valueWriter struct {
	sqlite bool
	b      strings.Builder
	args   []any
	num    [32]byte
	n      int  // parameters so far, for PostgreSQL's $n
	first  bool // the next value opens a row: no comma before it
}

func (w *valueWriter) sep() {
	if !w.first {
		w.b.WriteByte(',')
	}
	w.first = false
}

func (w *valueWriter) param(v any) {
	w.args = append(w.args, v)
	if w.sqlite {
		w.b.WriteByte('?')
		return
	}
	w.n++
	w.b.WriteByte('$')
	w.b.Write(strconv.AppendInt(w.num[:0], int64(w.n), 10))
}

func (w *valueWriter) int(v int64) {
	w.sep()
	if !w.sqlite {
		w.param(v)
		return
	}
	w.b.Write(strconv.AppendInt(w.num[:0], v, 10))
}

func (w *valueWriter) float(v float64) {
	w.sep()
	if !w.sqlite {
		w.param(v)
		return
	}
	w.b.Write(strconv.AppendFloat(w.num[:0], v, 'g', -1, 64))
}

func (w *valueWriter) text(s string) {
	w.sep()
	w.param(s)
}

package store

import (
	"fmt"
	"time"
)

// TimeLayout is how SQLite stores timestamps: readable in the configured
// zone, millisecond precision, fixed width so that rows sort correctly as
// text within one zone, e.g. "2025-09-26 15:10:50.235+08:00". It replaces
// the driver's default ("2025-09-26T07:10:50.235720675+00:00"), which is
// neither readable local time nor fixed width.
const TimeLayout = "2006-01-02 15:04:05.000-07:00"

// dbTime converts a timestamp to the value the dialect stores: text in
// TimeLayout for SQLite, the time itself (timestamptz) for PostgreSQL. It
// is used for every write and every comparison with created_at/cached_at.
func (db *DB) dbTime(t time.Time) any {
	t = t.In(db.loc)
	if db.dialect == dialectSQLite {
		return t.Format(TimeLayout)
	}
	return t
}

// timeScanner reads created_at/cached_at back whatever the driver hands
// out (text from SQLite, time.Time from PostgreSQL) and converts it to the
// configured zone.
type timeScanner struct {
	dst *time.Time
	loc *time.Location
}

// Scan implements sql.Scanner.
func (s timeScanner) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*s.dst = time.Time{}
		return nil
	case time.Time:
		*s.dst = x.In(s.loc)
		return nil
	case string:
		return s.parse(x)
	case []byte:
		return s.parse(string(x))
	default:
		return fmt.Errorf("timestamp column: unexpected %T", v)
	}
}

func (s timeScanner) parse(text string) error {
	t, err := parseTime(text)
	if err != nil {
		return err
	}
	*s.dst = t.In(s.loc)
	return nil
}

// parseTime parses a stored SQLite timestamp. Besides TimeLayout it accepts
// RFC 3339 and the driver's default layout, so rows written by hand or by
// another tool still read.
func parseTime(text string) (time.Time, error) {
	for _, layout := range []string{TimeLayout, "2006-01-02 15:04:05.999999999-07:00", time.RFC3339Nano} {
		if t, err := time.Parse(layout, text); err == nil {
			return t, nil
		}
	}
	return time.Time{}, fmt.Errorf("timestamp %q is not in the layout %q", text, TimeLayout)
}

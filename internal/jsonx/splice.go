package jsonx

import (
	"cmp"
	"slices"
)

// Edit replaces b[At.Start:At.End] with Value; an empty span (Start ==
// End) inserts Value at Start.
type Edit struct {
	At    Span
	Value []byte
}

// Splice applies edits, which must not overlap, to b and returns the
// result. It works in b's own array when the result fits its capacity, so
// renaming the model of a large body costs one move of the bytes after it
// and no allocation; b must not be used afterwards. edits is reordered.
func Splice(b []byte, edits []Edit) []byte {
	// From the last edit back, so the spans not yet applied stay valid. An
	// insertion at the start of a replaced span goes after the replacement
	// in this order, so before it in the result.
	slices.SortFunc(edits, func(x, y Edit) int {
		return cmp.Or(cmp.Compare(y.At.Start, x.At.Start), cmp.Compare(y.At.End, x.At.End))
	})
	// In place, the body is longest after some prefix of the edits (a
	// growing one applied before a shrinking one); that must fit.
	grow, peak := 0, 0
	for _, e := range edits {
		grow += len(e.Value) - (e.At.End - e.At.Start)
		peak = max(peak, grow)
	}
	if len(b)+peak > cap(b) {
		out := make([]byte, 0, len(b)+grow)
		prev := 0
		for i := len(edits) - 1; i >= 0; i-- {
			e := edits[i]
			out = append(out, b[prev:e.At.Start]...)
			out = append(out, e.Value...)
			prev = e.At.End
		}
		return append(out, b[prev:]...)
	}
	for _, e := range edits {
		n := len(b)
		delta := len(e.Value) - (e.At.End - e.At.Start)
		if delta > 0 {
			b = b[:n+delta]
		}
		copy(b[e.At.End+delta:], b[e.At.End:n])
		copy(b[e.At.Start:], e.Value)
		if delta < 0 {
			b = b[:n+delta]
		}
	}
	return b
}

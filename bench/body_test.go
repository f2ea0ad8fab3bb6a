package bench

import (
	"bytes"
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/aigw/aigw/internal/jsonx"
)

// The gateway never decodes a passthrough body: one pass validates it and
// finds model, stream and stream_options; the model (and, for streams,
// stream_options) is then edited in place by byte offset. These benchmarks
// repeat those steps (internal/gateway/request.go readBody, handlers.go
// modelEdit/includeUsageEdit) on the public jsonx package, since the
// gateway's helpers are unexported.

var members = []string{"model", "stream", "stream_options"}

// extract is readBody's work on a body already in memory.
func extract(body []byte) (model string, stream bool, spans []jsonx.Span, ok bool) {
	spans = make([]jsonx.Span, len(members))
	if p, _ := jsonx.CheckMembers(body, 256, members, spans); p != jsonx.OK || !spans[0].Found() {
		return "", false, nil, false
	}
	m := gjson.ParseBytes(body[spans[0].Start:spans[0].End])
	if m.Type != gjson.String {
		return "", false, nil, false
	}
	if sp := spans[1]; sp.Found() {
		stream = string(body[sp.Start:sp.End]) == "true"
	}
	return m.Str, stream, spans, true
}

// withRoom copies body into a buffer with the spare capacity the gateway's
// body reader leaves, so edits happen in place as they do there.
func withRoom(dst, body []byte) []byte {
	return append(dst[:0], body...)
}

func benchBodies(b *testing.B, fn func(b *testing.B, body []byte)) {
	for _, c := range []struct {
		name string
		body []byte
	}{
		{"small", []byte(withModel(smallChat, "mock-openai/mock-gpt-4o"))},
		{"1MB", bigChat("mock-openai/mock-gpt-4o", 1<<20)},
	} {
		b.Run(c.name, func(b *testing.B) {
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			fn(b, c.body)
		})
	}
}

// BenchmarkModelExtract: validate + find model, stream, stream_options.
func BenchmarkModelExtract(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		for b.Loop() {
			if _, _, _, ok := extract(body); !ok {
				b.Fatal("extract failed")
			}
		}
	})
}

// BenchmarkModelRewrite: extract, then set the upstream model name (the
// provider prefix is stripped: a shorter name, edited in place). The body
// is restored from a pristine copy each time, as the gateway reads a fresh
// one per request; BenchmarkBodySteps/copy shows what that copy costs.
func BenchmarkModelRewrite(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		buf := make([]byte, 0, len(body)+64)
		for b.Loop() {
			work := withRoom(buf, body)
			_, _, spans, ok := extract(work)
			if !ok {
				b.Fatal("extract failed")
			}
			out := jsonx.Splice(work, []jsonx.Edit{{At: spans[0], Value: []byte(`"mock-gpt-4o"`)}})
			if len(out) != len(body)-len("mock-openai/") {
				b.Fatal("bad rewrite")
			}
		}
	})
}

// BenchmarkStreamOptionsInject: a streamed request without
// stream_options gets {"include_usage":true} added with the model edit.
func BenchmarkStreamOptionsInject(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		buf := make([]byte, 0, len(body)+64)
		opts := []byte(`,"stream_options":{"include_usage":true}`)
		for b.Loop() {
			work := withRoom(buf, body)
			_, _, spans, ok := extract(work)
			if !ok || spans[2].Found() {
				b.Fatal("extract failed")
			}
			end := bytes.LastIndexByte(work, '}')
			out := jsonx.Splice(work, []jsonx.Edit{
				{At: spans[0], Value: []byte(`"mock-gpt-4o"`)},
				{At: jsonx.Span{Start: end, End: end}, Value: opts},
			})
			if !gjson.GetBytes(out, "stream_options.include_usage").Bool() {
				b.Fatal("not injected")
			}
		}
	})
}

// BenchmarkBodySteps splits readBody's full-body passes, to show which one
// a 1 MB body pays for.
func BenchmarkBodySteps(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		b.Run("gjson.ValidBytes", func(b *testing.B) {
			for b.Loop() {
				if !gjson.ValidBytes(body) {
					b.Fatal("invalid")
				}
			}
		})
		b.Run("utf8.Valid", func(b *testing.B) {
			for b.Loop() {
				if !utf8.Valid(body) {
					b.Fatal("invalid")
				}
			}
		})
		// ParseBytes copies the body into a string before parsing.
		b.Run("gjson.ParseBytes+Get", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if gjson.ParseBytes(body).Get("model").Str == "" {
					b.Fatal("no model")
				}
			}
		})
		b.Run("copy", func(b *testing.B) {
			buf := make([]byte, 0, len(body)+64)
			for b.Loop() {
				buf = withRoom(buf, body)
			}
		})
		b.Run("jsonx.Check", func(b *testing.B) {
			for b.Loop() {
				if p, _ := jsonx.Check(body, 256); p != jsonx.OK {
					b.Fatal(p)
				}
			}
		})
		b.Run("jsonx.CheckMembers", func(b *testing.B) {
			spans := make([]jsonx.Span, len(members))
			for b.Loop() {
				if p, _ := jsonx.CheckMembers(body, 256, members, spans); p != jsonx.OK {
					b.Fatal(p)
				}
			}
		})
		// What the model edit cost with sjson before: without Optimistic,
		// ReplaceInPlace is ignored and the whole body is rebuilt.
		b.Run("sjson.SetBytes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := sjson.SetBytes(body, "model", "mock-gpt-4o"); err != nil {
					b.Fatal(err)
				}
			}
		})
		b.Run("jsonx.DepthOK", func(b *testing.B) {
			for b.Loop() {
				if !jsonx.DepthOK(body, 256) {
					b.Fatal("too deep")
				}
			}
		})
		// One top-level walk finds model and stream without validating
		// the whole grammar (the upstream rejects malformed JSON anyway).
		b.Run("gjson.ForEach-top-level", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				var model string
				gjson.ParseBytes(body).ForEach(func(k, v gjson.Result) bool {
					if k.Str == "model" {
						model = v.Str
					}
					return true
				})
				if model == "" {
					b.Fatal("no model")
				}
			}
		})
		// GetBytes reads the same fields without the copy.
		b.Run("gjson.GetBytes", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if gjson.GetBytes(body, "model").Str == "" || gjson.GetBytes(body, "stream").Exists() {
					b.Fatal("bad fields")
				}
			}
		})
	})
}

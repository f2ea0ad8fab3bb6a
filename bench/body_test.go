package bench

import (
	"testing"
	"unicode/utf8"

	"github.com/tidwall/gjson"
	"github.com/tidwall/sjson"

	"github.com/aigw/aigw/pkg/jsonx"
)

// The gateway never decodes a passthrough body: it validates it, reads
// model and stream with gjson, and edits the model (and, for streams,
// stream_options) in place with sjson. These benchmarks repeat those steps
// (pkg/gateway/request.go readBody, handlers.go rewriteModel/proxyOpenAI)
// on the public libraries, since the gateway's helpers are unexported.

// extract is readBody's work on a body already in memory: depth check,
// grammar and UTF-8 validation, then model and stream.
func extract(body []byte) (model string, stream bool, ok bool) {
	if !jsonx.DepthOK(body, 256) || !gjson.ValidBytes(body) || !utf8.Valid(body) {
		return "", false, false
	}
	root := gjson.ParseBytes(body)
	m := root.Get("model")
	if m.Type != gjson.String {
		return "", false, false
	}
	return m.Str, root.Get("stream").Type == gjson.True, true
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

// BenchmarkModelExtract: validate + model + stream, as readBody does.
func BenchmarkModelExtract(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		for b.Loop() {
			if _, _, ok := extract(body); !ok {
				b.Fatal("extract failed")
			}
		}
	})
}

// BenchmarkModelRewrite: extract, then set the upstream model name (the
// provider prefix is stripped, so the body changes and sjson copies it).
func BenchmarkModelRewrite(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		for b.Loop() {
			if _, _, ok := extract(body); !ok {
				b.Fatal("extract failed")
			}
			out, err := sjson.SetBytes(body, "model", "mock-gpt-4o")
			if err != nil || len(out) == 0 {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkStreamOptionsInject: a streamed request without include_usage
// gets stream_options.include_usage=true added (second sjson pass).
func BenchmarkStreamOptionsInject(b *testing.B) {
	benchBodies(b, func(b *testing.B, body []byte) {
		for b.Loop() {
			out, err := sjson.SetBytes(body, "model", "mock-gpt-4o")
			if err != nil {
				b.Fatal(err)
			}
			if !gjson.GetBytes(out, "stream_options.include_usage").Bool() {
				if out, err = sjson.SetBytes(out, "stream_options.include_usage", true); err != nil || len(out) == 0 {
					b.Fatal(err)
				}
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

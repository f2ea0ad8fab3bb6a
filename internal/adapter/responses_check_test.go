package adapter

import (
	"bytes"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/openai/openai-go/v3/packages/ssestream"
	"github.com/openai/openai-go/v3/responses"
	"github.com/tidwall/gjson"
)

// Helpers shared by the Responses stream tests and fuzzers.

// respTestMeta is the request side's meta for the tests: an echo with the
// usual members and the tool map of a Codex-like request (a custom tool,
// a namespace tool).
func respTestMeta(include bool) ResponsesMeta {
	n := 0
	return ResponsesMeta{
		Stream:         true,
		RequestedModel: "gpt-5-codex",
		UpstreamModel:  "up-model",
		Echo: []byte(`{"instructions":"Be brief.","max_output_tokens":1000,"parallel_tool_calls":true,` +
			`"tool_choice":"auto","tools":[{"type":"function","name":"get_weather","parameters":{"type":"object"}},` +
			"\n" + `{"type":"custom","name":"apply_patch"}],"reasoning":{"effort":"medium","summary":"auto"},` +
			`"metadata":{"k":"v"},"store":true,"model":"ignored"}`),
		Tools: map[string]ResponsesTool{
			"get_weather":   {Kind: "function", Name: "get_weather"},
			"get_time":      {Kind: "function", Name: "get_time"},
			"apply_patch":   {Kind: "custom", Name: "apply_patch"},
			"fs__read_file": {Kind: "function", Name: "read_file", Namespace: "fs"},
		},
		IncludeEncryptedReasoning: include,
		ResponseID:                "resp_test",
		Now:                       fixedNow,
		NewID: func(prefix string) string {
			n++
			return prefix + "t" + strconv.Itoa(n)
		},
	}
}

// respStream is what checkResponsesStream learned of a stream.
type respStream struct {
	types    []string
	terminal gjson.Result // the terminal event's data; absent if none
}

// checkResponsesStream checks the rules every Responses stream keeps
// (docs/responses.md, "Stream"), whatever the upstream sent: named frames
// whose data repeats the type, sequence numbers from 0 without gaps,
// created and in_progress first, at most one terminal event and nothing
// after it, deltas only for open items, every item closed before a
// completed or incomplete end, and the final output matching the items.
func checkResponsesStream(t testing.TB, out []byte) respStream {
	t.Helper()
	var r respStream
	if len(out) == 0 {
		return r
	}
	if !bytes.HasSuffix(out, []byte("\n\n")) {
		t.Fatalf("output does not end with a blank line: %q", out)
	}
	type itemState struct {
		id   string
		done bool
	}
	var items []itemState
	ids := map[string]bool{}
	for i, fr := range strings.Split(strings.TrimSuffix(string(out), "\n\n"), "\n\n") {
		if r.terminal.Exists() {
			t.Fatalf("frame after the terminal event: %q", fr)
		}
		lines := strings.Split(fr, "\n")
		if len(lines) != 2 || !strings.HasPrefix(lines[0], "event: ") || !strings.HasPrefix(lines[1], "data: ") {
			t.Fatalf("frame %d is not event+data: %q", i, fr)
		}
		name, data := strings.TrimPrefix(lines[0], "event: "), strings.TrimPrefix(lines[1], "data: ")
		if !gjson.Valid(data) {
			t.Fatalf("frame %d data is not JSON: %s", i, data)
		}
		g := gjson.Parse(data)
		if g.Get("type").Str != name {
			t.Fatalf("frame %d: event %q, data type %q", i, name, g.Get("type").Str)
		}
		if g.Get("error").Exists() {
			t.Fatalf("frame %d has a top-level error member (the SDKs raise on it): %s", i, data)
		}
		if sn := g.Get("sequence_number"); sn.Type != gjson.Number || sn.Int() != int64(i) {
			t.Fatalf("frame %d has sequence_number %s", i, sn.Raw)
		}
		switch {
		case i == 0 && name != "response.created", i == 1 && name != "response.in_progress":
			t.Fatalf("frame %d is %s", i, name)
		}
		r.types = append(r.types, name)
		item := func() *itemState {
			idx := g.Get("output_index").Int()
			if idx < 0 || idx >= int64(len(items)) || items[idx].done {
				t.Fatalf("frame %d (%s) for output_index %d, not an open item", i, name, idx)
			}
			if id := g.Get("item_id"); id.Exists() && id.Str != items[idx].id {
				t.Fatalf("frame %d: item_id %q at output_index %d is %q", i, id.Str, idx, items[idx].id)
			}
			return &items[idx]
		}
		switch name {
		case "response.created", "response.in_progress":
			if g.Get("response.status").Str != "in_progress" {
				t.Fatalf("%s with status %s", name, g.Get("response.status").Str)
			}
		case "response.output_item.added":
			id := g.Get("item.id").Str
			if g.Get("output_index").Int() != int64(len(items)) || id == "" || ids[id] {
				t.Fatalf("frame %d adds item %q at %d after %d items", i, id, g.Get("output_index").Int(), len(items))
			}
			ids[id] = true
			items = append(items, itemState{id: id})
		case "response.output_item.done":
			it := item()
			if g.Get("item.id").Str != it.id {
				t.Fatalf("frame %d closes %q as %q", i, it.id, g.Get("item.id").Str)
			}
			it.done = true
		case "response.completed", "response.incomplete", "response.failed":
			r.terminal = g
			out := g.Get("response.output").Array()
			if name != "response.failed" {
				if len(out) != len(items) {
					t.Fatalf("%s has %d output items, the stream added %d", name, len(out), len(items))
				}
				for k, it := range items {
					if !it.done || out[k].Get("id").Str != it.id {
						t.Fatalf("%s: item %d (%s) not done or out of place", name, k, it.id)
					}
				}
			}
			if !g.Get("response.usage").IsObject() {
				t.Fatalf("%s without usage", name)
			}
		default:
			item()
		}
	}
	return r
}

// sdkEvents reads a stream with the official Go SDK's decoder and event
// union, as an application would.
func sdkEvents(t testing.TB, out []byte) []responses.ResponseStreamEventUnion {
	t.Helper()
	resp := &http.Response{
		StatusCode: 200,
		Header:     http.Header{"Content-Type": []string{"text/event-stream"}},
		Body:       io.NopCloser(bytes.NewReader(out)),
	}
	stream := ssestream.NewStream[responses.ResponseStreamEventUnion](ssestream.NewDecoder(resp), nil)
	var evs []responses.ResponseStreamEventUnion
	for stream.Next() {
		evs = append(evs, stream.Current())
	}
	if err := stream.Err(); err != nil {
		t.Fatalf("openai-go stream: %v", err)
	}
	return evs
}

// respGoldenInputs lists the stream inputs whose name starts with prefix.
func respGoldenInputs(prefix string) [][]byte {
	ins, _ := filepath.Glob(filepath.Join("testdata", "responses_stream", prefix+"*.in"))
	sort.Strings(ins)
	var out [][]byte
	for _, p := range ins {
		if b, err := os.ReadFile(p); err == nil {
			out = append(out, b)
		}
	}
	return out
}

package jsonx

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

var memberNames = []string{"model", "stream", "stream_options"}

// describe renders what CheckMembers found, for table comparison.
func describe(b []byte, spans []Span) string {
	var out []string
	for i, sp := range spans {
		if sp.Found() {
			out = append(out, memberNames[i]+"="+string(b[sp.Start:sp.End]))
		}
	}
	return strings.Join(out, " ")
}

func TestCheckMembers(t *testing.T) {
	cases := []struct {
		in    string
		want  Problem
		found string
	}{
		{`{"model":"gpt-4o","stream":true}`, OK, `model="gpt-4o" stream=true`},
		// openai-python's order: model after a large messages array.
		{`{"messages":[{"role":"user","content":"model stream"}],"model":"m","stream_options":{"include_usage":false}}`, OK,
			`model="m" stream_options={"include_usage":false}`},
		{` { "model" : "a\"b" , "stream" : null } `, OK, `model="a\"b" stream=null`},
		{`{"stream":{},"model":[]}`, OK, `model=[] stream={}`},
		{`{"stream":[1,[2]],"x":{"model":"inner"}}`, OK, `stream=[1,[2]]`},
		{`{"mod\u0065l":"escaped-key"}`, OK, `model="escaped-key"`},
		{`{"modelx":1,"Model":2}`, OK, ``},
		{`{}`, OK, ``},
		{`[{"model":"in an array"}]`, OK, ``},
		{`"model"`, OK, ``},
		{`{"model":"a","model":"b"}`, Duplicate, ``},
		{`{"model":"a","x":1,"mod\u0065l":"b"}`, Duplicate, ``},
		{`{"stream":true,"stream":false}`, Duplicate, ``},
		{`{"x":1,"x":2}`, OK, ``},
		{`{"model":"a",}`, Invalid, ``},
		{`{"model":"a"`, Invalid, ``},
	}
	for _, tc := range cases {
		spans := make([]Span, len(memberNames))
		got, _ := CheckMembers([]byte(tc.in), 8, memberNames, spans)
		if got != tc.want {
			t.Errorf("CheckMembers(%s) = %v, want %v", tc.in, got, tc.want)
			continue
		}
		if got == OK {
			if f := describe([]byte(tc.in), spans); f != tc.found {
				t.Errorf("CheckMembers(%s) found %q, want %q", tc.in, f, tc.found)
			}
		}
	}
}

// Spans from an earlier body never leak into the next call.
func TestCheckMembersResetsSpans(t *testing.T) {
	spans := make([]Span, len(memberNames))
	CheckMembers([]byte(`{"model":"a","stream":true}`), 8, memberNames, spans)
	CheckMembers([]byte(`{"model":"b"}`), 8, memberNames, spans)
	if spans[1].Found() {
		t.Fatalf("stream span survived from the previous body: %+v", spans[1])
	}
}

func TestCheckMembersDuplicateOffset(t *testing.T) {
	b := []byte(`{"model":"a","model":"b"}`)
	if p, at := CheckMembers(b, 8, memberNames, make([]Span, 3)); p != Duplicate || at != 13 {
		t.Fatalf("got %v at %d, want Duplicate at 13 (the second key)", p, at)
	}
}

// memberReference decodes the root object as encoding/json does and
// returns each wanted member's raw value, or Duplicate when one repeats.
func memberReference(b []byte) (Problem, []string, error) {
	var root map[string]json.RawMessage
	if err := json.Unmarshal(b, &root); err != nil {
		return OK, nil, err // not an object: nothing to find
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	seen := map[string]int{}
	if _, err := dec.Token(); err != nil {
		return OK, nil, err
	}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return OK, nil, err
		}
		seen[tok.(string)]++
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return OK, nil, err
		}
	}
	vals := make([]string, len(memberNames))
	for i, name := range memberNames {
		if seen[name] > 1 {
			return Duplicate, nil, nil
		}
		vals[i] = string(root[name])
	}
	return OK, vals, nil
}

func FuzzCheckMembers(f *testing.F) {
	for _, s := range []string{`{"model":"a","stream":true}`, `{"messages":[{"model":1}],"model":"m"}`,
		`{"model":"a","model":"b"}`, `{"stream_options":{"include_usage":true},"stream":false}`, `[1]`, `{"mod\u0065l":1}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		spans := make([]Span, len(memberNames))
		got, _ := CheckMembers(b, 4, memberNames, spans)
		plain, _ := Check(b, 4)
		if got != Duplicate && got != plain {
			t.Fatalf("CheckMembers(%q) = %v, Check says %v", b, got, plain)
		}
		if plain != OK {
			return
		}
		want, vals, err := memberReference(b)
		if err != nil {
			for _, sp := range spans {
				if sp.Found() {
					t.Fatalf("CheckMembers(%q) found a member in a body that is not an object", b)
				}
			}
			return
		}
		if got != want {
			t.Fatalf("CheckMembers(%q) = %v, reference %v", b, got, want)
		}
		if got != OK {
			return
		}
		for i, sp := range spans {
			var have string
			if sp.Found() {
				have = string(b[sp.Start:sp.End])
			}
			if have != vals[i] {
				t.Fatalf("CheckMembers(%q): %s = %q, reference %q", b, memberNames[i], have, vals[i])
			}
		}
	})
}

func TestSplice(t *testing.T) {
	body := `{"model":"provider/model-a","messages":[],"stream":true}`
	modelAt := Span{9, 27}
	end := len(body) - 1
	cases := []struct {
		name  string
		spare int
		edits []Edit
		want  string
	}{
		{"shorter, in place", 0, []Edit{{modelAt, []byte(`"model-a"`)}},
			`{"model":"model-a","messages":[],"stream":true}`},
		{"longer, grows", 0, []Edit{{modelAt, []byte(`"provider/model-a-much-longer"`)}},
			`{"model":"provider/model-a-much-longer","messages":[],"stream":true}`},
		{"insert at the end and rename, no spare room", 0,
			[]Edit{{modelAt, []byte(`"m"`)}, {Span{end, end}, []byte(`,"stream_options":{"include_usage":true}`)}},
			`{"model":"m","messages":[],"stream":true,"stream_options":{"include_usage":true}}`},
		{"insert and rename, in spare capacity", 64,
			[]Edit{{Span{end, end}, []byte(`,"x":1`)}, {modelAt, []byte(`"m"`)}},
			`{"model":"m","messages":[],"stream":true,"x":1}`},
		{"no edits", 0, nil, body},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			b := make([]byte, len(body), len(body)+tc.spare)
			copy(b, body)
			got := Splice(b, tc.edits)
			if string(got) != tc.want {
				t.Fatalf("got  %s\nwant %s", got, tc.want)
			}
			inPlace := len(tc.want) <= cap(b)
			if same := len(got) > 0 && &got[0] == &b[0]; same != inPlace {
				t.Fatalf("worked in place = %v, want %v (len %d, cap %d)", same, inPlace, len(tc.want), cap(b))
			}
		})
	}
}

func FuzzSplice(f *testing.F) {
	f.Add([]byte("0123456789abcdef"), 3, 5, []byte("XYZ"), 10, 10, []byte("-"), 8)
	f.Fuzz(func(t *testing.T, b []byte, s1, e1 int, v1 []byte, s2, e2 int, v2 []byte, spare int) {
		n := len(b)
		clamp := func(x int) int { return ((x % (n + 1)) + n + 1) % (n + 1) }
		s1, e1, s2, e2 = clamp(s1), clamp(e1), clamp(s2), clamp(e2)
		if s1 > e1 {
			s1, e1 = e1, s1
		}
		if s2 > e2 {
			s2, e2 = e2, s2
		}
		if !(e1 <= s2 && !(e1 == s2 && s1 == e1 && s2 == e2)) { // keep the two edits apart, in order
			return
		}
		want := string(b[:s1]) + string(v1) + string(b[e1:s2]) + string(v2) + string(b[e2:])
		buf := make([]byte, n, n+spare%128+128)
		copy(buf, b)
		got := Splice(buf, []Edit{{Span{s1, e1}, v1}, {Span{s2, e2}, v2}})
		if string(got) != want {
			t.Fatal(fmt.Sprintf("Splice(%q, [%d:%d]=%q, [%d:%d]=%q) = %q, want %q", b, s1, e1, v1, s2, e2, v2, got, want))
		}
	})
}

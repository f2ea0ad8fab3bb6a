package jsonx

import (
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"
)

// reference is what Check must agree with: encoding/json's validator plus
// UTF-8 validity, and the nesting limit counted on the decoded structure.
func reference(b []byte, maxDepth int) Problem {
	if !json.Valid(b) || !utf8.Valid(b) {
		if !DepthOK(b, maxDepth) && depthReachedBeforeError(b, maxDepth) {
			return TooDeep
		}
		return Invalid
	}
	if !DepthOK(b, maxDepth) {
		return TooDeep
	}
	return OK
}

// depthReachedBeforeError tells, for an invalid body that also nests too
// deep, which one a left-to-right scan meets first: the prefix up to the
// first syntax error either does or does not exceed the limit.
func depthReachedBeforeError(b []byte, maxDepth int) bool {
	var v any
	err := json.Unmarshal(b, &v)
	se, ok := err.(*json.SyntaxError)
	if !ok {
		return true
	}
	// Offset counts the byte that broke the syntax; it is not read as a
	// container opener.
	// At the end of input no byte broke it.
	end := int(se.Offset) - 1
	if strings.Contains(se.Error(), "unexpected end") {
		end = len(b)
	}
	return !DepthOK(b[:end], maxDepth)
}

func TestCheck(t *testing.T) {
	deep := strings.Repeat("[", 300) + strings.Repeat("]", 300)
	cases := []struct {
		in   string
		want Problem
	}{
		{`{}`, OK},
		{`[]`, OK},
		{` { "a" : [ 1 , -2.5e+3 , true , false , null , "x" , { } , [ ] ] } `, OK},
		{`{"model":"gpt-4o","messages":[{"role":"user","content":"你好 \u4f60\"\\\/\b\f\n\r\t"}]}`, OK},
		{`"just a string"`, OK},
		{`0`, OK},
		{`-0.0E-0`, OK},
		{``, Invalid},
		{`   `, Invalid},
		{`{`, Invalid},
		{`{"a"}`, Invalid},
		{`{"a":}`, Invalid},
		{`{"a":1,}`, Invalid},
		{`[1,]`, Invalid},
		{`[1 2]`, Invalid},
		{`{"a":1}}`, Invalid},
		{`{"a":1} x`, Invalid},
		{`{a:1}`, Invalid},
		{`{"a":01}`, Invalid},
		{`{"a":1.}`, Invalid},
		{`{"a":.5}`, Invalid},
		{`{"a":1e}`, Invalid},
		{`{"a":-}`, Invalid},
		{`{"a":tru}`, Invalid},
		{`{"a":nul}`, Invalid},
		{`{"a":"\x"}`, Invalid},
		{`{"a":"\u12G4"}`, Invalid},
		{`{"a":"\u12"}`, Invalid},
		{"{\"a\":\"tab\there\"}", Invalid},
		{"{\"a\":\"nul\x00\"}", Invalid},
		{"{\"a\":\"bad utf8 \xff\xfe\"}", Invalid},
		{"{\"a\":\"cut \xe4\xbd\"}", Invalid},
		{`{"a":"unterminated}`, Invalid},
		{`{"a":"ends in backslash\`, Invalid},
		{`[1]]`, Invalid},
		{`[}`, Invalid},
		{`{]`, Invalid},
		{deep, TooDeep},
		{strings.Repeat("[", 256) + strings.Repeat("]", 256), OK},
		{strings.Repeat("[", 257) + strings.Repeat("]", 257), TooDeep},
		{strings.Repeat(`{"a":`, 300) + "1" + strings.Repeat("}", 300), TooDeep},
		{`{"s":"` + strings.Repeat(`\n`, 10000) + `"}`, OK},
		{`{"s":"` + strings.Repeat(`\"`, 10000) + `"}`, OK},
	}
	for _, tc := range cases {
		got, _ := Check([]byte(tc.in), 256)
		if got != tc.want {
			t.Errorf("Check(%.60q) = %v, want %v", tc.in, got, tc.want)
		}
		if ref := reference([]byte(tc.in), 256); ref != tc.want {
			t.Errorf("reference disagrees with the table for %.60q: %v", tc.in, ref)
		}
	}
}

func TestCheckOffset(t *testing.T) {
	_, off := Check([]byte(`{"a":[1,2,x]}`), 10)
	if off != 10 {
		t.Errorf("offset = %d, want 10 (the x)", off)
	}
}

// A quote, a backslash escape, a control character and a bad UTF-8 byte
// at every position of the eight-byte words catch a wrong mask or offset in
// nextSpecial.
func TestCheckWordBoundaries(t *testing.T) {
	for n := 0; n < 24; n++ {
		for pos := 0; pos < n; pos++ {
			mk := func(insert string) []byte {
				s := []byte(strings.Repeat("a", n))
				return []byte(`"` + string(s[:pos]) + insert + string(s[pos+1:]) + `"`)
			}
			for _, tc := range []struct {
				insert string
				want   Problem
			}{
				{"\x00", Invalid}, {"\x1f", Invalid}, {"\t", Invalid}, {"\x7f", OK},
				{"\\n", OK}, {"\\\"", OK}, {"\\u00e9", OK}, {"\\q", Invalid},
				{"\xc3\xa9", OK}, {"\xff", Invalid}, {"\xe4\xbd", Invalid}, {"\"x", Invalid},
			} {
				b := mk(tc.insert)
				if got, _ := Check(b, 4); got != tc.want {
					t.Fatalf("Check(%q) = %v, want %v", b, got, tc.want)
				}
				if ref := reference(b, 4); ref != tc.want {
					t.Fatalf("reference(%q) = %v, want %v", b, ref, tc.want)
				}
			}
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{`{"a":[1,{"b":"c\n"}]}`, `[1,2`, `{"x":"\u00e9"}`, "\"\xff\"", `[[[[]]]]`, `-1.5e3`, `{"a":"b\\"}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		got, _ := Check(b, 4)
		if want := reference(b, 4); got != want {
			t.Fatalf("Check(%q) = %v, reference %v", b, got, want)
		}
	})
}

func BenchmarkCheck(b *testing.B) {
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("Write a sentence about gateways. 你好。", 30000) + `"}],"max_tokens":128}`)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		if p, _ := Check(body, 256); p != OK {
			b.Fatal(p)
		}
	}
}

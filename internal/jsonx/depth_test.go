package jsonx

import (
	"strings"
	"testing"
)

func TestDepthOK(t *testing.T) {
	deep := strings.Repeat("[", 300)
	cases := []struct {
		in   string
		max  int
		want bool
	}{
		{`{"a":[1,{"b":2}]}`, 3, true},
		{`{"a":[1,{"b":2}]}`, 2, false},
		{`{"a":"[[[[[[[[["}`, 2, true},
		{`{"a":"\"[[[["}`, 1, true},
		{`{"a":"x\"[[[[","b":[1,[2]]}`, 3, true},
		{`{"a":"x\"[[[[","b":[1,[2]]}`, 2, false},
		{`{"a":"\\\\"}`, 1, true},
		{`{"a":"\\"}[[`, 2, true},
		{`{"a":"\\"}[[`, 1, false},
		{`{"a":"\\\"{"}`, 1, true},
		{`{"s":"` + deep + `"}`, 1, true},
		{`"unterminated [[[[`, 1, true},
		{deep + strings.Repeat("]", 300), 256, false},
	}
	for _, tc := range cases {
		if got := DepthOK([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("DepthOK(%.40q, %d) = %v, want %v", tc.in, tc.max, got, tc.want)
		}
	}
}

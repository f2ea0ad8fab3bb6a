package gateway

import (
	"strings"
	"testing"
)

func TestJSONDepth(t *testing.T) {
	cases := []struct {
		in   string
		max  int
		want bool
	}{
		{`{"a":[1,{"b":2}]}`, 3, true},
		{`{"a":[1,{"b":2}]}`, 2, false},
		{`{"a":"[[[[[[[[["}`, 2, true},
		{`{"a":"\"[[[["}`, 1, true},
		{strings.Repeat("[", 300) + strings.Repeat("]", 300), maxJSONDepth, false},
	}
	for _, tc := range cases {
		if got := jsonDepthOK([]byte(tc.in), tc.max); got != tc.want {
			t.Errorf("jsonDepthOK(%.30q, %d) = %v, want %v", tc.in, tc.max, got, tc.want)
		}
	}
}

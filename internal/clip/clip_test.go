package clip

import "testing"

func TestUTF8(t *testing.T) {
	for _, tc := range []struct {
		in   string
		n    int
		want string
	}{
		{"hello", 10, "hello"},
		{"hello", 3, "hel"},
		{"模型名", 4, "模"}, // 3 bytes a character: never half of the second
		{"模型名", 6, "模型"},
		{"模", 2, ""},
	} {
		if got := UTF8(tc.in, tc.n); got != tc.want {
			t.Errorf("UTF8(%q, %d) = %q, want %q", tc.in, tc.n, got, tc.want)
		}
	}
}

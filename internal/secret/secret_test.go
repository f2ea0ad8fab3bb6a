package secret

import "testing"

func TestHint(t *testing.T) {
	cases := map[string]string{
		"":                           "",
		"abc":                        "***",
		"sk-12345":                   "...45",
		"sk-proj-abcdefghij0123c3f9": "sk-...c3f9",
	}
	for in, want := range cases {
		if got := Hint(in); got != want {
			t.Errorf("Hint(%q) = %q, want %q", in, got, want)
		}
	}
}

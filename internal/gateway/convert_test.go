package gateway

import "testing"

func TestAdaptiveThinkingModel(t *testing.T) {
	for model, want := range map[string]bool{
		"claude-opus-4-6":            true,
		"claude-sonnet-4-6-20260101": true,
		"claude-opus-4-7":            true,
		"claude-opus-5":              true,
		"claude-sonnet-4-5-20250929": false,
		"claude-opus-4-1":            false,
		"claude-3-7-sonnet-latest":   false,
		"claude-haiku-4-5":           false,
	} {
		if got := adaptiveThinkingModel(model); got != want {
			t.Errorf("adaptiveThinkingModel(%q) = %v, want %v", model, got, want)
		}
	}
}

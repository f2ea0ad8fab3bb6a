package adapter

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// goldenMeta is the part of ResponsesMeta a golden records.
type goldenMeta struct {
	Stream                    bool                     `json:"stream"`
	RequestedModel            string                   `json:"requested_model"`
	UpstreamModel             string                   `json:"upstream_model"`
	Thinking                  bool                     `json:"thinking"`
	JSONMode                  bool                     `json:"json_mode"`
	IncludeEncryptedReasoning bool                     `json:"include_encrypted_reasoning"`
	DroppedTools              []string                 `json:"dropped_tools"`
	Tools                     map[string]ResponsesTool `json:"tools"`
	Echo                      json.RawMessage          `json:"echo"`
}

// TestResponsesRequestGolden converts every request under
// testdata/responses to both targets and compares the bodies and meta
// with the goldens (go test -run TestResponsesRequestGolden -update
// rewrites them).
func TestResponsesRequestGolden(t *testing.T) {
	inputs, err := filepath.Glob("testdata/responses/*.json")
	require.NoError(t, err)
	require.NotEmpty(t, inputs)
	targets := []struct {
		name string
		conv func([]byte, ResponsesRequestOptions) ([]byte, ResponsesMeta, error)
		opts ResponsesRequestOptions
	}{
		{"chat", ResponsesToChatRequest, ResponsesRequestOptions{UpstreamModel: "deepseek-chat"}},
		{"messages", ResponsesToMessagesRequest, ResponsesRequestOptions{UpstreamModel: "claude-sonnet-4-5", DefaultMaxTokens: 8192}},
	}
	for _, in := range inputs {
		body, err := os.ReadFile(in)
		require.NoError(t, err)
		require.True(t, gatewayAccepts(body), in)
		for _, tg := range targets {
			name := strings.TrimSuffix(filepath.Base(in), ".json") + "." + tg.name
			t.Run(name, func(t *testing.T) {
				orig := bytes.Clone(body)
				out, meta, err := tg.conv(body, tg.opts)
				require.NoError(t, err)
				require.True(t, json.Valid(out), "output is not JSON: %s", out)
				require.True(t, json.Valid(meta.Echo), "echo is not JSON: %s", meta.Echo)
				assert.Equal(t, orig, body, "the converter changed its input")

				var pretty bytes.Buffer
				require.NoError(t, json.Indent(&pretty, out, "", "  "))
				gm := goldenMeta{meta.Stream, meta.RequestedModel, meta.UpstreamModel, meta.Thinking, meta.JSONMode,
					meta.IncludeEncryptedReasoning, meta.DroppedTools, meta.Tools, meta.Echo}
				mb, err := json.MarshalIndent(gm, "", "  ")
				require.NoError(t, err)
				got := append(append(pretty.Bytes(), "\n\n"...), mb...)
				got = append(got, '\n')

				path := filepath.Join("testdata", "responses", name+".golden")
				if *update {
					require.NoError(t, os.WriteFile(path, got, 0o644))
					return
				}
				want, err := os.ReadFile(path)
				require.NoError(t, err, "missing golden; run with -update")
				assert.Equal(t, string(want), string(got))
			})
		}
	}
}

// BenchmarkResponsesRequest converts a Codex tool-loop request (the
// largest fixture) to both targets.
func BenchmarkResponsesRequest(b *testing.B) {
	body, err := os.ReadFile("testdata/responses/codex_tool_loop.json")
	require.NoError(b, err)
	for _, tg := range []struct {
		name string
		conv func([]byte, ResponsesRequestOptions) ([]byte, ResponsesMeta, error)
	}{{"chat", ResponsesToChatRequest}, {"messages", ResponsesToMessagesRequest}} {
		b.Run(tg.name, func(b *testing.B) {
			b.SetBytes(int64(len(body)))
			b.ReportAllocs()
			for b.Loop() {
				if _, _, err := tg.conv(body, ResponsesRequestOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

package adapter

import (
	"os"
	"path/filepath"
	"regexp"
	"testing"

	"github.com/tidwall/gjson"
)

var responsesSeeds = []string{
	`{"model":"m","input":"hi"}`,
	`{"model":"m","instructions":[{"role":"system","content":"S"}],"input":[{"role":"user","content":[{"type":"input_image","image_url":"data:image/png;base64,AA"},{"type":"input_file","file_url":"https://x/a.pdf"}]}],"max_output_tokens":5,"reasoning":{"effort":"xhigh"}}`,
	`{"model":"m","tools":[{"type":"namespace","name":"a.b","tools":[{"type":"custom","name":"c d"},{"type":"function","name":"a__b__c_d"}]},{"type":"function","name":"a_b__c_d"}],"tool_choice":{"type":"custom","name":"c d","namespace":"a.b"},"input":[{"type":"custom_tool_call","call_id":"x:1","name":"c d","namespace":"a.b","input":"in"},{"type":"reasoning","encrypted_content":"aigw.r1.e30"},{"type":"function_call_output","call_id":"x:1","output":[{"type":"input_image","image_url":"https://x/i.png"}]}]}`,
	`{"model":"m","input":[{"type":"message","role":"assistant","content":"prefill "}],"text":{"format":{"type":"json_object"}},"parallel_tool_calls":false}`,
	`{"model":"m","input":[],"previous_response_id":"r"}`,
	`[]`, `{}`, `null`,
}

var upstreamToolName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,64}$`)

// FuzzResponsesRequest: both conversions either fail with a 400 *Error
// or write valid JSON whose every tool name maps back through the meta.
func FuzzResponsesRequest(f *testing.F) {
	for _, s := range responsesSeeds {
		f.Add([]byte(s))
	}
	files, _ := filepath.Glob("testdata/responses/*.json")
	for _, p := range files {
		if b, err := os.ReadFile(p); err == nil {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		if !gatewayAccepts(body) {
			return
		}
		for _, target := range []struct {
			conv             respConv
			declared, called string
		}{
			{ResponsesToChatRequest, "tools.#.function.name", "messages.#.tool_calls.#.function.name|@flatten"},
			{ResponsesToMessagesRequest, "tools.#.name", `messages.#.content.#(type=="tool_use")#.name|@flatten`},
		} {
			out, meta, err := target.conv(body, ResponsesRequestOptions{UpstreamModel: "up"})
			checkRequestOutput(t, out, err)
			if err != nil {
				continue
			}
			if !gjson.ValidBytes(meta.Echo) {
				t.Fatalf("echo is not valid JSON: %s", meta.Echo)
			}
			for _, path := range []string{target.declared, target.called} {
				gjson.GetBytes(out, path).ForEach(func(_, n gjson.Result) bool {
					if _, ok := meta.Tools[n.Str]; (!ok && n.Str != jsonToolName) || !upstreamToolName.MatchString(n.Str) {
						t.Fatalf("upstream tool name %q has no way back or is invalid: %s", n.Str, out)
					}
					return true
				})
			}
			if b := gjson.GetBytes(out, "thinking.budget_tokens").Int(); b > 0 && gjson.GetBytes(out, "max_tokens").Int() <= b {
				t.Fatalf("max_tokens must exceed the thinking budget: %s", out)
			}
		}
	})
}

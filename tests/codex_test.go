package tests

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// codexBinary finds Codex CLI (npm @openai/codex): $AIGW_CODEX, else codex
// on PATH. .ci/run installs the version the README names; without it the
// test fails, as it tests what the README promises (README, "Codex CLI").
func codexBinary(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("AIGW_CODEX"); p != "" {
		return p
	}
	p, err := exec.LookPath("codex")
	require.NoError(t, err, "Codex CLI is needed: npm install -g @openai/codex@0.171.0, or set AIGW_CODEX to its codex command (.ci/run does this)")
	return p
}

// codexScript plays the model in a Codex session: it asks Codex to run a
// command through Codex's own shell tool, then reports what the tool
// returned. The command computes its output, so the answer proves that
// Codex ran it, not that the model echoed it.
func codexScript(callID, signature string) func(req gjson.Result) scriptedReply {
	return func(req gjson.Result) scriptedReply {
		if res := lastToolResult(req, callID); res != "" {
			printed := "nothing"
			for _, line := range strings.Split(res, "\n") {
				if strings.Contains(line, "aigw-codex-") {
					printed = strings.TrimSpace(line)
				}
			}
			return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: "The command printed " + printed + "."}}, stop: "end", input: 900, output: 12}
		}
		names := map[string]bool{}
		req.Get("tools").ForEach(func(_, tool gjson.Result) bool {
			names[tool.Get("name").String()+tool.Get("function.name").String()] = true
			return true
		})
		var args string
		switch {
		case names["exec_command"]:
			args = `{"cmd":"echo aigw-codex-$((6*7))"}`
		case names["shell"]:
			args = `{"command":["bash","-lc","echo aigw-codex-$((6*7))"]}`
		default:
			return scriptedReply{blocks: []scriptedBlock{{kind: "text", text: "no shell tool was offered"}}, stop: "end", input: 900, output: 5}
		}
		name := "exec_command"
		if !names["exec_command"] {
			name = "shell"
		}
		blocks := []scriptedBlock{
			{kind: "text", text: "Running it."},
			{kind: "tool", toolID: callID, toolName: name, toolArgs: args},
		}
		if signature != "" && (req.Get("thinking").Exists() || req.Get("reasoning_effort").Exists()) {
			blocks = append([]scriptedBlock{{kind: "thinking", text: "The user wants the shell output.", signature: signature}}, blocks...)
		}
		return scriptedReply{blocks: blocks, stop: "tool", input: 900, output: 30}
	}
}

// TestCodexCLIRunsAShellCommandThroughAigw runs the real Codex CLI against
// the gateway, once on a Claude model (Responses to Messages) and once on a
// chat-only model (Responses to Chat Completions): Codex must call its
// shell tool, run the command, send the output back and print the answer.
func TestCodexCLIRunsAShellCommandThroughAigw(t *testing.T) {
	codex := codexBinary(t)
	const signature = "EqoBCkgIBxABGAIiQL-codex-thinking-signature=="
	for _, tg := range []struct{ name, model, callID, effort string }{
		{"claude", "claude/claude-sonnet-4-5", "toolu_codex1", ""},
		// With reasoning, Claude thinks before the tool call; the signed
		// thinking block must come back, unchanged, in the next turn
		// (Codex keeps it as the reasoning item's encrypted_content).
		{"claude thinking", "claude/claude-sonnet-4-5", "toolu_codex2", "medium"},
		{"chat", "deepseek/deepseek-chat", "call_codex1", ""},
		// A thinking chat model (DeepSeek's thinking mode): its
		// reasoning_content must come back on the message that called the
		// tool, or DeepSeek answers 400.
		{"chat thinking", "deepseek/deepseek-chat", "call_codex2", "medium"},
	} {
		t.Run(tg.name, func(t *testing.T) {
			gw, cu, du := responsesGateway(t, codexScript(tg.callID, signature))
			home, work := t.TempDir(), t.TempDir()
			effort := ""
			if tg.effort != "" {
				effort = fmt.Sprintf("model_reasoning_effort = %q\nmodel_reasoning_summary = \"auto\"\n", tg.effort)
			}
			require.NoError(t, os.WriteFile(filepath.Join(home, "config.toml"), []byte(fmt.Sprintf(`
model = %q
model_provider = "aigw"
%s
[model_providers.aigw]
name = "aigw"
base_url = "%s/v1"
env_key = "AIGW_API_KEY"
wire_api = "responses"
`, tg.model, effort, gw.URL)), 0o600))
			ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
			defer cancel()
			last := filepath.Join(work, "last.txt")
			cmd := exec.CommandContext(ctx, codex, "exec", "--skip-git-repo-check", "--ephemeral", "-s", "workspace-write",
				"-o", last, "Run the shell command that prints aigw-codex and tell me what it printed.")
			cmd.Dir = work
			cmd.Env = append(os.Environ(), "CODEX_HOME="+home, "AIGW_API_KEY="+clientKey, "NO_COLOR=1")
			out, err := cmd.CombinedOutput()
			require.NoError(t, err, "codex exec failed:\n%s", out)
			answer, err := os.ReadFile(last)
			require.NoError(t, err, "codex wrote no last message:\n%s", out)
			t.Logf("codex exec:\n%s", out)
			assert.Contains(t, string(answer), "aigw-codex-42", "codex output:\n%s", out)

			up := du
			if strings.HasPrefix(tg.name, "claude") {
				up = cu
			}
			reqs := up.requests()
			require.GreaterOrEqual(t, len(reqs), 2, "a tool call and the turn after it")
			assert.Contains(t, lastToolResult(gjson.ParseBytes(reqs[len(reqs)-1].Body), tg.callID), "aigw-codex-42",
				"the tool's real output went back upstream")
			if up == cu {
				// Codex sends prompt_cache_key: Claude gets cache breakpoints.
				assert.Equal(t, "ephemeral", gjson.GetBytes(reqs[0].Body, "tools.@reverse.0.cache_control.type").String())
				assert.Equal(t, "ephemeral", gjson.GetBytes(reqs[0].Body, "system.@reverse.0.cache_control.type").String())
			}
			if tg.effort != "" && up == du {
				next := gjson.ParseBytes(reqs[len(reqs)-1].Body)
				assert.Equal(t, "The user wants the shell output.",
					next.Get(`messages.#(role=="assistant").reasoning_content`).String(), "turn two: %s", reqs[len(reqs)-1].Body)
			}
			if tg.effort != "" && up == cu {
				first, next := gjson.ParseBytes(reqs[0].Body), gjson.ParseBytes(reqs[len(reqs)-1].Body)
				assert.True(t, first.Get("thinking").Exists(), "reasoning effort turned thinking on: %s", reqs[0].Body)
				assistant := next.Get(`messages.#(role=="assistant").content`)
				assert.Equal(t, "thinking", assistant.Get("0.type").String(), "turn two: %s", reqs[len(reqs)-1].Body)
				assert.Equal(t, signature, assistant.Get("0.signature").String())
				assert.Equal(t, "tool_use", assistant.Get("#(type==\"tool_use\").type").String())
			}
			for _, r := range gw.Logs.waitRows(t, len(reqs)) {
				assert.Equal(t, "responses", r.InboundFormat)
				assert.Equal(t, 200, r.StatusCode, r.Error)
			}
		})
	}
}

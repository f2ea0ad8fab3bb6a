package cmd

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"
)

// execCLI runs aigw with args against the config at cfgPath, the way main
// does but with buffers, and returns stdout, stderr and the error.
func execCLI(ctx context.Context, cfgPath string, args ...string) (string, string, error) {
	var out, errOut bytes.Buffer
	root := newCmdRoot(newFactory(&out, &errOut))
	root.SetArgs(append([]string{"-c", cfgPath}, args...))
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// testFactory is a factory writing to buffers, with the config at cfgPath.
func testFactory(t *testing.T, cfgPath string) (*factory, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := newFactory(&out, &errOut)
	f.configPath = cfgPath
	return f, &out, &errOut
}

// openAIProviderTOML is a [[providers]] block for an OpenAI-type provider
// named openai, followed by any extra lines.
func openAIProviderTOML(baseURL string, keys []string, extra ...string) string {
	return fmt.Sprintf("\n[[providers]]\nname = \"openai\"\ntype = \"openai\"\nbase_url = %q\napi_keys = %q\n%s\n",
		baseURL, strings.Join(keys, ","), strings.Join(extra, "\n"))
}

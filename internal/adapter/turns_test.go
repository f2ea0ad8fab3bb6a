package adapter

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The request converters read the body in place; nothing they return may
// point into it, or a caller reusing its buffer would change the meta.
func TestRequestMetaOutlivesBody(t *testing.T) {
	wipe := func(b []byte) {
		for i := range b {
			b[i] = 'x'
		}
	}
	body := []byte(`{"model":"client-model","messages":[{"role":"user","content":"q"}],"tools":[{"type":"function","function":{"name":"my.tool"}}]}`)
	out, meta, err := ChatToMessagesRequest(body, ChatRequestOptions{})
	require.NoError(t, err)
	want := string(out)
	wipe(body)
	assert.Equal(t, "client-model", meta.RequestedModel)
	assert.Equal(t, "client-model", meta.UpstreamModel)
	assert.Equal(t, map[string]string{"my_tool": "my.tool"}, meta.ToolNames)
	assert.Equal(t, want, string(out), "the output is a buffer of its own")

	body = []byte(`{"model":"m2","max_tokens":5,"messages":[{"role":"user","content":"q"}],"tools":[{"name":"a.b","input_schema":{"type":"object"}},{"type":"web_search_20250305","name":"web_search"}]}`)
	_, bmeta, err := MessagesToChatRequest(body, MessagesRequestOptions{})
	require.NoError(t, err)
	wipe(body)
	assert.Equal(t, "m2", bmeta.RequestedModel)
	assert.Equal(t, map[string]string{"a_b": "a.b"}, bmeta.ToolNames)
	assert.Equal(t, []string{"web_search"}, bmeta.DroppedTools)
}

// pairTools is the one repair both directions use.
func TestPairTools(t *testing.T) {
	use := func(id string) block { return block{kind: blockToolUse, id: id} }
	res := func(id, text string) block { return block{kind: blockToolResult, id: id, text: text} }
	txt := func(s string) block { return block{kind: blockText, text: s} }
	describe := func(turns []turn) []string {
		var out []string
		for _, t := range turns {
			s := t.role.String() + ":"
			for _, b := range t.blocks {
				switch b.kind {
				case blockToolUse:
					s += " use(" + b.id + ")"
				case blockToolResult:
					if b.isError {
						s += " placeholder(" + b.id + ")"
					} else {
						s += " result(" + b.id + ")"
					}
				case blockText:
					s += " text(" + b.text + ")"
				case blockMedia:
					s += " media"
				}
			}
			out = append(out, s)
		}
		return out
	}
	for _, c := range []struct {
		name string
		in   []turn
		want []string
	}{
		{"no tools: unchanged",
			[]turn{{roleUser, []block{txt("q")}}},
			[]string{"user: text(q)"}},
		{"answered calls",
			[]turn{{roleAssistant, []block{use("a"), use("b")}}, {roleUser, []block{res("b", "1"), res("a", "2")}}},
			[]string{"assistant: use(a) use(b)", "user: result(b) result(a)"}},
		{"missing result gets a placeholder after the answered ones",
			[]turn{{roleAssistant, []block{use("a"), use("b")}}, {roleUser, []block{txt("hi"), res("b", "1")}}},
			[]string{"assistant: use(a) use(b)", "user: text(hi) result(b) placeholder(a)"}},
		{"calls at the end get a user turn of placeholders",
			[]turn{{roleUser, []block{txt("q")}}, {roleAssistant, []block{use("a")}}},
			[]string{"user: text(q)", "assistant: use(a)", "user: placeholder(a)"}},
		{"calls followed by an assistant turn",
			[]turn{{roleAssistant, []block{use("a")}}, {roleAssistant, []block{txt("more")}}},
			[]string{"assistant: use(a)", "user: placeholder(a)", "assistant: text(more)"}},
		{"orphan and repeated results become text, media kept",
			[]turn{{roleAssistant, []block{use("a")}}, {roleUser, []block{res("a", "1"), res("a", "again"), {kind: blockToolResult, id: "ghost", media: []block{{kind: blockMedia}}}}}},
			[]string{"assistant: use(a)", "user: result(a) text(Result of tool call a:\nagain) text(Result of tool call ghost:) media"}},
		{"repeated call id dropped",
			[]turn{{roleAssistant, []block{use("a"), txt("t"), use("a")}}, {roleUser, []block{res("a", "1")}}},
			[]string{"assistant: use(a) text(t)", "user: result(a)"}},
		{"a result answers only the turn right before",
			[]turn{{roleAssistant, []block{use("a")}}, {roleUser, []block{txt("x")}}, {roleUser, []block{res("a", "1")}}},
			[]string{"assistant: use(a)", "user: text(x) placeholder(a)", "user: text(Result of tool call a:\n1)"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			assert.Equal(t, c.want, describe(pairTools(c.in)))
		})
	}
}

package adapter

import (
	"slices"
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// Tools of a Responses request: function tools, custom tools (free-form
// input, e.g. Codex's apply_patch) and namespace tools become functions
// under names valid for both upstream protocols; what each name stands for
// goes into ResponsesMeta.Tools so the answer maps it back exactly.
// Hosted tools are left out and named. docs/responses.md, "Request: tools".

// defaultNamespace is the namespace Codex files its top-level tools under:
// a call with namespace "functions" and one without name the same tool.
const defaultNamespace = "functions"

// customInputSchema is the parameters of the function a custom tool
// becomes: one string, the tool's raw input.
const customInputSchema = `{"type":"object","properties":{"input":{"type":"string","description":"The tool's input as raw text, exactly as the tool's description asks for it (not JSON-encoded)."}},"required":["input"],"additionalProperties":false}`

// emptySchema is the parameters of a function declared without any.
const emptySchema = `{"type":"object","properties":{}}`

type respKey struct{ ns, name string }

// respFunc is a function to declare upstream.
type respFunc struct {
	name, description string
	schema            string // a JSON object
	strict            bool
}

// respTools maps the client's tools to upstream function names, one way
// (for the tools, the history's calls and tool_choice) and back (Meta).
type respTools struct {
	up      map[respKey]string
	back    map[string]ResponsesTool
	funcs   []respFunc
	dropped []string
}

func normNamespace(ns string) string {
	if ns == defaultNamespace {
		return ""
	}
	return ns
}

// name returns the upstream name for the client's tool (namespace, name),
// assigning one at first sight: the name itself, or namespace__name, made
// valid for both protocols (^[a-zA-Z0-9_-]{1,64}$) and, if another tool
// already holds the result, suffixed with a hash of both parts.
func (t *respTools) name(kind, ns, name string) string {
	k := respKey{normNamespace(ns), name}
	if s, ok := t.up[k]; ok {
		return s
	}
	if t.up == nil {
		t.up, t.back = make(map[respKey]string), make(map[string]ResponsesTool)
	}
	base := name
	if k.ns != "" {
		base = k.ns + "__" + name
	}
	s := sanitizeToolName(base, openAIToolNameMax)
	if _, taken := t.back[s]; taken {
		h := "_" + shortHash(k.ns+"\x00"+name)
		if len(s)+len(h) > openAIToolNameMax {
			s = s[:openAIToolNameMax-len(h)]
		}
		s += h
	}
	k = respKey{keep(k.ns), keep(name)}
	t.up[k] = s
	t.back[s] = ResponsesTool{Kind: kind, Name: k.name, Namespace: keep(ns)}
	return s
}

// declare adds a function to the upstream tools, once per name; the
// declaration decides the kind and namespace the name maps back to.
func (t *respTools) declare(kind, ns, name string, f respFunc) {
	s := t.name(kind, ns, name)
	t.back[s] = ResponsesTool{Kind: kind, Name: t.back[s].Name, Namespace: keep(ns)}
	if slices.ContainsFunc(t.funcs, func(g respFunc) bool { return g.name == s }) {
		return
	}
	f.name = s
	t.funcs = append(t.funcs, f)
}

func (t *respTools) drop(name string) {
	if !slices.Contains(t.dropped, name) {
		t.dropped = append(t.dropped, keep(name))
	}
}

// readTools reads a tools array (the request's, or one carried by an
// additional_tools or tool_search_output item); param names it.
func (t *respTools) readTools(tools gjson.Result, param string) error {
	if !present(tools) {
		return nil
	}
	if !tools.IsArray() {
		return badRequest(param, "tools must be an array")
	}
	var err error
	i := -1
	tools.ForEach(func(_, tool gjson.Result) bool {
		i++
		err = t.readTool(tool, "", "", param+"["+strconv.Itoa(i)+"]")
		return err == nil
	})
	return err
}

// readTool reads one tool; ns and nsDesc are the enclosing namespace's.
func (t *respTools) readTool(tool gjson.Result, ns, nsDesc, param string) error {
	if !tool.IsObject() {
		return badRequest(param, "each tool must be an object")
	}
	typ := tool.Get("type").Str
	switch typ {
	case "function", "custom":
	case "namespace":
		if ns != "" {
			return badRequest(param+".type", "namespace tools cannot be nested")
		}
		name := tool.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return badRequest(param+".name", "a namespace tool needs a name")
		}
		children := tool.Get("tools")
		if !children.IsArray() {
			return badRequest(param+".tools", "a namespace tool's tools must be an array")
		}
		var err error
		j := -1
		children.ForEach(func(_, c gjson.Result) bool {
			j++
			err = t.readTool(c, name.Str, tool.Get("description").Str, param+".tools["+strconv.Itoa(j)+"]")
			return err == nil
		})
		return err
	case "":
		return badRequest(param+".type", "tool type is required")
	default:
		// Hosted tools (web_search, file_search, image_generation, mcp,
		// computer use, code_interpreter, tool_search, local_shell, ...)
		// run on OpenAI's side or come back as item types of their own.
		t.drop(typ)
		return nil
	}
	name := tool.Get("name")
	if name.Type != gjson.String || name.Str == "" {
		return badRequest(param+".name", "tool name is required")
	}
	desc := tool.Get("description").Str
	if ns != "" && ns != defaultNamespace && nsDesc != "" {
		desc = joinNonEmpty(desc, "(Namespace "+ns+": "+nsDesc+")")
	}
	if typ == "custom" {
		t.declare("custom", ns, name.Str, respFunc{description: customDescription(desc, tool.Get("format")), schema: customInputSchema})
		return nil
	}
	f := respFunc{description: desc, schema: emptySchema, strict: tool.Get("strict").Type == gjson.True}
	if p := tool.Get("parameters"); p.IsObject() {
		f.schema = p.Raw
	}
	t.declare("function", ns, name.Str, f)
	return nil
}

// customDescription is a custom tool's description plus its input format:
// the grammar (lark or regex) the input must match, if any.
func customDescription(desc string, format gjson.Result) string {
	note := "Pass the input as raw text in the `input` parameter."
	if format.Get("type").Str == "grammar" {
		if def := strings.TrimRight(format.Get("definition").Str, "\n"); def != "" {
			syntax := format.Get("syntax").Str
			if syntax == "" {
				syntax = "formal"
			}
			note = "Pass the input as raw text in the `input` parameter; it must match this " + syntax + " grammar:\n```\n" + def + "\n```"
		}
	}
	return joinNonEmpty(desc, note)
}

func joinNonEmpty(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "\n\n" + b
}

// declared reports the upstream name of a tool the request declares
// (not one only seen in the history).
func (t *respTools) declared(ns, name string) (string, bool) {
	s, ok := t.up[respKey{normNamespace(ns), name}]
	if !ok {
		return "", false
	}
	return s, slices.ContainsFunc(t.funcs, func(f respFunc) bool { return f.name == s })
}

// choice reads tool_choice as a mode (auto, none, required, or tool with
// the upstream name); "" when absent. A choice naming a tool that was not
// declared, or a hosted tool, becomes auto: the upstream must not be
// told to call a function it was not given.
func (t *respTools) choice(tc gjson.Result) (mode, name string, err error) {
	switch {
	case !present(tc):
		return "", "", nil
	case tc.Type == gjson.String:
		switch tc.Str {
		case "auto", "none", "required":
			return tc.Str, "", nil
		}
		return "", "", badRequest("tool_choice", "tool_choice must be auto, none, required or an object")
	case !tc.IsObject():
		return "", "", badRequest("tool_choice", "tool_choice must be a string or an object")
	}
	switch tc.Get("type").Str {
	case "function", "custom":
		n := tc.Get("name")
		if n.Type != gjson.String || n.Str == "" {
			return "", "", badRequest("tool_choice.name", "tool_choice.name is required")
		}
		if s, ok := t.declared(tc.Get("namespace").Str, n.Str); ok {
			return "tool", s, nil
		}
		return "auto", "", nil
	case "allowed_tools":
		// The subset cannot be expressed upstream; its mode can.
		if tc.Get("mode").Str == "required" {
			return "required", "", nil
		}
		return "auto", "", nil
	}
	return "auto", "", nil
}

// writeChatFuncs writes the functions as Chat Completions tools.
func (t *respTools) writeChatFuncs(w *jw) {
	w.key("tools")
	w.openArr()
	for _, f := range t.funcs {
		w.open()
		w.key("type")
		w.str("function")
		w.key("function")
		w.open()
		w.key("name")
		w.str(f.name)
		if f.description != "" {
			w.key("description")
			w.str(f.description)
		}
		w.key("parameters")
		w.raw(f.schema)
		if f.strict {
			w.key("strict")
			w.bool(true)
		}
		w.close()
		w.close()
	}
	w.closeArr()
}

// writeAnthropicFuncs writes the functions as Anthropic tools (strict has
// no equivalent there).
func (t *respTools) writeAnthropicFuncs(w *jw) {
	for _, f := range t.funcs {
		w.open()
		w.key("name")
		w.str(f.name)
		if f.description != "" {
			w.key("description")
			w.str(f.description)
		}
		w.key("input_schema")
		writeSchema(w, gjson.Parse(f.schema))
		w.close()
	}
}

// customArguments is the arguments object of a custom tool call: its raw
// input as the one string parameter.
func customArguments(input string) string {
	var b strings.Builder
	b.Grow(len(input) + 16)
	b.WriteString(`{"input":`)
	b.Write(appendString(nil, input))
	b.WriteByte('}')
	return b.String()
}

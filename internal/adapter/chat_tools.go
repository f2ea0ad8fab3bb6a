package adapter

import (
	"strconv"
	"strings"

	"github.com/tidwall/gjson"
)

// writeChatTools writes `tools` and `tool_choice`: the client's functions,
// the json_tool_call tool for response_format and the web_search server
// tool for web_search_options. docs/conversion.md, "Requests: tools".
func writeChatTools(w *jw, f *chatFields, thinking bool, names *toolNames) (jsonMode bool, err error) {
	if present(f.tools) && !f.tools.IsArray() {
		return false, badRequest("tools", "tools must be an array")
	}
	rfType := f.responseFormat.Get("type").Str
	switch rfType {
	case "json_object", "json_schema":
		jsonMode = true
	case "", "text":
	default:
		if present(f.responseFormat) {
			return false, unsupported("response_format.type", "unsupported response_format type %q", rfType)
		}
	}
	// Written in place and taken back when there is no tool at all.
	mark := len(w.b)
	w.key("tools")
	w.openArr()
	first := len(w.b)
	userTools, err := writeClientTools(w, f.tools, names)
	if err != nil {
		return false, err
	}
	if jsonMode {
		writeJSONTool(w, f.responseFormat.Get("json_schema.schema"))
	}
	if f.webSearch.IsObject() {
		writeWebSearchTool(w, f.webSearch)
	}
	if len(w.b) == first {
		w.b = w.b[:mark]
		return jsonMode, nil
	}
	w.closeArr()
	return jsonMode, writeChatToolChoice(w, f.toolChoice, f.parallelToolCalls, userTools, jsonMode, thinking, names)
}

// writeClientTools writes the client's function tools and counts them.
func writeClientTools(w *jw, tools gjson.Result, names *toolNames) (int, error) {
	n := 0
	var err error
	tools.ForEach(func(_, t gjson.Result) bool {
		pp := "tools[" + strconv.Itoa(n) + "]"
		if typ := t.Get("type").Str; typ != "function" && typ != "" {
			err = unsupported(pp+".type", "tool type %q is not supported; only function tools convert to Anthropic", typ)
			return false
		}
		fn := t.Get("function")
		name := fn.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			err = badRequest(pp+".function.name", "function.name is required")
			return false
		}
		w.open()
		w.key("name")
		w.str(names.sanitize(name.Str, anthropicToolNameMax))
		if d := fn.Get("description"); d.Type == gjson.String && d.Str != "" {
			w.key("description")
			w.raw(d.Raw)
		}
		w.key("input_schema")
		writeSchema(w, fn.Get("parameters"))
		cc := t.Get("cache_control")
		if !cc.IsObject() {
			cc = fn.Get("cache_control")
		}
		if cc.IsObject() {
			w.key("cache_control")
			w.rawCompact(cc.Raw)
		}
		w.close()
		n++
		return true
	})
	return n, err
}

// writeJSONTool writes the tool response_format becomes. Not every Claude
// model has a native JSON mode: a forced tool whose input is the answer
// (LiteLLM's json_tool_call) works everywhere, and its input is turned
// back into content on the way out.
func writeJSONTool(w *jw, schema gjson.Result) {
	w.open()
	w.key("name")
	w.str(jsonToolName)
	w.key("description")
	w.str("Respond with a JSON object matching this schema.")
	w.key("input_schema")
	if schema.IsObject() {
		writeSchema(w, schema)
	} else {
		w.raw(`{"type":"object","additionalProperties":true,"properties":{}}`)
	}
	w.close()
}

// writeWebSearchTool writes the web_search server tool for
// web_search_options: search_context_size sets max_uses (low 1, medium 5,
// high 10) and user_location.approximate is kept.
func writeWebSearchTool(w *jw, ws gjson.Result) {
	w.open()
	w.key("type")
	w.str("web_search_20250305")
	w.key("name")
	w.str("web_search")
	w.key("max_uses")
	switch ws.Get("search_context_size").Str {
	case "low":
		w.int(1)
	case "high":
		w.int(10)
	default:
		w.int(5)
	}
	if loc := ws.Get("user_location.approximate"); loc.IsObject() {
		w.key("user_location")
		w.open()
		w.key("type")
		w.str("approximate")
		for _, k := range []string{"city", "region", "country", "timezone"} {
			if v := loc.Get(k); v.Type == gjson.String {
				w.key(k)
				w.raw(v.Raw)
			}
		}
		w.close()
	}
	w.close()
}

// writeSchema writes a JSON schema as an Anthropic input_schema, which must
// be an object with type "object".
func writeSchema(w *jw, schema gjson.Result) {
	if !schema.IsObject() {
		w.raw(`{"type":"object","properties":{}}`)
		return
	}
	if schema.Get("type").Exists() {
		w.raw(schema.Raw)
		return
	}
	// Missing type: insert it rather than let Anthropic reject the tool.
	raw := strings.TrimSpace(schema.Raw)
	inner := strings.TrimSpace(raw[1 : len(raw)-1])
	w.sep()
	w.b = append(w.b, `{"type":"object"`...)
	if inner != "" {
		w.b = append(w.b, ',')
		w.b = append(w.b, inner...)
	}
	w.b = append(w.b, '}')
}

// writeChatToolChoice maps tool_choice and parallel_tool_calls: auto,
// required, none and a named function become auto, any, none and tool;
// parallel_tool_calls:false becomes disable_parallel_tool_use.
func writeChatToolChoice(w *jw, tc, parallel gjson.Result, userTools int, jsonMode, thinking bool, names *toolNames) error {
	typ, name, err := chatToolChoice(tc, names)
	if err != nil {
		return err
	}
	writeAnthropicToolChoice(w, typ, name, parallel.Type == gjson.False, userTools, jsonMode, thinking)
	return nil
}

// writeAnthropicToolChoice writes an Anthropic tool_choice (typ auto, any,
// none or tool with name; "" for none given) once the tools are written:
// the choice only applies to the client's own tools, JSON mode forces its
// tool when the client has none, and thinking cannot force a tool.
func writeAnthropicToolChoice(w *jw, typ, name string, noParallel bool, userTools int, jsonMode, thinking bool) {
	if userTools == 0 {
		// tool_choice only applies to the client's tools.
		typ, name = "", ""
		if jsonMode {
			typ, name = "tool", jsonToolName
		}
	}
	if thinking && (typ == "any" || typ == "tool") {
		// "Thinking may not be enabled when tool_choice forces tool use."
		typ, name = "auto", ""
	}
	disableParallel := noParallel && typ != "none"
	if disableParallel && typ == "" {
		typ = "auto"
	}
	if typ == "" {
		return
	}
	w.key("tool_choice")
	w.open()
	w.key("type")
	w.str(typ)
	if name != "" {
		w.key("name")
		w.str(name)
	}
	if disableParallel {
		w.key("disable_parallel_tool_use")
		w.bool(true)
	}
	w.close()
}

// chatToolChoice reads tool_choice as an Anthropic choice type and name.
func chatToolChoice(tc gjson.Result, names *toolNames) (typ, name string, err error) {
	switch {
	case !present(tc):
		return "", "", nil
	case tc.Type == gjson.String:
		switch tc.Str {
		case "auto", "none":
			return tc.Str, "", nil
		case "required":
			return "any", "", nil
		}
		return "", "", badRequest("tool_choice", "tool_choice must be auto, required, none or a function object")
	case !tc.IsObject():
		return "", "", badRequest("tool_choice", "tool_choice must be a string or an object")
	case tc.Get("type").Str != "function":
		return "", "", unsupported("tool_choice.type", "unsupported tool_choice type %q", tc.Get("type").Str)
	}
	n := tc.Get("function.name")
	if n.Type != gjson.String || n.Str == "" {
		return "", "", badRequest("tool_choice.function.name", "tool_choice.function.name is required")
	}
	return "tool", names.sanitize(n.Str, anthropicToolNameMax), nil
}

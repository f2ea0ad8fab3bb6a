package adapter

import (
	"slices"
	"strconv"

	"github.com/tidwall/gjson"
)

// writeMessagesTools converts custom tools to functions. Anthropic server
// tools (web_search, web_fetch, code_execution, ...) and Anthropic-defined
// client tools (bash, text_editor, computer, memory) have no OpenAI
// schema and are dropped; their names are returned.
func writeMessagesTools(w *jw, tools gjson.Result, names *toolNames) ([]string, []string, error) {
	if !present(tools) {
		return nil, nil, nil
	}
	if !tools.IsArray() {
		return nil, nil, badRequest("tools", "tools must be an array")
	}
	var written, dropped []string
	var err error
	i := -1
	tools.ForEach(func(_, t gjson.Result) bool {
		i++
		if typ := t.Get("type").Str; typ != "" && typ != "custom" {
			dropped = append(dropped, keep(t.Get("name").Str))
			return true
		}
		name := t.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			err = badRequest("tools["+strconv.Itoa(i)+"].name", "tool name is required")
			return false
		}
		if len(written) == 0 {
			w.key("tools")
			w.openArr()
		}
		sn := names.sanitize(name.Str, openAIToolNameMax)
		written = append(written, sn)
		w.open()
		w.key("type")
		w.str("function")
		w.key("function")
		w.open()
		w.key("name")
		w.str(sn)
		if d := t.Get("description"); d.Type == gjson.String && d.Str != "" {
			w.key("description")
			w.raw(d.Raw)
		}
		w.key("parameters")
		if schema := t.Get("input_schema"); schema.IsObject() {
			w.raw(schema.Raw)
		} else {
			w.raw(`{"type":"object","properties":{}}`)
		}
		w.close()
		w.close()
		return true
	})
	if err != nil {
		return nil, nil, err
	}
	if len(written) > 0 {
		w.closeArr()
	}
	return written, dropped, nil
}

// writeMessagesToolChoice maps tool_choice (auto, any, tool, none → auto,
// required, a named function, none); a choice naming
// a dropped server tool falls back to auto rather than name a function the
// upstream was not given.
func writeMessagesToolChoice(w *jw, tc gjson.Result, written []string, names *toolNames) error {
	if !present(tc) {
		return nil
	}
	if !tc.IsObject() {
		return badRequest("tool_choice", "tool_choice must be an object")
	}
	switch tc.Get("type").Str {
	case "auto":
		w.key("tool_choice")
		w.str("auto")
	case "any":
		w.key("tool_choice")
		w.str("required")
	case "none":
		w.key("tool_choice")
		w.str("none")
	case "tool":
		name := tc.Get("name")
		if name.Type != gjson.String || name.Str == "" {
			return badRequest("tool_choice.name", "tool_choice.name is required")
		}
		sn := names.sanitize(name.Str, openAIToolNameMax)
		w.key("tool_choice")
		if !slices.Contains(written, sn) {
			w.str("auto")
			break
		}
		w.open()
		w.key("type")
		w.str("function")
		w.key("function")
		w.open()
		w.key("name")
		w.str(sn)
		w.close()
		w.close()
	default:
		return badRequest("tool_choice.type", "tool_choice.type must be auto, any, tool or none")
	}
	if tc.Get("disable_parallel_tool_use").Type == gjson.True && tc.Get("type").Str != "none" {
		w.key("parallel_tool_calls")
		w.bool(false)
	}
	return nil
}

// Package adapter converts between the OpenAI Chat Completions and the
// Anthropic Messages protocols, in both directions, streaming included. It
// is pure: bytes in, bytes out, no HTTP, no I/O, no package-level mutable
// state. The gateway calls it; the team's CONVERSION.md (shared/) is the checklist
// it follows (section numbers below refer to it).
//
// # Direction A: OpenAI client → Anthropic upstream
//
// ChatToMessagesRequest, MessagesToChatResponse, MessagesToChatStream.
//
// Converted:
//   - model: the resolved upstream model is sent; responses carry the
//     model the upstream returned.
//   - max_completion_tokens > max_tokens > the provider's default_max_tokens
//     (4096 when unset), since Anthropic requires max_tokens.
//   - system and developer messages, wherever they appear, are hoisted into
//     the top-level system array as text blocks in their original order;
//     cache_control (part- or message-level) is kept.
//   - consecutive same-role turns are merged; tool messages become
//     tool_result blocks of one user turn, placed first, with any user text
//     after them.
//   - assistant tool_calls become tool_use blocks; arguments that are empty
//     or not a JSON object become {}. Tool-call ids are mapped to
//     ^[a-zA-Z0-9_-]+$ by SanitizeToolID (deterministic, so calls and results
//     still match); tool names to Anthropic's pattern (up to 128 characters,
//     longer names keep a prefix plus a hash) and restored in responses.
//   - orphans: a tool call without a result gets a placeholder result
//     (is_error); a result without its call becomes user text.
//   - empty or whitespace-only text blocks are never sent; a final assistant
//     message (prefill) has its trailing whitespace trimmed.
//   - images: data URIs (image/jpeg, png, gif, webp) → base64 image blocks,
//     application/pdf → document blocks, http(s) URLs → url sources (the
//     gateway never downloads them); `file` parts with file_data likewise.
//   - stop (string or array; whitespace-only entries dropped) →
//     stop_sequences; temperature capped to [0,1]; with both temperature and
//     top_p only temperature is sent (newer Claude models reject both);
//     top_k accepted as an extension; user → metadata.user_id unless it
//     looks like an e-mail address or phone number.
//   - tools (function) → tools; tool_choice auto/required/none/named →
//     auto/any/none/tool; parallel_tool_calls:false →
//     disable_parallel_tool_use; tool_choice is only sent with tools.
//   - response_format json_object/json_schema → a json_tool_call tool whose
//     schema is the requested one, forced unless thinking is on (or the
//     client has its own tools); the tool's input comes back as the message
//     content, in streams too.
//   - reasoning_effort minimal/low → thinking budget 1024, medium 2048,
//     high 4096, xhigh 8192 (none: off); an Anthropic-style `thinking`
//     object is also accepted. max_tokens is raised by the budget when it
//     would not exceed it. With ChatRequestOptions.AdaptiveThinking (models
//     where budget_tokens is deprecated) it becomes thinking
//     {type:"adaptive"} plus output_config.effort instead. With thinking: no
//     temperature/top_k, top_p only within [0.95, 1], forced tool_choice
//     downgraded to auto.
//   - web_search_options → the web_search server tool.
//   - responses: text blocks concatenated (content null when there are only
//     tool calls); thinking → reasoning_content plus thinking_blocks (with
//     signatures; a client that echoes thinking_blocks back on the assistant
//     message keeps thinking usable across tool loops); stop reasons per
//     section 8; usage per section 9 (prompt = input + cache read + cache
//     creation, prompt_tokens_details.cached_tokens = cache read, the
//     Anthropic counts also as extension fields).
//   - streams: every chunk has the same id/created/model, the first carries
//     role assistant; tool_calls index counts tool calls only (0, 1, …)
//     whatever the Anthropic block index; id/type/name go in a tool call's
//     first delta, arguments follow from input_json_delta, "{}" for a tool
//     without input; the usage chunk (choices: []) only with
//     stream_options.include_usage; ping and unknown events are ignored; an
//     error event or a stream cut before message_stop ends with an OpenAI
//     error frame and no [DONE].
//
// Not converted (direction A):
//   - n > 1: Anthropic returns one choice → 400.
//   - input_audio parts and audio/modalities output: Anthropic has no audio
//     → input_audio is a 400, the output options are dropped.
//   - file parts by file_id (OpenAI's file store) and image media types
//     other than jpeg/png/gif/webp/pdf → 400 naming the field.
//   - the deprecated functions/function_call API and role "function" → 400.
//   - non-function tool types (custom, allowed_tools) → 400.
//   - logprobs, top_logprobs, seed, logit_bias, presence/frequency_penalty,
//     prediction, store, metadata, service_tier: no equivalent → dropped
//     (as Anthropic's own compatibility layer does).
//   - thinking is switched off when the history makes it invalid: with an
//     assistant prefill, or in a tool loop whose last assistant turn has no
//     signed thinking block (plain OpenAI history cannot carry one).
//   - server tool blocks in responses (server_tool_use, web_search results)
//     are not exposed as tool_calls: the client cannot run them; their
//     effect is in the text. Citations are dropped. signature_delta is not
//     streamed.
//   - tool names that differ only in characters Anthropic does not allow
//     (a.b and a_b in one request) collide after sanitizing.
//
// # Direction B: Anthropic client → OpenAI-compatible upstream
//
// MessagesToChatRequest, ChatToMessagesResponse, ChatToMessagesStream.
//
// Converted:
//   - system (string or text blocks) → one system message with plain string
//     content (cache_control dropped: strict upstreams reject extra fields).
//   - user text-only content → a plain string; images → image_url (data URI
//     or url); base64 PDF documents → OpenAI `file` parts; text and content
//     documents → text.
//   - tool_result blocks → role tool messages right after the assistant
//     message, before the rest of the user turn; is_error → "Error: "
//     prefix; images inside a tool result move to the following user
//     message (OpenAI tool messages are text only). Missing results get
//     placeholders, unmatched results become user text (OpenAI rejects
//     both).
//   - assistant text and tool_use → content and tool_calls (arguments = the
//     input as a JSON string, key order kept); thinking blocks in history
//     are dropped (no signature concept upstream).
//   - tools → functions (names up to 64 characters, restored in responses);
//     tool_choice auto/any/tool/none → auto/required/named/none;
//     disable_parallel_tool_use → parallel_tool_calls:false;
//     stop_sequences → stop (at most 4); metadata.user_id → user;
//     max_tokens → max_tokens (or max_completion_tokens by option);
//     output_format / output_config.format json_schema → response_format;
//     stream → stream plus stream_options.include_usage.
//   - thinking → reasoning_effort only with MessagesRequestOptions.
//     ReasoningEffort (non-reasoning models reject the parameter).
//   - responses: thinking block from reasoning_content/reasoning, text only
//     if non-empty, tool_use for every tool call (invalid arguments → {}),
//     ids sanitized; stop_reason from finish_reason (tool calls always give
//     tool_use); usage input = prompt − cached, cache_read = cached.
//   - streams: message_start (with a local input estimate) → strictly
//     sequential blocks (thinking, text, one tool_use per tool call) →
//     message_delta held until the usage chunk (choices [] or null) or
//     [DONE] → message_stop; every frame has its event: line. No
//     finish_reason before [DONE] → end_turn (tool_use after tool calls).
//     An in-stream error, or a stream cut before finish_reason/[DONE], ends
//     with an `event: error` frame instead of message_stop.
//
// Not converted (direction B):
//   - Anthropic server tools (web_search, web_fetch, code_execution, mcp…)
//     and Anthropic-defined client tools (bash, text_editor, computer,
//     memory) have no OpenAI schema: they are dropped from tools and listed
//     in MessagesMeta.DroppedTools; a tool_choice naming one becomes auto.
//   - document blocks with url or file sources, images by file id, and
//     unknown block types (container_upload, search_result…) → 400 naming
//     the block.
//   - top_k, service_tier, container, mcp_servers, context_management,
//     cache_control: no equivalent → dropped.
//   - stop_sequence in responses is always null (OpenAI does not say which
//     stop matched).
//   - thinking signatures: streamed thinking blocks carry an empty
//     signature.
//   - interleaved arguments for a tool call whose block was already closed
//     (a second call started in between) cannot be added to it without
//     breaking Anthropic clients; they are dropped. Mainstream upstreams
//     stream tool calls one after another.
//
// # Errors and helpers
//
// Request conversions return *Error (400, invalid_request_error, param
// naming the field) for client mistakes. OpenAIErrorBody/AnthropicErrorBody
// render errors; OpenAIErrorFromUpstream/AnthropicErrorFromUpstream turn
// any upstream error body (either protocol, HTML, garbage) into the
// client's shape, keeping the upstream message. EstimateInputTokens answers
// count_tokens locally for OpenAI providers (a heuristic, not a tokenizer).
// OpenAIUsage and AnthropicUsage read usage objects for request logs.
package adapter

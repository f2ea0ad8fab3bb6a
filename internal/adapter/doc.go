// Package adapter converts between the OpenAI Chat Completions and the
// Anthropic Messages protocols, in both directions, streaming included. It
// is pure: bytes in, bytes out, no HTTP, no I/O, no package-level mutable
// state. The gateway calls it.
//
// Direction A, an OpenAI client with an Anthropic provider:
// ChatToMessagesRequest, MessagesToChatResponse, NewMessagesToChatStream.
// Direction B, an Anthropic client with an OpenAI-compatible provider:
// MessagesToChatRequest, ChatToMessagesResponse, NewChatToMessagesStream.
//
// What is converted, what is dropped or refused, and why, is described in
// docs/conversion.md, organised by request, response, stream, errors and
// usage. The request side of both directions shares one model (turns.go):
// the client's messages are read into turns of typed blocks, the tool-call
// pairing is repaired once (pairTools), and each direction writes the
// result in its upstream's protocol:
//
//   - chat_request.go, chat_sampling.go, chat_content.go,
//     chat_tool_blocks.go, chat_tools.go, chat_write.go: direction A's request.
//   - messages_request.go, messages_content.go, messages_tools.go,
//     messages_write.go: direction B's request.
//   - chat_response.go, messages_response.go: non-stream answers (answer.go: the
//     first checks both share with responses_answer.go).
//   - chat_stream.go, messages_stream.go, stream.go: streams, including
//     what happens to a malformed upstream stream.
//   - responses.go: the contract of the OpenAI Responses API conversion
//     (docs/responses.md); responses_answer.go, responses_object.go,
//     responses_stream*.go, responses_custom.go, responses_scan.go,
//     responses_errors.go: its answer side, a Chat Completions or Messages
//     answer, whole or streamed, to a Responses object or event stream.
//   - errors.go, usage.go, tokens.go, ids.go, jsonw.go: error bodies,
//     usage accounting, the count_tokens estimate, ids and names, and the
//     JSON writer.
//
// Request bodies are checked once, by the gateway, before a converter sees
// them; the converters read them in place. Upstream data (responses, stream
// events) is checked here.
package adapter

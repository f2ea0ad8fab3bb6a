// Package sse reads and writes Server-Sent Events frames.
//
// The reader has no line-length limit: upstreams put whole tool-call arguments
// or base64 images into a single data line, which overflows bufio.Scanner's
// 64 KiB default.
package sse

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Event is one SSE frame. Raw holds the frame exactly as it was read,
// including its terminating blank line, so a relay can forward it untouched.
type Event struct {
	Name    string // the "event:" field; empty when absent
	Data    []byte // the "data:" lines joined with "\n"
	ID      string
	Comment bool   // the frame held only comment lines (": ping")
	Raw     []byte // the frame as read
}

// Reader yields events from an SSE stream.
type Reader struct {
	br  *bufio.Reader
	raw bytes.Buffer
}

// NewReader returns a Reader over r.
func NewReader(r io.Reader) *Reader {
	// 4 KiB holds a typical event; longer lines are gathered across reads.
	// With hundreds of open streams, a larger buffer each adds up.
	return &Reader{br: bufio.NewReaderSize(r, 4096)}
}

// readLine returns one line without its terminator (\n, \r\n or \r is not
// supported alone; upstreams use \n or \r\n). It appends the raw line to r.raw.
func (r *Reader) readLine() ([]byte, error) {
	var line []byte
	for {
		chunk, err := r.br.ReadSlice('\n')
		if err == bufio.ErrBufferFull {
			line = append(line, chunk...)
			continue
		}
		if err != nil {
			line = append(line, chunk...)
			r.raw.Write(chunk)
			return line, err
		}
		if line == nil {
			line = chunk
		} else {
			line = append(line, chunk...)
		}
		r.raw.Write(chunk)
		line = bytes.TrimSuffix(line, []byte("\n"))
		line = bytes.TrimSuffix(line, []byte("\r"))
		return line, nil
	}
}

// EventBuffered reports whether a whole next event has already been read
// from the connection, so Next will return it without waiting. A relay
// flushes only when it is false: events that arrived together leave
// together (one write to the client instead of one per event), and none
// waits for data that has not arrived.
func (r *Reader) EventBuffered() bool {
	n := r.br.Buffered()
	if n == 0 {
		return false
	}
	buf, _ := r.br.Peek(n)
	return bytes.Contains(buf, []byte("\n\n")) || bytes.Contains(buf, []byte("\n\r\n"))
}

// Next returns the next event. It returns io.EOF when the stream ends cleanly
// between frames and io.ErrUnexpectedEOF when it ends inside a frame that has
// data (the frame is returned as well, so the caller can decide).
func (r *Reader) Next() (Event, error) {
	r.raw.Reset()
	var ev Event
	var data [][]byte
	seen := false // any field or comment seen in this frame
	onlyComments := true
	for {
		line, err := r.readLine()
		if err != nil && !errors.Is(err, io.EOF) {
			return Event{}, fmt.Errorf("read sse stream: %w", err)
		}
		eof := err != nil
		if len(line) == 0 {
			if eof {
				if !seen {
					return Event{}, io.EOF
				}
				ev.Data = bytes.Join(data, []byte("\n"))
				ev.Comment = onlyComments
				ev.Raw = append([]byte(nil), r.raw.Bytes()...)
				if len(data) > 0 {
					return ev, io.ErrUnexpectedEOF
				}
				return ev, io.EOF
			}
			if !seen {
				// Blank lines between frames: skip.
				r.raw.Reset()
				continue
			}
			ev.Data = bytes.Join(data, []byte("\n"))
			ev.Comment = onlyComments
			ev.Raw = append([]byte(nil), r.raw.Bytes()...)
			return ev, nil
		}
		seen = true
		if line[0] == ':' {
			if eof {
				ev.Comment = onlyComments
				ev.Raw = append([]byte(nil), r.raw.Bytes()...)
				return ev, io.EOF
			}
			continue
		}
		onlyComments = false
		field, value := line, []byte(nil)
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, value = line[:i], line[i+1:]
			if len(value) > 0 && value[0] == ' ' {
				value = value[1:]
			}
		}
		switch string(field) {
		case "event":
			ev.Name = string(value)
		case "data":
			data = append(data, append([]byte(nil), value...))
		case "id":
			ev.ID = string(value)
		}
		if eof {
			ev.Data = bytes.Join(data, []byte("\n"))
			ev.Raw = append([]byte(nil), r.raw.Bytes()...)
			if len(data) > 0 {
				return ev, io.ErrUnexpectedEOF
			}
			return ev, io.EOF
		}
	}
}

// AppendData appends a frame with only a data field: "data: <d>\n\n".
// d must not contain newlines (compact JSON never does).
func AppendData(dst, d []byte) []byte {
	dst = append(dst, "data: "...)
	dst = append(dst, d...)
	return append(dst, '\n', '\n')
}

// AppendEvent appends a named frame: "event: <name>\ndata: <d>\n\n".
func AppendEvent(dst []byte, name string, d []byte) []byte {
	dst = append(dst, "event: "...)
	dst = append(dst, name...)
	dst = append(dst, '\n')
	return AppendData(dst, d)
}

// Done is the OpenAI end-of-stream frame.
var Done = []byte("data: [DONE]\n\n")

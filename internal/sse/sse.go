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
	Comment bool // the frame held only comment lines (": ping")
	// Unknown is set when a line of the frame is no SSE field (event,
	// data, id, retry) nor a comment: an upstream sending something that
	// is not an event stream (an HTML page, a log line).
	Unknown bool
	Raw     []byte // the frame as read
}

// ErrEventTooLarge is returned by Next when a frame grows past the
// reader's limit; the stream cannot be read further.
var ErrEventTooLarge = errors.New("sse event over the size limit")

// Reader yields events from an SSE stream.
type Reader struct {
	br  *bufio.Reader
	raw []byte // the frame being read, as read
	// data holds where the frame's data values lie in raw.
	data []span
	// max bounds the bytes of one frame; 0 means no bound.
	max int
}

type span struct{ start, end int }

// NewReader returns a Reader over r with no bound on a frame's size.
func NewReader(r io.Reader) *Reader { return NewLimitedReader(r, 0) }

// NewLimitedReader returns a Reader over r whose frames may be at most max
// bytes (0: unbounded); Next fails with ErrEventTooLarge past it. An
// upstream that sends an endless line must not grow memory without bound.
func NewLimitedReader(r io.Reader, max int) *Reader {
	// 4 KiB holds a typical event; longer lines are gathered across reads.
	// With hundreds of open streams, a larger buffer each adds up.
	return &Reader{br: bufio.NewReaderSize(r, 4096), max: max}
}

// readLine appends one line, terminator included, to r.raw and returns
// where its content (without \n or \r\n) lies there. A line longer than
// the buffer is gathered from several reads, all of it kept in raw.
func (r *Reader) readLine() (start, end int, err error) {
	start = len(r.raw)
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.raw = append(r.raw, chunk...)
		if r.max > 0 && len(r.raw) > r.max {
			return start, len(r.raw), ErrEventTooLarge
		}
		if err == bufio.ErrBufferFull {
			continue
		}
		end = len(r.raw)
		if err == nil {
			end--
			if end > start && r.raw[end-1] == '\r' {
				end--
			}
		}
		return start, end, err
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
//
// Raw is a fresh copy per event; Data shares its memory (with its capacity
// cut, so an append to Data never writes into Raw) when the frame has one
// data line, as nearly every upstream frame does.
func (r *Reader) Next() (Event, error) {
	r.raw = r.raw[:0]
	r.data = r.data[:0]
	var ev Event
	seen := false // any field or comment seen in this frame
	onlyComments := true
	for {
		start, end, err := r.readLine()
		if errors.Is(err, ErrEventTooLarge) {
			return Event{}, fmt.Errorf("read sse stream: event over %d bytes: %w", r.max, err)
		}
		if err != nil && !errors.Is(err, io.EOF) {
			return Event{}, fmt.Errorf("read sse stream: %w", err)
		}
		eof := err != nil
		line := r.raw[start:end]
		if len(line) == 0 {
			if !seen {
				if eof {
					return Event{}, io.EOF
				}
				// Blank lines between frames: skip.
				r.raw = r.raw[:0]
				continue
			}
			r.finish(&ev, onlyComments)
			if eof {
				if len(r.data) > 0 {
					return ev, io.ErrUnexpectedEOF
				}
				return ev, io.EOF
			}
			return ev, nil
		}
		seen = true
		if line[0] == ':' {
			if eof {
				r.finish(&ev, onlyComments)
				return ev, io.EOF
			}
			continue
		}
		onlyComments = false
		field, vstart := line, end
		if i := bytes.IndexByte(line, ':'); i >= 0 {
			field, vstart = line[:i], start+i+1
			if vstart < end && r.raw[vstart] == ' ' {
				vstart++
			}
		}
		switch string(field) {
		case "event":
			ev.Name = string(r.raw[vstart:end])
		case "data":
			r.data = append(r.data, span{vstart, end})
		case "id":
			ev.ID = string(r.raw[vstart:end])
		case "retry":
		default:
			ev.Unknown = true
		}
		if eof {
			r.finish(&ev, onlyComments)
			if len(r.data) > 0 {
				return ev, io.ErrUnexpectedEOF
			}
			return ev, io.EOF
		}
	}
}

// finish copies the frame into ev.Raw and sets Data and Comment.
func (r *Reader) finish(ev *Event, onlyComments bool) {
	ev.Comment = onlyComments
	ev.Raw = append([]byte(nil), r.raw...)
	switch len(r.data) {
	case 0:
	case 1:
		d := r.data[0]
		ev.Data = ev.Raw[d.start:d.end:d.end]
	default:
		n := len(r.data) - 1
		for _, d := range r.data {
			n += d.end - d.start
		}
		ev.Data = make([]byte, 0, n)
		for i, d := range r.data {
			if i > 0 {
				ev.Data = append(ev.Data, '\n')
			}
			ev.Data = append(ev.Data, ev.Raw[d.start:d.end]...)
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

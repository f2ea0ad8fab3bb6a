package sse

import (
	"errors"
	"io"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReaderFrames(t *testing.T) {
	in := ": ping\n\nevent: message_start\ndata: {\"a\":1}\n\n\ndata: x\ndata: y\r\n\r\ndata: [DONE]\n\n"
	r := NewReader(strings.NewReader(in))

	ev, err := r.Next()
	require.NoError(t, err)
	assert.True(t, ev.Comment)
	assert.Equal(t, ": ping\n\n", string(ev.Raw))

	ev, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "message_start", ev.Name)
	assert.Equal(t, `{"a":1}`, string(ev.Data))
	assert.Equal(t, "event: message_start\ndata: {\"a\":1}\n\n", string(ev.Raw))

	ev, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "x\ny", string(ev.Data))

	ev, err = r.Next()
	require.NoError(t, err)
	assert.Equal(t, "[DONE]", string(ev.Data))

	_, err = r.Next()
	assert.Equal(t, io.EOF, err)
}

func TestReaderHugeLine(t *testing.T) {
	big := strings.Repeat("a", 5<<20)
	r := NewReader(strings.NewReader("data: " + big + "\n\n"))
	ev, err := r.Next()
	require.NoError(t, err)
	assert.Len(t, ev.Data, len(big))
}

func TestReaderTruncated(t *testing.T) {
	r := NewReader(strings.NewReader("data: {\"partial\""))
	ev, err := r.Next()
	assert.True(t, errors.Is(err, io.ErrUnexpectedEOF))
	assert.Equal(t, `{"partial"`, string(ev.Data))
}

func TestAppend(t *testing.T) {
	assert.Equal(t, "event: ping\ndata: {}\n\n", string(AppendEvent(nil, "ping", []byte("{}"))))
	assert.Equal(t, "data: {}\n\n", string(AppendData(nil, []byte("{}"))))
}

func TestEventBuffered(t *testing.T) {
	pr, pw := io.Pipe()
	r := NewReader(pr)
	go func() {
		_, _ = pw.Write([]byte("data: 1\n\ndata: 2\n\ndata: 3"))
	}()
	_, err := r.Next()
	require.NoError(t, err)
	assert.True(t, r.EventBuffered(), "event 2 arrived with event 1")
	_, err = r.Next()
	require.NoError(t, err)
	assert.False(t, r.EventBuffered(), "event 3 is incomplete")
	go func() {
		_, _ = pw.Write([]byte("\n\n"))
		pw.Close()
	}()
	ev, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, "3", string(ev.Data))
}

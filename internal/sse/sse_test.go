package sse

import (
	"errors"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
	"testing/iotest"

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
	in := "data: " + big + "\n\n"
	r := NewReader(strings.NewReader(in))
	ev, err := r.Next()
	require.NoError(t, err)
	assert.Len(t, ev.Data, len(big))
	// A relay forwards Raw: every byte of a line longer than the read
	// buffer must be in it, not only the last buffer's worth.
	assert.Len(t, ev.Raw, len(in))
	assert.True(t, string(ev.Raw) == in, "Raw differs from the frame read")
}

// frames builds an SSE stream from frames of random lines and returns it
// with each frame's raw text and expected data.
func frames(rng *rand.Rand, n int) (string, []string, []string) {
	var all strings.Builder
	var raws, datas []string
	for range n {
		var raw strings.Builder
		var data []string
		nl := "\n"
		if rng.IntN(3) == 0 {
			nl = "\r\n"
		}
		for range 1 + rng.IntN(3) {
			// Lengths around the 4 KiB buffer and its multiples.
			size := []int{0, 1, 100, 4089, 4090, 4095, 4096, 4097, 8191, 8200, 20000}[rng.IntN(11)]
			v := strings.Repeat(string(rune('a'+rng.IntN(26))), size)
			switch rng.IntN(5) {
			case 0:
				raw.WriteString("event: e" + v[:min(len(v), 10)] + nl)
			case 1:
				raw.WriteString(": comment " + v + nl)
			default:
				raw.WriteString("data: " + v + nl)
				data = append(data, v)
			}
		}
		raw.WriteString(nl)
		all.WriteString(raw.String())
		raws = append(raws, raw.String())
		datas = append(datas, strings.Join(data, "\n"))
	}
	return all.String(), raws, datas
}

// TestReaderKeepsEveryByte: for frames with lines of every length around
// the buffer size, read whole or one byte at a time, each event's Raw is
// exactly its frame and Data its data lines joined.
func TestReaderKeepsEveryByte(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	for round := range 30 {
		in, raws, datas := frames(rng, 1+rng.IntN(6))
		for _, oneByte := range []bool{false, true} {
			var src io.Reader = strings.NewReader(in)
			if oneByte {
				src = iotest.OneByteReader(src)
			}
			r := NewReader(src)
			for i := range raws {
				ev, err := r.Next()
				require.NoError(t, err, "round %d frame %d", round, i)
				require.True(t, string(ev.Raw) == raws[i], "round %d frame %d: Raw has %d bytes, want %d", round, i, len(ev.Raw), len(raws[i]))
				require.True(t, string(ev.Data) == datas[i], "round %d frame %d: Data has %d bytes, want %d", round, i, len(ev.Data), len(datas[i]))
			}
			_, err := r.Next()
			require.Equal(t, io.EOF, err)
		}
	}
}

// An event stays valid after the next one is read, and appending to its
// Data never changes its Raw.
func TestEventIsItsOwn(t *testing.T) {
	r := NewReader(strings.NewReader("data: one\n\ndata: two\n\n"))
	first, err := r.Next()
	require.NoError(t, err)
	second, err := r.Next()
	require.NoError(t, err)
	assert.Equal(t, "data: one\n\n", string(first.Raw))
	assert.Equal(t, "one", string(first.Data))
	_ = append(first.Data, "XXXXXXXX"...)
	assert.Equal(t, "data: one\n\n", string(first.Raw), "append to Data wrote into Raw")
	assert.Equal(t, "two", string(second.Data))
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

func TestLimitedReaderStopsAnEndlessLine(t *testing.T) {
	// 1 MiB of one line with no newline: the reader must give up at the
	// limit instead of gathering it all.
	src := io.MultiReader(strings.NewReader("data: "), strings.NewReader(strings.Repeat("x", 1<<20)))
	r := NewLimitedReader(src, 64<<10)
	_, err := r.Next()
	if !errors.Is(err, ErrEventTooLarge) {
		t.Fatalf("Next() error = %v, want ErrEventTooLarge", err)
	}
	if len(r.raw) > 64<<10+4096 {
		t.Fatalf("reader kept %d bytes, want at most the limit plus one buffer", len(r.raw))
	}
}

func TestUnknownFieldsAreFlagged(t *testing.T) {
	r := NewReader(strings.NewReader("<html>oops</html>\n\ndata: {}\nretry: 10\n\n"))
	ev, err := r.Next()
	if err != nil || !ev.Unknown || ev.Comment {
		t.Fatalf("first frame = %+v, %v; want Unknown and not a comment", ev, err)
	}
	ev, err = r.Next()
	if err != nil || ev.Unknown {
		t.Fatalf("second frame = %+v, %v; want a known frame", ev, err)
	}
}

package main

import (
	"bufio"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/h1"
	"github.com/aigw/aigw/internal/mock"
)

// The floor proxy must do what nginx does in the benchmark, or the
// comparison means nothing: pass bodies, status and credentials through
// and relay each SSE event as it comes.
func TestFloorProxyForwards(t *testing.T) {
	up := httptest.NewServer(mock.New(mock.Options{Keys: []string{"up-key"}, ChunkDelay: 50 * time.Millisecond}))
	defer up.Close()
	tr := h1.New((&net.Dialer{}).DialContext, nil, nil)
	px := httptest.NewServer(newEngine(tr, up.URL))
	defer px.Close()

	post := func(key, body string) *http.Response {
		req, err := http.NewRequest(http.MethodPost, px.URL+"/v1/chat/completions", strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Authorization", "Bearer "+key)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		return resp
	}

	resp := post("up-key", `{"model":"m","messages":[{"role":"user","content":"hi"}]}`)
	b := new(strings.Builder)
	_, _ = bufio.NewReader(resp.Body).WriteTo(b)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, b.String())
	assert.Contains(t, b.String(), `"usage"`)

	resp = post("wrong-key", `{"model":"m","messages":[]}`)
	resp.Body.Close()
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, "the upstream's status comes back as it is")

	resp = post("up-key", `{"model":"m","stream":true,"messages":[{"role":"user","content":"hi"}]}`)
	defer resp.Body.Close()
	sc := bufio.NewScanner(resp.Body)
	var gaps, events int
	last := time.Now()
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), "data:") {
			continue
		}
		if events > 0 && time.Since(last) > 25*time.Millisecond {
			gaps++
		}
		events++
		last = time.Now()
	}
	require.Greater(t, events, 5)
	assert.GreaterOrEqual(t, gaps, events-3, "events 50 ms apart upstream arrive apart, not batched")
}

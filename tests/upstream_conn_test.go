package tests

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"
)

// chatBody is a chat completion request whose prompt tells the requests
// apart at the upstream.
func chatBody(prompt string) string {
	return fmt.Sprintf(`{"model":"openai/gpt-4o","messages":[{"role":"user","content":%q}]}`, prompt)
}

// receiptsOf counts the chat completions with prompt the upstream read.
func receiptsOf(up *fakeUpstream, prompt string) int {
	n := 0
	for _, r := range up.requests() {
		if r.Path == "/v1/chat/completions" && gjson.GetBytes(r.Body, "messages.0.content").String() == prompt {
			n++
		}
	}
	return n
}

// TestUpstreamDropAfterReadNotReplayed: the upstream reads a chat
// completion that arrives on a kept-alive connection and hangs up without
// answering. The gateway must not send it again behind its own back: each
// attempt (one per key) reaches the upstream at most once, so the
// upstream's receipts equal the log row's attempts. With more keys the
// next attempt, on a new connection, answers; with one key the client
// gets 502.
func TestUpstreamDropAfterReadNotReplayed(t *testing.T) {
	cases := []struct {
		name     string
		oneKey   bool
		status   int
		receipts int
	}{
		{"next key answers", false, http.StatusOK, 2},
		{"only key", true, http.StatusBadGateway, 1},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var mu sync.Mutex
			perConn := map[string]int{} // requests seen per client connection
			up := newFakeUpstream(t, func(w http.ResponseWriter, r *http.Request) {
				mu.Lock()
				nth := perConn[r.RemoteAddr]
				perConn[r.RemoteAddr]++
				mu.Unlock()
				if nth == 0 {
					chatOrError(w, r)
					return
				}
				// A reused connection: the request was read; hang up.
				c, _, err := w.(http.Hijacker).Hijack()
				if err == nil {
					_ = c.Close()
				}
			})
			cfg := oneProviderConfig(up.URL, "")
			if tc.oneKey {
				cfg = strings.Replace(cfg, fmt.Sprintf("%s,%s,%s", upKey1, upKey2, upKey3), upKey1, 1)
			}
			gw := startGateway(t, cfg, "")

			status, _, _ := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey, chatBody("first"))
			require.Equal(t, http.StatusOK, status)
			status, _, body := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey, chatBody("second"))
			assert.Equal(t, tc.status, status, body)

			rows := gw.Logs.waitRows(t, 2)
			got := receiptsOf(up, "second")
			assert.Equal(t, got, rows[1].Attempts, "each attempt reaches the upstream once, no more")
			assert.Equal(t, tc.receipts, got, "upstream receipts of the second request")
			assert.Equal(t, tc.status, rows[1].StatusCode)
		})
	}
}

// rawUpstream is a keep-alive upstream on raw TCP, for answers a net/http
// server will not write: serve runs on each connection.
type rawUpstream struct {
	URL string

	mu       sync.Mutex
	conns    []net.Conn
	accepted int
}

func startRawUpstream(t *testing.T, serve func(c net.Conn)) *rawUpstream {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	u := &rawUpstream{URL: "http://" + ln.Addr().String()}
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			u.mu.Lock()
			u.conns = append(u.conns, c)
			u.accepted++
			u.mu.Unlock()
			wg.Go(func() {
				defer c.Close()
				serve(c)
			})
		}
	})
	t.Cleanup(func() {
		_ = ln.Close()
		u.mu.Lock()
		for _, c := range u.conns {
			_ = c.Close()
		}
		u.mu.Unlock()
		wg.Wait()
	})
	return u
}

func (u *rawUpstream) connections() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.accepted
}

const smuggledResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 17\r\n\r\n{\"id\":\"SMUGGLED\"}"

// chatAnswer is openAIChat's completion answering "answer to <prompt>", as
// raw HTTP/1.1 bytes.
func chatAnswer(req *http.Request, body []byte) string {
	prompt := gjson.GetBytes(body, "messages.0.content").String()
	req.Body = io.NopCloser(bytes.NewReader(body))
	rec := httptest.NewRecorder()
	openAIChat("answer to "+prompt)(rec, req)
	return fmt.Sprintf("HTTP/1.1 %d OK\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
		rec.Code, rec.Header().Get("Content-Type"), rec.Body.Len(), rec.Body.String())
}

// TestUnsolicitedUpstreamResponseNotDelivered: the upstream answers the
// first chat completion on each connection twice, the second answer being
// {"id":"SMUGGLED"}, in the same write or a moment later while the
// connection is idle in the gateway's pool. Every later client request
// must get its own answer, never the extra one.
func TestUnsolicitedUpstreamResponseNotDelivered(t *testing.T) {
	for _, later := range []bool{false, true} {
		name := "same write"
		if later {
			name = "later write"
		}
		t.Run(name, func(t *testing.T) {
			sent := make(chan struct{}, 8)
			up := startRawUpstream(t, func(c net.Conn) {
				br := bufio.NewReader(c)
				for nth := 0; ; nth++ {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					answer := chatAnswer(req, readAll(req))
					switch {
					case nth > 0:
						_, err = c.Write([]byte(answer))
					case later:
						_, _ = c.Write([]byte(answer))
						time.Sleep(30 * time.Millisecond)
						_, err = c.Write([]byte(smuggledResponse))
					default:
						_, err = c.Write([]byte(answer + smuggledResponse))
					}
					if nth == 0 {
						sent <- struct{}{}
					}
					if err != nil {
						return
					}
				}
			})
			gw := startGateway(t, oneProviderConfig(up.URL, ""), "")
			for _, prompt := range []string{"one", "two", "three"} {
				status, _, body := sendRaw(t, gw.URL+"/v1/chat/completions", clientKey, chatBody(prompt))
				require.Equal(t, http.StatusOK, status, body)
				require.NotContains(t, body, "SMUGGLED", "request %q got the upstream's unsolicited answer", prompt)
				require.Equal(t, "answer to "+prompt, gjson.Get(body, "choices.0.message.content").String(), body)
				select {
				case <-sent:
				case <-time.After(2 * time.Second):
					t.Fatal("the upstream did not answer on a new connection")
				}
				time.Sleep(20 * time.Millisecond) // the extra answer reaches the gateway
			}
			assert.Equal(t, 3, up.connections(), "a connection with an unsolicited answer is never reused")
		})
	}
}

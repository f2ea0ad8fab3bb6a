//go:build unix

package h1

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The same exchange through this transport and through net/http's: a POST
// with a 1 KiB JSON body to a loopback server that answers with a small
// JSON object, on a kept-alive connection. cpu-us/op is the process's CPU
// (user+system) per request; the server's share is the same in both, so
// the difference is the transports'.
func BenchmarkRoundTrip_h1(b *testing.B) {
	tr := New(nil, nil, nil)
	b.Cleanup(tr.CloseIdleConnections)
	benchRoundTrip(b, tr)
}

func BenchmarkRoundTrip_nethttp(b *testing.B) {
	tr := &http.Transport{MaxIdleConnsPerHost: 512, IdleConnTimeout: 90 * time.Second}
	b.Cleanup(tr.CloseIdleConnections)
	benchRoundTrip(b, tr)
}

func benchRoundTrip(b *testing.B, rt http.RoundTripper) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"id":"chatcmpl-1","object":"chat.completion","choices":[{"index":0,"message":{"role":"assistant","content":"ok"}}]}`)
	}))
	b.Cleanup(srv.Close)
	body := []byte(`{"model":"gpt-4o","messages":[{"role":"user","content":"` + strings.Repeat("x", 1024-60) + `"}]}`)
	if len(body) != 1024 {
		b.Fatalf("body is %d bytes, want 1024", len(body))
	}
	buf := make([]byte, 4096)
	b.ReportAllocs()
	cpu0 := cpuTime()
	for b.Loop() {
		req, err := http.NewRequest(http.MethodPost, srv.URL+"/v1/chat/completions", bytes.NewReader(body))
		if err != nil {
			b.Fatal(err)
		}
		req.Header.Set("Content-Type", "application/json")
		resp, err := rt.RoundTrip(req)
		if err != nil {
			b.Fatal(err)
		}
		for {
			if _, err := resp.Body.Read(buf); err != nil {
				if err != io.EOF {
					b.Fatal(err)
				}
				break
			}
		}
		_ = resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			b.Fatalf("status %d", resp.StatusCode)
		}
	}
	b.ReportMetric(float64((cpuTime()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
}

// cpuTime is the CPU time (user and system) the process used so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

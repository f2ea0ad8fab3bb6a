// Command floorproxy is the least a proxy built on aigw's stack can cost:
// Gin on net/http in front, internal/h1 to the upstream, and nothing a gateway
// does (no auth, routing, key pool, JSON check, usage capture, metrics or
// log row). bench/load.sh runs it beside nginx and aigw, so a run shows how
// much of aigw's cost is the stack the spec prescribes and how much is the
// gateway's own work.
//
// With --transport nethttp it uses net/http's Transport instead of
// internal/h1, so one run of bench/load.sh also measures what h1 saves
// (target floornet).
//
// It forwards every POST to the same path on the upstream with the body,
// Content-Type and credentials as they came, and relays the answer,
// flushing after every read so SSE events pass one by one.
package main

import (
	"bytes"
	"context"
	"errors"
	"flag"
	"io"
	"log"
	"net"
	"net/http"
	"os"
	"os/signal"
	"runtime/debug"
	"strconv"
	"syscall"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/aigw/aigw/internal/h1"
)

func main() {
	listen := flag.String("listen", "127.0.0.1:18084", "host:port to listen on")
	upstream := flag.String("upstream", "http://127.0.0.1:18080", "upstream base URL")
	transport := flag.String("transport", "h1", "upstream transport: h1 (aigw's) or nethttp (net/http's Transport)")
	flag.Parse()
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200) // as aigw serve runs (cmd/serve.go), for a like-for-like floor
	}

	dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	var tr http.RoundTripper
	switch *transport {
	case "h1":
		tr = h1.New(dialer.DialContext, nil, nil)
	case "nethttp":
		// Tuned as a gateway would tune it: enough idle connections per
		// host for every client connection of the load test.
		tr = &http.Transport{DialContext: dialer.DialContext, MaxIdleConns: 1024, MaxIdleConnsPerHost: 1024,
			IdleConnTimeout: 90 * time.Second, DisableCompression: true}
	default:
		log.Fatalf("floorproxy: --transport %q: want h1 or nethttp", *transport)
	}

	srv := &http.Server{Addr: *listen, Handler: newEngine(tr, *upstream), ReadHeaderTimeout: 10 * time.Second}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		log.Fatalf("floorproxy: %v", err)
	}
}

// newEngine is the whole proxy: one Gin route.
func newEngine(tr http.RoundTripper, upstream string) *gin.Engine {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.POST("/*path", func(c *gin.Context) { forward(c, tr, upstream) })
	return r
}

func forward(c *gin.Context, tr http.RoundTripper, upstream string) {
	body := make([]byte, max(c.Request.ContentLength, 0))
	if _, err := io.ReadFull(c.Request.Body, body); err != nil {
		c.String(http.StatusBadRequest, "read body: %v", err)
		return
	}
	req, err := http.NewRequestWithContext(c.Request.Context(), http.MethodPost, upstream+c.Request.URL.Path, bytes.NewReader(body))
	if err != nil {
		c.String(http.StatusBadGateway, "build request: %v", err)
		return
	}
	req.ContentLength = int64(len(body))
	for _, h := range []string{"Content-Type", "Authorization", "X-Api-Key", "Anthropic-Version"} {
		if v := c.GetHeader(h); v != "" {
			req.Header.Set(h, v)
		}
	}
	resp, err := tr.RoundTrip(req)
	if err != nil {
		c.String(http.StatusBadGateway, "upstream: %v", err)
		return
	}
	defer resp.Body.Close()
	h := c.Writer.Header()
	h.Set("Content-Type", resp.Header.Get("Content-Type"))
	if resp.ContentLength >= 0 {
		h.Set("Content-Length", strconv.FormatInt(resp.ContentLength, 10))
	}
	c.Status(resp.StatusCode)
	buf := make([]byte, 16<<10)
	for {
		n, err := resp.Body.Read(buf)
		if n > 0 {
			if _, werr := c.Writer.Write(buf[:n]); werr != nil {
				return
			}
			c.Writer.Flush()
		}
		if err != nil {
			return
		}
	}
}

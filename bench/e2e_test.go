package bench

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aigw/aigw/internal/app"
	"github.com/aigw/aigw/internal/clients"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/metrics"
	"github.com/aigw/aigw/internal/mock"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

const gatewayKey = "sk-bench-client-key"

// rig is the in-process setup: the mock upstream and the gateway in front
// of it, each on its own loopback listener, the gateway logging to SQLite
// and recording metrics as `aigw serve` does.
type rig struct {
	mock, gw  *httptest.Server
	client    *http.Client
	clientKey string // a client key with rpm, tpm and a budget
}

func newRig(b *testing.B) *rig {
	b.Helper()
	up := httptest.NewServer(mock.New(mock.Options{Chunks: mock.DefaultChunks}))
	b.Cleanup(up.Close)

	// Load the config from a file, as serve does, so every default
	// (timeouts, attempts) is the real one.
	dir := b.TempDir()
	cfgPath := filepath.Join(dir, "aigw.toml")
	cfgText := fmt.Sprintf(`
[server]
listen = "127.0.0.1:0"
redirect_file = "redirect.toml"
[auth]
keys = [%q]
[database]
driver = "sqlite"
dsn = %q
[[providers]]
name = "mock-openai"
type = "openai"
base_url = "%s/v1"
api_keys = "mock-key-1,mock-key-2,mock-key-3"
strategy = "round_robin"
models = ["mock-gpt-4o"]
[[providers]]
name = "mock-claude"
type = "anthropic"
base_url = %q
api_keys = ["mock-key-a"]
models = ["claude-mock-sonnet-4-5"]
[[providers]]
name = "mock-chat"
type = "openai"
base_url = "%s/v1"
api_keys = "mock-key-1"
models = ["mock-gpt-4o"]
responses = "chat"
`, gatewayKey, filepath.Join(dir, "aigw.db"), up.URL, up.URL, up.URL)
	if err := os.WriteFile(cfgPath, []byte(cfgText), 0o600); err != nil {
		b.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "redirect.toml"), []byte("[aliases]\n\"gpt-bench\" = \"mock-openai/mock-gpt-4o\"\n"), 0o600); err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Load(cfgPath)
	if err != nil {
		b.Fatal(err)
	}
	aliases, err := config.LoadAliases(cfg.RedirectPath())
	if err != nil {
		b.Fatal(err)
	}
	db, err := store.Open(context.Background(), cfg.Database)
	if err != nil {
		b.Fatal(err)
	}
	writer := db.NewWriter(store.WriterOptions{Location: cfg.Location(), Logger: quietLogger()})
	var sink gateway.LogSink = writer
	if os.Getenv("AIGW_BENCH_LOG") == "off" {
		// To see what the SQLite log costs: rows are dropped instead.
		sink = nil
	}
	reg := provider.NewRegistry(cfg, aliases)
	// A route whose first target answers: BenchmarkEndToEnd/route compares
	// it with the same request by provider/model.
	reg.SetRoutes(config.Routes{"bench-route": {Targets: []string{"mock-openai/mock-gpt-4o", "mock-claude/claude-mock-sonnet-4-5"}}})
	// A client key with rpm, tpm and a budget, all far above what a run
	// sends: BenchmarkEndToEnd/clientkey compares it with the static key.
	budget := 1e9
	clientKey, hash, hint, err := clients.NewKey()
	if err != nil {
		b.Fatal(err)
	}
	book := app.NewClientBook()
	book.Set([]clients.Client{{Name: "bench", KeyHash: hash, KeyHint: hint, RPM: 1_000_000, TPM: 1 << 50, Budget: &budget, Period: clients.PeriodMonth}})
	gw := gateway.New(gateway.Options{
		Config: cfg, Registry: reg, Logs: sink,
		Logger: quietLogger(), Metrics: metrics.New(), Clients: book,
	})
	srv := httptest.NewServer(gw.Handler())
	b.Cleanup(func() {
		srv.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		_ = writer.Close(ctx)
		_ = db.Close()
	})
	return &rig{mock: up, gw: srv, clientKey: clientKey, client: &http.Client{Transport: &http.Transport{
		MaxIdleConns: 256, MaxIdleConnsPerHost: 256, IdleConnTimeout: time.Minute,
	}}}
}

// call is one request of a benchmark case.
type call struct {
	url  string
	body []byte
	hdr  map[string]string
	want string // the answer must contain it: a 200 with an error inside counts as a failure
}

func (r *rig) do(c *call) error {
	req, err := http.NewRequest(http.MethodPost, c.url, bytes.NewReader(c.body))
	if err != nil {
		return err
	}
	req.Header.Set("Content-Type", "application/json")
	for k, v := range c.hdr {
		req.Header.Set(k, v)
	}
	resp, err := r.client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	got, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK || !bytes.Contains(got, []byte(c.want)) {
		return fmt.Errorf("%s: status %d, body %.200s", c.url, resp.StatusCode, got)
	}
	return nil
}

// pair runs the same request against the mock directly and through the
// gateway, one request at a time (ns/op is then the latency of one
// request) and from 32 goroutines (ns/op is then the inverse of the
// throughput), and logs what the gateway adds.
func (r *rig) pair(b *testing.B, direct, via *call) {
	var ns [2]float64
	for i, c := range []*call{direct, via} {
		name := [2]string{"direct", "gateway"}[i]
		b.Run(name, func(b *testing.B) {
			if err := r.do(c); err != nil { // warm the connection, check the answer
				b.Fatal(err)
			}
			b.SetBytes(int64(len(c.body)))
			b.ReportAllocs()
			for b.Loop() {
				if err := r.do(c); err != nil {
					b.Fatal(err)
				}
			}
			ns[i] = float64(b.Elapsed().Nanoseconds()) / float64(b.N)
		})
		b.Run(name+"/parallel32", func(b *testing.B) {
			b.SetParallelism(16) // 16 x GOMAXPROCS(2) = 32 clients, as wrk -c32
			b.ReportAllocs()
			cpu0 := processCPU()
			defer func() {
				// Client and mock cost the same in both cases, so the
				// difference between gateway and direct is the gateway's.
				b.ReportMetric(float64((processCPU()-cpu0).Microseconds())/float64(b.N), "cpu-us/op")
			}()
			b.RunParallel(func(pb *testing.PB) {
				for pb.Next() {
					if err := r.do(c); err != nil {
						b.Error(err)
						return
					}
				}
			})
		})
	}
	if ns[0] > 0 && ns[1] > 0 {
		b.Logf("gateway adds %.0f us per sequential request (direct %.0f us, gateway %.0f us)",
			(ns[1]-ns[0])/1e3, ns[0]/1e3, ns[1]/1e3)
	}
}

// processCPU is this process's user+system CPU time so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkEndToEnd is the gateway engine (gateway.New: auth, routing,
// key choice, model rewrite, relay, metrics, SQLite log) in front of
// internal/mock, against the mock alone, over real loopback HTTP.
func BenchmarkEndToEnd(b *testing.B) {
	r := newRig(b)
	oai := map[string]string{"Authorization": "Bearer mock-key-1"}
	ant := map[string]string{"x-api-key": "mock-key-a", "anthropic-version": "2023-06-01"}
	gw := map[string]string{"Authorization": "Bearer " + gatewayKey}
	streamBody := strings.Replace(smallChat, `"max_tokens"`, `"stream":true,"max_tokens"`, 1)
	antStream := strings.Replace(smallMessages, `"max_tokens"`, `"stream":true,"max_tokens"`, 1)
	big := bigChat("mock-gpt-4o", 1<<20)
	bigVia := bigChat("mock-openai/mock-gpt-4o", 1<<20)

	b.Run("nonstream", func(b *testing.B) {
		r.pair(b, &call{r.mock.URL + "/v1/chat/completions", []byte(smallChat), oai, `"usage"`},
			&call{r.gw.URL + "/v1/chat/completions", []byte(withModel(smallChat, "mock-openai/mock-gpt-4o")), gw, `"usage"`})
	})
	b.Run("stream", func(b *testing.B) {
		r.pair(b, &call{r.mock.URL + "/v1/chat/completions", []byte(streamBody), oai, "[DONE]"},
			&call{r.gw.URL + "/v1/chat/completions", []byte(withModel(streamBody, "mock-openai/mock-gpt-4o")), gw, "[DONE]"})
	})
	// Conversion: the reference is the Anthropic endpoint of the mock
	// called directly with the equivalent Anthropic request.
	b.Run("convert", func(b *testing.B) {
		r.pair(b, &call{r.mock.URL + "/v1/messages", []byte(smallMessages), ant, `"usage"`},
			&call{r.gw.URL + "/v1/chat/completions", []byte(withModel(smallChat, "mock-claude/claude-mock-sonnet-4-5")), gw, `"usage"`})
	})
	b.Run("convert-stream", func(b *testing.B) {
		r.pair(b, &call{r.mock.URL + "/v1/messages", []byte(antStream), ant, "message_stop"},
			&call{r.gw.URL + "/v1/chat/completions", []byte(withModel(streamBody, "mock-claude/claude-mock-sonnet-4-5")), gw, "[DONE]"})
	})
	// A route, first target answering, against the same request by
	// provider/model: the reference here is the gateway itself, so the
	// difference is what a route costs (issue 13: at most 5 us CPU).
	b.Run("route", func(b *testing.B) {
		r.pair(b, &call{r.gw.URL + "/v1/chat/completions", []byte(withModel(smallChat, "mock-openai/mock-gpt-4o")), gw, `"usage"`},
			&call{r.gw.URL + "/v1/chat/completions", []byte(withModel(smallChat, "bench-route")), gw, `"usage"`})
	})
	// A client key with rpm, tpm and a budget against the static key, both
	// through the gateway: the difference is what the client checks cost
	// (issue 15: at most 10 us CPU without Redis).
	b.Run("clientkey", func(b *testing.B) {
		ck := map[string]string{"Authorization": "Bearer " + r.clientKey}
		r.pair(b, &call{r.gw.URL + "/v1/chat/completions", []byte(withModel(smallChat, "mock-openai/mock-gpt-4o")), gw, `"usage"`},
			&call{r.gw.URL + "/v1/chat/completions", []byte(withModel(smallChat, "mock-openai/mock-gpt-4o")), ck, `"usage"`})
	})
	// The Responses API served by a chat-only provider: the same upstream
	// chat stream as "stream", converted to Responses events, against that
	// stream relayed as is; both through the gateway. (cpu-us/op of this
	// minus the direct call) / (that of "stream" minus the direct call) is
	// the conversion's CPU per event relative to the relay's (issue 17: at
	// most 1.5; docs/benchmark.md).
	b.Run("responses-stream", func(b *testing.B) {
		r.pair(b, &call{r.gw.URL + "/v1/chat/completions", []byte(withModel(streamBody, "mock-openai/mock-gpt-4o")), gw, "[DONE]"},
			&call{r.gw.URL + "/v1/responses", []byte(responsesStreamBody), gw, "response.completed"})
	})
	b.Run("body1MB", func(b *testing.B) {
		r.pair(b, &call{r.mock.URL + "/v1/chat/completions", big, oai, `"usage"`},
			&call{r.gw.URL + "/v1/chat/completions", bigVia, gw, `"usage"`})
	})
}

package cmd

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/spf13/cobra"

	"github.com/aigw/aigw/internal/mock"
)

// mockShutdownGrace is how long streams in flight may take to finish after
// SIGINT/SIGTERM before their connections are closed.
const mockShutdownGrace = 5 * time.Second

// mockOptions are the flags of `aigw mock`; the mock logs to errOut.
type mockOptions struct {
	errOut io.Writer
	listen string
	mock   mock.Options
}

func newCmdMock(f *factory, runF func(*mockOptions) error) *cobra.Command {
	opts := &mockOptions{errOut: f.errOut}
	cmd := &cobra.Command{
		Use:   "mock",
		Short: "Run a local fake OpenAI/Anthropic upstream (development aid, no keys needed)",
		Long: `Run a local fake upstream that speaks the OpenAI and Anthropic wire formats,
so the gateway can be tried without any real API key, load-tested without
paying for tokens, and tested offline. It is a development aid, not a model:
every reply is the same fixed text.

Endpoints (under http://LISTEN/v1):
  POST /v1/chat/completions        OpenAI Chat Completions, stream or not
  POST /v1/embeddings              OpenAI Embeddings
  POST /v1/messages                Anthropic Messages, stream or not
  POST /v1/messages/count_tokens   Anthropic token counting
  GET  /v1/models                  Anthropic shape with anthropic-version, else OpenAI

Any model name is answered. A request with tools whose last user message
mentions "weather" gets a get_weather tool call instead of text.
OpenAI routes need "Authorization: Bearer KEY", Anthropic routes "x-api-key: KEY";
any non-empty key works unless --keys is given.

config/custom-config.example.toml points at the default address:
  aigw mock &
  aigw serve -c config/custom-config.example.toml

Try it directly:
  curl http://127.0.0.1:9999/v1/chat/completions -H 'Authorization: Bearer x' \
    -d '{"model":"mock-gpt-4o","stream":true,"messages":[{"role":"user","content":"hi"}]}'`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runMock(cmd.Context(), opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.listen, "listen", "127.0.0.1:9999", "host:port to listen on")
	fl.IntVar(&opts.mock.Chunks, "chunks", mock.DefaultChunks, "pieces a streamed reply is sent in")
	fl.DurationVar(&opts.mock.ChunkDelay, "chunk-delay", 0, "pause between two stream pieces, e.g. 20ms")
	fl.DurationVar(&opts.mock.Latency, "latency", 0, "pause before answering any request, e.g. 300ms")
	fl.StringSliceVar(&opts.mock.Keys, "keys", nil, "accepted API keys, comma-separated (default: any non-empty key)")
	fl.StringVar(&opts.mock.Text, "text", "", "reply text (default: a fixed sentence)")
	return cmd
}

// runMock serves the mock until ctx is cancelled, then shuts down gracefully.
func runMock(ctx context.Context, opts *mockOptions) error {
	log := slog.New(slog.NewTextHandler(opts.errOut, nil))
	// Listen before logging so the printed address is the real one (":0" works).
	ln, err := net.Listen("tcp", opts.listen)
	if err != nil {
		return err
	}
	srv := &http.Server{
		Handler:           mock.New(opts.mock),
		ReadHeaderTimeout: 10 * time.Second,
	}
	log.Info(fmt.Sprintf("aigw mock listening on http://%s/v1", ln.Addr()))

	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return err
	case <-ctx.Done():
	}

	shutdownCtx, cancel := context.WithTimeout(context.Background(), mockShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		// Streams with long --chunk-delay may outlast the grace: cut them.
		log.Warn("aigw mock: closing connections still open after the grace period", "err", err)
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	log.Info("aigw mock stopped")
	return nil
}

package tests

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/app"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/store"
)

// servedGateway is a whole server (app.Serve: gateway, real log store,
// background jobs) on a 127.0.0.1 port.
type servedGateway struct {
	URL   string
	Cfg   *config.Config
	Logs  *syncBuffer
	stop  context.CancelFunc
	done  chan error
	ended bool
}

// serveWith writes configTOML plus a [database] section for db and serves
// it until the test ends or Stop is called.
func serveWith(t *testing.T, configTOML string, db config.Database) *servedGateway {
	t.Helper()
	dir := t.TempDir()
	path := filepath.Join(dir, "aigw.toml")
	text := configTOML + fmt.Sprintf("\n[database]\ndriver = %q\ndsn = %q\ntimezone = %q\n", db.Driver, db.DSN, db.Timezone)
	require.NoError(t, os.WriteFile(path, []byte(text), 0o600))
	cfg, err := config.Load(path)
	require.NoError(t, err)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	s := &servedGateway{URL: "http://" + ln.Addr().String(), Cfg: cfg, Logs: &syncBuffer{}, stop: cancel, done: make(chan error, 1)}
	log := slog.New(slog.NewTextHandler(s.Logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	go func() { s.done <- app.Serve(ctx, app.ServeOptions{Config: cfg, Logger: log, Listener: ln}) }()
	t.Cleanup(func() {
		if err := s.Stop(t); err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	catEventually(t, 10*time.Second, "server up", func() bool {
		resp, err := http.Get(s.URL + "/healthz")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	return s
}

// Stop shuts the server down as SIGTERM does and waits for it.
func (s *servedGateway) Stop(t *testing.T) error {
	t.Helper()
	if s.ended {
		return nil
	}
	s.ended = true
	s.stop()
	select {
	case err := <-s.done:
		return err
	case <-time.After(60 * time.Second):
		return fmt.Errorf("serve did not stop within 60s")
	}
}

// rowsIn opens db and returns every log row, oldest first.
func rowsIn(t *testing.T, db config.Database) []store.RequestLog {
	t.Helper()
	st, err := store.Open(context.Background(), db)
	require.NoError(t, err)
	defer st.Close()
	rows, err := st.Tail(context.Background(), store.TailFilter{Limit: 100000})
	require.NoError(t, err)
	for i, j := 0, len(rows)-1; i < j; i, j = i+1, j-1 {
		rows[i], rows[j] = rows[j], rows[i]
	}
	return rows
}

func rowByRequestID(t *testing.T, rows []store.RequestLog, id string) store.RequestLog {
	t.Helper()
	for _, r := range rows {
		if r.RequestID == id {
			return r
		}
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, r.RequestID)
	}
	t.Fatalf("no log row for request %s (have %s)", id, strings.Join(ids, ", "))
	return store.RequestLog{}
}

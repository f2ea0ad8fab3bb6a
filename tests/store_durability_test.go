package tests

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aigw/aigw/internal/config"
)

// TestStoreHardKillAfterABurstLosesNoAnsweredRow runs the real binary on
// SQLite, sends a burst of requests, waits a little longer than the
// writer's flush window (100 ms) after the last answer, and kills the
// process with SIGKILL: no shutdown, no drain. Every request that was
// answered must have its row in the SQLite file.
//
// What a hard kill can lose is what this test leaves out: rows of requests
// answered in the last flush window (<= 100 ms, or the batch being
// inserted), and rows of requests still in flight.
func TestStoreHardKillAfterABurstLosesNoAnsweredRow(t *testing.T) {
	dir := t.TempDir()
	gwAddr, serve, logs := startServeBinary(t, dir, `driver = "sqlite"
dsn = "data/aigw.db"`)

	const workers, perWorker = 16, 40
	var (
		mu  sync.Mutex
		ids []string
		wg  sync.WaitGroup
	)
	for range workers {
		wg.Go(func() {
			for range perWorker {
				status, id, _ := storeSend("http://"+gwAddr, storeChatBody)
				if status == http.StatusOK && id != "" {
					mu.Lock()
					ids = append(ids, id)
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	require.Len(t, ids, workers*perWorker, "every request of the burst answered\n%s", logs.String())

	time.Sleep(300 * time.Millisecond) // > 2 flush windows after the last answer
	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_, _ = serve.Process.Wait()

	_, err := os.Stat(filepath.Join(dir, "data", "spill.jsonl"))
	require.ErrorIs(t, err, os.ErrNotExist, "the database kept up: nothing was spilled")
	rows := rowsIn(t, config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "data", "aigw.db"), Timezone: "Asia/Shanghai"})
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[r.RequestID] = true
	}
	var lost []string
	for _, id := range ids {
		if !have[id] {
			lost = append(lost, id)
		}
	}
	assert.Empty(t, lost, "%d of %d answered requests have no row after kill -9", len(lost), len(ids))
	assert.Len(t, rows, len(ids), "one row per request")
}

// TestStoreHardKillDuringABurstLosesOnlyTheLastWindow kills the binary in
// the middle of a burst: requests answered more than 200 ms before the
// kill (twice the flush window, for the scheduling of a loaded machine)
// must all have their rows; only the last window and requests in flight
// may be lost.
func TestStoreHardKillDuringABurstLosesOnlyTheLastWindow(t *testing.T) {
	dir := t.TempDir()
	gwAddr, serve, logs := startServeBinary(t, dir, `driver = "sqlite"
dsn = "data/aigw.db"`)

	type answer struct {
		id string
		at time.Time
	}
	var (
		mu      sync.Mutex
		answers []answer
		wg      sync.WaitGroup
		stop    = make(chan struct{})
	)
	for range 16 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				status, id, _ := storeSend("http://"+gwAddr, storeChatBody)
				if status == http.StatusOK && id != "" {
					mu.Lock()
					answers = append(answers, answer{id, time.Now()})
					mu.Unlock()
				}
			}
		})
	}
	time.Sleep(1500 * time.Millisecond)
	killedAt := time.Now()
	require.NoError(t, serve.Process.Signal(syscall.SIGKILL))
	_, _ = serve.Process.Wait()
	close(stop)
	wg.Wait()

	rows := rowsIn(t, config.Database{Driver: "sqlite", DSN: filepath.Join(dir, "data", "aigw.db"), Timezone: "Asia/Shanghai"})
	have := make(map[string]bool, len(rows))
	for _, r := range rows {
		have[r.RequestID] = true
	}
	var old, lost, lostRecent int
	for _, a := range answers {
		switch {
		case killedAt.Sub(a.at) > 200*time.Millisecond:
			old++
			if !have[a.id] {
				lost++
			}
		case !have[a.id]:
			lostRecent++
		}
	}
	require.Greater(t, old, 100, "a real burst\n%s", logs.String())
	t.Logf("%d answered, %d more than 200 ms before the kill; lost: %d of those, %d of the last 200 ms", len(answers), old, lost, lostRecent)
	assert.Zero(t, lost, "rows of requests answered more than 200 ms before kill -9 were lost")
}

// startServeBinary runs `aigw serve` in dir, on a free port, with one
// provider (a fake upstream answering chat) and dbTOML as its [database]
// section.
func startServeBinary(t *testing.T, dir, dbTOML string) (addr string, serve *exec.Cmd, logs *syncBuffer) {
	t.Helper()
	up := newFakeUpstream(t, chatOrError)
	addr = freeAddr(t)
	cfg := oneProviderConfig(up.URL, "") + fmt.Sprintf("\n[server]\nlisten = %q\n[database]\n%s\n", addr, dbTOML)
	require.NoError(t, os.WriteFile(filepath.Join(dir, "aigw.toml"), []byte(cfg), 0o600))
	serve, logs = startAigw(t, dir, "http://"+addr+"/healthz", "serve", "-c", "aigw.toml")
	return addr, serve, logs
}

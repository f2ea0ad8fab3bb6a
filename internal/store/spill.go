package store

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"sync/atomic"
)

// spillFileName is the spill file's default name, in the database's data
// folder.
const spillFileName = "spill.jsonl"

// replayPathFor names the file a spill file is renamed to for its replay
// (spill.jsonl -> spill.replay.jsonl). It is the only place that name is
// made: a writer that looked for another name would never replay the rows
// a crash left in the middle of a replay.
func replayPathFor(path string) string {
	ext := filepath.Ext(path)
	return path[:len(path)-len(ext)] + ".replay" + ext
}

// spillFile holds log rows that could not wait in memory, one JSON object
// per line. Rows are appended to path; to replay, the file is first renamed
// to replayPath, so appends never race with the replay and a crash in the
// middle of a replay leaves replayPath for the next start. Replaying is
// idempotent (inserts skip request ids already stored), so a replay cut
// short is simply done again: every row ends up in the database once.
type spillFile struct {
	path       string
	replayPath string

	mu    sync.Mutex
	f     *os.File // open for appending; nil until the first append
	dirty bool     // f has writes not yet synced to disk

	active   atomic.Int64 // rows in path
	rotating atomic.Int64 // rows in replayPath
}

// newSpillFile counts the rows that earlier runs left in path and in its
// replay file. It always returns a usable spillFile: a file that cannot be
// counted is reported in the error and counted as empty, and the other
// file's rows are still replayed.
func newSpillFile(path string) (*spillFile, error) {
	s := &spillFile{path: path, replayPath: replayPathFor(path)}
	active, errActive := countLines(s.path)
	s.active.Store(active)
	rotating, errRotating := countLines(s.replayPath)
	s.rotating.Store(rotating)
	return s, errors.Join(errActive, errRotating)
}

// rows is how many rows wait on disk.
func (s *spillFile) rows() int64 { return s.active.Load() + s.rotating.Load() }

// append writes rows at the end of the spill file; sync asks the OS to
// put them on disk before returning (batches from the writer loop do). The
// single rows of a full queue are not synced one by one: the page cache
// survives a crash of the process, and the writer syncs them in batches,
// every FlushInterval (syncIfDirty), against a crash of the machine.
func (s *spillFile) append(rows []*RequestLog, sync bool) error {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for _, r := range rows {
		if err := enc.Encode(r); err != nil { // Encode ends each object with '\n'
			return fmt.Errorf("spill log row %s: %w", r.RequestID, err)
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		if err := os.MkdirAll(filepath.Dir(s.path), 0o755); err != nil {
			return fmt.Errorf("spill log rows to %s: %w", s.path, err)
		}
		f, err := os.OpenFile(s.path, os.O_CREATE|os.O_RDWR|os.O_APPEND, 0o600)
		if err != nil {
			return fmt.Errorf("spill log rows to %s: %w", s.path, err)
		}
		if err := terminateLastLine(f); err != nil {
			f.Close()
			return fmt.Errorf("spill log rows to %s: %w", s.path, err)
		}
		s.f = f
	}
	if _, err := s.f.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("spill %d log rows to %s: %w", len(rows), s.path, err)
	}
	s.active.Add(int64(len(rows)))
	s.dirty = true
	if sync {
		return s.syncLocked()
	}
	return nil
}

// syncIfDirty puts rows appended without sync on disk.
func (s *spillFile) syncIfDirty() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.syncLocked()
}

func (s *spillFile) syncLocked() error {
	if s.f == nil || !s.dirty {
		return nil
	}
	if err := s.f.Sync(); err != nil {
		return fmt.Errorf("spill log rows to %s: sync: %w", s.path, err)
	}
	s.dirty = false
	return nil
}

// takeForReplay returns the file to replay: a replay file left by an
// earlier, interrupted replay, else the spill file renamed. "" means there
// is nothing to replay.
func (s *spillFile) takeForReplay() (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, err := os.Stat(s.replayPath); err == nil {
		return s.replayPath, nil
	}
	s.rotating.Store(0) // no replay file (removed by hand?): nothing rotating
	if s.active.Load() == 0 {
		return "", nil
	}
	if s.f != nil {
		if err := errors.Join(s.syncLocked(), s.f.Close()); err != nil {
			return "", fmt.Errorf("close spill file %s: %w", s.path, err)
		}
		s.f, s.dirty = nil, false
	}
	if err := os.Rename(s.path, s.replayPath); err != nil {
		return "", fmt.Errorf("rotate spill file %s for replay: %w", s.path, err)
	}
	s.rotating.Store(s.active.Swap(0))
	return s.replayPath, nil
}

// replayed removes the replay file once all its rows are in the database.
func (s *spillFile) replayed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if err := os.Remove(s.replayPath); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove replayed spill file %s: %w", s.replayPath, err)
	}
	s.rotating.Store(0)
	return nil
}

// close syncs and closes the append handle.
func (s *spillFile) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.f == nil {
		return nil
	}
	err := errors.Join(s.f.Sync(), s.f.Close())
	s.f, s.dirty = nil, false
	if err != nil {
		return fmt.Errorf("close spill file %s: %w", s.path, err)
	}
	return nil
}

// spillReader reads a spill file line by line. Lines may be long (bodies
// are stored with store_bodies), so it does not use bufio.Scanner's 64 KiB
// token limit.
type spillReader struct {
	r   *bufio.Reader
	bad int // lines that were not a row (a write torn by a crash)
}

// next returns the next row, or io.EOF.
func (sr *spillReader) next() (*RequestLog, error) {
	for {
		line, err := sr.r.ReadBytes('\n')
		if len(bytes.TrimSpace(line)) > 0 {
			var row RequestLog
			if jerr := json.Unmarshal(line, &row); jerr == nil {
				row.ID = 0
				return &row, nil
			}
			sr.bad++
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			return nil, fmt.Errorf("read spill file: %w", err)
		}
	}
}

// countLines counts the rows of a spill file; a missing file has none.
func countLines(path string) (int64, error) {
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return 0, nil
	}
	if err != nil {
		return 0, fmt.Errorf("open spill file %s: %w", path, err)
	}
	defer f.Close()
	var n int64
	buf := make([]byte, 64*1024)
	last := byte('\n')
	for {
		k, err := f.Read(buf)
		if k > 0 {
			n += int64(bytes.Count(buf[:k], []byte{'\n'}))
			last = buf[k-1]
		}
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return 0, fmt.Errorf("read spill file %s: %w", path, err)
		}
	}
	if last != '\n' {
		n++ // a last line without its newline (torn by a crash)
	}
	return n, nil
}

// terminateLastLine ends a last line torn by a crash with a newline, so the
// next row does not run into it and become unreadable too.
func terminateLastLine(f *os.File) error {
	st, err := f.Stat()
	if err != nil || st.Size() == 0 {
		return err
	}
	last := make([]byte, 1)
	if _, err := f.ReadAt(last, st.Size()-1); err != nil {
		return err
	}
	if last[0] == '\n' {
		return nil
	}
	_, err = f.Write([]byte{'\n'})
	return err
}

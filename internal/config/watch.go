package config

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchRedirect reloads the redirect file whenever it changes and calls
// onChange with its aliases and routes. A broken file is reported through
// onError and the caller keeps what it has.
func WatchRedirect(ctx context.Context, path string, onChange func(Redirect), onError func(error)) error {
	return WatchFile(ctx, path, func() error {
		r, err := LoadRedirect(path)
		if err != nil {
			return err
		}
		onChange(r)
		return nil
	}, onError)
}

// WatchFile calls reload whenever the file at path is written, created,
// renamed or removed, once the events of one save settle; reload's error
// goes to onError. It watches the folder, not the file: editors and aigw's
// own edits replace the file by rename, which would end a watch on the
// file itself, and a file created later is seen too.
func WatchFile(ctx context.Context, path string, reload func() error, onError func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch %s: %w", path, err)
	}
	dir := filepath.Dir(path)
	if err := w.Add(dir); err != nil {
		w.Close()
		return fmt.Errorf("watch the folder %s of %s: %w", dir, path, err)
	}
	name := filepath.Clean(path)
	go func() {
		defer w.Close()
		// Several events arrive for one save; reload once they settle.
		var debounce <-chan time.Time
		for {
			select {
			case <-ctx.Done():
				return
			case ev, ok := <-w.Events:
				if !ok {
					return
				}
				if filepath.Clean(ev.Name) == name {
					debounce = time.After(100 * time.Millisecond)
				}
			case err, ok := <-w.Errors:
				if !ok {
					return
				}
				onError(fmt.Errorf("watch %s: %w", path, err))
			case <-debounce:
				debounce = nil
				if err := reload(); err != nil {
					onError(err)
				}
			}
		}
	}()
	return nil
}

package config

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/fsnotify/fsnotify"
)

// WatchAliases reloads the redirect file whenever it changes and calls
// onChange with the new aliases. A broken file is reported through onError
// and the caller keeps the aliases it has. It watches the folder, not the
// file: editors and `aigw alias set` replace the file by rename, which
// would end a watch on the file itself.
func WatchAliases(ctx context.Context, path string, onChange func(Aliases), onError func(error)) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("watch redirect file: %w", err)
	}
	dir := filepath.Dir(path)
	if err := w.Add(dir); err != nil {
		w.Close()
		return fmt.Errorf("watch redirect file folder %s: %w", dir, err)
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
				onError(fmt.Errorf("watch redirect file: %w", err))
			case <-debounce:
				debounce = nil
				a, err := LoadAliases(path)
				if err != nil {
					onError(err)
					continue
				}
				onChange(a)
			}
		}
	}()
	return nil
}

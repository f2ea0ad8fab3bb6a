package app

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/provider"
)

// probeKeys retries keys set aside after a 401/403 every interval, with the
// cheap models-list call, and puts back those that work again: a pool must
// be able to heal without a restart (a key may have been re-enabled, or
// the upstream's 401 was a passing fault).
func probeKeys(ctx context.Context, reg *provider.Registry, client *http.Client, every time.Duration, log *slog.Logger) {
	onTicks(ctx, every, func() {
		now := time.Now()
		for _, p := range reg.Providers() {
			for _, k := range p.Pool.Keys() {
				if k.State(now) != "disabled" {
					continue
				}
				r := catalog.TestKey(ctx, client, p, k)
				if r.OK() {
					k.Restore()
					log.Info("key works again; back in rotation", "provider", p.Name, "key", k.Hint)
				} else {
					log.Debug("key still rejected", "provider", p.Name, "key", k.Hint, "result", r.Result, "status", r.Status)
				}
			}
		}
	})
}

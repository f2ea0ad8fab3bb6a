// Package changes tells running aigw instances that the clients or the
// model catalog changed in the database, over Redis pub/sub, so that every
// instance applies the change within a second instead of at its next poll
// (README, "多实例"). Without Redis the instances' polls still apply it.
package changes

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"
)

// What changed.
const (
	Clients = "clients"
	Catalog = "catalog"
)

// channel is the pub/sub channel under the configured key prefix.
func channel(prefix string) string { return prefix + "changes" }

// Publish announces a change; rdb nil is a no-op. It waits at most a
// second: the change is in the database already, and the instances' polls
// apply it anyway.
func Publish(ctx context.Context, rdb *redis.Client, prefix, what string) error {
	if rdb == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	if err := rdb.Publish(ctx, channel(prefix), what).Err(); err != nil {
		return fmt.Errorf("announce the %s change over redis: %w", what, err)
	}
	return nil
}

// Watch calls on(what) for every announced change until ctx ends; go-redis
// resubscribes by itself after a lost connection.
func Watch(ctx context.Context, rdb *redis.Client, prefix string, log *slog.Logger, on func(what string)) {
	sub := rdb.Subscribe(ctx, channel(prefix))
	defer sub.Close()
	// Wait for the subscription to be confirmed (or Redis to answer with
	// an error, after which go-redis keeps retrying in Channel).
	if _, err := sub.Receive(ctx); err != nil {
		log.Warn("redis subscription for changes not confirmed yet; retrying", "error", err)
	}
	ch := sub.Channel()
	for {
		select {
		case <-ctx.Done():
			return
		case m, ok := <-ch:
			if !ok {
				return
			}
			log.Debug("change announced", "what", m.Payload)
			on(m.Payload)
		}
	}
}

// Package app assembles a running aigw server: config, log store, provider
// registry, gateway and HTTP server, and takes them down in order.
package app

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/changes"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/gateway"
	"github.com/aigw/aigw/internal/metrics"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// interruptWait bounds how long the shutdown waits, after the grace, for
// the interrupted requests to leave their log rows.
const interruptWait = 5 * time.Second

// catalogPoll is how often a running server checks the database for models
// added or removed by the CLI (README "模型目录、别名与密钥检查": seen
// within 5 seconds).
const catalogPoll = 2 * time.Second

// ServeOptions configure Serve.
type ServeOptions struct {
	Config *config.Config
	Logger *slog.Logger
	// Listener, when set, is used instead of listening on server.listen
	// (tests pass a 127.0.0.1:0 listener).
	Listener net.Listener
	// Ready, when set, receives the bound address once the server accepts.
	Ready func(addr string)
	// PprofAddr, when set, serves net/http/pprof on this loopback address,
	// apart from the gateway's own listener, for profiling under load.
	PprofAddr string
}

// Serve runs the gateway until ctx is cancelled, then shuts down
// gracefully: stop accepting, let requests and streams finish within
// server.shutdown_grace, drain the log queue.
func Serve(ctx context.Context, opts ServeOptions) error {
	cfg, log := opts.Config, opts.Logger
	if log == nil {
		log = slog.Default()
	}
	if len(cfg.Auth.Keys) == 0 {
		log.Warn("no client keys in [auth] keys: serving without authentication, on loopback only", "listen", cfg.Server.Listen)
	}

	redirect, err := config.LoadRedirect(cfg.RedirectPath())
	if err != nil {
		return err
	}
	reg := provider.NewRegistry(cfg, redirect.Aliases)
	reg.SetRoutes(redirect.Routes)
	prices, err := LoadPriceBook(cfg.PricesPath())
	if err != nil {
		return err
	}

	// An unreachable database is not fatal: the gateway proxies without
	// it, rows spill, and conn opens it when it comes back.
	conn, err := store.Connect(ctx, cfg.Database, store.WithLogger(log))
	if err != nil {
		return fmt.Errorf("open the log database: %w", err)
	}
	defer conn.Close()
	writer := conn.NewWriter(store.WriterOptions{Location: cfg.Location(), Logger: log})
	// On an early return; the shutdown below closes it with a deadline
	// (Close is idempotent), before conn is closed.
	defer func() { _ = writer.Close(context.Background()) }()
	dbHealth := func() error {
		if err := conn.Health(); err != nil {
			return err
		}
		return writer.Health()
	}

	bg, stopBG := context.WithCancel(context.WithoutCancel(ctx))
	defer stopBG()
	if err := catalog.LoadInto(bg, conn, reg); err != nil {
		log.Warn("could not load fetched models; serving static ones", "error", err)
	}
	// Route targets naming no configured provider refuse the start (the
	// fetched lists are loaded by now, for model ids holding a '/').
	if err := redirect.CheckProviders(reg.ProviderNames(), reg.Lists); err != nil {
		return err
	}
	go pollCatalog(bg, conn, reg, log)
	if p := cfg.RedirectPath(); p != "" {
		notReloaded := "redirect file not reloaded; previous aliases stay in force, and the previous routes"
		err := config.WatchRedirect(bg, p,
			func(r config.Redirect) {
				if err := r.CheckProviders(reg.ProviderNames(), reg.Lists); err != nil {
					log.Error(notReloaded, "error", err)
					return
				}
				reg.SetAliases(r.Aliases)
				reg.SetRoutes(r.Routes)
				log.Info("aliases reloaded", "file", p, "aliases", len(r.Aliases), "routes", len(r.Routes))
			},
			func(err error) { log.Error(notReloaded, "error", err) })
		if err != nil {
			log.Warn("alias hot reload is off", "error", err)
		}
	}
	watchPrices(bg, cfg, prices, log)
	upstream := &http.Client{Transport: gateway.NewTransport()}
	go probeKeys(bg, reg, upstream, cfg.Server.KeyProbeInterval, log)

	m := metrics.New()
	m.Gauge("aigw_log_database_up", "1 when the log database takes writes, 0 while it is down (rows spill meanwhile).",
		func() float64 {
			if dbHealth() != nil {
				return 0
			}
			return 1
		})
	m.Gauge("aigw_log_queue_depth", "Log rows waiting to be written to the database.",
		func() float64 { return float64(writer.QueueDepth()) })
	m.Gauge("aigw_log_spilled_rows", "Log rows waiting in the spill file for the database to come back.",
		func() float64 { return float64(writer.Spilled()) })
	m.WatchKeys(reg)

	if cfg.Logging.RetentionDays > 0 {
		go conn.RunRetention(bg, cfg.Logging.RetentionDays, time.Hour)
	}

	clientBook := NewClientBook()
	var rdb *redis.Client
	if cfg.Redis.URL != "" {
		ropts, err := redis.ParseURL(cfg.Redis.URL)
		if err != nil {
			return fmt.Errorf("[redis] url: %w (want redis://host:port/db)", err)
		}
		// A request waits for Redis: a Redis that hangs must cost it
		// half a second at most before fail_open decides, not go-redis's
		// default seconds and retries.
		if ropts.DialTimeout == 0 {
			ropts.DialTimeout = 500 * time.Millisecond
		}
		if ropts.ReadTimeout == 0 {
			ropts.ReadTimeout = 500 * time.Millisecond
		}
		if ropts.WriteTimeout == 0 {
			ropts.WriteTimeout = 500 * time.Millisecond
		}
		ropts.MaxRetries = 1
		rdb = redis.NewClient(ropts)
		defer rdb.Close()
		pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
		if err := rdb.Ping(pctx).Err(); err != nil {
			log.Warn("redis unreachable at start; client limits follow [redis] fail_open until it answers",
				"error", err, "fail_open", cfg.Redis.FailOpen)
		}
		cancel()
	}
	// Ready stays nil: the gateway is ready once its config is loaded and
	// it listens, which is true of any server that answers /readyz.
	gw := gateway.New(gateway.Options{
		Config:         cfg,
		Registry:       reg,
		Logs:           writer,
		Logger:         log,
		Client:         upstream,
		Metrics:        m,
		Catalog:        conn,
		DatabaseHealth: dbHealth,
		Prices:         prices,
		Clients:        clientBook,
		Admin:          conn,
		Redis:          rdb,
		RedisPrefix:    cfg.Redis.KeyPrefix,
		RedisFailOpen:  cfg.Redis.FailOpen,
	})
	if err := loadClients(ctx, conn, clientBook, cfg.Location(), gw); err != nil {
		log.Warn("could not load client keys; only static [auth] keys work until the database answers", "error", err)
	}
	go watchClients(bg, conn, clientBook, log)
	if rdb != nil {
		// Changes made by `aigw clients` or `aigw models` elsewhere are
		// announced over Redis: applied here within a second.
		go changes.Watch(bg, rdb, cfg.Redis.KeyPrefix, log, func(what string) {
			switch what {
			case changes.Clients:
				if err := loadClients(bg, conn, clientBook, nil, nil); err != nil {
					log.Warn("could not reload client keys", "error", err)
				}
			case changes.Catalog:
				if err := catalog.LoadInto(bg, conn, reg); err != nil {
					log.Warn("reload fetched models", "error", err)
				}
			default:
				// Another instance's key cool-down, set-aside or route
				// ejection.
				gw.ApplyShared(what)
			}
		})
	}
	srv := &http.Server{
		Handler:           gw.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    1 << 20,
		// No ReadTimeout/WriteTimeout: they would cut long streams. Slow
		// request bodies are bounded by max_body_mb and the header timeout.
	}
	ln := opts.Listener
	if ln == nil {
		if ln, err = net.Listen("tcp", cfg.Server.Listen); err != nil {
			return fmt.Errorf("listen on %s (server.listen): %w", cfg.Server.Listen, err)
		}
	}
	log.Info("aigw listening", "addr", "http://"+ln.Addr().String(), "providers", len(cfg.Providers), "config", cfg.Path)
	if opts.Ready != nil {
		opts.Ready(ln.Addr().String())
	}

	if opts.PprofAddr != "" {
		stop, err := servePprof(opts.PprofAddr, log)
		if err != nil {
			return err
		}
		defer stop()
	}

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}

	log.Info("shutting down: waiting for requests in flight", "grace", cfg.Server.ShutdownGrace)
	sctx, cancel := context.WithTimeout(context.Background(), cfg.Server.ShutdownGrace)
	defer cancel()
	if err := srv.Shutdown(sctx); errors.Is(err, context.DeadlineExceeded) {
		// Requests still running are ended by the gateway itself, so that
		// each one's row says why (ErrShutdown) and is enqueued before the
		// writer drains; only then are the connections closed.
		log.Warn("grace period over: interrupting requests in flight")
		ictx, icancel := context.WithTimeout(context.Background(), interruptWait)
		gw.Interrupt(ictx)
		icancel()
		_ = srv.Close()
	}
	stopBG()
	dctx, dcancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer dcancel()
	if err := writer.Close(dctx); err != nil {
		return fmt.Errorf("drain the log queue: %w", err)
	}
	log.Info("aigw stopped")
	return nil
}

// pollCatalog reloads the catalog when the database says it changed. A
// poll (not a notification) works the same on SQLite and PostgreSQL and
// across several gateway instances.
func pollCatalog(ctx context.Context, db *store.Connection, reg *provider.Registry, log *slog.Logger) {
	last, _ := db.CatalogVersion(ctx)
	onTicks(ctx, catalogPoll, func() {
		v, err := db.CatalogVersion(ctx)
		if err != nil || v == last {
			return
		}
		if err := catalog.LoadInto(ctx, db, reg); err != nil {
			log.Warn("reload fetched models", "error", err)
			return
		}
		last = v
		log.Info("fetched models reloaded")
	})
}

// onTicks calls fn every period until ctx ends.
func onTicks(ctx context.Context, period time.Duration, fn func()) {
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			fn()
		}
	}
}

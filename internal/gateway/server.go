// Package gateway is aigw's HTTP front: routing, client auth, model
// resolution, forwarding to upstreams and relaying streams.
package gateway

import (
	"context"
	"crypto/subtle"
	"errors"
	"log/slog"
	"net/http"
	"sync/atomic"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/redis/go-redis/v9"

	"github.com/aigw/aigw/internal/adapter"
	"github.com/aigw/aigw/internal/catalog"
	"github.com/aigw/aigw/internal/config"
	"github.com/aigw/aigw/internal/metrics"
	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// LogSink receives one finished row per /v1/* request. Enqueue must not
// block on the database: it is called on the request path.
type LogSink interface {
	Enqueue(row *store.RequestLog)
}

// nopSink drops rows; used when no store is configured (tests of routing).
type nopSink struct{}

func (nopSink) Enqueue(*store.RequestLog) {}

// Options are the gateway's dependencies.
type Options struct {
	Config   *config.Config
	Registry *provider.Registry
	Logs     LogSink
	Client   *http.Client // upstream client; a tuned shared one when nil
	Logger   *slog.Logger
	// Metrics, when set, is served on GET /metrics and fed by every request.
	Metrics *metrics.Metrics
	// PingInterval is the silence after which a keep-alive ping is sent
	// on a stream; 0 means 15 s, negative disables pings.
	PingInterval time.Duration
	// Ready reports whether the gateway can serve (config loaded, database
	// reachable); nil means always ready.
	Ready func() error
	// DatabaseHealth reports the log database's state for
	// /readyz?verbose: nil when it takes writes, else the last error. A
	// database that is down does not make the gateway unready (it proxies,
	// and rows spill meanwhile). nil means no log database.
	DatabaseHealth func() error
	// Catalog stores fetched models for the admin endpoints; nil means
	// admin catalog writes are unavailable (no database).
	Catalog catalog.Store
	// Prices gives each request its cost; nil logs every cost as unknown.
	Prices Pricer
	// Clients are the client keys; nil means static [auth] keys only.
	Clients ClientDirectory
	// Admin is the database behind /admin/api/ (docs/admin-api.md); nil
	// leaves its clients, overview and logs answering 503.
	Admin AdminStore
	// Redis, when set, counts client limits in Redis (README, "多实例"),
	// shared by every instance using it; keys start with RedisPrefix.
	// RedisFailOpen: while it is unreachable, admit without limits.
	Redis         *redis.Client
	RedisPrefix   string
	RedisFailOpen bool
	// RouteEjection is how long a route's target is first ejected after
	// failures in a row (doubling on each repeat, up to ten times as
	// long); 0 means 30 s. Tests shorten it.
	RouteEjection time.Duration
}

// Pricer prices what one request used at the upstream: provider is the
// config's provider name, model the model sent upstream. ok is false when
// no price applies, and the row's cost stays NULL (unknown, never 0).
// app implements it over internal/pricing's hot-reloaded table.
type Pricer interface {
	Cost(provider, model string, u adapter.Usage) (cost float64, ok bool)
}

// Server is the gateway. Build it with New and serve Handler().
type Server struct {
	cfg       *config.Config
	reg       *provider.Registry
	logs      LogSink
	client    *http.Client
	roundTrip http.RoundTripper // client's transport, called directly on the proxy path
	log       *slog.Logger
	ready     func() error
	dbHealth  func() error
	catalog   catalog.Store
	prices    Pricer
	health    *routeHealth
	pins      *sessionPins
	clients   ClientDirectory
	limits    limiter
	failOpen  bool
	// redis, when set, shares limits and state with other instances.
	redis       *redis.Client
	redisPrefix string
	// reseed rebuilds client spend Redis lost, from the log.
	reseed spendReseeder
	// limitErrLogged is when a limits store error was last logged (unix s).
	limitErrLogged atomic.Int64
	metrics        *metrics.Metrics
	pingEvery      time.Duration
	clientKeys     [][]byte
	adminKeys      [][]byte
	maxBody        int64
	// maxResponse caps a whole upstream answer and one SSE event.
	maxResponse int64
	readTimeout time.Duration
	location    *time.Location
	engine      *gin.Engine
	api         *adminAPI

	// shutdown is cancelled by Interrupt; every /v1 request's context
	// follows it. inflight counts the /v1 handlers running.
	shutdown    context.Context
	endRequests context.CancelFunc
	inflight    atomic.Int64
}

// New builds the gateway and its router.
func New(opts Options) *Server {
	s := &Server{
		cfg:         opts.Config,
		reg:         opts.Registry,
		logs:        opts.Logs,
		client:      opts.Client,
		log:         opts.Logger,
		ready:       opts.Ready,
		dbHealth:    opts.DatabaseHealth,
		catalog:     opts.Catalog,
		prices:      opts.Prices,
		health:      newRouteHealth(opts.RouteEjection),
		pins:        newSessionPins(),
		clients:     opts.Clients,
		limits:      newClientLimits(),
		failOpen:    true,
		metrics:     opts.Metrics,
		pingEvery:   opts.PingInterval,
		maxBody:     int64(opts.Config.Server.MaxBodyMB) << 20,
		maxResponse: int64(opts.Config.Server.MaxResponseMB) << 20,
		readTimeout: opts.Config.Server.ReadTimeout,
		location:    opts.Config.Location(),
		api:         newAdminAPI(opts.Admin),
	}
	s.shutdown, s.endRequests = context.WithCancel(context.Background())
	if s.maxResponse <= 0 {
		s.maxResponse = config.DefaultMaxResponseMB << 20
	}
	if s.readTimeout <= 0 {
		s.readTimeout = config.DefaultReadTimeout
	}
	if s.pingEvery == 0 {
		s.pingEvery = 15 * time.Second
	}
	if s.logs == nil {
		s.logs = nopSink{}
	}
	if s.client == nil {
		s.client = &http.Client{Transport: NewTransport()}
	}
	// The proxy path calls the transport itself: http.Client would copy
	// headers for redirects that a gateway passes on rather than follows.
	s.roundTrip = s.client.Transport
	if s.roundTrip == nil {
		s.roundTrip = http.DefaultTransport
	}
	if s.log == nil {
		s.log = slog.Default()
	}
	if opts.Redis != nil {
		s.limits = newRedisLimits(opts.Redis, opts.RedisPrefix)
		s.failOpen = opts.RedisFailOpen
		s.redis, s.redisPrefix = opts.Redis, opts.RedisPrefix
		s.api.sessions.rdb, s.api.sessions.prefix = opts.Redis, opts.RedisPrefix
	}
	for _, k := range opts.Config.Auth.Keys {
		s.clientKeys = append(s.clientKeys, []byte(k))
	}
	for _, k := range opts.Config.Auth.AdminKeys {
		s.adminKeys = append(s.adminKeys, []byte(k))
	}
	s.engine = s.routes()
	return s
}

// Handler returns the HTTP handler.
func (s *Server) Handler() http.Handler { return s.engine }

// Registry returns the registry the server routes with.
func (s *Server) Registry() *provider.Registry { return s.reg }

// routes builds the router. Gin's mode is the process's (cmd sets release
// mode); the engine itself holds no global state.
func (s *Server) routes() *gin.Engine {
	r := gin.New()
	r.HandleMethodNotAllowed = false
	r.ContextWithFallback = true
	// Client IPs in the log come from the connection unless it is one of
	// the configured trusted proxies: Gin trusts every proxy by default,
	// which would let any client forge X-Forwarded-For.
	_ = r.SetTrustedProxies(s.cfg.Server.TrustedProxies) // validated by config.Load

	// /v1 requests get their id, recovery and log row in serveV1; the
	// rest share these two small middlewares.
	plain := r.Group("", requestID, s.recovery)
	plain.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	plain.GET("/readyz", s.handleReady)
	s.registerAdmin(plain)
	s.registerAdminAPI(plain)
	s.registerUI(plain)
	if s.metrics != nil {
		plain.GET("/metrics", gin.WrapH(s.metrics.Handler()))
	}

	// Gin's tree cannot hold a catch-all beside static routes of the same
	// prefix, so /v1 dispatches on the path itself.
	r.Any("/v1/*path", s.serveV1)
	r.NoRoute(requestID, func(c *gin.Context) {
		format := formatOpenAI
		if c.GetHeader("anthropic-version") != "" {
			format = formatAnthropic
		}
		notFound(c, format)
	})
	return r
}

func (s *Server) handleReady(c *gin.Context) {
	if s.ready != nil {
		if err := s.ready(); err != nil {
			c.JSON(http.StatusServiceUnavailable, gin.H{"status": "not ready", "error": err.Error()})
			return
		}
	}
	if _, verbose := c.GetQuery("verbose"); !verbose || s.dbHealth == nil {
		c.JSON(http.StatusOK, gin.H{"status": "ready"})
		return
	}
	// Still 200: only the log rows wait (in the spill file) while it is down.
	db := gin.H{"state": "up"}
	if err := s.dbHealth(); err != nil {
		db = gin.H{"state": "down", "last_error": err.Error()}
	}
	c.JSON(http.StatusOK, gin.H{"status": "ready", "database": db})
}

// keyMatches compares a presented key to every configured key in constant
// time, so the response time says nothing about how much of a key matched.
func keyMatches(presented string, keys [][]byte) bool {
	p := []byte(presented)
	ok := 0
	for _, k := range keys {
		ok |= subtle.ConstantTimeCompare(p, k)
	}
	return ok == 1
}

// ErrShutdown is the cause given to requests that the server's shutdown
// grace cut off; their log rows say 503 with this reason, not 499.
var ErrShutdown = errors.New("aigw was shutting down and its grace period (server.shutdown_grace) ended before this request finished")

// Interrupt ends every /v1 request still in flight with ErrShutdown and
// waits, until ctx ends, for their handlers to return, so that their log
// rows are enqueued before the log writer is drained. serve calls it when
// the shutdown grace is over, before closing the listener's connections.
func (s *Server) Interrupt(ctx context.Context) {
	s.endRequests()
	t := time.NewTicker(5 * time.Millisecond)
	defer t.Stop()
	for s.inflight.Load() > 0 {
		select {
		case <-ctx.Done():
			s.log.Warn("requests still running after the shutdown grace; their log rows may be missing", "count", s.inflight.Load())
			return
		case <-t.C:
		}
	}
}

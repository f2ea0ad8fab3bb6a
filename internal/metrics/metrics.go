// Package metrics exposes aigw's Prometheus metrics. Each Metrics value has
// its own registry, so tests and several servers in one process never share
// counters.
package metrics

import (
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/aigw/aigw/internal/provider"
	"github.com/aigw/aigw/internal/store"
)

// Metrics holds the collectors. A nil *Metrics records nothing.
type Metrics struct {
	reg      *prometheus.Registry
	requests *prometheus.CounterVec
	errors   *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	ttfb     *prometheus.HistogramVec
	retries  *prometheus.CounterVec
	tokens   *prometheus.CounterVec
	cost     *prometheus.CounterVec
	failover *prometheus.CounterVec
	target   *prometheus.GaugeVec
	redisErr prometheus.Counter
}

// latencyBuckets span a cached answer to a long reasoning stream.
var latencyBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300}

// New builds the collectors, with Go runtime and process metrics.
func New() *Metrics {
	m := &Metrics{reg: prometheus.NewRegistry()}
	m.requests = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigw_requests_total", Help: "Requests served, by provider, upstream model and status.",
	}, []string{"provider", "model", "status"})
	m.errors = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigw_request_errors_total", Help: "Requests answered with status >= 400, by provider, model and status.",
	}, []string{"provider", "model", "status"})
	m.latency = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "aigw_request_duration_seconds", Help: "Whole request time, by provider.", Buckets: latencyBuckets,
	}, []string{"provider"})
	m.ttfb = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "aigw_time_to_first_byte_seconds", Help: "Time until the first byte reached the client, by provider.", Buckets: latencyBuckets,
	}, []string{"provider"})
	m.retries = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigw_upstream_retries_total", Help: "Upstream attempts beyond the first (failover to another key).",
	}, []string{"provider"})
	m.tokens = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigw_tokens_total",
		Help: "Tokens reported by upstreams, by provider, model, client (\"\" for static keys) and kind: prompt (cached included), completion (reasoning included), cache_read, cache_write, reasoning.",
	}, []string{"provider", "model", "client", "kind"})
	m.cost = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigw_cost_total",
		Help: "Cost of requests with a known price, in the price table's currency ([pricing] currency, USD by default), by provider, model and client (\"\" for static keys).",
	}, []string{"provider", "model", "client"})
	m.failover = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "aigw_route_failovers_total",
		Help: "Requests a route moved from a target to the next, by route and the target that failed.",
	}, []string{"route", "provider", "model"})
	m.target = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "aigw_route_target_healthy",
		Help: "1 while a route's target takes traffic, 0 while it is ejected after failures in a row.",
	}, []string{"route", "target"})
	m.redisErr = prometheus.NewCounter(prometheus.CounterOpts{
		Name: "aigw_redis_errors_total",
		Help: "Errors reaching Redis (the shared client limits); fail_open decides what the request gets.",
	})
	m.reg.MustRegister(m.requests, m.errors, m.latency, m.ttfb, m.retries, m.tokens, m.cost, m.failover, m.target, m.redisErr,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m
}

// Handler serves the metrics in the Prometheus text format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{})
}

// ObserveRequest records a finished request from its log row. model is
// the label to count it under: the gateway passes the upstream model only
// when configuration or the catalog knows it, else "other", so a client
// cannot grow the label set (and the process's memory) with made-up names.
func (m *Metrics) ObserveRequest(row *store.RequestLog, model string) {
	if m == nil {
		return
	}
	status := strconv.Itoa(row.StatusCode)
	m.requests.WithLabelValues(row.Provider, model, status).Inc()
	if row.StatusCode >= 400 {
		m.errors.WithLabelValues(row.Provider, model, status).Inc()
	}
	m.latency.WithLabelValues(row.Provider).Observe(float64(row.LatencyMs) / 1000)
	if row.ResponseBytes > 0 { // something reached the client
		m.ttfb.WithLabelValues(row.Provider).Observe(float64(row.TTFTMs) / 1000)
	}
	for _, t := range [...]struct {
		kind string
		n    int64
	}{
		{"prompt", row.PromptTokens}, {"completion", row.CompletionTokens},
		{"cache_read", row.CacheReadTokens}, {"cache_write", row.CacheWriteTokens},
		{"reasoning", row.ReasoningTokens},
	} {
		if t.n > 0 {
			m.tokens.WithLabelValues(row.Provider, model, row.Client, t.kind).Add(float64(t.n))
		}
	}
	if row.Cost != nil && *row.Cost > 0 {
		m.cost.WithLabelValues(row.Provider, model, row.Client).Add(*row.Cost)
	}
}

// Failover counts a route moving on from a failed target.
func (m *Metrics) Failover(route, provider, model string) {
	if m == nil {
		return
	}
	m.failover.WithLabelValues(route, provider, model).Inc()
}

// TargetHealth sets whether a route's target takes traffic.
func (m *Metrics) TargetHealth(route, target string, healthy bool) {
	if m == nil {
		return
	}
	v := 0.0
	if healthy {
		v = 1
	}
	m.target.WithLabelValues(route, target).Set(v)
}

// RedisError counts a failed Redis call.
func (m *Metrics) RedisError() {
	if m == nil {
		return
	}
	m.redisErr.Inc()
}

// Retry counts an attempt beyond the first.
func (m *Metrics) Retry(provider string) {
	if m == nil {
		return
	}
	m.retries.WithLabelValues(provider).Inc()
}

// Gauge registers a gauge read from fn at scrape time (log queue depth,
// spilled rows).
func (m *Metrics) Gauge(name, help string, fn func() float64) {
	if m == nil {
		return
	}
	m.reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: name, Help: help}, fn))
}

// WatchKeys exports aigw_key_state{provider,key,state} for every key of
// every pool: 1 for the key's current state (ok, cooling, disabled).
func (m *Metrics) WatchKeys(reg *provider.Registry) {
	if m == nil {
		return
	}
	m.reg.MustRegister(&keyCollector{reg: reg})
}

var keyStateDesc = prometheus.NewDesc("aigw_key_state",
	"Upstream key health: 1 for the key's current state (ok, cooling, disabled).",
	[]string{"provider", "key", "state"}, nil)

type keyCollector struct{ reg *provider.Registry }

func (c *keyCollector) Describe(ch chan<- *prometheus.Desc) { ch <- keyStateDesc }

func (c *keyCollector) Collect(ch chan<- prometheus.Metric) {
	now := time.Now()
	for _, p := range c.reg.Providers() {
		for _, k := range p.Pool.Keys() {
			state := k.State(now)
			for _, s := range []string{"ok", "cooling", "disabled"} {
				v := 0.0
				if s == state {
					v = 1
				}
				ch <- prometheus.MustNewConstMetric(keyStateDesc, prometheus.GaugeValue, v, p.Name, k.Hint, s)
			}
		}
	}
}

package gateway

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/aigw/aigw/internal/changes"
	"github.com/aigw/aigw/internal/provider"
)

// Upstream key cool-downs and set-asides, and route ejections, are shared
// between instances over Redis pub/sub (README, "多实例"): an instance that
// sees a 429 or ejects a target announces it, and every instance applies
// it to its own state. Nothing is asked of Redis when a key or a target is
// picked, so sharing adds no round trip to a request.
//
// Messages (tab-separated): "key <provider> <index> cool <unix ns>",
// "key <provider> <index> aside", "eject <route> <target> <unix ns>".

// share announces a state change when the server has Redis; it does not
// wait for Redis.
func (s *Server) share(fields ...string) {
	if s.redis == nil {
		return
	}
	msg := strings.Join(fields, "\t")
	go func() { _ = changes.Publish(context.Background(), s.redis, s.redisPrefix, msg) }()
}

func (s *Server) shareCoolDown(p *provider.Provider, k *provider.Key, d time.Duration) {
	s.share("key", p.Name, strconv.Itoa(k.Index), "cool", strconv.FormatInt(time.Now().Add(d).UnixNano(), 10))
}

func (s *Server) shareSetAside(p *provider.Provider, k *provider.Key) {
	s.share("key", p.Name, strconv.Itoa(k.Index), "aside")
}

func (s *Server) shareEjection(route string, t provider.Route, until time.Time) {
	s.share("eject", route, targetName(t), strconv.FormatInt(until.UnixNano(), 10))
}

// ApplyShared applies a state change another instance announced; a
// message it does not understand (a newer version's) is ignored.
func (s *Server) ApplyShared(msg string) {
	f := strings.Split(msg, "\t")
	switch {
	case len(f) >= 4 && f[0] == "key":
		p, ok := s.reg.Get(f[1])
		if !ok {
			return
		}
		i, err := strconv.Atoi(f[2])
		keys := p.Pool.Keys()
		if err != nil || i < 0 || i >= len(keys) {
			return
		}
		switch f[3] {
		case "aside":
			keys[i].SetAside()
		case "cool":
			if len(f) == 5 {
				if ns, err := strconv.ParseInt(f[4], 10, 64); err == nil {
					keys[i].CoolUntil(time.Unix(0, ns))
				}
			}
		}
	case len(f) == 4 && f[0] == "eject":
		if ns, err := strconv.ParseInt(f[3], 10, 64); err == nil {
			s.health.ejectRemote(f[1], f[2], time.Unix(0, ns))
			s.metrics.TargetHealth(f[1], f[2], false)
		}
	}
}

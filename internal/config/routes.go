package config

// Route is one [routes."NAME"] of the redirect file: one public model
// name served by several targets with failover (README, "路由").
type Route struct {
	// Targets are "provider/model" or an alias of one, tried in the
	// order the strategy gives.
	Targets []string `toml:"targets"`
	// Strategy is priority (default), weighted or latency.
	Strategy string `toml:"strategy"`
	// Weights, for weighted only: one positive integer per target.
	Weights []int `toml:"weights"`
}

// Route strategies.
const (
	StrategyPriority = "priority"
	StrategyWeighted = "weighted"
	StrategyLatency  = "latency"
)

// Routes maps a route name to its route.
type Routes map[string]Route

// Package bench holds aigw's performance measurements: Go micro-benchmarks
// of the hot path (run with `go test -bench . -benchmem ./bench/`) and
// load.sh, which measures the built binary against nginx with wrk and
// vegeta. Plain `go test ./...` only compiles this package: it has no
// tests that do work, so the normal test run stays fast.
package bench

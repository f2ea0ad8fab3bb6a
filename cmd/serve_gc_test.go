package cmd

import (
	"runtime/debug"
	"testing"
)

func TestServeGCRespectsGOGC(t *testing.T) {
	prev := debug.SetGCPercent(100)
	defer debug.SetGCPercent(prev)

	setServeGC("50") // the user chose: left alone
	if got := debug.SetGCPercent(100); got != 100 {
		t.Fatalf("with GOGC set, the GC percent changed to %d", got)
	}
	setServeGC("")
	if got := debug.SetGCPercent(100); got != serveGCPercent {
		t.Fatalf("without GOGC, the GC percent is %d, want %d", got, serveGCPercent)
	}
}

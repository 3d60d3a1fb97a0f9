package main

import (
	"log/slog"
	"net/http"
	_ "net/http/pprof" // registers /debug/pprof on http.DefaultServeMux
)

// startPprof serves the Go profiler on its own address, off by default: an
// on-call engineer takes a CPU profile of a live server with
// `go tool pprof http://ADDR/debug/pprof/profile?seconds=10`.
func startPprof(addr string, log *slog.Logger) {
	if addr == "" {
		return
	}
	go func() {
		if err := http.ListenAndServe(addr, nil); err != nil {
			log.Error("salio: pprof server stopped", "addr", addr, "err", err)
		}
	}()
	log.Info("salio: pprof listening", "addr", addr)
}

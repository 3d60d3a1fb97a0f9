package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// extraProcs is how many Go Ps salio serve runs beyond Go's own choice (the
// CPUs, or the container's CPU limit). A goroutine in a blocking system call
// keeps its P: under load Pebble's WAL writer sits in fdatasync most of the
// time, and a flush or compaction in its writes. The runtime hands such a P
// to other goroutines only when its monitor thread next looks, so with as
// many Ps as CPUs, requests wait behind a sync. Measured (bench/notes.md,
// eighth round): pinned to one CPU, GOMAXPROCS 1 did 5.7–9.6k SMS/s over
// HTTP with about one effect per group commit, 2 did 17–23k and 3 18–24k;
// on two CPUs, 4 against 2 cut the p99.9 of SMS from 18–25 to 8–11 ms and of
// call starts from 20–32 to 10–12 ms, with the rates within the noise (SMS)
// or 3–7% higher (call cycles). The extra Ps mostly wait for the disk: the
// CPU they use is the CPU the blocked ones left.
const extraProcs = 2

// maxProcsFor returns the GOMAXPROCS to set, 0 to leave Go's: --gomaxprocs
// when given, none when the GOMAXPROCS variable is set (an explicit choice),
// else Go's choice plus extraProcs.
func maxProcsFor(flagProcs, goProcs int, envSet bool) int {
	switch {
	case flagProcs > 0:
		return flagProcs
	case envSet:
		return 0
	default:
		return goProcs + extraProcs
	}
}

// setRuntime applies --gomaxprocs and --gc-percent.
func setRuntime(o *options, log *slog.Logger) {
	_, envSet := os.LookupEnv("GOMAXPROCS")
	if n := maxProcsFor(o.gomaxprocs, runtime.GOMAXPROCS(0), envSet); n > 0 {
		runtime.GOMAXPROCS(n)
	}
	if o.gcPercent > 0 {
		debug.SetGCPercent(o.gcPercent)
	}
	log.Info("salio: runtime", "gomaxprocs", runtime.GOMAXPROCS(0), "cpus", runtime.NumCPU(), "gc_percent", o.gcPercent)
}

// maxGOMAXPROCS bounds --gomaxprocs: far more Ps than any machine's CPUs is a
// typo, and each P has its own caches and run queue.
const maxGOMAXPROCS = 1024

package main

import (
	"log/slog"
	"os"
	"runtime"
	"runtime/debug"
)

// minProcs is the least GOMAXPROCS salio serve runs with unless told
// otherwise, even on one CPU (a container limited to one core gets
// GOMAXPROCS 1 from Go). With a single P, the goroutine in the WAL's
// fdatasync keeps it for most of the sync: the runtime hands a P that sits
// in a system call to other goroutines only when its monitor thread next
// looks. No request is then handled while the disk syncs, and each group
// commit carries about one effect. Pinned to one CPU (`taskset -c 1`), SMS
// over HTTP did 5.7–7.2k/s with GOMAXPROCS 1, with 1.1–1.3 effects per
// group commit, and 17–23k/s with 2, with 23–26 (bench/notes.md, eighth
// round). Threads beyond the CPUs cost little here: most of them wait for
// the disk or the network.
const minProcs = 2

// maxProcsFor returns the GOMAXPROCS to set, 0 to leave Go's: --gomaxprocs
// when given, else minProcs when Go chose fewer and the GOMAXPROCS variable
// did not ask for them.
func maxProcsFor(flagProcs, goProcs int, envSet bool) int {
	switch {
	case flagProcs > 0:
		return flagProcs
	case envSet || goProcs >= minProcs:
		return 0
	default:
		return minProcs
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

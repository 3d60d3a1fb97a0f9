package main

import (
	"bufio"
	"bytes"
	"fmt"
	"log/slog"
	"math"
	"os"
	"runtime"
	"runtime/debug"
	"strconv"
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

// setRuntime applies --gomaxprocs, --gc-percent and --memory-limit-mib.
func setRuntime(o *options, log *slog.Logger) {
	_, envSet := os.LookupEnv("GOMAXPROCS")
	if n := maxProcsFor(o.gomaxprocs, runtime.GOMAXPROCS(0), envSet); n > 0 {
		runtime.GOMAXPROCS(n)
	}
	if o.gcPercent > 0 {
		debug.SetGCPercent(o.gcPercent)
	}
	_, envSet = os.LookupEnv("GOMEMLIMIT")
	if b := memoryLimitFor(o.memoryLimitMiB, cgroupMemoryBytes(), machineMemoryBytes(), envSet); b > 0 {
		debug.SetMemoryLimit(b)
	}
	limitMiB := int64(-1) // none
	if b := debug.SetMemoryLimit(-1); b < math.MaxInt64 {
		limitMiB = b >> 20
	}
	log.Info("salio: runtime", "gomaxprocs", runtime.GOMAXPROCS(0), "cpus", runtime.NumCPU(),
		"gc_percent", o.gcPercent, "memory_limit_mib", limitMiB)
}

// maxGOMAXPROCS bounds --gomaxprocs: far more Ps than any machine's CPUs is a
// typo, and each P has its own caches and run queue.
const maxGOMAXPROCS = 1024

// memoryLimitPercent is the share of the container's (or else the machine's)
// memory that salio serve gives Go as its soft limit. --gc-percent 400 lets
// the heap grow to five times what is live before a collection: a full
// idempotency table (4M event records) and 50,000 tenants were 1.44 GB live
// in a five-minute mixed soak, which then stood at 6.4–7.7 GiB resident
// (bench/notes.md, ninth round). Below the limit that buys CPU; near it the
// GC collects more often instead of the kernel killing the process. A
// quarter is left for what the Go heap does not count: Pebble's block cache
// and memtables (C memory in a cgo build) and the page cache.
const memoryLimitPercent = 75

// maxMemoryLimitMiB bounds --memory-limit-mib (16 TiB): more is a typo.
const maxMemoryLimitMiB = 16 << 20

// memoryLimitFor returns the soft memory limit to set, in bytes, 0 to leave
// Go's: --memory-limit-mib when given (-1: none), none when the GOMEMLIMIT
// variable is set (an explicit choice), else memoryLimitPercent of the
// container's limit or, without one, of the machine's memory (none when
// neither is known).
func memoryLimitFor(flagMiB, cgroupBytes, machineBytes int64, envSet bool) int64 {
	switch {
	case flagMiB > 0:
		return flagMiB << 20
	case flagMiB < 0:
		return math.MaxInt64
	case envSet:
		return 0
	}
	total := machineBytes
	if cgroupBytes > 0 && (total <= 0 || cgroupBytes < total) {
		total = cgroupBytes
	}
	if total <= 0 {
		return 0
	}
	return total / 100 * memoryLimitPercent
}

// cgroupMemoryBytes returns the memory limit of this process's cgroup
// (v2's memory.max, else v1's memory.limit_in_bytes), 0 when there is none
// or it cannot be read.
func cgroupMemoryBytes() int64 {
	for _, path := range []string{"/sys/fs/cgroup/memory.max", "/sys/fs/cgroup/memory/memory.limit_in_bytes"} {
		b, err := os.ReadFile(path)
		if err != nil {
			continue
		}
		n, err := strconv.ParseInt(string(bytes.TrimSpace(b)), 10, 64)
		if err != nil || n <= 0 { // "max": no limit
			return 0
		}
		return n // v1's "no limit" is a huge number; memoryLimitFor takes the smaller
	}
	return 0
}

// machineMemoryBytes returns MemTotal from /proc/meminfo, 0 if unknown.
func machineMemoryBytes() int64 {
	f, err := os.Open("/proc/meminfo")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		var kib int64
		if n, _ := fmt.Sscanf(sc.Text(), "MemTotal: %d kB", &kib); n == 1 {
			return kib << 10
		}
	}
	return 0
}

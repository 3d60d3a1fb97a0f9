package loadgen

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// ServerMetrics is what the report reads from the server's /metrics.
type ServerMetrics struct {
	CPUSeconds float64            `json:"cpu_seconds"`
	RSSBytes   float64            `json:"rss_bytes"`
	Backlog    map[string]float64 `json:"backlog,omitempty"` // every series whose name contains "backlog"
	// Store write counters (salio_store_wal_bytes_total and the Pebble
	// flush and compaction byte counters): what the disk and the
	// compactions cost per charge.
	WALBytes       float64 `json:"wal_bytes"`
	FlushedBytes   float64 `json:"flushed_bytes"`
	CompactedBytes float64 `json:"compacted_bytes"`
	// Group commits (salio_store_commits_total, _effects_total and the sum
	// of salio_store_commit_seconds): how many fsyncs the load cost, how
	// many charges each carried and how long the disk took.
	Commits       float64 `json:"commits"`
	Effects       float64 `json:"effects"`
	CommitSeconds float64 `json:"commit_seconds"`
	// CompactionsRunning is Pebble's compactions at the scrape
	// (salio_store_lsm_compactions_running): Settle waits for none.
	CompactionsRunning float64 `json:"compactions_running"`
	OK                 bool    `json:"ok"`
}

// parseMetrics reads the Prometheus text format, keeping the process figures
// and any backlog gauge (the CDR/event relay's queue in the store).
func parseMetrics(b []byte) ServerMetrics {
	// CPUSeconds starts below any real value: a /metrics without the
	// process's CPU is not a server's (OK false).
	m := ServerMetrics{Backlog: map[string]float64{}, CPUSeconds: -1}
	// Each series the report reads, and where it goes.
	gauges := map[string]*float64{
		"process_cpu_seconds_total":             &m.CPUSeconds,
		"process_resident_memory_bytes":         &m.RSSBytes,
		"salio_store_wal_bytes_total":           &m.WALBytes,
		"salio_store_lsm_flushed_bytes_total":   &m.FlushedBytes,
		"salio_store_lsm_compacted_bytes_total": &m.CompactedBytes,
		"salio_store_commits_total":             &m.Commits,
		"salio_store_effects_total":             &m.Effects,
		"salio_store_commit_seconds_sum":        &m.CommitSeconds,
		"salio_store_lsm_compactions_running":   &m.CompactionsRunning,
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		series, val, ok := splitSample(line)
		if !ok {
			continue
		}
		name, _, _ := strings.Cut(series, "{")
		if dst, ok := gauges[name]; ok {
			*dst = val
		} else if strings.Contains(name, "backlog") {
			m.Backlog[series] = val
		}
	}
	m.OK = m.CPUSeconds >= 0
	m.CPUSeconds = max(m.CPUSeconds, 0)
	return m
}

// splitSample splits `name{labels} value [timestamp]`.
func splitSample(line string) (series string, val float64, ok bool) {
	end := strings.LastIndexByte(line, '}')
	rest := line
	if end >= 0 {
		series, rest = line[:end+1], line[end+1:]
	} else {
		i := strings.IndexAny(line, " \t")
		if i < 0 {
			return "", 0, false
		}
		series, rest = line[:i], line[i:]
	}
	f := strings.Fields(rest)
	if len(f) == 0 {
		return "", 0, false
	}
	v, err := strconv.ParseFloat(f[0], 64)
	return series, v, err == nil
}

// scrapeMetrics fetches /metrics; a missing endpoint gives OK false.
func scrapeMetrics(c *conn) ServerMetrics {
	c.retries = 1
	defer func() { c.retries = 3 }()
	status, body, err := c.do("GET", []byte("/metrics"), nil, nil)
	if err != nil || status != 200 {
		return ServerMetrics{}
	}
	return parseMetrics(body)
}

// SelfCPU returns this process's user+system CPU time (0 where getrusage
// fails): the generator's own cost here, a disk layer's in bench.
func SelfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// serverPhase is the server's cost between two scrapes secs apart.
func serverPhase(before, after ServerMetrics, secs float64) ServerPhase {
	d := after.CPUSeconds - before.CPUSeconds
	sp := ServerPhase{MetricsOK: true, CPUSeconds: d, CPUCores: d / secs,
		RSSBytes: after.RSSBytes, Backlog: after.Backlog,
		WALBytesPerSec:       (after.WALBytes - before.WALBytes) / secs,
		FlushedBytesPerSec:   (after.FlushedBytes - before.FlushedBytes) / secs,
		CompactedBytesPerSec: (after.CompactedBytes - before.CompactedBytes) / secs}
	if commits := after.Commits - before.Commits; commits > 0 {
		sp.CommitsPerSec = commits / secs
		sp.EffectsPerCommit = (after.Effects - before.Effects) / commits
		sp.CommitMeanMs = 1000 * (after.CommitSeconds - before.CommitSeconds) / commits
	}
	return sp
}

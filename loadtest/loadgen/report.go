package loadgen

import (
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"time"
)

// Report is the outcome of a run; --out writes it as JSON.
type Report struct {
	Target      string      `json:"target"`
	Scenario    string      `json:"scenario"`
	Mix         string      `json:"mix,omitempty"`
	StartedAt   time.Time   `json:"started_at"`
	Seconds     float64     `json:"seconds"` // the timed load phase
	Concurrency int         `json:"concurrency"`
	RatePerSec  float64     `json:"rate_per_s,omitempty"` // open loop
	Tenants     int         `json:"tenants"`
	ZipfS       float64     `json:"zipf_s"`
	Calls       *CallReport `json:"calls,omitempty"` // runs with calls: their shape

	Requests   uint64       `json:"requests"`
	RPS        float64      `json:"requests_per_s"`
	Errors     uint64       `json:"errors"`
	Refusals   uint64       `json:"refusals"` // 402 and 429: expected outcomes
	ErrorRate  float64      `json:"error_rate"`
	Types      []TypeStats  `json:"types"`
	ErrorsBy   []ErrorCount `json:"errors_by_code,omitempty"`
	Derived    Derived      `json:"derived"`
	Retries    uint64       `json:"transport_retries"`
	Setup      SetupResult  `json:"setup"`
	Audit      AuditResult  `json:"audit"`
	Server     ServerPhase  `json:"server"`
	Generator  GenPhase     `json:"generator"`
	Machine    MachinePhase `json:"machine"`
	ServerExit *int         `json:"server_exit_code,omitempty"` // spawned server's code after SIGTERM
	Failures   []string     `json:"failures,omitempty"`         // why the run fails
}

// TypeStats is one request type's throughput and latency (milliseconds).
type TypeStats struct {
	Type     string  `json:"type"`
	Count    uint64  `json:"count"`
	RPS      float64 `json:"per_s"`
	P50Ms    float64 `json:"p50_ms"`
	P90Ms    float64 `json:"p90_ms"`
	P99Ms    float64 `json:"p99_ms"`
	P999Ms   float64 `json:"p999_ms"`
	MaxMs    float64 `json:"max_ms"`
	MeanMs   float64 `json:"mean_ms"`
	Errors   uint64  `json:"errors"`
	Refusals uint64  `json:"refusals"`
}

// ErrorCount is one class of failed or refused requests.
type ErrorCount struct {
	Type     string `json:"type"`
	Status   int    `json:"status"` // 0 = transport error
	Code     string `json:"code"`
	Count    uint64 `json:"count"`
	Expected bool   `json:"expected"` // 402/429
}

// Derived are the figures the goals are stated in.
type Derived struct {
	CyclesPerSec     float64 `json:"sessions_stopped_per_s"`
	SegmentsPerSec   float64 `json:"sms_segments_per_s"`
	BatchItemsPerSec float64 `json:"batch_items_per_s"`
	BatchItemErrors  uint64  `json:"batch_item_errors"`
	SegmentMismatch  uint64  `json:"segment_mismatches"` // answers whose segments differ from §6
	RechargesPaid    uint64  `json:"auto_recharges_paid"`
}

// ServerPhase is the server's cost over the load phase, from /metrics.
type ServerPhase struct {
	MetricsOK  bool               `json:"metrics_ok"`
	CPUSeconds float64            `json:"cpu_seconds"`
	CPUCores   float64            `json:"cpu_cores"` // cpu seconds per second of load
	RSSBytes   float64            `json:"rss_bytes"`
	Backlog    map[string]float64 `json:"backlog,omitempty"` // when the load stopped
	// BacklogAfter is the backlog once the audit finished: a relay that
	// keeps up drains it meanwhile.
	BacklogAfter map[string]float64 `json:"backlog_after_audit,omitempty"`
	// Bytes per second the store wrote over the load phase: to its WAL,
	// in memtable flushes and in compactions (0 when the server has no
	// such metrics, e.g. the no-op server).
	WALBytesPerSec       float64 `json:"wal_bytes_per_s"`
	FlushedBytesPerSec   float64 `json:"flushed_bytes_per_s"`
	CompactedBytesPerSec float64 `json:"compacted_bytes_per_s"`
	// Group commits over the load phase: one fsync each.
	CommitsPerSec    float64 `json:"commits_per_s"`
	EffectsPerCommit float64 `json:"effects_per_commit"`
	CommitMeanMs     float64 `json:"commit_mean_ms"` // writing and fsyncing one group
}

// GenPhase is the generator's own CPU over the load phase.
type GenPhase struct {
	CPUSeconds float64 `json:"cpu_seconds"`
	CPUCores   float64 `json:"cpu_cores"`
}

// OK reports whether the run passed: audit clean and errors within bounds.
func (r *Report) OK() bool { return len(r.Failures) == 0 }

// Type returns the stats of one request type (zero if absent).
func (r *Report) Type(name string) TypeStats {
	for _, t := range r.Types {
		if t.Type == name {
			return t
		}
	}
	return TypeStats{Type: name}
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

func typeStats(name string, h *Histogram, errs, refused uint64, seconds float64) TypeStats {
	n := h.Count()
	return TypeStats{Type: name, Count: n, RPS: float64(n) / seconds,
		P50Ms: ms(h.Quantile(0.50)), P90Ms: ms(h.Quantile(0.90)), P99Ms: ms(h.Quantile(0.99)),
		P999Ms: ms(h.Quantile(0.999)), MaxMs: ms(h.Max()), MeanMs: ms(h.Mean()),
		Errors: errs, Refusals: refused}
}

// WriteTable prints the report for people.
func (r *Report) WriteTable(w io.Writer) {
	r.writeHeader(w)
	r.writeTypes(w)
	r.writeErrors(w)
	r.writeResources(w)
	r.writeAudit(w)
	if r.OK() {
		fmt.Fprintf(w, "\nPASS\n")
	} else {
		fmt.Fprintf(w, "\nFAIL: %s\n", strings.Join(r.Failures, "; "))
	}
}

// writeHeader prints what ran: target, scenario, tenants, load and setup.
func (r *Report) writeHeader(w io.Writer) {
	fmt.Fprintf(w, "\nsalio load test: %s, scenario %s, %d tenants (zipf s=%.2f), ", r.Target, r.Scenario, r.Tenants, r.ZipfS)
	if r.RatePerSec > 0 {
		fmt.Fprintf(w, "open loop %.0f req/s on %d connections, ", r.RatePerSec, r.Concurrency)
	} else {
		fmt.Fprintf(w, "closed loop on %d connections, ", r.Concurrency)
	}
	fmt.Fprintf(w, "%.1f s\n", r.Seconds)
	if c := r.Calls; c != nil {
		fmt.Fprintf(w, "calls: %.1f s mean when answered (Pareto α %.2f, at most %.0f s), %.0f%% unanswered, %.0f%% inbound\n",
			c.MeanSeconds, c.Tail, c.MaxSeconds, c.UnansweredPct, c.InboundPct)
	}
	if r.Setup.Tenants > 0 {
		fmt.Fprintf(w, "setup: %d tenants (%d low-funded) in %.1f s, %d failed, switch key: %v\n",
			r.Setup.Tenants, r.Setup.LowFunded, r.Setup.Seconds, r.Setup.Failed, r.Setup.SwitchKey)
		if s := r.Setup; s.AutoRecharge > 0 {
			fmt.Fprintf(w, "auto-recharge: %d tenants, %s when below %s (the load test pays each request, as a payment integration would)\n",
				s.AutoRecharge, s.AutoRechargeAmount, s.AutoRechargeThreshold)
		}
	}
}

// writeTypes prints the latency table: the load's request types, the total,
// then the setup and audit phases' types.
func (r *Report) writeTypes(w io.Writer) {
	fmt.Fprintf(w, "\n%-19s %10s %10s %8s %8s %8s %8s %8s %8s %8s\n", "type", "count", "per s",
		"p50 ms", "p90 ms", "p99 ms", "p99.9", "max ms", "errors", "402/429")
	row := func(t TypeStats) {
		fmt.Fprintf(w, "%-19s %10d %10.0f %8.2f %8.2f %8.2f %8.2f %8.1f %8d %8d\n", t.Type, t.Count, t.RPS,
			t.P50Ms, t.P90Ms, t.P99Ms, t.P999Ms, t.MaxMs, t.Errors, t.Refusals)
	}
	phase := func(t TypeStats) bool {
		return strings.HasPrefix(t.Type, "setup_") || strings.HasPrefix(t.Type, "audit_")
	}
	for _, t := range r.Types {
		if !phase(t) {
			row(t)
		}
	}
	fmt.Fprintf(w, "%-19s %10d %10.0f   errors %d (%.3f%%), refusals %d, transport retries %d\n",
		"total", r.Requests, r.RPS, r.Errors, 100*r.ErrorRate, r.Refusals, r.Retries)
	fmt.Fprintf(w, "setup and audit (per s of their own phase):\n")
	for _, t := range r.Types {
		if phase(t) {
			row(t)
		}
	}
	d := r.Derived
	fmt.Fprintf(w, "\nsessions stopped/s %.0f, SMS segments/s %.0f, batch items/s %.0f, batch item errors %d, segment mismatches %d, auto-recharges paid %d\n",
		d.CyclesPerSec, d.SegmentsPerSec, d.BatchItemsPerSec, d.BatchItemErrors, d.SegmentMismatch, d.RechargesPaid)
}

// writeErrors prints the errors and refusals by request type and code.
func (r *Report) writeErrors(w io.Writer) {
	if len(r.ErrorsBy) == 0 {
		return
	}
	fmt.Fprintf(w, "\nerrors and refusals by code:\n")
	for _, e := range r.ErrorsBy {
		mark := ""
		if e.Expected {
			mark = " (expected)"
		}
		fmt.Fprintf(w, "  %-14s %3d %-22s %10d%s\n", e.Type, e.Status, e.Code, e.Count, mark)
	}
}

// writeResources prints what the load cost: the server's CPU, memory, CDR
// backlog, store writes and group commits, the generator's CPU, and how
// the machine spent its CPU.
func (r *Report) writeResources(w io.Writer) {
	if sv := r.Server; sv.MetricsOK {
		fmt.Fprintf(w, "\nserver: %.1f CPU s (%.2f cores), RSS %.0f MiB", sv.CPUSeconds, sv.CPUCores, sv.RSSBytes/(1<<20))
		for _, k := range sortedKeys(sv.Backlog) {
			fmt.Fprintf(w, ", %s %.0f", k, sv.Backlog[k])
			if v, ok := sv.BacklogAfter[k]; ok {
				fmt.Fprintf(w, " (%.0f after the audit)", v)
			}
		}
		fmt.Fprintln(w)
		if sv.WALBytesPerSec > 0 {
			fmt.Fprintf(w, "store writes: WAL %.1f MB/s, flushes %.1f MB/s, compactions %.1f MB/s\n",
				sv.WALBytesPerSec/1e6, sv.FlushedBytesPerSec/1e6, sv.CompactedBytesPerSec/1e6)
		}
		if sv.CommitsPerSec > 0 {
			fmt.Fprintf(w, "group commits: %.0f/s, %.1f effects each, %.2f ms to write and fsync one\n",
				sv.CommitsPerSec, sv.EffectsPerCommit, sv.CommitMeanMs)
		}
	} else {
		fmt.Fprintf(w, "\nserver: /metrics not available\n")
	}
	fmt.Fprintf(w, "generator: %.1f CPU s (%.2f cores)\n", r.Generator.CPUSeconds, r.Generator.CPUCores)
	if m := r.Machine; m.OK {
		fmt.Fprintf(w, "this machine: %.0f%% busy (user %.0f%%, system %.0f%%, interrupts %.0f%%), idle %.0f%%, iowait %.0f%%, steal %.0f%%\n",
			m.BusyPct, m.UserPct, m.SystemPct, m.IRQPct, m.IdlePct, m.IOWaitPct, m.StealPct)
	}
	if r.ServerExit != nil {
		fmt.Fprintf(w, "spawned server exit code after SIGTERM: %d\n", *r.ServerExit)
	}
}

// writeAudit prints the audit's verdict, the wallets by status and the
// first problems found.
func (r *Report) writeAudit(w io.Writer) {
	a := r.Audit
	if !a.Ran {
		fmt.Fprintf(w, "\naudit: not run\n")
		return
	}
	fmt.Fprintf(w, "\naudit: %d tenants, %d transactions in %.1f s; %d failed, %d with an unknown outcome (checked with ≥)\n",
		a.Tenants, a.Transactions, a.Seconds, a.Failed, a.Uncertain)
	if len(a.Statuses) > 0 {
		fmt.Fprintf(w, "  wallets by status:")
		for _, k := range sortedKeys(a.Statuses) {
			fmt.Fprintf(w, " %s %d", k, a.Statuses[k])
		}
		fmt.Fprintf(w, "; %d negative, lowest balance %s\n", a.Negative, a.LowestBalance)
	}
	for _, p := range a.Problems {
		fmt.Fprintf(w, "  %s\n", p)
	}
}

// WriteJSON writes the report to path.
func (r *Report) WriteJSON(path string) error { return writeJSONFile(path, r) }

// writeJSONFile writes v, indented, to path.
func writeJSONFile(path string, v any) error {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return err
	}
	return os.WriteFile(path, append(b, '\n'), 0o644)
}

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

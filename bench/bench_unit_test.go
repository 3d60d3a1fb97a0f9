package main

import (
	"context"
	"fmt"
	"os"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/salio/salio/loadtest/loadgen"
)

// TestMain serves the no-op handler when startNoop runs this test binary as
// its child (`--serve-noop ADDR --batch-size N`), as main does in the
// command.
func TestMain(m *testing.M) {
	if len(os.Args) == 5 && os.Args[1] == "--serve-noop" && os.Args[3] == "--batch-size" {
		n, err := strconv.Atoi(os.Args[4])
		if err == nil {
			err = serveNoop(os.Args[2], n)
		}
		fmt.Fprintln(os.Stderr, "noop:", err)
		os.Exit(1)
	}
	os.Exit(m.Run())
}

func TestIDArenaIDsAreUniqueAndFixedWidth(t *testing.T) {
	a, b := newIDArena(1000, "e"), newIDArena(10, "e")
	seen := map[string]bool{}
	for i := range 1000 {
		id := a.id(i)
		if seen[id] || len(id) != a.width {
			t.Fatalf("id %q repeated or of the wrong width", id)
		}
		seen[id] = true
	}
	for i := range 10 {
		if seen[b.id(i)] {
			t.Fatalf("a second arena repeats %q", b.id(i))
		}
	}
}

// TestIDCursorsShareNoID: goroutines drawing ids a block at a time never
// draw the same one, and n draws stay within the arena newIDArenaFor sized.
func TestIDCursorsShareNoID(t *testing.T) {
	const n, workers = 10_000, 2
	a := newIDArenaFor(n, "c")
	var remaining atomic.Int64
	remaining.Store(n)
	drawn := make([][]string, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := a.cursor()
			for remaining.Add(-1) >= 0 {
				drawn[w] = append(drawn[w], c.id())
			}
		}()
	}
	wg.Wait()
	seen := map[string]bool{}
	for _, ids := range drawn {
		for _, id := range ids {
			if seen[id] {
				t.Fatalf("id %q drawn twice", id)
			}
			seen[id] = true
		}
	}
	if len(seen) != n {
		t.Fatalf("%d ids drawn, want %d", len(seen), n)
	}
}

// TestNoopServerDrivesEveryScenario checks that the canned answers carry
// what the generator reads: sessions cycle, batches split into items.
func TestNoopServerDrivesEveryScenario(t *testing.T) {
	addr, err := loadgen.FreeAddr()
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = serveNoop(addr, 20) }()
	time.Sleep(100 * time.Millisecond)
	for _, sc := range []string{"sms", "call-start", "call-cycle", "batch", "mixed"} {
		cfg := loadgen.Defaults()
		cfg.Target, cfg.NoSetup, cfg.Audit = "http://"+addr, true, false
		cfg.Scenario, cfg.Duration, cfg.Concurrency, cfg.BatchSize, cfg.Tenants = sc, 200*time.Millisecond, 4, 20, 50
		rep, err := loadgen.Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(sc, err)
		}
		if !rep.OK() || rep.Errors != 0 {
			t.Errorf("%s: %v %+v", sc, rep.Failures, rep.ErrorsBy)
		}
		s := summarize(sc, rep)
		if s.Throughput <= 0 || !rep.Server.MetricsOK {
			t.Errorf("%s: throughput %v, metrics %v", sc, s.Throughput, rep.Server.MetricsOK)
		}
		if sc == "call-cycle" && (s.WorstP99Ms < s.P99Ms || s.WorstP99Ms <= 0) {
			t.Errorf("call-cycle: worst p99 %v, start's %v", s.WorstP99Ms, s.P99Ms)
		}
	}
}

func TestDiskLayersShort(t *testing.T) {
	if testing.Short() {
		t.Skip("writes to disk")
	}
	p, err := runPebbleSync(t.TempDir(), 8, 300*time.Millisecond)
	if err != nil || p.Commits == 0 || p.BytesPerOp < 400 {
		t.Fatalf("pebble: %+v %v", p, err)
	}
	f, err := runFsync(t.TempDir(), 8, 300*time.Millisecond)
	if err != nil || f.Commits == 0 || f.Concurrency != 1 || f.BytesPerOp != fsyncProbeBytes || f.MaxMs < f.P50Ms {
		t.Fatalf("fsync: %+v %v", f, err)
	}
	s, err := runStoreSafe(t.TempDir(), 8, 300*time.Millisecond)
	if err != nil || s.Commits == 0 || s.CPUMicrosPerCommit <= 0 {
		t.Fatalf("store: %+v %v", s, err)
	}
}

func TestMarkdownHasRatiosAndGoals(t *testing.T) {
	r := newResults(options{duration: time.Second, concurrency: 64})
	r.Machine.CPUs = 2 // the budget per unit at the goal depends on it
	r.Noop["sms"] = &httpSummary{Scenario: "sms", Unit: "SMS debits/s", Throughput: 80_000, RPS: 80_000, P99Ms: 3}
	r.Server["sms"] = &httpSummary{Scenario: "sms", Unit: "SMS debits/s", Throughput: 60_000, RPS: 60_000, P99Ms: 4, AuditOK: true,
		WALMBps: 30, FlushedMBps: 5, CompactedMBps: 10, ServerCPU: 1.2, GenCPU: 0.6,
		CommitsPerSec: 2000, EffectsPerCommit: 30, CommitMeanMs: 0.45, MachineBusyPct: 92, MachineWaitPct: 6, MachineStealPct: 2}
	r.Noop["call-cycle"] = &httpSummary{Scenario: "call-cycle", Unit: "call cycles/s", Throughput: 16_800, RPS: 67_200, P99Ms: 5}
	r.Server["call-cycle"] = &httpSummary{Scenario: "call-cycle", Unit: "call cycles/s", Throughput: 6_000, RPS: 24_000, P99Ms: 4, WorstP99Ms: 11, AuditOK: true}
	r.Server["batch"] = &httpSummary{Scenario: "batch", Unit: "SMS segments/s", Throughput: 240_000, RPS: 2_400, P99Ms: 40, AuditOK: true}
	r.Disk["fsync"] = &commitResult{PerSec: 3_000, Concurrency: 1, P50Ms: 0.25, P99Ms: 1.5, P999Ms: 4, MaxMs: 9, BytesPerOp: 4096, CPUMicrosPerCommit: 95}
	r.Disk["pebble"] = &commitResult{PerSec: 36_000}
	r.Disk["store"] = &commitResult{PerSec: 90_000}
	r.Engine = []engineResult{{Op: "event", Wallets: 1000, PerSec: 1_200_000}, {Op: "event", Wallets: 1_000_000, PerSec: 900_000, AllocsPerOp: 1}}
	r.WalletBytes[1_000_000] = walletBytes{Idle: 420}
	md := r.markdown()
	for _, want := range []string{"server / no-op, sms: **0.75**", "durable store / raw Pebble: **2.50**",
		"server / in-process engine, SMS debits: **0.05**", "| SMS debits over HTTP | ≥ 50.0k/s, p99 ≤ 5 ms, ≥ 0.5 × no-op | 60.0k SMS debits/s, p99 4.00 ms, 0.75 × no-op | yes |",
		"| batched SMS (100/batch) | ≥ 300k segments/s | 240.0k segments/s | **no**: throughput 80% of the goal (60.0k short) |",
		"| sms | 30.0 | 500 per SMS debits | 5.0 | 10.0 |",
		"| `fdatasync` after a 4 KiB append (the disk's own latency) | 1 | 3000 | 0.25 | 1.50 | 4.00 | 9.00 | 4096 | 95.0 |",
		"With this disk's fsync p99 of 1.50 ms, a p99 of 5 ms leaves 2.00 ms for everything else.",
		"| sms | server | 20.0 | 10.0 | 30.0 | 40.0 µs | 92% | 6% | 2% | 2000 | 30.0 | 0.45 |",
		"| engine event debits in-process, 1000 wallets | ≥ 1M/s, 0 allocs | 1.20M/s, 0 allocs | yes |",
		"| engine event debits in-process, 1.00M wallets | ≥ 1M/s, 0 allocs | 900.0k/s, 1 allocs | **no**: throughput 90% of the goal (100.0k short); 1 allocs per op |",
		"| memory per idle wallet, 1M wallets | ≤ 500 B | 420 B", "| full call cycles over HTTP | ≥ 17.0k cycles/s, p99 ≤ 5 ms per request | 6000 cycles/s, worst p99 11.00 ms (start, update, stop) | **no**: throughput 35% of the goal (11.0k short); the no-op handler itself did 16.8k call cycles/s here, below the goal; p99 2.2× the bound |"} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
}

// TestLayerCapsAddUpTheLayers: a scenario's cap is the cores over the sum
// of the no-op run's CPU per unit, the store's per commit times the unit's
// commits, and the engine's per operation where layer b has one; a missed
// goal names the cap when it is below the goal.
func TestLayerCapsAddUpTheLayers(t *testing.T) {
	r := newResults(options{duration: time.Second, concurrency: 64})
	r.Machine.CPUs = 2
	r.Noop["sms"] = &httpSummary{Scenario: "sms", Unit: "SMS debits/s", Throughput: 80_000, ServerCPU: 0.9, GenCPU: 1.0}
	r.Server["sms"] = &httpSummary{Scenario: "sms", Unit: "SMS debits/s", Throughput: 27_000, P99Ms: 6, AuditOK: true}
	r.Noop["call-start"] = &httpSummary{Scenario: "call-start", Unit: "call starts/s", Throughput: 40_000, ServerCPU: 0.9, GenCPU: 1.0}
	r.Noop["call-cycle"] = &httpSummary{Scenario: "call-cycle", Unit: "call cycles/s", Throughput: 20_000, ServerCPU: 0.9, GenCPU: 1.0}
	r.Server["call-cycle"] = &httpSummary{Scenario: "call-cycle", Unit: "call cycles/s", Throughput: 7_000, WorstP99Ms: 4, AuditOK: true}
	r.Disk["store"] = &commitResult{PerSec: 60_000, Concurrency: 64, CPUMicrosPerCommit: 16}
	r.Engine = []engineResult{{Op: "event", Wallets: 1000, NsPerOp: 830, PerSec: 1_200_000},
		{Op: "cycle", Wallets: 1000, NsPerOp: 3000, PerSec: 300_000}}
	md := r.markdown()
	for _, want := range []string{
		// 23.75 + 16 + 1.66 = 41.41 µs: 2 s / 41.41 µs = 48.3k/s
		"| sms | 23.8 | 1 × 16.0 = 16.0 | 1.7 | 41.4 | **48.3k SMS debits/s** | 50.0k | 27.0k |",
		// 47.5 + 32, no engine operation in layer b: 25.2k/s
		"| call-start | 47.5 | 2 × 16.0 = 32.0 | – | 79.5 | **25.2k call starts/s** | 50.0k | – |",
		// 95 + 64 + 6 = 165 µs: 12.1k/s
		"| call-cycle | 95.0 | 4 × 16.0 = 64.0 | 6.0 | 165.0 | **12.1k call cycles/s** | 17.0k | 7000 |",
		"throughput 54% of the goal (23.0k short); the layers' parts alone cap it at 48.3k/s here",
		"throughput 41% of the goal (10.0k short); the layers' parts alone cap it at 12.1k/s here",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q:\n%s", want, md)
		}
	}
	delete(r.Disk, "store")
	if md := r.markdown(); strings.Contains(md, "a cap on durable") || strings.Contains(md, "parts alone cap") {
		t.Errorf("a cap without the store layer:\n%s", md)
	}
}

package loadgen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// IsTerminal reports whether f is a character device: the live progress line
// is for people, not for logs.
func IsTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// Run performs one load test: optional spawn, setup, timed load, draining of
// open calls, metrics, audit. The error is for runs that could not take place;
// a run that took place and failed its checks returns a report with Failures.
func Run(ctx context.Context, cfg Config) (*Report, error) {
	cfg.fillDefaults()
	if cfg.ZipfS <= 1 {
		return nil, fmt.Errorf("--zipf-s must be > 1 (math/rand/v2 Zipf), got %v", cfg.ZipfS)
	}
	if err := cfg.Calls.validate(); err != nil {
		return nil, err
	}
	if !(cfg.AutoRechargePct >= 0 && cfg.AutoRechargePct <= 100) {
		return nil, fmt.Errorf("--auto-recharge-pct must be in [0, 100], got %v", cfg.AutoRechargePct)
	}
	mixStr, err := scenarioMix(cfg.Scenario, cfg.Mix)
	if err != nil {
		return nil, err
	}
	mix, err := parseMix(mixStr)
	if err != nil {
		return nil, err
	}
	if cfg.Seed == 0 {
		cfg.Seed = rand.Uint64()
	}
	var srv *Server
	if cfg.Spawn {
		srv, err = Spawn(SpawnOptions{Bin: cfg.SalioBin, Module: cfg.SalioModule, Kafka: cfg.Kafka,
			Durability: cfg.Durability, KeepData: cfg.KeepData, Logf: cfg.Logf})
		if err != nil {
			return nil, err
		}
		cfg.Target, cfg.AdminKey = srv.URL, srv.AdminKey
	}
	rep, err := runAgainst(ctx, cfg, mix, srv)
	if srv != nil {
		code := srv.Stop()
		if rep != nil {
			rep.ServerExit = &code
			if code != 0 {
				rep.Failures = append(rep.Failures, fmt.Sprintf("spawned server exited %d after SIGTERM (want 0); log tail:\n%s", code, srv.LogTail(1500)))
			}
		}
	}
	return rep, err
}

// runAgainst runs one load test against the server at cfg.Target: setup,
// the timed load, the audit, and the report.
func runAgainst(ctx context.Context, cfg Config, mix []mixEntry, srv *Server) (*Report, error) {
	rs, err := newRunState(cfg, mix)
	if err != nil {
		return nil, err
	}
	rep := &Report{Target: cfg.Target, Scenario: cfg.Scenario, StartedAt: time.Now().UTC(),
		Concurrency: cfg.Concurrency, RatePerSec: cfg.Rate, Tenants: cfg.Tenants, ZipfS: cfg.ZipfS}
	if cfg.Scenario == "mixed" {
		rep.Mix = cfg.Mix
	}
	if mixHasCalls(mix) {
		rep.Calls = newCallReport(cfg.Calls)
	}
	if err := setupPhase(rs, rep); err != nil {
		return rep, err
	}
	mc := newConn(rs.hc, rs.host, rs.stats)
	loadPhase(ctx, rs, srv, rep, mc)
	if srv != nil && srv.Exited() {
		rep.Failures = append(rep.Failures, "the spawned server died during the run; log tail:\n"+srv.LogTail(3000))
		return rep, nil
	}
	if cfg.Audit && !cfg.NoSetup {
		auditPhase(rs, rep, mc)
	}
	finishReport(rs, rep)
	return rep, nil
}

// newRunState checks cfg's target and key and builds the run's shared state.
func newRunState(cfg Config, mix []mixEntry) (*runState, error) {
	if cfg.Target == "" {
		return nil, errors.New("no --target (or use --spawn)")
	}
	if cfg.AdminKey == "" && !cfg.NoSetup {
		return nil, errors.New("no admin key: give --key or SALIO_ADMIN_KEY")
	}
	hc, host, err := newHostClient(cfg.Target, cfg.Concurrency+16)
	if err != nil {
		return nil, err
	}
	runID := RandomKey()[:6]
	rs := &runState{cfg: cfg, runID: runID, stats: newStats(), mix: mix,
		ts:    newTenantSet(runID, cfg.Tenants, cfg.LowFundedPct),
		dests: destinations(rand.New(rand.NewPCG(cfg.Seed, 0)), 4096),
		calls: newCallDraw(cfg.Calls), texts: smsPool(), hc: hc, host: host, adminAuth: bearer(cfg.AdminKey)}
	rs.recharge = newRechargePlan(cfg, mix)
	rs.trafficAuth = rs.adminAuth
	return rs, nil
}

// setupPhase creates a switch key and the tenants, funded (unless
// --no-setup, which takes them as they are). It fails only when every
// tenant's setup failed.
func setupPhase(rs *runState, rep *Report) error {
	cfg := rs.cfg
	if cfg.NoSetup {
		for i := range rs.ts.acct {
			rs.ts.acct[i].setFlag(flagCreated)
		}
		return nil
	}
	switchKey := false
	if key, err := createSwitchKey(rs); err == nil {
		rs.trafficAuth, switchKey = bearer(key), true
	} else {
		cfg.Logf("no switch key (%v): traffic uses the admin key", err)
	}
	cfg.Logf("setup: %d tenants", cfg.Tenants)
	var prog func(int)
	if cfg.Progress {
		prog = func(d int) { fmt.Fprintf(os.Stderr, "\rsetup %d/%d tenants   ", d, cfg.Tenants) }
	}
	rep.Setup = setupTenants(rs, prog)
	rep.Setup.SwitchKey = switchKey
	if cfg.Progress {
		fmt.Fprintln(os.Stderr)
	}
	if rep.Setup.Failed > 0 {
		rep.Failures = append(rep.Failures, fmt.Sprintf("setup: %d of %d tenants failed", rep.Setup.Failed, cfg.Tenants))
	}
	if rep.Setup.Failed == int64(cfg.Tenants) {
		rep.ErrorsBy = rs.stats.errorCounts()
		return fmt.Errorf("setup failed for every tenant: %v", rep.ErrorsBy)
	}
	return nil
}

// loadPhase runs the timed load, stops the calls left open, and fills rep
// with the load's figures, the server's (from /metrics) and the machine's.
func loadPhase(ctx context.Context, rs *runState, srv *Server, rep *Report, mc *conn) {
	before, cpu0, ticks0 := scrapeMetrics(mc), SelfCPU(), readCPUTicks()
	if rs.cfg.OnLoad != nil {
		rs.cfg.OnLoad()
	}
	payCtx, stopPaying := context.WithCancel(ctx)
	paid := make(chan struct{})
	go func() { defer close(paid); newPayments(rs).run(payCtx) }()
	workers, elapsed := runLoad(ctx, rs, srv)
	stopPaying()
	<-paid
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() { defer wg.Done(); w.drainCalls() }()
	}
	wg.Wait()
	after, cpu1, ticks1 := scrapeMetrics(mc), SelfCPU(), readCPUTicks()

	fillLoad(rep, rs.stats, elapsed)
	rep.Generator = GenPhase{CPUSeconds: (cpu1 - cpu0).Seconds(), CPUCores: (cpu1 - cpu0).Seconds() / elapsed.Seconds()}
	rep.Machine = machinePhase(ticks0, ticks1)
	if before.OK && after.OK {
		rep.Server = serverPhase(before, after, elapsed.Seconds())
	}
}

// auditPhase audits every tenant through the API and reads the CDR backlog
// left after the load.
func auditPhase(rs *runState, rep *Report, mc *conn) {
	rs.cfg.Logf("audit")
	rep.Audit = runAudit(rs)
	if m := scrapeMetrics(mc); m.OK && rep.Server.MetricsOK {
		rep.Server.BacklogAfter = m.Backlog
	}
	if !rep.Audit.OK() {
		rep.Failures = append(rep.Failures, fmt.Sprintf("audit: %d of %d tenants break the money invariant", rep.Audit.Failed, rep.Audit.Tenants))
	}
}

// finishReport adds the setup and audit request types and the run's
// failures by error rate and by a run with no request done.
func finishReport(rs *runState, rep *Report) {
	st, cfg := rs.stats, rs.cfg
	addType(rep, st, rtSetupTenant, rep.Setup.Seconds)
	addType(rep, st, rtSetupTopUp, rep.Setup.Seconds)
	addType(rep, st, rtSetupRecharge, rep.Setup.Seconds)
	addType(rep, st, rtAuditWallet, rep.Audit.Seconds)
	addType(rep, st, rtAuditTx, rep.Audit.Seconds)
	if rep.ErrorRate > cfg.MaxErrorRate {
		rep.Failures = append(rep.Failures, fmt.Sprintf("error rate %.3f%% > --max-error-rate %.3f%%", 100*rep.ErrorRate, 100*cfg.MaxErrorRate))
	}
	if rep.Requests == 0 {
		rep.Failures = append(rep.Failures, "no request completed")
	}
}

// runLoad runs the workers for the duration (or until ctx ends) and returns
// them with their open calls, and the elapsed time of the timed phase.
func runLoad(ctx context.Context, rs *runState, srv *Server) ([]*worker, time.Duration) {
	workers := make([]*worker, rs.cfg.Concurrency)
	for i := range workers {
		workers[i] = newWorker(rs, i)
	}
	var stop atomic.Bool
	sch := newSchedule(time.Now(), rs.cfg)
	var wg sync.WaitGroup
	for _, w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for !stop.Load() {
				start, ok := sch.next()
				if !ok {
					return
				}
				w.step(start)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	watchLoad(ctx, rs, srv, sch.t0, done, &stop)
	return workers, time.Since(sch.t0)
}

// schedule gives each request its start time: now in a closed loop; in an
// open loop (--rate) the next slot of a fixed schedule.
type schedule struct {
	t0, end    time.Time
	intervalNs float64 // 0: closed loop
	slot       atomic.Int64
}

func newSchedule(t0 time.Time, cfg Config) *schedule {
	sch := &schedule{t0: t0, end: t0.Add(cfg.Duration)}
	if cfg.Rate > 0 {
		sch.intervalNs = 1e9 / cfg.Rate
	}
	return sch
}

// next returns the next request's start, or false once the phase is over.
// In an open loop each request has its own send time, and its latency counts
// from then, so a stalled server is not forgiven the requests it delayed
// (coordinated omission).
func (sch *schedule) next() (time.Time, bool) {
	if sch.intervalNs <= 0 {
		start := time.Now()
		return start, start.Before(sch.end)
	}
	k := sch.slot.Add(1) - 1
	start := sch.t0.Add(time.Duration(float64(k) * sch.intervalNs))
	if !start.Before(sch.end) {
		return start, false
	}
	if d := time.Until(start); d > 0 {
		// Early, so idle: whatever this wakes up late by is the timer's
		// (Go's sleep overshoots by 0.5-2 ms on these VMs), not the
		// server's, and counting it would put a floor under every latency.
		// A worker behind its schedule was kept busy by the server and
		// counts from the schedule.
		time.Sleep(d)
		start = time.Now()
	}
	return start, true
}

// watchLoad waits for the workers (done), stopping them when ctx ends or the
// spawned server dies, and prints the progress line once a second.
func watchLoad(ctx context.Context, rs *runState, srv *Server, t0 time.Time, done <-chan struct{}, stop *atomic.Bool) {
	tick := time.NewTicker(time.Second)
	defer tick.Stop()
	var lastN uint64
	lastT := t0
	for {
		select {
		case <-done:
			if rs.cfg.Progress {
				fmt.Fprintln(os.Stderr)
			}
			return
		case <-ctx.Done():
			stop.Store(true)
			<-done
			return
		case now := <-tick.C:
			if srv != nil && srv.Exited() {
				stop.Store(true)
			}
			if rs.cfg.Progress {
				n := rs.stats.all.Count()
				fmt.Fprintf(os.Stderr, "\r%s", progressLine(rs.stats, now.Sub(t0), float64(n-lastN)/now.Sub(lastT).Seconds()))
				lastN, lastT = n, now
			}
		}
	}
}

// progressLine is elapsed, current req/s, p99 so far and errors by code.
func progressLine(st *Stats, elapsed time.Duration, rps float64) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%5.0fs %8.0f req/s  p99 %6.2f ms", elapsed.Seconds(), rps, ms(st.all.Quantile(0.99)))
	counts := map[string]uint64{}
	for _, e := range st.errorCounts() {
		counts[fmt.Sprintf("%d %s", e.Status, e.Code)] += e.Count
	}
	keys := make([]string, 0, len(counts))
	for k := range counts {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for i, k := range keys {
		if i == 4 {
			b.WriteString(" …")
			break
		}
		fmt.Fprintf(&b, "  [%s]=%d", k, counts[k])
	}
	b.WriteString("   ")
	return b.String()
}

// addType appends t's row, its rate over the seconds of its own phase.
func addType(rep *Report, st *Stats, t reqType, secs float64) {
	h := &st.hist[t]
	if h.Count() == 0 && st.errs[t].Load() == 0 && st.refused[t].Load() == 0 {
		return
	}
	rep.Types = append(rep.Types, typeStats(reqTypeNames[t], h, st.errs[t].Load(), st.refused[t].Load(), max(secs, 1e-9)))
}

// fillLoad puts the load phase's figures into rep.
func fillLoad(rep *Report, st *Stats, elapsed time.Duration) {
	secs := elapsed.Seconds()
	rep.Seconds = secs
	for t := reqType(0); t < numReqTypes; t++ {
		if t.isLoad() {
			addType(rep, st, t, secs)
		}
	}
	reqs, errs, refused := st.loadTotals()
	batches := st.hist[rtBatch].Count()
	items := st.items.Load()
	rep.Requests, rep.Errors, rep.Refusals = reqs, errs, refused
	rep.RPS = float64(reqs) / secs
	// A batch item is an operation of its own: the error rate is over
	// requests with every batch counted as its items.
	if ops := reqs - batches + items; ops > 0 {
		rep.ErrorRate = float64(errs) / float64(ops)
	}
	rep.ErrorsBy = st.errorCounts()
	rep.Retries = st.retries.Load()
	rep.Derived = Derived{CyclesPerSec: float64(st.cycles.Load()) / secs, SegmentsPerSec: float64(st.segments.Load()) / secs,
		BatchItemsPerSec: float64(items) / secs, BatchItemErrors: st.itemErrs.Load(), SegmentMismatch: st.segWrong.Load(),
		RechargesPaid: st.recharges.Load()}
}

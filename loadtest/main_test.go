package main

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/salio/salio/loadtest/loadgen"
)

// TestSpawnShort runs the real server for about three seconds of mixed
// traffic and requires a clean audit. It skips while ./cmd/salio does not
// build, so it starts to bite as soon as the server exists.
func TestSpawnShort(t *testing.T) {
	bin := buildSalio(t)
	cfg := loadgen.Defaults()
	cfg.Spawn, cfg.SalioBin = true, bin
	cfg.Duration, cfg.Concurrency, cfg.Tenants = 3*time.Second, 16, 300
	cfg.BatchSize = 20
	rep := runPassing(t, cfg)
	if rep.Audit.Tenants == 0 || rep.Requests == 0 {
		t.Fatalf("nothing audited: %+v", rep.Audit)
	}
	if c := rep.Calls; c == nil || c.MeanSeconds != 52.5 || c.InboundPct != 30 {
		t.Fatalf("the report's call shape: %+v", c)
	}
	if rep.Server.WALBytesPerSec <= 0 {
		t.Fatalf("the report read no store writes from /metrics: %+v", rep.Server)
	}
	if sv := rep.Server; sv.CommitsPerSec <= 0 || sv.EffectsPerCommit < 1 || sv.CommitMeanMs <= 0 {
		t.Fatalf("the report read no group commits from /metrics: %+v", sv)
	}
	if m := rep.Machine; runtime.GOOS == "linux" && (!m.OK || m.BusyPct <= 0 || m.BusyPct > 100) {
		t.Fatalf("the machine's CPU over the load phase: %+v", m)
	}
}

// TestSpawnAutoRecharge funds the tenants so thinly that their auto-recharge
// fires within seconds: the load test must pay the pending recharges as a
// payment integration would, and the audit must count them to the cent.
func TestSpawnAutoRecharge(t *testing.T) {
	bin := buildSalio(t)
	cfg := loadgen.Defaults()
	cfg.Spawn, cfg.SalioBin = true, bin
	cfg.Duration, cfg.Concurrency, cfg.Tenants = 3*time.Second, 8, 20
	cfg.InitialBalance = 2_000_000 // 2.00: recharge 1.00 below 0.50
	cfg.AutoRechargePct, cfg.LowFundedPct = 50, 0
	rep := runPassing(t, cfg)
	if rep.Setup.AutoRecharge != 10 || rep.Setup.AutoRechargeAmount != "1.000000" {
		t.Fatalf("setup: %+v", rep.Setup)
	}
	if rep.Derived.RechargesPaid == 0 {
		t.Fatalf("no recharge paid; errors %+v", rep.ErrorsBy)
	}
}

// TestSpawnWithEmbeddedKafka runs the server against the in-process kfake
// broker (--kafka embedded): the relay must be on (its backlog is in
// /metrics) and draining, so the backlog after the audit is no larger than
// when the load stopped. (That every CDR arrives is the crash test's
// TestCrashWithKafka, which reads the topic back.)
func TestSpawnWithEmbeddedKafka(t *testing.T) {
	bin := buildSalio(t)
	cfg := loadgen.Defaults()
	cfg.Spawn, cfg.SalioBin, cfg.Kafka = true, bin, "embedded"
	cfg.Duration, cfg.Concurrency, cfg.Tenants = 2*time.Second, 8, 100
	rep := runPassing(t, cfg)
	atEnd, after := rep.Server.Backlog, rep.Server.BacklogAfter
	if len(after) == 0 {
		t.Fatalf("no Kafka backlog in /metrics: is the relay on? %+v", rep.Server)
	}
	for log, n := range after {
		if n > atEnd[log] {
			t.Errorf("backlog of %s grew after the load: %v at its end, %v after the audit", log, atEnd[log], n)
		}
	}
}

// runPassing runs cfg and requires the run to pass (a clean audit, errors
// within bounds).
func runPassing(t *testing.T, cfg loadgen.Config) *loadgen.Report {
	t.Helper()
	cfg.Logf = t.Logf
	rep, err := loadgen.Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		rep.WriteTable(os.Stdout)
	}
	if !rep.OK() {
		t.Fatalf("failures: %v\naudit problems: %v\nerrors: %+v", rep.Failures, rep.Audit.Problems, rep.ErrorsBy)
	}
	return rep
}

// TestCapacitySearchShort runs three one-second steps of the capacity
// search against one real server, with a bound every step meets: the rate
// doubles each step and the last is the answer.
func TestCapacitySearchShort(t *testing.T) {
	bin := buildSalio(t)
	cfg := loadgen.Defaults()
	cfg.Spawn, cfg.SalioBin, cfg.Scenario = true, bin, "sms"
	cfg.Duration, cfg.Concurrency, cfg.Tenants = time.Second, 16, 100
	cfg.Logf = t.Logf
	sr, err := loadgen.FindRate(context.Background(), cfg, loadgen.SearchOptions{P99BoundMs: 2000, StartRate: 100, MaxSteps: 3})
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		sr.WriteTable(os.Stdout)
	}
	if !sr.OK() || len(sr.Steps) != 3 || sr.BestRPS != 400 || sr.BestUnits <= 0 {
		t.Fatalf("%+v", sr)
	}
	for i, st := range sr.Steps {
		if want := 100 * float64(int(1)<<i); st.OfferedRPS != want || !st.Meets || st.WorstType != "sms" {
			t.Errorf("step %d: %+v, want %v requests/s met", i, st, want)
		}
	}
}

// buildSalio builds the server for a test that spawns it; it skips in
// -short mode and while ./cmd/salio does not build.
func buildSalio(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns and loads the real server")
	}
	module, err := loadgen.FindModule()
	if err != nil {
		t.Skip(err)
	}
	bin, err := loadgen.BuildSalio(module, t.TempDir())
	if err != nil {
		t.Skipf("the server does not build yet: %v", err)
	}
	return bin
}

func TestFlagsRejectBadInput(t *testing.T) {
	for _, args := range [][]string{{"--initial-balance", "abc"}, {"--no-such-flag"}, {"--topup-amount", "-1"},
		{"--key", "k", "--call-tail", "1"}, {"--key", "k", "--call-mean", "60s", "--call-max", "5s"},
		{"--key", "k", "--inbound-pct", "120"}} {
		if code := run(args); code != 2 {
			t.Errorf("run(%q) = %d, want 2", args, code)
		}
	}
}

func TestAdminKeySources(t *testing.T) {
	if k, err := adminKey("abc", ""); k != "abc" || err != nil {
		t.Errorf("--key: %q %v", k, err)
	}
	f := t.TempDir() + "/admin.key"
	if err := os.WriteFile(f, []byte("secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if k, err := adminKey("", f); k != "secret" || err != nil {
		t.Errorf("--key-file: %q %v", k, err)
	}
	if _, err := adminKey("", f+".missing"); err == nil {
		t.Error("a missing --key-file must be an error")
	}
}

package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/pprof"
	"strings"
	"syscall"
	"time"

	"github.com/salio/salio/loadtest/loadgen"
)

func main() {
	os.Exit(run(os.Args[1:]))
}

// run parses flags, runs the test and returns the exit status.
func run(args []string) int {
	cfg := loadgen.Defaults()
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	f := defineFlags(fs, &cfg)
	if err := fs.Parse(args); err != nil {
		return 2
	}
	if err := f.amounts(&cfg); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		return 2
	}
	if key, err := adminKey(cfg.AdminKey, *f.keyFile); err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		return 2
	} else if !cfg.Spawn {
		cfg.AdminKey = key
	}
	cfg.Progress = !*f.quiet && loadgen.IsTerminal(os.Stderr)
	cfg.Logf = func(format string, args ...any) { fmt.Fprintf(os.Stderr, "loadtest: "+format+"\n", args...) }

	if *f.cpuProfile != "" {
		pf, err := os.Create(*f.cpuProfile)
		if err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
			return 2
		}
		defer pf.Close()
		if err := pprof.StartCPUProfile(pf); err != nil {
			fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
			return 2
		}
		defer pprof.StopCPUProfile()
	}
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	if *f.sloP99 > 0 {
		return search(ctx, cfg, *f.sloP99, *f.out)
	}
	rep, err := loadgen.Run(ctx, cfg)
	var o outcome
	if rep != nil {
		o = rep
	}
	return finish(o, err, *f.out)
}

// cliFlags are the flags that are not fields of loadgen.Config.
type cliFlags struct {
	keyFile, initial, low, topUp, out, cpuProfile *string
	quiet                                         *bool
	sloP99                                        *time.Duration
}

// defineFlags defines every flag on fs, the Config's into cfg (whose values
// are the defaults).
func defineFlags(fs *flag.FlagSet, cfg *loadgen.Config) *cliFlags {
	d := *cfg
	f := &cliFlags{}
	fs.StringVar(&cfg.Target, "target", "http://127.0.0.1:8080", "server base URL (ignored with --spawn)")
	fs.StringVar(&cfg.AdminKey, "key", os.Getenv("SALIO_ADMIN_KEY"), "admin key (default $SALIO_ADMIN_KEY)")
	f.keyFile = fs.String("key-file", "", "read the admin key from this file (default without --key: ./salio-data/admin.key if present)")
	fs.BoolVar(&cfg.Spawn, "spawn", false, "build and start salio serve on a temp data dir and a free port, stop it at the end")
	fs.StringVar(&cfg.Kafka, "kafka", "", `with --spawn: "embedded" (in-process kfake broker) or a broker list; empty = off`)
	fs.StringVar(&cfg.Durability, "durability", "", "with --spawn: passed as --durability (sync|batch)")
	fs.StringVar(&cfg.SalioBin, "salio-bin", "", "with --spawn: a prebuilt salio binary instead of go build ./cmd/salio")
	fs.BoolVar(&cfg.KeepData, "keep-data", false, "with --spawn: keep the temp data dir and server log")
	fs.DurationVar(&cfg.Duration, "duration", d.Duration, "length of the timed load phase")
	fs.IntVar(&cfg.Concurrency, "concurrency", d.Concurrency, "keep-alive connections, one worker each")
	fs.Float64Var(&cfg.Rate, "rate", 0, "open loop: requests per second on a fixed schedule (0 = closed loop)")
	fs.StringVar(&cfg.Scenario, "scenario", d.Scenario, "mixed | sms | call-start | call-cycle | batch")
	fs.StringVar(&cfg.Mix, "mix", d.Mix, "mixed: weights of call, sms, batch, whatsapp, ai, topup (also call-start, call-cycle)")
	fs.IntVar(&cfg.Tenants, "tenants", d.Tenants, "tenants to create (up to 1,000,000)")
	fs.Float64Var(&cfg.ZipfS, "zipf-s", d.ZipfS, "Zipf exponent of tenant popularity (> 1; larger = hotter top wallets)")
	fs.IntVar(&cfg.BatchSize, "batch-size", d.BatchSize, "events per batch request")
	fs.IntVar(&cfg.Interim, "interim", d.Interim, "seconds of simulated call time between interim updates")
	fs.IntVar(&cfg.CallsPerWkr, "calls-per-worker", d.CallsPerWkr, "calls each worker keeps open at once")
	fs.DurationVar(&cfg.Calls.Mean, "call-mean", d.Calls.Mean, "mean length of an answered call (Pareto, before --call-max)")
	fs.Float64Var(&cfg.Calls.Tail, "call-tail", d.Calls.Tail, "Pareto shape of call lengths (> 1; nearer 1 = more very long calls)")
	fs.DurationVar(&cfg.Calls.Max, "call-max", d.Calls.Max, "longest call")
	fs.Float64Var(&cfg.Calls.UnansweredPct, "unanswered-pct", d.Calls.UnansweredPct, "percent of calls never answered (stopped with 0 s)")
	fs.Float64Var(&cfg.Calls.InboundPct, "inbound-pct", d.Calls.InboundPct, "percent of calls that are inbound (they run on in grace at zero balance)")
	fs.Float64Var(&cfg.LowFundedPct, "low-funded-pct", d.LowFundedPct, "percent of tenants nearly empty (they meet 402, grace, 429)")
	fs.Float64Var(&cfg.AutoRechargePct, "auto-recharge-pct", d.AutoRechargePct, "with top-ups in the mix: percent of funded tenants with auto-recharge, which the generator pays as a payment integration would")
	f.initial = fs.String("initial-balance", "", "opening top-up of funded tenants (default 100.00 in mixed, 100000.00 in the single-kind scenarios, which top up nothing)")
	f.low = fs.String("low-balance", "0.05", "opening top-up of low-funded tenants")
	f.topUp = fs.String("topup-amount", "20.00", "least amount of a traffic top-up (more for hot wallets)")
	fs.BoolVar(&cfg.Audit, "audit", true, "audit every touched wallet at the end")
	fs.IntVar(&cfg.AuditMaxTenants, "audit-max-tenants", 0, "audit at most this many (the hottest) touched tenants; 0 = all")
	fs.Float64Var(&cfg.MaxErrorRate, "max-error-rate", d.MaxErrorRate, "fail above this fraction of errors (402/429 excluded)")
	fs.Uint64Var(&cfg.Seed, "seed", 0, "random seed (0 = random)")
	f.out = fs.String("out", "", "write the report as JSON to this file")
	f.quiet = fs.Bool("quiet", false, "no progress line even on a terminal")
	fs.BoolVar(&cfg.NoSetup, "no-setup", false, "skip key and tenant setup and the audit (for a no-op server)")
	f.cpuProfile = fs.String("cpuprofile", "", "write the generator's CPU profile to this file")
	f.sloP99 = fs.Duration("slo-p99", 0, "capacity search: the highest open-loop rate whose worst p99 stays within this bound (each step runs --duration, from --rate or 1000/s, doubling then bisecting)")
	return f
}

// amounts parses the decimal amount flags into cfg.
func (f *cliFlags) amounts(cfg *loadgen.Config) error {
	for _, a := range []struct {
		s   string
		dst *int64
	}{{*f.initial, &cfg.InitialBalance}, {*f.low, &cfg.LowBalance}, {*f.topUp, &cfg.TopUpAmount}} {
		if a.s == "" {
			continue
		}
		v, err := loadgen.ParseAmount(a.s)
		if err != nil || v <= 0 {
			return fmt.Errorf("bad amount %q", a.s)
		}
		*a.dst = v
	}
	return nil
}

// search runs a capacity search (--slo-p99).
func search(ctx context.Context, cfg loadgen.Config, bound time.Duration, out string) int {
	sr, err := loadgen.FindRate(ctx, cfg, loadgen.SearchOptions{P99BoundMs: float64(bound) / float64(time.Millisecond), StartRate: cfg.Rate})
	var o outcome
	if sr != nil {
		o = sr
	}
	return finish(o, err, out)
}

// outcome is what a run or a search leaves: a table, its JSON, a verdict.
type outcome interface {
	WriteTable(w io.Writer)
	WriteJSON(path string) error
	OK() bool
}

// finish prints o (nil when nothing took place), writes its JSON to out
// when set, and returns the exit status: 0 passed, 1 failed its checks
// (audit, errors), 2 could not take place.
func finish(o outcome, err error, out string) int {
	if o != nil {
		o.WriteTable(os.Stdout)
		if out != "" {
			if werr := o.WriteJSON(out); werr != nil {
				fmt.Fprintf(os.Stderr, "loadtest: %v\n", werr)
			}
		}
	}
	if err != nil {
		fmt.Fprintf(os.Stderr, "loadtest: %v\n", err)
		return 2
	}
	if o == nil || !o.OK() {
		return 1
	}
	return 0
}

// defaultKeyFile is where `salio serve` with no flags writes its admin key.
const defaultKeyFile = "salio-data/admin.key"

// adminKey is --key, else the key file's contents, else the default key
// file's when it exists.
func adminKey(key, file string) (string, error) {
	if key != "" && file == "" {
		return key, nil
	}
	if file == "" {
		if _, err := os.Stat(defaultKeyFile); err != nil {
			return "", nil
		}
		file = defaultKeyFile
	}
	b, err := os.ReadFile(file)
	if err != nil {
		return "", fmt.Errorf("--key-file: %w", err)
	}
	return strings.TrimSpace(string(b)), nil
}

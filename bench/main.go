package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/salio/salio/loadtest/loadgen"
)

// options are the command's flags.
type options struct {
	duration      time.Duration
	concurrency   int
	tenants       int
	batchSize     int
	layers        map[string]bool
	scenarios     []string
	engineWallets []int
	salioBin      string
	durability    string
	mdPath        string
	jsonPath      string
	profile       bool   // profile the server during each scenario
	profileDir    string // where the profiles go ("" = a temp dir, removed)
	progress      bool
}

func main() {
	testing.Init() // testing.Benchmark reads -test.benchtime
	serveAddr := flag.String("serve-noop", "", "internal: run the no-op server on this address")
	var o options
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of each measurement")
	flag.IntVar(&o.concurrency, "concurrency", 64, "connections (HTTP layers) and committers (disk layers)")
	flag.IntVar(&o.tenants, "tenants", 1000, "tenants of the HTTP layers")
	flag.IntVar(&o.batchSize, "batch-size", 100, "events per batch")
	layers := flag.String("layers", "noop,server,fsync,pebble,store,engine", "layers to run")
	scenarios := flag.String("scenarios", "sms,call-start,call-cycle,batch", "load scenarios of the HTTP layers")
	wallets := flag.String("engine-wallets", "1000,1000000", "wallet counts of the in-process engine layer")
	flag.StringVar(&o.salioBin, "salio-bin", "", "prebuilt salio binary (default: go build ./cmd/salio)")
	flag.StringVar(&o.durability, "durability", "", "server --durability (sync|batch); empty = its default")
	flag.StringVar(&o.mdPath, "md", "", "also write the markdown to this file")
	flag.StringVar(&o.jsonPath, "json", "", "write all results as JSON to this file")
	flag.BoolVar(&o.profile, "profile", true, "take a CPU profile of the server during each scenario's load and report where its CPU went")
	flag.StringVar(&o.profileDir, "profile-dir", "", "keep the server's CPU profiles here (default: a temp dir, removed)")
	flag.Parse()
	if *serveAddr != "" {
		if err := serveNoop(*serveAddr, o.batchSize); err != nil {
			fmt.Fprintln(os.Stderr, "noop:", err)
			os.Exit(1)
		}
		return
	}
	o.layers = map[string]bool{}
	for _, l := range strings.Split(*layers, ",") {
		o.layers[strings.TrimSpace(l)] = true
	}
	o.scenarios = splitList(*scenarios)
	for _, w := range splitList(*wallets) {
		n, err := strconv.Atoi(w)
		if err != nil || n <= 0 {
			fmt.Fprintf(os.Stderr, "bench: bad --engine-wallets %q\n", w)
			os.Exit(2)
		}
		o.engineWallets = append(o.engineWallets, n)
	}
	o.progress = loadgen.IsTerminal(os.Stderr)
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()

	res := runAll(ctx, o)
	md := res.markdown()
	fmt.Print(md)
	if o.mdPath != "" {
		if err := os.WriteFile(o.mdPath, []byte(md), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
	if o.jsonPath != "" {
		b, _ := json.MarshalIndent(res, "", "  ")
		if err := os.WriteFile(o.jsonPath, append(b, '\n'), 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
		}
	}
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func logf(format string, args ...any) { fmt.Fprintf(os.Stderr, "bench: "+format+"\n", args...) }

// runAll runs the chosen layers: the HTTP ones first, while this process is
// still small, and the in-process engine last (its fixture holds a million
// wallets).
func runAll(ctx context.Context, o options) *results {
	res := newResults(o)
	runHTTPLayers(ctx, o, res)
	for _, layer := range []string{"fsync", "pebble", "store"} {
		if !o.layers[layer] {
			continue
		}
		dir, err := os.MkdirTemp("", "salio-bench-"+layer+"-")
		if err != nil {
			res.note("%s: %v", layer, err)
			continue
		}
		run := map[string]func(string, int, time.Duration) (commitResult, error){
			"fsync": runFsync, "pebble": runPebbleSync, "store": runStoreSafe}[layer]
		if layer == "fsync" {
			logf("fsync: one writer for %v", o.duration)
		} else {
			logf("%s: %d committers for %v", layer, o.concurrency, o.duration)
		}
		r, err := run(dir, o.concurrency, o.duration)
		_ = os.RemoveAll(dir)
		if err != nil {
			res.note("%s: %v", layer, err)
		}
		if r.Commits > 0 {
			res.Disk[layer] = &r
		}
	}
	if o.layers["engine"] {
		runEngineLayer(o, res)
	}
	return res
}

// runStoreSafe turns a panic of an unfinished store into an error.
func runStoreSafe(dir string, conc int, d time.Duration) (r commitResult, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("store panicked: %v", p)
		}
	}()
	return runStore(dir, conc, d)
}

func loadConfig(o options, scenario string) loadgen.Config {
	cfg := loadgen.Defaults()
	cfg.Duration, cfg.Concurrency, cfg.Tenants = o.duration, o.concurrency, o.tenants
	cfg.Scenario, cfg.BatchSize, cfg.Progress = scenario, o.batchSize, o.progress
	cfg.Logf = logf
	if scenario != "mixed" {
		cfg.LowFundedPct = 0 // the benchmark measures charging, not refusals
	}
	return cfg
}

// runHTTPLayers measures the no-op handler and the server scenario by
// scenario, one right after the other (no-op sms, server sms, no-op
// call-start, ...). Server/no-op is a goal, and on a shared VM whose speed
// drifts over minutes (bench/notes.md, eighth round) two measurements
// seconds apart compare where two a minute apart may not.
func runHTTPLayers(ctx context.Context, o options, res *results) {
	var noop *noopChild
	if o.layers["noop"] {
		c, err := startNoop(o.batchSize)
		if err != nil {
			res.note("noop: %v", err)
		} else {
			noop = c
			defer c.stop()
		}
	}
	var srv *serverLayer
	if o.layers["server"] {
		srv = startServerLayer(o, res)
		if srv != nil {
			defer srv.stop()
		}
	}
	for _, sc := range o.scenarios {
		if noop != nil {
			if srv != nil {
				srv.settle(ctx)
			}
			runNoopScenario(ctx, o, res, noop, sc)
		}
		if srv != nil && !srv.run(ctx, sc) {
			srv = nil
		}
	}
}

func runNoopScenario(ctx context.Context, o options, res *results, c *noopChild, sc string) {
	logf("noop: %s for %v", sc, o.duration)
	cfg := loadConfig(o, sc)
	cfg.Target, cfg.NoSetup, cfg.Audit = c.URL, true, false
	rep, err := loadgen.Run(ctx, cfg)
	if err != nil {
		res.note("noop %s: %v", sc, err)
		return
	}
	res.Noop[sc] = summarize(sc, rep)
}

// serverLayer is `salio serve`, spawned once for every scenario, and where
// its CPU profiles go.
type serverLayer struct {
	o       options
	res     *results
	srv     *loadgen.Server
	profDir string // "" = no profiles
	cleanup func()
}

func startServerLayer(o options, res *results) *serverLayer {
	srv, err := loadgen.Spawn(loadgen.SpawnOptions{Bin: o.salioBin, Durability: o.durability, Pprof: o.profile, Logf: logf})
	if err != nil {
		res.note("server: not measured: %v", firstLine(err.Error()))
		return nil
	}
	l := &serverLayer{o: o, res: res, srv: srv, cleanup: func() {}}
	if srv.PprofAddr != "" {
		dir, cleanup, err := profileDir(o)
		if err != nil {
			res.note("server: no profiles: %v", err)
		} else {
			l.profDir, l.cleanup = dir, cleanup
		}
	}
	return l
}

func (l *serverLayer) stop() {
	if code := l.srv.Stop(); code != 0 {
		l.res.note("server: exit code %d after SIGTERM", code)
	}
	l.cleanup()
}

// run measures one scenario; false when the server died.
func (l *serverLayer) run(ctx context.Context, sc string) bool {
	logf("server: %s for %v", sc, l.o.duration)
	cfg := loadConfig(l.o, sc)
	cfg.Target, cfg.AdminKey = l.srv.URL, l.srv.AdminKey
	var profile func() (*cpuProfile, error)
	if l.profDir != "" {
		cfg.OnLoad, profile = profileDuring(ctx, l.srv.PprofAddr, l.o.duration, l.profDir, sc)
	}
	rep, err := loadgen.Run(ctx, cfg)
	if profile != nil {
		if p, perr := profile(); perr != nil {
			l.res.note("server %s: profile: %v", sc, perr)
		} else {
			l.res.Profiles[sc] = p
		}
	}
	if err != nil {
		l.res.note("server %s: %v", sc, err)
	} else {
		l.res.Server[sc] = summarize(sc, rep)
		if !rep.OK() {
			l.res.note("server %s: %s", sc, firstLine(strings.Join(rep.Failures, "; ")))
		}
	}
	if l.srv.Exited() {
		l.res.note("server died during %s:\n%s", sc, l.srv.LogTail(1500))
		return false
	}
	return true
}

// settleLimit bounds the wait for the server's compactions before a no-op
// measurement: a store that keeps compacting longer is reported, not waited
// for.
const settleLimit = 20 * time.Second

// settle waits for the server's compactions to end before the no-op handler
// is measured on the same cores.
func (l *serverLayer) settle(ctx context.Context) {
	start := time.Now()
	if !l.srv.Settle(ctx, settleLimit) {
		l.res.note("server: still compacting %v after its last scenario; the no-op measurement shared the cores with it", settleLimit)
		return
	}
	if d := time.Since(start); d > time.Second {
		logf("server: compactions done %.1f s after its scenario", d.Seconds())
	}
}

// profileDir returns where the server's profiles go and how to clean up.
func profileDir(o options) (string, func(), error) {
	if o.profileDir != "" {
		return o.profileDir, func() {}, os.MkdirAll(o.profileDir, 0o755)
	}
	dir, err := os.MkdirTemp("", "salio-bench-prof-")
	if err != nil {
		return "", func() {}, err
	}
	return dir, func() { _ = os.RemoveAll(dir) }, nil
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// runEngineLayer measures each operation on a fixture of its own, built for
// it and dropped after it: an operation leaves records behind (event memo,
// closed sessions, top-up references; 10 s of them are gigabytes), and the
// next measurement should not pay for the previous one's garbage collector
// work and memory. The first fixture of each size also gives the bytes per
// idle wallet.
func runEngineLayer(o options, res *results) {
	if err := flag.Set("test.benchtime", o.duration.String()); err != nil {
		res.note("engine: %v", err)
	}
	for _, n := range o.engineWallets {
		for i, w := range []struct {
			name string
			fn   func(*testing.B, *engineFixture)
		}{{"event", benchEventDebits}, {"cycle", benchSessionCycles}, {"topup", benchTopUps}} {
			logf("engine: creating %d wallets", n)
			start := time.Now()
			f, err := newEngineFixture(n)
			if err != nil {
				res.note("engine: not measured: %v", err)
				return
			}
			if i == 0 {
				res.WalletBytes[n] = walletBytes{Idle: f.bytesPerWallet, WithTopUp: f.bytesPerWalletWithTopUp,
					SetupSeconds: time.Since(start).Seconds()}
			}
			logf("engine: %s, %d wallets, for %v", w.name, n, o.duration)
			measureEngine(res, f, w.name, n, w.fn)
			f.e.Close()
			f = nil
			runtime.GC() // the memory stays mapped: the next fixture reuses it without page faults
		}
	}
}

func measureEngine(res *results, f *engineFixture, name string, n int, fn func(*testing.B, *engineFixture)) {
	failures.Store(0)
	r := testing.Benchmark(func(b *testing.B) { fn(b, f) })
	if r.N == 0 {
		res.note("engine %s: no result", name)
		return
	}
	if k := failures.Load(); k > 0 {
		res.note("engine %s (%d wallets): %d operations failed", name, n, k)
	}
	res.Engine = append(res.Engine, engineResult{Op: name, Wallets: n, N: r.N,
		NsPerOp: float64(r.T.Nanoseconds()) / float64(r.N), PerSec: float64(r.N) / r.T.Seconds(),
		AllocsPerOp: r.AllocsPerOp(), BytesPerOp: r.AllocedBytesPerOp()})
}

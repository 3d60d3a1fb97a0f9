package store

import (
	"fmt"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/salio/salio/charging"
)

// BenchmarkDurableEffects compares, at the same concurrency, durable effects
// per second through Store.Submit + Commit.Wait (one committer, one fsync per
// group) with a raw Pebble loop in which every caller commits the same
// records in its own batch with pebble.Sync (Pebble's own group commit).
//
//	go test ./store -run XXX -bench DurableEffects -benchtime 2s
func BenchmarkDurableEffects(b *testing.B) {
	for _, callers := range []int{1, 16, 64, 256} {
		b.Run(fmt.Sprintf("callers=%d/store", callers), func(b *testing.B) {
			benchStore(b, callers)
		})
		b.Run(fmt.Sprintf("callers=%d/pebble", callers), func(b *testing.B) {
			benchRawPebble(b, callers)
		})
	}
}

// benchOptions are the production defaults. SALIO_BENCH_SYNC_DELAY (a
// duration) swaps the disk for an in-memory FS whose WAL syncs sleep that
// long: the CPU cost of each design with an idle disk's fsync latency, free
// of other processes' I/O on a shared machine.
func benchOptions() Options {
	o := Options{Logf: func(string, ...any) {}}
	if d, err := time.ParseDuration(os.Getenv("SALIO_BENCH_SYNC_DELAY")); err == nil {
		o.FS = errorfs.Wrap(vfs.NewMem(), slowWAL(d))
	}
	_ = o.setDefaults()
	return o
}

func benchStore(b *testing.B, callers int) {
	s, err := Open(b.TempDir(), benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	runCallers(b, callers, func(g int) func(seq uint64) error {
		e := chargeEffect("", 1, 202610)
		return func(seq uint64) error {
			setTenant(e, g, seq)
			return s.Submit(e).Wait()
		}
	})
	st := s.Stats()
	b.ReportMetric(float64(st.Effects)/float64(max(st.Commits, 1)), "effects/group")
	b.ReportMetric(float64(st.Bytes)/float64(max(st.Effects, 1)), "B/effect")
}

func benchRawPebble(b *testing.B, callers int) {
	o := benchOptions()
	cache := pebble.NewCache(o.CacheBytes)
	db, err := pebble.Open(b.TempDir(), o.pebbleOptions(cache))
	cache.Unref()
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	runCallers(b, callers, func(g int) func(seq uint64) error {
		e := chargeEffect("", 1, 202610)
		// A private encoder with its own log-seq range: the same records and
		// bytes as the store writes, without the store.
		enc := &Store{nextCDR: uint64(g) << 40, nextEvent: uint64(g) << 40}
		return func(seq uint64) error {
			setTenant(e, g, seq)
			var grp group
			enc.appendEffect(&grp, e)
			if grp.encodeRedo() {
				grp.redoSeq = seq
			}
			batch := grp.build(db, false)
			grp.addLogsAndRedo(batch, 0, nil)
			err := batch.Commit(pebble.Sync)
			_ = batch.Close()
			return err
		}
	})
}

// benchTenants are the wallets effects go to: many, so that keys spread
// over the memtable as they do with a million wallets.
var benchTenants = func() []string {
	t := make([]string, 1<<17)
	for i := range t {
		t[i] = fmt.Sprintf("tenant-%07d", i)
	}
	return t
}()

// setTenant points the reused effect e of caller g at the next wallet.
func setTenant(e *charging.Effect, g int, seq uint64) {
	t := benchTenants[(uint64(g)*2654435761+seq*40503)%uint64(len(benchTenants))]
	e.Wallet.Tenant, e.Transaction.Tenant, e.CDR.Tenant, e.Event.Tenant = t, t, t, t
	e.Events[0].Tenant, e.Usage[0].Tenant = t, t
	e.Transaction.Seq, e.Wallet.TxSeq = seq, seq
}

// BenchmarkApplyGroup measures the committer's CPU per effect for a group
// of 128 effects (the size groups reach at 256 callers), with the batch
// sorted by key or in submit order, into a memtable that fills up to 64 MiB
// as it would under load. No fsync: this is the work that is not disk.
func BenchmarkApplyGroup(b *testing.B) {
	for _, c := range []struct {
		sorted bool
		memMB  uint64
	}{{true, 64}, {false, 64}, {false, 16}, {false, 4}} {
		sorted := c.sorted
		b.Run(fmt.Sprintf("sorted=%v/memtable=%dMiB", sorted, c.memMB), func(b *testing.B) {
			o := benchOptions()
			o.MemTableBytes = c.memMB << 20
			cache := pebble.NewCache(o.CacheBytes)
			db, err := pebble.Open(b.TempDir(), o.pebbleOptions(cache))
			cache.Unref()
			if err != nil {
				b.Fatal(err)
			}
			defer db.Close()
			enc := &Store{}
			e := chargeEffect("", 1, 202610)
			b.ReportAllocs()
			cpu0 := cpuTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				var g group
				for j := 0; j < 128; j++ {
					setTenant(e, j, uint64(i))
					enc.appendEffect(&g, e)
				}
				if g.encodeRedo() {
					g.redoSeq = uint64(i + 1)
				}
				batch := g.build(db, sorted)
				g.addLogsAndRedo(batch, 0, nil)
				if err := batch.Commit(pebble.NoSync); err != nil {
					b.Fatal(err)
				}
				_ = batch.Close()
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*128), "ns/effect")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*128), "cpu-ns/effect")
		})
	}
}

// cpuTime is the process's user+system CPU time: on a shared machine it is
// steadier than wall time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// runCallers runs b.N operations spread over callers goroutines and reports
// throughput and latency percentiles.
func runCallers(b *testing.B, callers int, newOp func(g int) func(seq uint64) error) {
	b.ReportAllocs()
	var left atomic.Int64
	left.Store(int64(b.N))
	lat := make([][]time.Duration, callers)
	ops := make([]func(uint64) error, callers)
	for g := range ops {
		ops[g] = newOp(g)
	}
	var wg sync.WaitGroup
	var failed atomic.Value
	b.ResetTimer()
	cpu0 := cpuTime()
	start := time.Now()
	for g := 0; g < callers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			mine := make([]time.Duration, 0, b.N/callers+1)
			for seq := uint64(1); left.Add(-1) >= 0; seq++ {
				t0 := time.Now()
				if err := ops[g](seq); err != nil {
					failed.Store(err)
					return
				}
				mine = append(mine, time.Since(t0))
			}
			lat[g] = mine
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	if err, _ := failed.Load().(error); err != nil {
		b.Fatal(err)
	}
	all := slices.Concat(lat...)
	slices.Sort(all)
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "effects/s")
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N), "cpu-ns/effect")
	b.ReportMetric(float64(percentile(all, 0.50).Microseconds()), "p50-µs")
	b.ReportMetric(float64(percentile(all, 0.99).Microseconds()), "p99-µs")
}

func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p))]
}

var _ = charging.ErrUnavailable

package store

import (
	"fmt"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
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

func benchOptions() Options {
	o := Options{Logf: func(string, ...any) {}}
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
		e := chargeEffect(fmt.Sprintf("tenant-%04d", g), 1, 202610)
		return func(seq uint64) error {
			e.Transaction.Seq, e.Wallet.TxSeq = seq, seq
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
		e := chargeEffect(fmt.Sprintf("tenant-%04d", g), 1, 202610)
		// A private encoder with its own log-seq range: the same records and
		// bytes as the store writes, without the store.
		enc := &Store{nextCDR: uint64(g) << 40, nextEvent: uint64(g) << 40}
		return func(seq uint64) error {
			e.Transaction.Seq, e.Wallet.TxSeq = seq, seq
			batch := db.NewBatch()
			enc.appendEffect(&group{batch: batch}, e, 0)
			err := batch.Commit(pebble.Sync)
			_ = batch.Close()
			return err
		}
	})
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

package main

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/loadtest/loadgen"
)

// commitResult is a durable-commit layer's outcome.
type commitResult struct {
	Commits     uint64
	PerSec      float64
	P50Ms       float64
	P99Ms       float64
	P999Ms      float64
	MaxMs       float64
	Seconds     float64
	BytesPerOp  float64
	Concurrency int
	// CPUMicrosPerCommit is this process's CPU over the run per commit:
	// the committers, and for Pebble and the store their goroutines too
	// (WAL writer, flushes, compactions while it ran), fsync's kernel time
	// included. It is what a durable commit costs the machine apart from
	// HTTP and the engine (see results.layerCap).
	CPUMicrosPerCommit float64 `json:"cpu_us_per_commit"`
}

// quietLogger drops Pebble's informational lines; errors still show.
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf("pebble: "+format, args...))
}

// pebbleRecords and pebbleValueBytes make a ~500-byte batch: four records,
// about what one SMS debit writes (wallet, transaction, CDR, idempotency).
const (
	pebbleRecords    = 4
	pebbleValueBytes = 110
)

// fsyncProbeBytes is what the disk probe appends before each sync: about a
// group commit's WAL record under moderate load.
const fsyncProbeBytes = 4096

// runFsync appends fsyncProbeBytes to a file and fdatasyncs it, in a loop
// from one writer: the disk's own latency, which every group commit pays
// and every answer waits for (up to twice: the commit in flight, then its
// own). It is to the disk layers what the no-op handler is to HTTP.
func runFsync(dir string, _ int, d time.Duration) (commitResult, error) {
	f, err := os.OpenFile(filepath.Join(dir, "probe"), os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return commitResult{}, err
	}
	defer f.Close()
	buf := make([]byte, fsyncProbeBytes)
	return timedCommitters(1, d, func(int) func(uint64) (int, error) {
		return func(uint64) (int, error) {
			if _, err := f.Write(buf); err != nil {
				return 0, err
			}
			return len(buf), datasync(f)
		}
	})
}

// runPebbleSync commits ~500-byte batches with pebble.Sync from conc
// goroutines for d, on Pebble's defaults: its own group commit is the
// baseline the store's must beat.
func runPebbleSync(dir string, conc int, d time.Duration) (commitResult, error) {
	db, err := pebble.Open(dir, &pebble.Options{Logger: quietLogger{}})
	if err != nil {
		return commitResult{}, err
	}
	defer db.Close()
	return timedCommitters(conc, d, func(worker int) func(seq uint64) (int, error) {
		val := make([]byte, pebbleValueBytes)
		key := make([]byte, 16)
		return func(seq uint64) (int, error) {
			b := db.NewBatch()
			for r := range pebbleRecords {
				binary.BigEndian.PutUint64(key, uint64(worker)<<48|seq<<2|uint64(r))
				binary.BigEndian.PutUint64(key[8:], seq)
				val[0] = byte(seq)
				if err := b.Set(key, val, nil); err != nil {
					return 0, err
				}
			}
			n := len(b.Repr())
			err := b.Commit(pebble.Sync)
			_ = b.Close()
			return n, err
		}
	})
}

// timedCommitters runs conc workers calling op until d has passed and
// measures each call's latency.
func timedCommitters(conc int, d time.Duration, newOp func(worker int) func(seq uint64) (int, error)) (commitResult, error) {
	var h loadgen.Histogram
	var mu sync.Mutex
	var firstErr error
	var bytes uint64
	var wg sync.WaitGroup
	cpu0, start := loadgen.SelfCPU(), time.Now()
	end := start.Add(d)
	for w := range conc {
		wg.Add(1)
		go func() {
			defer wg.Done()
			op := newOp(w)
			var n uint64
			for seq := uint64(1); time.Now().Before(end); seq++ {
				t := time.Now()
				sz, err := op(seq)
				h.Record(time.Since(t))
				if err != nil {
					mu.Lock()
					if firstErr == nil {
						firstErr = err
					}
					mu.Unlock()
					return
				}
				n += uint64(sz)
			}
			mu.Lock()
			bytes += n
			mu.Unlock()
		}()
	}
	wg.Wait()
	secs, cpu := time.Since(start).Seconds(), loadgen.SelfCPU()-cpu0
	r := commitResult{Commits: h.Count(), PerSec: float64(h.Count()) / secs, Seconds: secs, Concurrency: conc,
		P50Ms: float64(h.Quantile(0.5)) / 1e6, P99Ms: float64(h.Quantile(0.99)) / 1e6,
		P999Ms: float64(h.Quantile(0.999)) / 1e6, MaxMs: float64(h.Max()) / 1e6}
	if h.Count() > 0 {
		r.BytesPerOp = float64(bytes) / float64(h.Count())
		r.CPUMicrosPerCommit = float64(cpu.Microseconds()) / float64(h.Count())
	}
	return r, firstErr
}

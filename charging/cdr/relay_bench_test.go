package cdr

import (
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/salio/salio/charging"
)

// benchLog serves n CDRs built from a pool, as a store would: a fresh slice
// per read.
type benchLog struct {
	pool   []charging.CDR
	n      uint64
	cursor atomic.Uint64
}

func (l *benchLog) ReadCDRs(after uint64, limit int) ([]charging.LoggedCDR, error) {
	if after >= l.n {
		return nil, nil
	}
	m := min(uint64(limit), l.n-after)
	out := make([]charging.LoggedCDR, m)
	for i := range out {
		seq := after + uint64(i) + 1
		out[i] = charging.LoggedCDR{Seq: seq, CDR: l.pool[seq%uint64(len(l.pool))]}
	}
	return out, nil
}
func (l *benchLog) ReadEvents(uint64, int) ([]charging.LoggedEvent, error) { return nil, nil }
func (l *benchLog) Cursor(string) (uint64, error)                          { return 0, nil }
func (l *benchLog) SetCursor(_ string, seq uint64) error                   { l.cursor.Store(seq); return nil }
func (l *benchLog) Park(string, uint64, string) error                      { return nil }
func (l *benchLog) LogHead(string) uint64                                  { return l.n }

// BenchmarkRelay publishes b.N CDRs (~480-byte JSON values, 8 tenants, 4
// partitions, acks=all) from memory to an in-process kfake broker on
// loopback and reports CDRs/s. Broker and relay share the machine's cores.
//
//	go test -run XXX -bench Relay -benchtime 200000x ./charging/cdr/
func BenchmarkRelay(b *testing.B) {
	for _, bc := range []struct {
		batch     int
		timeout   time.Duration
		blackhole bool
	}{
		{500, 2 * time.Millisecond, false},
		{2000, 2 * time.Millisecond, false},
		{5000, 1 * time.Millisecond, false},
		{5000, 2 * time.Millisecond, false},
		{5000, 5 * time.Millisecond, false},
		{10000, 2 * time.Millisecond, false},
		{5000, 2 * time.Millisecond, true},
	} {
		name := fmt.Sprintf("batch=%d/timeout=%v", bc.batch, bc.timeout)
		if bc.blackhole {
			name += "/blackhole"
		}
		b.Run(name, func(b *testing.B) {
			opts := []kfake.Opt{}
			if bc.blackhole {
				opts = append(opts, kfake.BlackholeProduce())
			}
			c := newCluster(b, opts...)
			defer c.Close()
			log := &benchLog{pool: makeCDRs(0, 4096), n: uint64(b.N)}
			cfg := testConfig(c.ListenAddrs())
			cfg.BatchSize = bc.batch
			cfg.BatchTimeout = bc.timeout
			r, err := New(log, CDRs, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			if err := r.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			deadline := start.Add(5 * time.Minute)
			for log.cursor.Load() < log.n {
				if time.Now().After(deadline) {
					b.Fatalf("published %d of %d", log.cursor.Load(), log.n)
				}
				time.Sleep(time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			r.Stop()
			s := r.Stats()
			if s.Errors != 0 || s.Published != uint64(b.N) {
				b.Fatalf("stats %+v", s)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "cdrs/s")
			b.ReportMetric(float64(b.N)/float64(s.Batches), "cdrs/call")
		})
	}
}

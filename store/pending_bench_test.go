package store

import (
	"fmt"
	"testing"
)

// BenchmarkPendingAdd folds deferred images into the pending checkpoint, as
// the committer does for every group: a new session key per call (each key
// seen once), or the images of 1,000 busy wallets (each key replaced again
// and again). A checkpoint every 10,000 records empties it, as the interval
// does under load.
func BenchmarkPendingAdd(b *testing.B) {
	value := make([]byte, 200)
	for _, bc := range []struct {
		name string
		keys int
	}{{"new-session-keys", 0}, {"1000-wallets", 1000}} {
		b.Run(bc.name, func(b *testing.B) {
			keys := make([][]byte, 10_000)
			for i := range keys {
				id := i
				if bc.keys > 0 {
					id = i % bc.keys
				}
				keys[i] = appendKey1(nil, kindSession, fmt.Sprintf("a84b4c76e667-%d@pc33.example.com", id))
			}
			s := &Store{}
			s.pend.ov = newOverlay()
			b.ReportAllocs()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				k := i % len(keys)
				if k == 0 && i > 0 {
					job := s.takePending()
					job.g.reset() // the checkpointer gives its buffers back
					s.pend.g = job.g
				}
				if err := s.pend.add(opSet, keys[k], value, false); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

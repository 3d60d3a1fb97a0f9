package store

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

// A held group is not sealed: effects submitted between Hold and Release,
// however spread out in time, share one Commit, and the store makes them
// durable in one group commit.
func TestHoldKeepsEffectsInOneGroup(t *testing.T) {
	s := openStore(t, "/db", withMemFS(testOptions()))
	require.NoError(t, s.Submit(chargeEffect("warm", 1, 202612)).Wait())
	before := s.Stats().Commits

	s.Hold()
	first := s.Submit(chargeEffect("a", 1, 202612))
	for seq := uint64(2); seq <= 20; seq++ {
		time.Sleep(200 * time.Microsecond) // the committer would have sealed a group by now
		require.Same(t, first, s.Submit(chargeEffect("a", seq, 202612)), "effect %d", seq)
	}
	select {
	case <-first.Done():
		t.Fatal("a held group was committed")
	case <-time.After(20 * time.Millisecond):
	}
	s.Release()
	require.NoError(t, first.Wait())
	require.Equal(t, before+1, s.Stats().Commits)
}

// A holder's Submit does not wait for space: it must never wait for the
// commit it holds back. A new Hold waits while the group is full, so the
// group outgrows its bound only by what the current holders submit.
func TestHoldOutgrowsAFullGroupWithoutDeadlock(t *testing.T) {
	opts := withMemFS(testOptions())
	opts.MaxPendingEffects = 4
	s := openStore(t, "/db", opts)
	s.Hold()
	var last *charging.Commit
	done := make(chan struct{})
	go func() {
		defer close(done)
		for seq := uint64(1); seq <= 20; seq++ {
			last = s.Submit(chargeEffect("a", seq, 202612))
		}
	}()
	waitClosed(t, done, "a holder's Submit blocked on a full group")

	held := make(chan struct{})
	go func() { s.Hold(); close(held) }()
	select {
	case <-held:
		t.Fatal("a new Hold went on while the group was full")
	case <-time.After(20 * time.Millisecond):
	}
	s.Release()
	require.NoError(t, last.Wait())
	waitClosed(t, held, "a Hold waiting for a full group never went on")
	s.Release()
}

// Holders, plain submitters and a slow WAL together, with a tiny group
// bound: everything completes (no deadlock), each holder's effects share one
// Commit, and every effect is committed.
func TestHoldUnderConcurrency(t *testing.T) {
	opts := testOptions()
	opts.FS = errorfs.Wrap(vfs.NewMem(), slowWAL(time.Millisecond))
	opts.MaxPendingEffects = 8
	s := openStore(t, "/db", opts)
	var wg sync.WaitGroup
	var effects atomic.Int64
	for g := 0; g < 16; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := fmt.Sprintf("t%d", g)
			for round := uint64(0); round < 10; round++ {
				if g%2 == 0 {
					require.NoError(t, s.Submit(chargeEffect(tenant, round*10+1, 202612)).Wait())
					effects.Add(1)
					continue
				}
				s.Hold()
				first := s.Submit(chargeEffect(tenant, round*10+1, 202612))
				for i := uint64(2); i <= 10; i++ {
					require.Same(t, first, s.Submit(chargeEffect(tenant, round*10+i, 202612)))
				}
				s.Release()
				require.NoError(t, first.Wait())
				effects.Add(10)
			}
		}()
	}
	wg.Wait()
	require.Equal(t, uint64(effects.Load()), s.Stats().Effects)
}

func withMemFS(o Options) Options {
	o.FS = vfs.NewMem()
	return o
}

func waitClosed(t *testing.T, ch <-chan struct{}, msg string) {
	t.Helper()
	select {
	case <-ch:
	case <-time.After(10 * time.Second):
		t.Fatal(msg)
	}
}

package store

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/cockroachdb/pebble/v2/vfs/errorfs"
	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

func TestConcurrentGroupCommitFIFO(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())
	const writers, perWriter, pipeline = 32, 120, 8
	var wg sync.WaitGroup
	errs := make(chan error, writers)
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := fmt.Sprintf("w%02d", g)
			for seq := uint64(1); seq <= perWriter; {
				// Submit a few without waiting, then wait for the last only:
				// FIFO says the earlier ones are then durable too.
				var cs []*charging.Commit
				for i := 0; i < pipeline && seq <= perWriter; i++ {
					cs = append(cs, s.Submit(chargeEffect(tenant, seq, 202610)))
					seq++
				}
				if err := cs[len(cs)-1].Wait(); err != nil {
					errs <- err
					return
				}
				for _, c := range cs {
					select {
					case <-c.Done():
					default:
						errs <- fmt.Errorf("%s: an earlier commit is not finished after a later one", tenant)
						return
					}
					if err := c.Wait(); err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
	st := s.Stats()
	require.EqualValues(t, writers*perWriter, st.Effects)
	require.Less(t, st.Commits, st.Effects, "no group commit happened")
	t.Logf("%d effects in %d groups", st.Effects, st.Commits)
	require.NoError(t, s.Close())

	s = openStore(t, dir, testOptions())
	checkConsistent(t, s, nil)
	r := recoverAll(t, s)
	require.Len(t, r.wallets, writers)
	for _, w := range r.wallets {
		require.EqualValues(t, perWriter, w.TxSeq)
	}
}

// checkConsistent verifies what the chargeEffect writers left: for each
// tenant, the wallet image, transactions, idempotency records, usage and log
// entries all agree on how many effects are there (none is half applied),
// the logs have no gaps (FIFO), and each tenant has at least acked[tenant]
// effects (nothing acknowledged was lost).
func checkConsistent(t testing.TB, s *Store, acked map[string]uint64) {
	t.Helper()
	r := recoverAll(t, s)
	cdrs, err := s.ReadCDRs(0, MaxPageLimit)
	require.NoError(t, err)
	evs, err := s.ReadEvents(0, MaxPageLimit)
	require.NoError(t, err)
	require.Less(t, len(cdrs), MaxPageLimit)
	perTenantCDR := map[string][]uint64{}
	for i, c := range cdrs {
		require.EqualValues(t, i+1, c.Seq, "CDR log has a gap")
		perTenantCDR[c.CDR.Tenant] = append(perTenantCDR[c.CDR.Tenant], uint64(len(perTenantCDR[c.CDR.Tenant])+1))
		require.Equal(t, fmt.Sprintf("cdr-%s-%d", c.CDR.Tenant, len(perTenantCDR[c.CDR.Tenant])), c.CDR.ID, "per-wallet order")
	}
	require.Len(t, evs, len(cdrs))
	for i, e := range evs {
		require.EqualValues(t, i+1, e.Seq, "event log has a gap")
	}
	for tenant, n := range acked {
		require.GreaterOrEqual(t, r.wallets[tenant].TxSeq, n, "%s: acknowledged effect lost", tenant)
	}
	events := map[string]int{}
	for _, a := range r.events {
		events[a.Tenant]++
	}
	for tenant, w := range r.wallets {
		n := w.TxSeq
		txs, err := s.Transactions(tenant, 0, MaxPageLimit, "")
		require.NoError(t, err)
		require.Len(t, txs, int(n), tenant)
		if n > 0 {
			require.Equal(t, n, txs[0].Seq)
		}
		require.Equal(t, int(n), events[tenant], tenant)
		require.Len(t, perTenantCDR[tenant], int(n), tenant)
		lines, err := s.Usage(tenant, 202610)
		require.NoError(t, err)
		require.Len(t, lines, 1)
		require.EqualValues(t, n, lines[0].Count, tenant)
	}
	require.Len(t, perTenantCDR, len(r.wallets))
}

// TestCrashKeepsAcknowledgedEffects takes crash images of an in-memory FS
// (unsynced writes dropped, or partly kept) while writers run, and checks
// that each image holds every effect acknowledged before it was taken and
// no half-applied one.
func TestCrashKeepsAcknowledgedEffects(t *testing.T) {
	// With the default interval a short run leaves everything deferred to
	// replay; with a tiny one, crash images fall between and during
	// checkpoints.
	for _, every := range []time.Duration{time.Second, time.Millisecond} {
		t.Run(fmt.Sprintf("checkpoint=%v", every), func(t *testing.T) {
			opts := testOptions()
			opts.CheckpointInterval = every
			if every < time.Second {
				opts.CheckpointBytes = 16 << 10
			}
			crashWhileWriting(t, opts)
		})
	}
}

func crashWhileWriting(t *testing.T, opts Options) {
	mem := vfs.NewCrashableMem()
	opts.FS = mem
	s := openStore(t, "/db", opts)

	const writers = 8
	acked := make([]atomic.Uint64, writers)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := fmt.Sprintf("c%d", g)
			for seq := uint64(1); ; seq++ {
				select {
				case <-stop:
					return
				default:
				}
				if err := s.Submit(chargeEffect(tenant, seq, 202610)).Wait(); err != nil {
					t.Error(err)
					return
				}
				acked[g].Store(seq)
			}
		}()
	}
	rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
	type image struct {
		fs    *vfs.MemFS
		acked map[string]uint64
	}
	var images []image
	for i := 0; i < 6; i++ {
		time.Sleep(time.Duration(2+rng.IntN(20)) * time.Millisecond)
		snap := map[string]uint64{}
		for g := range acked {
			snap[fmt.Sprintf("c%d", g)] = acked[g].Load()
		}
		cfg := vfs.CrashCloneCfg{UnsyncedDataPercent: rng.IntN(3) * 25, RNG: rng}
		images = append(images, image{mem.CrashClone(cfg), snap})
	}
	close(stop)
	wg.Wait()
	st := s.Stats()
	t.Logf("%d effects, %d checkpoints", st.Effects, st.Checkpoints)
	if opts.CheckpointInterval < 100*time.Millisecond {
		require.NotZero(t, st.Checkpoints)
	}
	require.NoError(t, s.Close())

	for i, img := range images {
		o := opts
		o.FS = img.fs
		c, err := Open("/db", o)
		require.NoError(t, err, "image %d", i)
		checkConsistent(t, c, img.acked)
		var total uint64
		for _, n := range img.acked {
			total += n
		}
		t.Logf("image %d: %d acknowledged, %d CDRs recovered", i, total, c.LogHead(LogCDRs))
		require.NoError(t, c.Close())
	}
}

// walFaults fails every write and sync of a WAL file once switched on.
func walFaults(on *atomic.Bool) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if !on.Load() || !strings.HasSuffix(op.Path, ".log") {
			return nil
		}
		switch op.Kind {
		case errorfs.OpFileWrite, errorfs.OpFileWriteAt, errorfs.OpFileSync, errorfs.OpFileSyncData,
			errorfs.OpFileSyncTo, errorfs.OpFileFlush, errorfs.OpFilePreallocate:
			return errorfs.ErrInjected
		}
		return nil
	})
}

func TestWALFailureFailsClosed(t *testing.T) {
	mem := vfs.NewMem()
	var broken atomic.Bool
	opts := testOptions()
	opts.FS = errorfs.Wrap(mem, walFaults(&broken))
	// No memtable rotation while the WAL fails: Pebble v2.1.7 panics inside
	// rotateWAL on a write error with its mutex released, and the deferred
	// unlock then kills the process ("unlock of unlocked mutex"), which no
	// recover can catch. Closed too, but not what this test looks at.
	opts.MemTableBytes = 64 << 20
	s := openStore(t, "/db", opts)

	const writers = 8
	acked := make([]atomic.Uint64, writers)
	failures := make(chan error, writers)
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tenant := fmt.Sprintf("c%d", g)
			for seq := uint64(1); ; seq++ {
				if err := s.Submit(chargeEffect(tenant, seq, 202610)).Wait(); err != nil {
					failures <- err
					return
				}
				acked[g].Store(seq)
			}
		}()
	}
	time.Sleep(30 * time.Millisecond)
	broken.Store(true)
	wg.Wait()
	close(failures)
	for err := range failures {
		require.ErrorIs(t, err, charging.ErrUnavailable)
		require.ErrorIs(t, err, errorfs.ErrInjected)
	}
	require.True(t, s.Failed())
	require.ErrorIs(t, s.Err(), charging.ErrUnavailable)

	// Later submits fail at once, without touching the disk.
	c := s.Submit(chargeEffect("late", 1, 202610))
	select {
	case <-c.Done():
	default:
		t.Fatal("a Submit after the failure did not fail at once")
	}
	require.ErrorIs(t, c.Wait(), charging.ErrUnavailable)
	require.ErrorIs(t, s.SetCursor("kafka.cdrs", 1), charging.ErrUnavailable)
	require.EqualValues(t, 1, s.Stats().Failures)
	_ = s.Close() // may report the WAL error

	// Reopen on the healthy FS: everything acknowledged is there, whole.
	snap := map[string]uint64{}
	var total uint64
	for g := range acked {
		snap[fmt.Sprintf("c%d", g)] = acked[g].Load()
		total += acked[g].Load()
	}
	require.NotZero(t, total)
	o := testOptions()
	o.FS = mem
	s = openStore(t, "/db", o)
	checkConsistent(t, s, snap)
	require.EqualValues(t, 2, s.BootEpoch())
}

func TestBatchModeSyncFailureFailsClosed(t *testing.T) {
	mem := vfs.NewMem()
	var broken atomic.Bool
	opts := testOptions()
	opts.FS = errorfs.Wrap(mem, walFaults(&broken))
	opts.Durability = DurabilityBatch
	opts.BatchSyncInterval = time.Millisecond
	s := openStore(t, "/db", opts)
	submitWait(t, s, chargeEffect("acme", 1, 202610))
	broken.Store(true)
	// Batch mode acknowledges before the fsync; the next periodic sync of
	// this effect fails the store.
	_ = s.Submit(chargeEffect("acme", 2, 202610)).Wait()
	require.Eventually(t, s.Failed, 5*time.Second, time.Millisecond)
	require.ErrorIs(t, s.Submit(chargeEffect("acme", 3, 202610)).Wait(), charging.ErrUnavailable)
	_ = s.Close()
}

// slowWAL delays every WAL sync, as a slow disk would.
func slowWAL(d time.Duration) errorfs.Injector {
	return errorfs.InjectorFunc(func(op errorfs.Op) error {
		if strings.HasSuffix(op.Path, ".log") && (op.Kind == errorfs.OpFileSync || op.Kind == errorfs.OpFileSyncData) {
			time.Sleep(d)
		}
		return nil
	})
}

func TestBackpressureBoundsThePendingGroup(t *testing.T) {
	for _, tc := range []struct {
		name               string
		maxEffects, maxLen int
	}{{"effects", 8, 0}, {"bytes", 0, 2000}} {
		t.Run(tc.name, func(t *testing.T) {
			var maxGroup, maxBytes atomic.Int64
			opts := testOptions()
			opts.FS = errorfs.Wrap(vfs.NewMem(), slowWAL(2*time.Millisecond))
			opts.MaxPendingEffects, opts.MaxPendingBytes = tc.maxEffects, tc.maxLen
			opts.OnCommit = func(effects, bytes int, _ time.Duration) {
				for cur := maxGroup.Load(); int64(effects) > cur && !maxGroup.CompareAndSwap(cur, int64(effects)); cur = maxGroup.Load() {
				}
				for cur := maxBytes.Load(); int64(bytes) > cur && !maxBytes.CompareAndSwap(cur, int64(bytes)); cur = maxBytes.Load() {
				}
			}
			s := openStore(t, "/db", opts)
			var wg sync.WaitGroup
			for g := 0; g < 32; g++ {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for seq := uint64(1); seq <= 10; seq++ {
						if err := s.Submit(chargeEffect(fmt.Sprintf("b%d", g), seq, 202610)).Wait(); err != nil {
							t.Error(err)
							return
						}
					}
				}()
			}
			wg.Wait()
			require.NoError(t, s.Close()) // OnCommit runs after Finish
			require.Greater(t, maxGroup.Load(), int64(1))
			if tc.maxEffects > 0 {
				require.LessOrEqual(t, maxGroup.Load(), int64(tc.maxEffects))
			} else {
				// The bound is checked before an effect is added: a group can
				// exceed it by one effect (~600 bytes) and its batch framing.
				require.Less(t, maxBytes.Load(), int64(tc.maxLen+1000))
			}
			t.Logf("largest group: %d effects, %d bytes", maxGroup.Load(), maxBytes.Load())
		})
	}
}

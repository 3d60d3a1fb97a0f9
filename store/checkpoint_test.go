package store

import (
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

// frequentCheckpoints makes a checkpoint start after nearly every group.
func frequentCheckpoints() Options {
	o := testOptions()
	o.CheckpointInterval = time.Millisecond
	o.CheckpointBytes = 4 << 10
	return o
}

// TestUsageExactDuringCheckpoints: a query's usage line counts every
// acknowledged effect and none twice, while checkpoints move the pending
// deltas from the overlay into Pebble under it.
func TestUsageExactDuringCheckpoints(t *testing.T) {
	s := openStore(t, t.TempDir(), frequentCheckpoints())
	const writers, perWriter = 4, 400
	var acked, submitted atomic.Int64
	var wg sync.WaitGroup
	for g := 0; g < writers; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for seq := uint64(1); seq <= perWriter; seq++ {
				e := chargeEffect(fmt.Sprintf("w%d", g), seq, 202610)
				e.Usage[0].Tenant = "shared" // every writer adds to one line
				submitted.Add(1)
				if err := s.Submit(e).Wait(); err != nil {
					t.Error(err)
					return
				}
				acked.Add(1)
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	reads := 0
	for running := true; running; reads++ {
		select {
		case <-done:
			running = false
		default:
		}
		low := acked.Load()
		lines, err := s.Usage("shared", 202610)
		require.NoError(t, err)
		high := submitted.Load()
		var got int64
		if len(lines) > 0 {
			require.Len(t, lines, 1)
			got = lines[0].Count
			require.Equal(t, got*20_000, lines[0].AmountMicros)
		}
		require.GreaterOrEqual(t, got, low, "an acknowledged delta is missing")
		require.LessOrEqual(t, got, high, "a delta was counted twice")
	}
	st := s.Stats()
	t.Logf("%d reads, %d effects in %d groups, %d checkpoints", reads, st.Effects, st.Commits, st.Checkpoints)
	require.NotZero(t, st.Checkpoints)
	lines, err := s.Usage("shared", 202610)
	require.NoError(t, err)
	require.EqualValues(t, writers*perWriter, lines[0].Count)
}

// TestCheckpointWritesKeysAndDropsRedo: after a checkpoint, the wallet keys
// hold the last images and no redo record is left; after a restart nothing
// is replayed twice.
func TestCheckpointWritesKeysAndDropsRedo(t *testing.T) {
	dir := t.TempDir()
	o := testOptions()
	o.CheckpointInterval = 20 * time.Millisecond
	s := openStore(t, dir, o)
	for seq := uint64(1); seq <= 50; seq++ {
		submitWait(t, s, chargeEffect("acme", seq, 202610))
	}
	require.Eventually(t, func() bool { return s.Stats().Checkpoints > 0 && s.Stats().PendingBytes == 0 },
		5*time.Second, 5*time.Millisecond, "an idle store checkpoints what is pending")
	// Wait for the checkpoint's commit, then look under the store.
	require.Eventually(t, func() bool { return countKeys(t, s, kindRedo) == 0 }, 5*time.Second, 5*time.Millisecond)
	require.Equal(t, 1, countKeys(t, s, kindWallet))
	lines, err := s.Usage("acme", 202610)
	require.NoError(t, err)
	require.EqualValues(t, 50, lines[0].Count)

	submitWait(t, s, chargeEffect("acme", 51, 202610)) // pending again at Close
	require.NoError(t, s.Close())
	s = openStore(t, dir, o)
	require.Zero(t, countKeys(t, s, kindRedo), "Close checkpoints what is pending")
	r := recoverAll(t, s)
	require.EqualValues(t, 51, r.wallets["acme"].TxSeq)
	lines, err = s.Usage("acme", 202610)
	require.NoError(t, err)
	require.EqualValues(t, 51, lines[0].Count, "usage counted once across checkpoints and restarts")
}

func countKeys(t testing.TB, s *Store, kind byte) int {
	t.Helper()
	n := 0
	require.NoError(t, s.scan([]byte{kind}, []byte{kind + 1}, false, func(_, _ []byte) (bool, error) {
		n++
		return true, nil
	}))
	return n
}

// TestRedoReplayedAfterUncleanStop: a process that dies leaves redo records;
// the next Open writes them to their keys before recovery reads them.
func TestRedoReplayedAfterUncleanStop(t *testing.T) {
	dir := t.TempDir()
	o := testOptions()
	o.CheckpointInterval = time.Hour // however slow the machine, nothing is checkpointed before the "crash"
	s, err := Open(dir, o)
	require.NoError(t, err)
	for seq := uint64(1); seq <= 30; seq++ {
		submitWait(t, s, chargeEffect("acme", seq, 202610))
	}
	// beta's effects are submitted without waiting, so groups hold several
	// of them and their redo records are folded (one wallet image, one
	// summed usage delta per group).
	commits := make([]*charging.Commit, 0, 30)
	for seq := uint64(1); seq <= 30; seq++ {
		commits = append(commits, s.Submit(chargeEffect("beta", seq, 202610)))
	}
	for _, c := range commits {
		require.NoError(t, c.Wait())
	}
	st := s.Stats()
	t.Logf("%d effects in %d groups", st.Effects, st.Commits)
	require.Greater(t, countKeys(t, s, kindRedo), 0)
	require.Zero(t, countKeys(t, s, kindWallet))
	dieWithoutClose(t, s)

	s = openStore(t, dir, testOptions())
	require.Zero(t, countKeys(t, s, kindRedo))
	r := recoverAll(t, s)
	for _, tenant := range []string{"acme", "beta"} {
		require.EqualValues(t, 30, r.wallets[tenant].TxSeq, tenant)
		lines, err := s.Usage(tenant, 202610)
		require.NoError(t, err)
		require.EqualValues(t, 30, lines[0].Count, tenant)
		require.EqualValues(t, 30*20_000, lines[0].AmountMicros, tenant)
		txs, err := s.Transactions(tenant, 0, 100, "")
		require.NoError(t, err)
		require.Len(t, txs, 30, tenant)
	}
}

// dieWithoutClose stops s as a killed process would: it stops the goroutines
// that would checkpoint, then closes Pebble under them (what is synced stays).
func dieWithoutClose(t *testing.T, s *Store) {
	t.Helper()
	s.mu.Lock()
	s.err = charging.ErrUnavailable // no more commits or checkpoints
	s.failed.Store(true)
	s.mu.Unlock()
	require.NoError(t, s.db.Close())
}

// TestLogKeysHoldGroups: effects committed together share one log key per
// log; reads and parking address any entry inside a key.
func TestLogKeysHoldGroups(t *testing.T) {
	s := openStore(t, t.TempDir(), testOptions())
	var last *charging.Commit
	const n = 300
	for seq := uint64(1); seq <= n; seq++ {
		last = s.Submit(chargeEffect("acme", seq, 202610)) // no wait: they share groups
	}
	require.NoError(t, last.Wait())
	keys := countKeys(t, s, kindCDRLog)
	require.Less(t, keys, n, "no log key holds more than one entry")
	t.Logf("%d CDRs in %d log keys", n, keys)
	for after := uint64(0); after <= n; after += 7 {
		page, err := s.ReadCDRs(after, 13)
		require.NoError(t, err)
		require.Len(t, page, min(13, int(n-after)))
		for i, c := range page {
			require.EqualValues(t, after+uint64(i)+1, c.Seq)
			require.Equal(t, fmt.Sprintf("cdr-acme-%d", c.Seq), c.CDR.ID)
		}
	}
	require.NoError(t, s.Park(LogCDRs, 150, "refused"))
	parked, err := s.Parked(LogCDRs)
	require.NoError(t, err)
	require.Len(t, parked, 1)
	require.Equal(t, "cdr-acme-150", parked[0].CDR.ID)
}

// TestTransactionsExactDuringCheckpoints: a tenant's history lists every
// acknowledged transaction once, newest first, while checkpoints move them
// from the overlay into Pebble under it; pages line up.
func TestTransactionsExactDuringCheckpoints(t *testing.T) {
	t.Run("frequent", func(t *testing.T) { transactionsExactDuringCheckpoints(t, frequentCheckpoints(), false) })
	// Checkpoints of a few 32 KiB batches each, every 200 ms: paced, one batch
	// per group commit. Transactions of ~1 KB fill a batch in ~33 effects,
	// however slowly the machine runs them.
	paced := testOptions()
	paced.CheckpointInterval = 200 * time.Millisecond
	t.Run("paced", func(t *testing.T) { transactionsExactDuringCheckpoints(t, paced, true) })
}

func transactionsExactDuringCheckpoints(t *testing.T, opts Options, wantPaced bool) {
	s := openStore(t, t.TempDir(), opts)
	const n = 1500
	var acked atomic.Uint64
	done := make(chan struct{})
	go func() {
		defer close(done)
		// Past n only while no checkpoint was paced yet (a slow machine).
		for seq := uint64(1); seq <= n || (wantPaced && s.Stats().PacedBatches == 0 && seq <= 20*n); seq++ {
			e := chargeEffect("acme", seq, 202610)
			if wantPaced {
				e.Transaction.Description = strings.Repeat("d", 1000)
			}
			if err := s.Submit(e).Wait(); err != nil {
				t.Error(err)
				return
			}
			acked.Store(seq)
		}
	}()
	check := func() {
		low := acked.Load()
		var seqs []uint64
		before := uint64(0)
		for {
			page, err := s.Transactions("acme", before, 97, "")
			require.NoError(t, err)
			if len(page) == 0 {
				break
			}
			for _, tx := range page {
				seqs = append(seqs, tx.Seq)
			}
			before = page[len(page)-1].Seq
		}
		require.GreaterOrEqual(t, uint64(len(seqs)), low, "an acknowledged transaction is missing")
		for i := range seqs {
			require.Equal(t, seqs[0]-uint64(i), seqs[i], "history not newest first without gaps or repeats")
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		check()
	}
	check()
	require.NotZero(t, s.Stats().Checkpoints)
	if wantPaced {
		require.NotZero(t, s.Stats().PacedBatches, "no checkpoint was paced")
	}
}

// TestRedoFold: a group's redo record holds one image per wallet and
// session key, the last one (a delete included), one summed delta per usage
// line and every transaction.
func TestRedoFold(t *testing.T) {
	var g group
	s := &Store{}
	for seq := uint64(1); seq <= 5; seq++ {
		e := chargeEffect("acme", seq, 202611)
		if seq == 4 {
			e.Session = &charging.SessionState{ID: "call-1", Tenant: "acme"}
		}
		if seq == 5 {
			e.ForgetSessions = []string{"call-1"}
		}
		s.appendEffect(&g, e)
		s.appendEffect(&g, chargeEffect("beta", seq, 202611))
	}
	require.True(t, g.encodeRedo())
	kinds := map[string]int{}
	var lastAcme, usageAcme []byte
	require.NoError(t, walkRedo(g.redo, func(o op, key, value []byte) {
		kinds[fmt.Sprintf("%c/%d", key[0], o)]++
		switch {
		case key[0] == kindWallet && string(key[1:5]) == "acme":
			lastAcme = append([]byte(nil), value...)
		case key[0] == kindUsage && string(key[1:5]) == "acme":
			usageAcme = append([]byte(nil), value...)
		}
	}))
	require.Equal(t, map[string]int{"w/0": 2, "s/2": 1, "t/0": 10, "u/1": 2}, kinds)
	var w charging.WalletState
	require.NoError(t, decodeWallet(lastAcme, &w))
	require.Equal(t, uint64(5), w.TxSeq, "the last image")
	var u charging.UsageLine
	require.NoError(t, decodeUsage(usageAcme, &u))
	require.Equal(t, charging.UsageLine{Count: 5, QuantityMicros: 5_000_000, AmountMicros: 100_000, Unit: "segment"}, u)

	// The group's next use starts with an empty hash table.
	g.reset()
	s.appendEffect(&g, chargeEffect("acme", 6, 202611))
	require.True(t, g.encodeRedo())
	n := 0
	require.NoError(t, walkRedo(g.redo, func(op, []byte, []byte) { n++ }))
	require.Equal(t, 3, n, "wallet, transaction, usage")
}

// TestPacedOnlyWhatFitsHalfAnInterval: a checkpoint is paced only if a wait
// for every batch would still end within half a checkpoint interval.
func TestPacedOnlyWhatFitsHalfAnInterval(t *testing.T) {
	s := &Store{opts: Options{CheckpointInterval: time.Second}}
	for _, c := range []struct {
		txBytes int
		want    bool
	}{
		{0, true},
		{1 << 20, true}, // ~1 MB: 6,000 SMS a second
		{250 * pacedChunkBytes, true},
		{251 * pacedChunkBytes, false}, // 251 waits of 2 ms: over half a second
		{16 << 20, false},              // batches of SMS: written unpaced
	} {
		p := &pending{ov: &overlay{txBuf: make([]byte, c.txBytes)}}
		require.Equal(t, c.want, s.paced(p), "%d bytes of transactions", c.txBytes)
	}
}

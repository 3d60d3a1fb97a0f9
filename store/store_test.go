package store

import (
	"errors"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

func submitWait(t testing.TB, s *Store, e *charging.Effect) {
	t.Helper()
	require.NoError(t, s.Submit(e).Wait())
}

func TestRecoverEveryKind(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())

	var w charging.WalletState
	fill(&w)
	w.Tenant = "acme"
	var sess charging.SessionState
	fill(&sess)
	sess.ID, sess.Tenant = "call-1@pc33.example.com", "acme"
	var num charging.NumberState
	fill(&num)
	num.Tenant, num.Number, num.Deleted = "acme", "+255700000001", false
	var ans charging.EventAnswer
	fill(&ans)
	ans.Tenant, ans.EventID = "acme", "ev-1"
	var top charging.TopUpRecord
	fill(&top)
	top.Tenant, top.Reference = "acme", "ref-1"
	var key charging.KeyRecord
	fill(&key)
	key.ID, key.Deleted = "key-1", false
	var role charging.RoleRecord
	fill(&role)
	role.Tenant, role.Name = "acme", "billing"

	// Tariffs arrive out of version order; recovery returns them ascending.
	for _, v := range []int64{2, 1, 10} {
		submitWait(t, s, &charging.Effect{Tariff: &charging.TariffRecord{ID: "standard", Version: v, Doc: []byte(fmt.Sprintf(`{"v":%d}`, v)), At: v}})
	}
	var cdr charging.CDR
	fill(&cdr)
	submitWait(t, s, &charging.Effect{Wallet: &w, Session: &sess, Number: &num, CDR: &cdr, Event: &ans, TopUp: &top, Key: &key, Role: &role})

	// Deleted numbers and keys, and forgotten sessions and events, go away.
	gone := charging.Effect{
		Session: &charging.SessionState{ID: "old-call", Tenant: "acme"},
		Number:  &charging.NumberState{Tenant: "acme", Number: "+255700000002", Status: "active"},
		Key:     &charging.KeyRecord{ID: "key-2", Tenant: "acme"},
	}
	submitWait(t, s, &gone)
	submitWait(t, s, &charging.Effect{
		Number:         &charging.NumberState{Tenant: "acme", Number: "+255700000002", Deleted: true},
		Key:            &charging.KeyRecord{ID: "key-2", Deleted: true},
		ForgetSessions: []string{"old-call"},
	})
	require.NoError(t, s.Close())

	s = openStore(t, dir, testOptions())
	r := recoverAll(t, s)
	requireOrder(t, r)
	require.Equal(t, []string{"tariff", "wallet", "session", "number", "log", "topup", "key", "role"}, r.order)
	require.Len(t, r.tariffs, 3)
	for i, v := range []int64{1, 2, 10} {
		require.Equal(t, v, r.tariffs[i].Version)
		require.Equal(t, fmt.Sprintf(`{"v":%d}`, v), string(r.tariffs[i].Doc))
	}
	require.Equal(t, map[string]charging.WalletState{"acme": w}, r.wallets)
	require.Equal(t, map[string]charging.SessionState{sess.ID: sess}, r.sessions)
	require.Equal(t, []charging.NumberState{num}, r.numbers)
	require.Equal(t, map[string]charging.EventAnswer{"acme/ev-1": ans}, r.events)
	require.Equal(t, []charging.TopUpRecord{top}, r.topups)
	require.Equal(t, []charging.KeyRecord{key}, r.keys)
	require.Equal(t, []charging.RoleRecord{role}, r.roles)
}

func TestSubmitCopiesEffect(t *testing.T) {
	s := openStore(t, t.TempDir(), testOptions())
	e := chargeEffect("acme", 1, 202610)
	c := s.Submit(e)
	// The engine reuses its scratch effect at once.
	e.Wallet.BalanceMicros = -1
	e.Transaction.Description = "mutated"
	e.CDR.ID = "mutated"
	e.Events[0].Type = "mutated"
	e.Usage[0].Count = 1000
	e.Reset()
	require.NoError(t, c.Wait())

	txs, err := s.Transactions("acme", 0, 10, "")
	require.NoError(t, err)
	require.Equal(t, *chargeEffect("acme", 1, 202610).Transaction, txs[0])
	cdrs, err := s.ReadCDRs(0, 10)
	require.NoError(t, err)
	require.Equal(t, "cdr-acme-1", cdrs[0].CDR.ID)
	evs, err := s.ReadEvents(0, 10)
	require.NoError(t, err)
	require.Equal(t, "balance_low", evs[0].Event.Type)
	lines, err := s.Usage("acme", 202610)
	require.NoError(t, err)
	require.EqualValues(t, 1, lines[0].Count)
}

func TestTransactionsPagination(t *testing.T) {
	s := openStore(t, t.TempDir(), testOptions())
	for seq := uint64(1); seq <= 25; seq++ {
		for _, tenant := range []string{"acme", "acme2", "acm"} {
			typ := "charge"
			if seq%5 == 0 {
				typ = "topup"
			}
			s.Submit(&charging.Effect{Transaction: &charging.Transaction{ID: fmt.Sprintf("%s-%d", tenant, seq), Tenant: tenant, Seq: seq, Type: typ}})
		}
	}
	// Seq 300 sorts after 25 only with big-endian keys.
	submitWait(t, s, &charging.Effect{Transaction: &charging.Transaction{ID: "acme-300", Tenant: "acme", Seq: 300, Type: "charge"}})

	var seqs []uint64
	before := uint64(0)
	for pages := 0; ; pages++ {
		page, err := s.Transactions("acme", before, 10, "")
		require.NoError(t, err)
		if len(page) == 0 {
			require.Equal(t, 3, pages)
			break
		}
		for _, tx := range page {
			require.Equal(t, "acme", tx.Tenant)
			seqs = append(seqs, tx.Seq)
		}
		before = page[len(page)-1].Seq
	}
	want := []uint64{300}
	for seq := uint64(25); seq >= 1; seq-- {
		want = append(want, seq)
	}
	require.Equal(t, want, seqs)

	tops, err := s.Transactions("acme", 0, 3, "topup")
	require.NoError(t, err)
	require.Equal(t, []uint64{25, 20, 15}, txSeqs(tops))
	tops, err = s.Transactions("acme", 15, 10, "topup")
	require.NoError(t, err)
	require.Equal(t, []uint64{10, 5}, txSeqs(tops))
	none, err := s.Transactions("nobody", 0, 10, "")
	require.NoError(t, err)
	require.Empty(t, none)
}

func txSeqs(txs []charging.Transaction) []uint64 {
	var out []uint64
	for _, t := range txs {
		out = append(out, t.Seq)
	}
	return out
}

func TestUsageSums(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())
	type sum struct{ count, qty, amount int64 }
	want := map[int32]map[string]sum{}
	months := []int32{202609, 202610, 202611}
	items := []string{"voice.outbound", "sms", "payments", "ai.gpt-4o-mini", "whatsapp.marketing"}
	var commits []*charging.Commit
	for i := 0; i < 600; i++ {
		m := months[i%len(months)]
		var e charging.Effect
		for j := 0; j < 1+i%3; j++ {
			item := items[(i+j)%len(items)]
			d := charging.UsageDelta{Tenant: "acme", Month: m, Item: item, Count: 1, QuantityMicros: int64(i * 1000), AmountMicros: int64(i*7 + j), Unit: "u-" + item}
			e.Usage = append(e.Usage, d)
			if want[m] == nil {
				want[m] = map[string]sum{}
			}
			w := want[m][item]
			want[m][item] = sum{w.count + 1, w.qty + d.QuantityMicros, w.amount + d.AmountMicros}
		}
		// Another tenant's usage must not leak in.
		e.Usage = append(e.Usage, charging.UsageDelta{Tenant: "acme2", Month: m, Item: "sms", Count: 5})
		commits = append(commits, s.Submit(&e))
	}
	for _, c := range commits {
		require.NoError(t, c.Wait())
	}
	check := func(s *Store) {
		for _, m := range months {
			lines, err := s.Usage("acme", m)
			require.NoError(t, err)
			require.Len(t, lines, len(want[m]))
			for i, l := range lines {
				if i > 0 {
					require.Less(t, lines[i-1].Item, l.Item)
				}
				w := want[m][l.Item]
				require.Equal(t, charging.UsageLine{Item: l.Item, Count: w.count, QuantityMicros: w.qty, Unit: "u-" + l.Item, AmountMicros: w.amount}, l)
			}
		}
		none, err := s.Usage("acme", 202501)
		require.NoError(t, err)
		require.Empty(t, none)
	}
	check(s)
	// Merge operands folded by a flush and a compaction sum the same.
	require.NoError(t, s.db.Flush())
	require.NoError(t, s.db.Compact(t.Context(), []byte{kindUsage}, []byte{kindUsage + 1}, true))
	check(s)
	require.NoError(t, s.Close())
	check(openStore(t, dir, testOptions()))
}

func TestInvoices(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())
	var invs []charging.Invoice
	for _, m := range []int32{202612, 202610, 202611} {
		inv := charging.Invoice{Tenant: "acme", Number: fmt.Sprintf("INV-acme-%d", m), Month: m, IssuedAt: int64(m), Currency: "USD",
			OpeningMicros: 1, PaymentsMicros: 2, TotalMicros: 3, ClosingMicros: 0,
			Lines: []charging.UsageLine{{Item: "sms", Count: 2, QuantityMicros: 2e6, Unit: "segment", AmountMicros: 3}}}
		invs = append(invs, inv)
		submitWait(t, s, &charging.Effect{Invoice: &inv})
	}
	submitWait(t, s, &charging.Effect{Invoice: &charging.Invoice{Tenant: "acme2", Month: 202610}})
	require.NoError(t, s.Close())
	s = openStore(t, dir, testOptions())
	got, err := s.Invoices("acme")
	require.NoError(t, err)
	require.Equal(t, []charging.Invoice{invs[1], invs[2], invs[0]}, got)
	inv, ok, err := s.Invoice("acme", 202611)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, invs[2], inv)
	_, ok, err = s.Invoice("acme", 202601)
	require.NoError(t, err)
	require.False(t, ok)
}

func TestLogsOrderCursorsAndParking(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())
	var commits []*charging.Commit
	for i := uint64(1); i <= 50; i++ {
		e := chargeEffect(fmt.Sprintf("t%d", i%7), i, 202610)
		e.Events = append(e.Events, charging.WalletEvent{ID: fmt.Sprintf("we2-%d", i), Type: "tier_changed"})
		commits = append(commits, s.Submit(e))
	}
	for _, c := range commits {
		require.NoError(t, c.Wait())
	}
	require.EqualValues(t, 50, s.LogHead(LogCDRs))
	require.EqualValues(t, 100, s.LogHead(LogEvents))
	require.Zero(t, s.LogHead("nope"))

	var all []charging.LoggedCDR
	after := uint64(0)
	for {
		page, err := s.ReadCDRs(after, 16)
		require.NoError(t, err)
		if len(page) == 0 {
			break
		}
		all = append(all, page...)
		after = page[len(page)-1].Seq
	}
	require.Len(t, all, 50)
	for i, l := range all {
		require.EqualValues(t, i+1, l.Seq)
		require.Equal(t, fmt.Sprintf("cdr-t%d-%d", (i+1)%7, i+1), l.CDR.ID) // submit order
	}
	viaReader, err := s.CDRs(48, 0)
	require.NoError(t, err)
	require.Equal(t, all[48:], viaReader)
	evs, err := s.ReadEvents(97, 100)
	require.NoError(t, err)
	require.Len(t, evs, 3)
	require.Equal(t, "we2-49", evs[0].Event.ID)
	require.Equal(t, "we-t1-50", evs[1].Event.ID)

	c, err := s.Cursor("kafka.cdrs")
	require.NoError(t, err)
	require.Zero(t, c)
	require.NoError(t, s.SetCursor("kafka.cdrs", 42))
	require.NoError(t, s.Park(LogCDRs, 7, "message too large"))
	require.NoError(t, s.Park(LogEvents, 3, "bad"))
	require.Error(t, s.Park("nope", 1, "x"))
	require.NoError(t, s.Close())

	s = openStore(t, dir, testOptions())
	c, err = s.Cursor("kafka.cdrs")
	require.NoError(t, err)
	require.EqualValues(t, 42, c)
	require.EqualValues(t, 50, s.LogHead(LogCDRs))
	parked, err := s.Parked(LogCDRs)
	require.NoError(t, err)
	require.Len(t, parked, 1)
	require.Equal(t, "message too large", parked[0].Reason)
	require.EqualValues(t, 7, parked[0].Seq)
	require.Equal(t, all[6].CDR, *parked[0].CDR)
	parked, err = s.Parked(LogEvents)
	require.NoError(t, err)
	require.Len(t, parked, 1)
	require.Equal(t, "we-t2-2", parked[0].Event.ID) // effect 2 wrote events 3 and 4
	// New entries continue the sequence.
	submitWait(t, s, chargeEffect("x", 1, 202610))
	page, err := s.ReadCDRs(50, 10)
	require.NoError(t, err)
	require.Len(t, page, 1)
	require.EqualValues(t, 51, page[0].Seq)
}

// fakeClock is a settable clock.
type fakeClock struct{ ms atomic.Int64 }

func (c *fakeClock) Now() time.Time      { return time.UnixMilli(c.ms.Load()) }
func (c *fakeClock) add(d time.Duration) { c.ms.Add(d.Milliseconds()) }

func TestRetentionDeletesOnlyDeliveredAndOld(t *testing.T) {
	clock := &fakeClock{}
	clock.ms.Store(1_760_000_000_000)
	opts := testOptions()
	opts.Now = clock.Now
	opts.Retention = time.Hour
	opts.LogConsumers = map[string][]string{LogCDRs: {"kafka.cdrs", "audit"}}
	dir := t.TempDir()
	s := openStore(t, dir, opts)
	for i := uint64(1); i <= 30; i++ { // 30 entries, one a minute
		submitWait(t, s, chargeEffect("acme", i, 202610))
		clock.add(time.Minute)
	}
	cdrSeqs := func() []uint64 {
		l, err := s.ReadCDRs(0, 1000)
		require.NoError(t, err)
		var out []uint64
		for _, c := range l {
			out = append(out, c.Seq)
		}
		return out
	}
	// Nothing is old yet.
	n, err := s.Prune()
	require.NoError(t, err)
	require.Zero(t, n)

	clock.add(50 * time.Minute) // entries 1..20 are now older than an hour
	// CDRs: consumers have not acknowledged anything: keep all. Events: no
	// consumers configured: pruned by age alone.
	n, err = s.Prune()
	require.NoError(t, err)
	require.Equal(t, 20, n)
	require.Len(t, cdrSeqs(), 30)
	evs, err := s.ReadEvents(0, 100)
	require.NoError(t, err)
	require.EqualValues(t, 21, evs[0].Seq)

	// One consumer at 25, the other at 10: only the old ones up to 10 go.
	require.NoError(t, s.SetCursor("kafka.cdrs", 25))
	require.NoError(t, s.SetCursor("audit", 10))
	n, err = s.Prune()
	require.NoError(t, err)
	require.Equal(t, 10, n)
	require.Equal(t, uint64(11), cdrSeqs()[0])
	// Both at 25: old entries up to 20 go, 21..25 are delivered but young.
	require.NoError(t, s.SetCursor("audit", 25))
	n, err = s.Prune()
	require.NoError(t, err)
	require.Equal(t, 10, n)
	require.Equal(t, uint64(21), cdrSeqs()[0])

	// Everything old and delivered: the logs empty, the heads survive a restart.
	clock.add(2 * time.Hour)
	require.NoError(t, s.SetCursor("kafka.cdrs", 30))
	require.NoError(t, s.SetCursor("audit", 30))
	_, err = s.Prune()
	require.NoError(t, err)
	require.Empty(t, cdrSeqs())
	require.NoError(t, s.Close())
	s = openStore(t, dir, opts)
	require.EqualValues(t, 30, s.LogHead(LogCDRs))
	require.EqualValues(t, 30, s.LogHead(LogEvents))
	submitWait(t, s, chargeEffect("acme", 31, 202610))
	require.Equal(t, []uint64{31}, cdrSeqs())
}

func TestBootEpochAndFormat(t *testing.T) {
	dir := t.TempDir()
	for want := uint64(1); want <= 3; want++ {
		s, err := Open(dir, testOptions())
		require.NoError(t, err)
		require.Equal(t, want, s.BootEpoch())
		require.NoError(t, s.Close())
	}
	// A store of another format version is refused.
	db, err := pebble.Open(dir, &pebble.Options{Merger: usageMerger, Logger: pebbleLogger{func(string, ...any) {}}})
	require.NoError(t, err)
	require.NoError(t, db.Set(keyFormat, be64(formatVersion+1), pebble.Sync))
	require.NoError(t, db.Close())
	_, err = Open(dir, testOptions())
	require.ErrorContains(t, err, "format version")

	// So is a Pebble DB that Salio did not create.
	other := t.TempDir()
	db, err = pebble.Open(other, &pebble.Options{Merger: usageMerger, Logger: pebbleLogger{func(string, ...any) {}}})
	require.NoError(t, err)
	require.NoError(t, db.Set([]byte("foreign"), []byte("x"), pebble.Sync))
	require.NoError(t, db.Close())
	_, err = Open(other, testOptions())
	require.ErrorContains(t, err, "without a Salio format version")

	_, err = Open(t.TempDir(), Options{Durability: "eventually"})
	require.Error(t, err)
}

func TestCloseDrainsAndRefuses(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())
	var commits []*charging.Commit
	for i := uint64(1); i <= 200; i++ {
		commits = append(commits, s.Submit(chargeEffect("acme", i, 202610)))
	}
	require.NoError(t, s.Close()) // no Wait first: Close drains
	for _, c := range commits {
		require.NoError(t, c.Wait())
	}
	err := s.Submit(chargeEffect("acme", 201, 202610)).Wait()
	require.ErrorIs(t, err, charging.ErrUnavailable)
	require.ErrorIs(t, err, ErrClosed)
	require.False(t, s.Failed())
	_, err = s.Transactions("acme", 0, 1, "")
	require.ErrorIs(t, err, charging.ErrUnavailable)
	require.ErrorIs(t, s.SetCursor("x", 1), charging.ErrUnavailable)
	require.ErrorIs(t, s.Close(), ErrClosed)

	s = openStore(t, dir, testOptions())
	r := recoverAll(t, s)
	require.EqualValues(t, 200, r.wallets["acme"].TxSeq)
	require.Len(t, r.events, 200)
	require.EqualValues(t, 200, s.LogHead(LogCDRs))
}

func TestBatchDurabilityMode(t *testing.T) {
	dir := t.TempDir()
	opts := testOptions()
	opts.Durability = DurabilityBatch
	opts.BatchSyncInterval = 2 * time.Millisecond
	s := openStore(t, dir, opts)
	for i := uint64(1); i <= 100; i++ {
		submitWait(t, s, chargeEffect("acme", i, 202610))
	}
	// The relay only sees what a sync has covered.
	require.Eventually(t, func() bool { return s.LogHead(LogCDRs) == 100 }, 5*time.Second, time.Millisecond)
	require.NoError(t, s.Close())
	s = openStore(t, dir, opts)
	require.EqualValues(t, 100, recoverAll(t, s).wallets["acme"].TxSeq)
}

func TestStatsAndOnCommit(t *testing.T) {
	var groups, effects atomic.Int64
	opts := testOptions()
	opts.OnCommit = func(e, b int, d time.Duration) {
		groups.Add(1)
		effects.Add(int64(e))
		if b <= 0 || d <= 0 {
			panic("OnCommit without bytes or duration")
		}
	}
	s := openStore(t, t.TempDir(), opts)
	for i := uint64(1); i <= 10; i++ {
		submitWait(t, s, chargeEffect("acme", i, 202610))
	}
	st := s.Stats()
	require.NoError(t, s.Close()) // OnCommit runs after Finish: wait for the committer
	require.EqualValues(t, 10, st.Effects)
	require.EqualValues(t, groups.Load(), st.Commits)
	require.EqualValues(t, 10, effects.Load())
	require.Greater(t, st.Bytes, uint64(10*300))
	require.Zero(t, st.Failures)
	require.EqualValues(t, 1, st.BootEpoch)
	require.EqualValues(t, 10, st.CDRHead)
	require.NoError(t, s.Err())
	require.False(t, errors.Is(s.Err(), charging.ErrUnavailable))
}

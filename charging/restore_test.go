package charging

import (
	"fmt"
	"testing"
	"time"
)

// TestExpiryAcrossRestart: a session whose validity ran out while the engine
// was down expires at start-up, once, releasing its reservation and charging
// what was reported; the recovered wallet equals the one before the restart.
func TestExpiryAcrossRestart(t *testing.T) {
	h := newHarness(t)
	if _, err := h.e.CreateTenant(TenantParams{ID: "t", Tariff: "standard"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.e.TopUp("t", TopUpRequest{AmountMicros: 10_000_000, Method: "manual", Reference: "r"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.e.StartSession(StartRequest{SessionID: "s", Tenant: "t", Service: "voice", Direction: "outbound", Destination: "255712345678", RequestedSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.e.UpdateSession("s", UpdateRequest{RequestNumber: 1, UsedSeconds: 60, RequestedSeconds: 60}); err != nil {
		t.Fatal(err)
	}
	before, _ := h.e.Wallet("t")

	// "Restart": a new engine restored from what the sink recorded.
	sink := newMemSink()
	sink.txs = h.sink.txs
	e2, err := New(Config{Shards: 4, Clock: h.clock, Sink: sink, Reader: sink, IDEpoch: 2})
	if err != nil {
		t.Fatal(err)
	}
	r := e2.Restorer()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(r.RestoreTariff(TariffRecord{ID: "standard", Version: 1, Doc: tariffStandardDoc()}))
	must(r.RestoreWallet(h.sink.wallets["t"]))
	must(r.RestoreSession(h.sink.sessions["s"]))
	e2.ready.Store(true)
	if err := e2.verifyRecovered(); err != nil {
		t.Fatal(err)
	}
	after, _ := e2.Wallet("t")
	if after.BalanceMicros != before.BalanceMicros || after.ReservedMicros != before.ReservedMicros || after.OpenSessions != 1 {
		t.Fatalf("recovered wallet %+v, before restart %+v", after, before)
	}
	h.clock.Advance(10 * time.Minute) // the engine was down past the validity
	e2.RunTimers()
	e2.RunTimers() // a second pass must not expire it again
	got, _ := e2.Wallet("t")
	if got.ReservedMicros != 0 || got.OpenSessions != 0 {
		t.Fatalf("after expiry: %+v", got)
	}
	if len(sink.cdrs) != 1 || sink.cdrs[0].Termination != TermExpired || sink.cdrs[0].AmountMicros != 25_000 {
		t.Fatalf("expiry CDRs: %+v", sink.cdrs)
	}
	checkMoney(t, e2, sink)
}

// TestRestoreClosedSessions: closed sessions come back from the CDR log
// after those kept under their own keys. One past the retention is skipped;
// an open session of the same id (the newer) stays; a closed one kept under
// its key (an older store's) is replaced, and its key is still deleted when
// the session is forgotten. One from the log leaves no key to delete.
func TestRestoreClosedSessions(t *testing.T) {
	h := newHarness(t)
	r := h.e.Restorer()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	now := h.clock.Now().UnixMilli()
	must(r.RestoreWallet(WalletState{Tenant: "t", Currency: "USD", TariffID: "standard", ReservedMicros: 60_000}))
	session := func(id string, closed bool, closedAt int64) SessionState {
		s := SessionState{ID: id, Tenant: "t", Service: "voice", Direction: "outbound", TariffID: "standard",
			StartedAt: now - 120_000, ExpiresAt: now + 60_000, Closed: closed, ClosedAt: closedAt}
		if !closed {
			s.Reserved, s.Granted = 60_000, 60
		}
		return s
	}
	must(r.RestoreSession(session("reused", false, 0)))
	must(r.RestoreSession(session("legacy", true, now-60_000)))
	before := h.e.Stats().IdempotencyRecords

	must(r.RestoreClosedSession(session("reused", true, now-90_000)))
	must(r.RestoreClosedSession(session("legacy", true, now-30_000)))
	must(r.RestoreClosedSession(session("logged", true, now-30_000)))
	must(r.RestoreClosedSession(session("expired", true, now-25*3_600_000)))
	if err := r.RestoreClosedSession(session("open", false, 0)); err == nil {
		t.Fatal("an open session restored as closed")
	}
	must(h.e.verifyRecovered())

	if got := h.e.Stats().IdempotencyRecords - before; got != 1 {
		t.Fatalf("%d more idempotency records, want 1 (logged)", got)
	}
	if s, _ := h.e.Session("reused"); s.Closed {
		t.Fatal("a closed session from the log replaced an open one")
	}
	if s, _ := h.e.Session("legacy"); s.ClosedAt != now-30_000 {
		t.Fatalf("legacy closed at %d, want the log's %d", s.ClosedAt, now-30_000)
	}
	if _, err := h.e.Session("expired"); err == nil {
		t.Fatal("a closed session past the retention was restored")
	}

	h.clock.Advance(24 * time.Hour)
	h.e.RunTimers()
	for _, id := range []string{"legacy", "logged"} {
		if _, err := h.e.Session(id); err == nil {
			t.Fatalf("%s not forgotten after the retention", id)
		}
	}
	if got := h.sink.forgotten; len(got) != 1 || got[0] != "legacy" {
		t.Fatalf("keys deleted %v, want the legacy one only", got)
	}
}

// TestRestoredClosedSessionsBounded: the CDR log may hold more closed
// sessions than MaxIdempotencyRecords lets memory keep; recovery keeps the
// newest and counts the rest as evictions.
func TestRestoredClosedSessionsBounded(t *testing.T) {
	clock := &manualClock{t: scriptEpoch}
	sink := newMemSink()
	e, err := New(Config{Shards: 4, Clock: clock, Sink: sink, Reader: sink, IDEpoch: 1, MaxIdempotencyRecords: 40})
	if err != nil {
		t.Fatal(err)
	}
	r := e.Restorer()
	if err := r.RestoreTariff(TariffRecord{ID: "standard", Version: 1, Doc: tariffStandardDoc()}); err != nil {
		t.Fatal(err)
	}
	if err := r.RestoreWallet(WalletState{Tenant: "t", Currency: "USD", TariffID: "standard"}); err != nil {
		t.Fatal(err)
	}
	now := clock.Now().UnixMilli()
	const n = 100
	for i := 0; i < n; i++ {
		s := SessionState{ID: fmt.Sprintf("call-%d", i), Tenant: "t", Service: "voice", Closed: true, ClosedAt: now - int64(n-i)*1000}
		if err := r.RestoreClosedSession(s); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.verifyRecovered(); err != nil {
		t.Fatal(err)
	}
	limit := 40 / 4
	st := e.Stats()
	if st.IdempotencyRecords != int64(limit) || st.IdempotencyEvictions != int64(n-limit) {
		t.Fatalf("%d records and %d evictions, want %d and %d", st.IdempotencyRecords, st.IdempotencyEvictions, limit, n-limit)
	}
	if _, err := e.Session("call-0"); err == nil {
		t.Fatal("the oldest closed session is kept")
	}
	if _, err := e.Session(fmt.Sprintf("call-%d", n-1)); err != nil {
		t.Fatal("the newest closed session is forgotten")
	}
}

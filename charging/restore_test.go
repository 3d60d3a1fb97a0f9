package charging

import (
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

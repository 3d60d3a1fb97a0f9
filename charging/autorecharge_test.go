package charging

import (
	"errors"
	"fmt"
	"testing"
	"time"
)

// TestAutoRechargeDailyCap: a pending request lapses after 15 minutes and may
// be asked again, but never more than 10 times in any 24 hours (SPEC 4).
func TestAutoRechargeDailyCap(t *testing.T) {
	h := newHarness(t)
	if _, err := h.e.CreateTenant(TenantParams{ID: "t", Tariff: "standard"}); err != nil {
		t.Fatal(err)
	}
	if _, _, err := h.e.TopUp("t", TopUpRequest{AmountMicros: 10_000_000, Method: "manual", Reference: "r0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := h.e.SetAutoRecharge("t", AutoRecharge{Enabled: true, ThresholdMicros: 20_000_000, AmountMicros: 5_000_000, Method: "mpesa"}); err != nil {
		t.Fatal(err)
	}
	requests := func() int {
		n := 0
		for _, ev := range h.sink.takeEvents() {
			if ev.Type == "recharge_requested" {
				n++
			}
		}
		return n
	}
	total := requests()       // the balance was already below the threshold: one request at once
	for i := 0; i < 15; i++ { // 15 lapses, 16 minutes apart: 4 hours
		h.clock.Advance(16 * time.Minute)
		if _, _, err := h.e.Event(EventRequest{EventID: fmt.Sprintf("e%d", i), Tenant: "t", Service: "sms", Destination: "15551234567", Segments: 1}); err != nil {
			t.Fatal(err)
		}
		total += requests()
	}
	if total != AutoRechargeMaxPerDay {
		t.Fatalf("%d recharge requests in 4 hours, want the cap %d", total, AutoRechargeMaxPerDay)
	}
	h.clock.Advance(24 * time.Hour) // the window moves on: requests may resume
	if _, _, err := h.e.Event(EventRequest{EventID: "later", Tenant: "t", Service: "sms", Destination: "15551234567", Segments: 1}); err != nil {
		t.Fatal(err)
	}
	if n := requests(); n != 1 {
		t.Fatalf("%d requests after the 24 h window, want 1", n)
	}
	checkMoney(t, h.e, h.sink)
}

// TestTopUpReferenceAfterRetention: a payment confirmation retried after the
// idempotency retention is still recognised (the store keeps top-up records
// for good) and credits nothing.
func TestTopUpReferenceAfterRetention(t *testing.T) {
	h := newHarness(t)
	if _, err := h.e.CreateTenant(TenantParams{ID: "t", Tariff: "standard"}); err != nil {
		t.Fatal(err)
	}
	first, _, err := h.e.TopUp("t", TopUpRequest{AmountMicros: 5_000_000, Method: "mpesa", Reference: "MP-1"})
	if err != nil {
		t.Fatal(err)
	}
	h.clock.Advance(DefaultRetention + time.Hour)
	h.e.RunTimers() // memory forgets the reference
	again, replay, err := h.e.TopUp("t", TopUpRequest{AmountMicros: 5_000_000, Method: "mpesa", Reference: "MP-1"})
	if err != nil || !replay || again.Transaction.ID != first.Transaction.ID || again.Wallet.BalanceMicros != 5_000_000 {
		t.Fatalf("retry after retention: replay=%v err=%v tx %s (first %s) balance %d", replay, err, again.Transaction.ID, first.Transaction.ID, again.Wallet.BalanceMicros)
	}
	if _, _, err := h.e.TopUp("t", TopUpRequest{AmountMicros: 6_000_000, Method: "mpesa", Reference: "MP-1"}); !errors.Is(err, ErrConflict) {
		t.Fatalf("another amount after retention: %v, want a conflict", err)
	}
	checkMoney(t, h.e, h.sink)
}

package main

import (
	"strconv"
	"time"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/store"
)

// runStore submits SMS-debit-shaped effects (wallet image, transaction, CDR,
// event idempotency record, usage delta) to the store from conc goroutines,
// each waiting for its group commit, for d.
func runStore(dir string, conc int, d time.Duration) (commitResult, error) {
	st, err := store.Open(dir, store.Options{Logf: func(string, ...any) {}})
	if err != nil {
		return commitResult{}, err
	}
	defer st.Close()
	before := st.Stats()
	r, err := timedCommitters(conc, d, func(worker int) func(seq uint64) (int, error) {
		e := smsEffect(worker)
		return func(seq uint64) (int, error) {
			e.Wallet.TxSeq = seq
			e.Wallet.BalanceMicros -= 20_000
			e.Transaction.Seq = seq
			e.Transaction.ID = e.Transaction.Tenant + "-" + strconv.FormatUint(seq, 10)
			e.Event.EventID = e.Transaction.ID
			e.CDR.ID, e.CDR.EventID = e.Transaction.ID, e.Transaction.ID
			return 0, st.Submit(e).Wait()
		}
	})
	after := st.Stats()
	if n := after.Effects - before.Effects; n > 0 {
		r.BytesPerOp = float64(after.Bytes-before.Bytes) / float64(n)
	}
	return r, err
}

// smsEffect is the effect of one SMS debit of a tenant of its own.
func smsEffect(worker int) *charging.Effect {
	tenant := "bench-store-" + strconv.Itoa(worker)
	now := time.Now().UnixMilli()
	return &charging.Effect{
		Wallet: &charging.WalletState{Tenant: tenant, Name: tenant, Currency: "USD", TariffID: "standard",
			CreatedAt: now, BalanceMicros: 1_000_000_000_000, GracePeriodSeconds: 300, GraceOverdraftMicros: 5_000_000,
			MonthKey: 202611},
		Transaction: &charging.Transaction{Tenant: tenant, Type: "charge", Service: "sms", Item: "sms",
			AmountMicros: -20_000, BalanceAfterMicros: 999_999_980_000, QuantityMicros: 1_000_000, Unit: "segment",
			Reference: "e-1", CreatedAt: now, Description: "SMS to 255712345678"},
		CDR: &charging.CDR{Tenant: tenant, Kind: "event", Service: "sms", Destination: "255712345678",
			StartedAt: now, EndedAt: now, QuantityMicros: 1_000_000, Unit: "segment", RatePicos: 10_000_000_000,
			Tier: "bronze", MultiplierMicros: 1_000_000, AmountMicros: 20_000, Currency: "USD", Requests: 1},
		Event: &charging.EventAnswer{Tenant: tenant, Hash: 0x9e3779b97f4a7c15, At: now, AmountMicros: 20_000,
			QuantityMicros: 1_000_000, Unit: "segment", BalanceMicros: 999_999_980_000, Segments: 1, Encoding: "gsm7"},
		Usage: []charging.UsageDelta{{Tenant: tenant, Month: 202611, Item: "sms", Count: 1,
			QuantityMicros: 1_000_000, AmountMicros: 20_000, Unit: "segment"}},
	}
}

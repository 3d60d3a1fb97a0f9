package loadgen

import (
	"math"
	"math/rand/v2"
	"strconv"
	"sync/atomic"
)

// tenantAcct is the client's own ledger of one tenant: what the server
// acknowledged. The audit compares it with the server's history, which is
// the check that no acknowledged cent was lost or doubled.
type tenantAcct struct {
	topUpMicros   atomic.Int64 // Σ acknowledged top-ups
	chargedMicros atomic.Int64 // Σ acknowledged charges (events, stopped sessions)
	sinceTopUp    atomic.Int64 // charges since the last traffic top-up: its size
	recharges     atomic.Int32 // auto-recharges paid
	flags         atomic.Uint32
}

const (
	flagTouched    = 1 << iota // sent load traffic
	flagUncertain              // a mutating request's outcome is unknown
	flagCreated                // setup created it
	flagRecharging             // setup turned its auto-recharge on
)

func (a *tenantAcct) hasFlag(f uint32) bool { return a.flags.Load()&f != 0 }

func (a *tenantAcct) setFlag(f uint32) {
	if !a.hasFlag(f) {
		a.flags.Or(f)
	}
}

// tenantSet names the run's tenants "lt-<run>-<index>" (built on demand, so a
// million of them cost nothing to hold) and keeps their ledgers.
type tenantSet struct {
	prefix   string
	n        int
	lowEvery int // tenant i is low-funded when i%lowEvery == lowEvery-1 (0 = none)
	acct     []tenantAcct
}

func newTenantSet(runID string, n int, lowPct float64) *tenantSet {
	ts := &tenantSet{prefix: "lt-" + runID + "-", n: n, acct: make([]tenantAcct, n)}
	if lowPct > 0 {
		ts.lowEvery = max(2, int(math.Round(100/lowPct)))
	}
	return ts
}

func (ts *tenantSet) appendID(dst []byte, i int) []byte {
	dst = append(dst, ts.prefix...)
	return strconv.AppendInt(dst, int64(i), 10)
}

func (ts *tenantSet) id(i int) string { return string(ts.appendID(nil, i)) }

// lowFunded reports whether tenant i starts nearly empty and never gets a
// traffic top-up, so that it meets 402, grace and blocked. Rank 0 (the
// hottest) is never low-funded, so most traffic stays chargeable.
func (ts *tenantSet) lowFunded(i int) bool {
	return ts.lowEvery > 0 && i%ts.lowEvery == ts.lowEvery-1
}

// zipfPicker draws tenant indices with Zipf-distributed popularity: index 0
// is the hottest, so a few wallets take much of the traffic and contend.
type zipfPicker struct {
	z *rand.Zipf
	n int
}

func newZipfPicker(r *rand.Rand, s float64, n int) *zipfPicker {
	if n <= 1 {
		return &zipfPicker{n: 1}
	}
	return &zipfPicker{z: rand.NewZipf(r, s, 1, uint64(n-1)), n: n}
}

func (p *zipfPicker) pick() int {
	if p.z == nil {
		return 0
	}
	return int(p.z.Uint64())
}

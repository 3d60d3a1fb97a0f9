package loadgen

import (
	"context"
	"time"
)

// Auto-recharge (SPEC §4). In a mix with top-ups, some funded tenants turn
// auto-recharge on at setup. The engine then records a pending recharge when
// a charge leaves such a wallet below its threshold; the generator plays the
// payment integration that collects the money and posts the top-up with the
// engine's reference. Traffic top-ups pass these tenants by until their
// recharges for the day are spent (an operator then tops up by hand), so
// their funding is the recharge path's.

// rechargesPerDay is SPEC §4's cap: at most 10 recharges a wallet in 24 hours.
const rechargesPerDay = 10

// rechargePollEvery is how often the payment loop looks for wallets that may
// have a recharge pending (from the generator's ledger, no request), and
// rechargeReadEvery the least time between two reads of one wallet.
const (
	rechargePollEvery = 100 * time.Millisecond
	rechargeReadEvery = 250 * time.Millisecond
)

// rechargePlan is the auto-recharge setting the generator gives its tenants:
// a threshold of a quarter and an amount of half the opening balance, so a
// recharge restores the wallet to about where it started.
type rechargePlan struct {
	every           int // tenant i has auto-recharge when i%every == every/2 (0 = none)
	thresholdMicros int64
	amountMicros    int64
}

// newRechargePlan is the run's plan: none without top-ups in the mix, and
// none with --no-setup (a no-op server has no wallets to recharge).
func newRechargePlan(cfg Config, mix []mixEntry) rechargePlan {
	if cfg.AutoRechargePct <= 0 || !mixHas(mix, opTopUp) || cfg.NoSetup {
		return rechargePlan{}
	}
	every := max(1, int(100/cfg.AutoRechargePct+0.5))
	return rechargePlan{every: every, thresholdMicros: roundUpCents(cfg.InitialBalance / 4),
		amountMicros: roundUpCents(cfg.InitialBalance / 2)}
}

// has reports whether tenant i has auto-recharge on. Low-funded tenants
// never do: they are there to run dry. Rank 0 does when every is 1 only, so
// the hottest wallet does not spend its day's recharges in seconds.
func (p *rechargePlan) has(ts *tenantSet, i int) bool {
	return p.every > 0 && i%p.every == p.every/2 && !ts.lowFunded(i)
}

func (p *rechargePlan) method(i int) string { return topUpMethods[i%len(topUpMethods)] }

// manualTopUp reports whether a traffic top-up may credit tenant i: not a
// low-funded one, and not one whose recharges still fund it.
func (rs *runState) manualTopUp(i int) bool {
	return !rs.ts.lowFunded(i) && !rs.ts.acct[i].recharging()
}

// recharging reports whether recharges fund the tenant: setup turned its
// auto-recharge on and it has not yet been paid a day's worth.
func (a *tenantAcct) recharging() bool {
	return a.hasFlag(flagRecharging) && a.recharges.Load() < rechargesPerDay
}

// payments is the payment integration: one connection, polling.
type payments struct {
	rs      *runState
	c       *conn
	tenants []int32 // those with auto-recharge on
	readAt  []time.Time
	body    []byte
	path    []byte
	tid     []byte
}

func newPayments(rs *runState) *payments {
	p := &payments{rs: rs, c: newConn(rs.hc, rs.host, rs.stats)}
	for i := range rs.ts.n {
		if rs.ts.acct[i].hasFlag(flagRecharging) {
			p.tenants = append(p.tenants, int32(i))
		}
	}
	p.readAt = make([]time.Time, len(p.tenants))
	return p
}

// run polls until ctx ends. A wallet is read when the generator's ledger puts
// its balance near or below the threshold; a pending reference read there is
// paid at once.
func (p *payments) run(ctx context.Context) {
	if len(p.tenants) == 0 {
		return
	}
	tick := time.NewTicker(rechargePollEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for k, ti := range p.tenants {
				if ctx.Err() != nil {
					return
				}
				if p.due(int(ti), now, p.readAt[k]) {
					p.readAt[k] = now
					p.pay(int(ti))
				}
			}
		}
	}
}

// due reports whether tenant i's wallet is worth a read: its ledger balance
// is within a tenth of the threshold's reach, it has recharges left, and it
// was not read in the last rechargeReadEvery.
func (p *payments) due(i int, now, last time.Time) bool {
	a := &p.rs.ts.acct[i]
	if !a.recharging() || now.Sub(last) < rechargeReadEvery {
		return false
	}
	plan := &p.rs.recharge
	return a.topUpMicros.Load()-a.chargedMicros.Load() < plan.thresholdMicros+plan.thresholdMicros/10
}

// pay reads tenant i's wallet and pays its pending recharge, if any.
func (p *payments) pay(i int) {
	rs := p.rs
	p.tid = rs.ts.appendID(p.tid[:0], i)
	p.path = appendTenantPath(p.path[:0], p.tid, "/wallet")
	start := time.Now()
	status, resp, err := p.c.do("GET", p.path, nil, rs.adminAuth)
	rs.stats.hist[rtWalletRead].Record(time.Since(start))
	if err != nil || status != 200 {
		rs.stats.countErr(rtWalletRead, status, errorCode(resp))
		return
	}
	ref, ok := fieldValue(resp, "pending_reference")
	if !ok || len(ref) == 0 || string(ref) == "null" {
		return
	}
	plan := &rs.recharge
	p.body = appendTopUp(p.body[:0], plan.amountMicros, plan.method(i), ref)
	p.path = appendTenantPath(p.path[:0], p.tid, "/topups")
	start = time.Now()
	status, resp, err = p.c.do("POST", p.path, p.body, rs.adminAuth)
	rs.stats.hist[rtRecharge].Record(time.Since(start))
	a := &rs.ts.acct[i]
	switch {
	case err != nil || status >= 500:
		rs.stats.countErr(rtRecharge, status, errorCode(resp))
		a.setFlag(flagUncertain)
	case status == 201:
		a.topUpMicros.Add(plan.amountMicros)
		a.recharges.Add(1)
		rs.stats.recharges.Add(1)
	default: // 200 would be a replay of a reference already paid
		rs.stats.countErr(rtRecharge, status, errorCode(resp))
	}
}

// mixHas reports whether a mix draws kind k.
func mixHas(mix []mixEntry, k opKind) bool {
	for _, e := range mix {
		if e.kind == k {
			return true
		}
	}
	return false
}

package loadgen

import "testing"

func TestRechargePlanPicksFundedTenants(t *testing.T) {
	mix, err := parseMix(Defaults().Mix)
	if err != nil {
		t.Fatal(err)
	}
	cfg := Defaults()
	cfg.InitialBalance = 100_000_000 // 100.00
	p := newRechargePlan(cfg, mix)
	if p.thresholdMicros != 25_000_000 || p.amountMicros != 50_000_000 {
		t.Fatalf("threshold %d, amount %d micros; want a quarter and a half of the opening balance", p.thresholdMicros, p.amountMicros)
	}
	ts := newTenantSet("r", 1000, 5)
	n := 0
	for i := range ts.n {
		if p.has(ts, i) {
			n++
			if ts.lowFunded(i) {
				t.Fatalf("low-funded tenant %d has auto-recharge", i)
			}
		}
	}
	if n < 180 || n > 200 { // 20% of 1000, less the low-funded ones among them
		t.Errorf("%d of 1000 tenants have auto-recharge, want ~20%%", n)
	}
	if p.has(ts, 0) {
		t.Error("the hottest tenant has auto-recharge: it would spend its day's recharges in seconds")
	}

	sms, _ := parseMix("sms=1")
	if q := newRechargePlan(cfg, sms); q.every != 0 {
		t.Error("a mix without top-ups must set up no auto-recharge")
	}
	noSetup := cfg
	noSetup.NoSetup = true
	if q := newRechargePlan(noSetup, mix); q.every != 0 {
		t.Error("--no-setup must set up no auto-recharge (a no-op server would get wallet reads)")
	}
	cfg.AutoRechargePct = 0
	if q := newRechargePlan(cfg, mix); q.every != 0 {
		t.Error("--auto-recharge-pct 0 must set up none")
	}
}

func TestManualTopUpsPassRechargingTenantsBy(t *testing.T) {
	mix, _ := parseMix(Defaults().Mix)
	cfg := Defaults()
	cfg.InitialBalance = 100_000_000
	rs := &runState{cfg: cfg, ts: newTenantSet("r", 100, 5), recharge: newRechargePlan(cfg, mix)}
	const auto, low, plain = 2, 19, 1 // every 5th from 2; every 20th from 19
	if !rs.recharge.has(rs.ts, auto) || !rs.ts.lowFunded(low) || rs.recharge.has(rs.ts, plain) {
		t.Fatal("the tenants of this test are not what it assumes")
	}
	if !rs.manualTopUp(auto) {
		t.Error("a tenant whose auto-recharge setup did not complete must be topped up by hand")
	}
	rs.ts.acct[auto].setFlag(flagRecharging) // as setup does once the PUT succeeded
	if rs.manualTopUp(low) || rs.manualTopUp(auto) || !rs.manualTopUp(plain) {
		t.Errorf("manual top-ups: low %v, recharging %v, plain %v; want false, false, true",
			rs.manualTopUp(low), rs.manualTopUp(auto), rs.manualTopUp(plain))
	}
	rs.ts.acct[auto].recharges.Store(rechargesPerDay)
	if !rs.manualTopUp(auto) {
		t.Error("a tenant whose recharges for the day are spent must be topped up by hand")
	}
}

package loadgen

import (
	"encoding/json"
	"fmt"
	"sync"
	"sync/atomic"
	"time"
)

// SetupResult describes the setup phase.
type SetupResult struct {
	Tenants   int `json:"tenants"`
	LowFunded int `json:"low_funded"`
	// AutoRecharge tenants have auto-recharge on, with the threshold and
	// amount below (decimal strings, as the API takes them).
	AutoRecharge          int     `json:"auto_recharge"`
	AutoRechargeThreshold string  `json:"auto_recharge_threshold,omitempty"`
	AutoRechargeAmount    string  `json:"auto_recharge_amount,omitempty"`
	Failed                int64   `json:"failed"`
	Seconds               float64 `json:"seconds"`
	SwitchKey             bool    `json:"switch_key"` // traffic used a switch-role key (else the admin key)
}

// createSwitchKey makes a "switch" key, the role gateways and switches use,
// so the load exercises the same permission path as production traffic.
func createSwitchKey(rs *runState) (string, error) {
	c := newConn(rs.hc, rs.host, rs.stats)
	body := []byte(`{"name":"loadtest-` + rs.runID + `","role":"switch","tenant":"*"}`)
	status, resp, err := c.do("POST", []byte("/v1/keys"), body, rs.adminAuth)
	if err != nil {
		return "", err
	}
	if status != 201 && status != 200 {
		return "", fmt.Errorf("POST /v1/keys: status %d: %.200s", status, resp)
	}
	var k struct {
		Key string `json:"key"`
	}
	if err := json.Unmarshal(resp, &k); err != nil || k.Key == "" {
		return "", fmt.Errorf("POST /v1/keys: no key in %.200s", resp)
	}
	return k.Key, nil
}

// setupTenants creates every tenant on tariff "standard", credits its
// opening balance and sets its auto-recharge, with Concurrency parallel
// connections: a million tenants are two million requests, so setup is as
// parallel as the load itself.
func setupTenants(rs *runState, progress func(done int)) SetupResult {
	start := time.Now()
	ts := rs.ts
	res := SetupResult{Tenants: ts.n}
	var next, done, failed atomic.Int64
	var wg sync.WaitGroup
	for wn := range rs.cfg.Concurrency {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sc := &setupConn{rs: rs, c: newConn(rs.hc, rs.host, rs.stats), wn: wn}
			for {
				i := int(next.Add(1)) - 1
				if i >= ts.n {
					return
				}
				if !sc.tenant(i) {
					failed.Add(1)
				} else if d := done.Add(1); d%1000 == 0 && progress != nil {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	res.Failed = failed.Load()
	res.Seconds = time.Since(start).Seconds()
	res.count(rs)
	return res
}

// count fills in how many tenants are low-funded and how many had their
// auto-recharge turned on (its PUT succeeded: flagRecharging).
func (res *SetupResult) count(rs *runState) {
	for i := range rs.ts.n {
		if rs.ts.lowFunded(i) {
			res.LowFunded++
		}
		if rs.ts.acct[i].hasFlag(flagRecharging) {
			res.AutoRecharge++
		}
	}
	if res.AutoRecharge > 0 {
		res.AutoRechargeThreshold = formatMicros(rs.recharge.thresholdMicros)
		res.AutoRechargeAmount = formatMicros(rs.recharge.amountMicros)
	}
}

// setupConn is one setup connection and its buffers.
type setupConn struct {
	rs                   *runState
	c                    *conn
	wn                   int // its number: spreads the top-up methods
	body, path, tid, ref []byte
}

// tenant creates tenant i, credits its opening balance and sets its
// auto-recharge. It reports false when a step failed.
func (sc *setupConn) tenant(i int) bool {
	rs, ts := sc.rs, sc.rs.ts
	low := ts.lowFunded(i)
	maxSessions := 0
	if low {
		maxSessions = 2
	}
	a := &ts.acct[i]
	sc.tid = ts.appendID(sc.tid[:0], i)
	sc.body = appendTenant(sc.body[:0], sc.tid, maxSessions)
	if !setupPost(sc.c, rs, rtSetupTenant, []byte("/v1/tenants"), sc.body) {
		return false
	}
	a.setFlag(flagCreated)
	amount := rs.cfg.InitialBalance
	if low {
		amount = rs.cfg.LowBalance
	}
	sc.path = appendTenantPath(sc.path[:0], sc.tid, "/topups")
	sc.ref = append(append(sc.ref[:0], "init-"+rs.runID+"-"...), sc.tid...)
	sc.body = appendTopUp(sc.body[:0], amount, topUpMethods[(i+sc.wn)%len(topUpMethods)], sc.ref)
	if !setupPost(sc.c, rs, rtSetupTopUp, sc.path, sc.body) {
		a.setFlag(flagUncertain)
		return false
	}
	a.topUpMicros.Add(amount)
	if rs.recharge.has(ts, i) {
		sc.path = appendTenantPath(sc.path[:0], sc.tid, "/auto-recharge")
		sc.body = appendAutoRecharge(sc.body[:0], &rs.recharge, i)
		if !setupDo(sc.c, rs, rtSetupRecharge, "PUT", sc.path, sc.body) {
			return false // funded by hand, then, like any tenant
		}
		a.setFlag(flagRecharging)
	}
	return true
}

func setupPost(c *conn, rs *runState, t reqType, path, body []byte) bool {
	return setupDo(c, rs, t, "POST", path, body)
}

func setupDo(c *conn, rs *runState, t reqType, method string, path, body []byte) bool {
	start := time.Now()
	status, resp, err := c.do(method, path, body, rs.adminAuth)
	rs.stats.hist[t].Record(time.Since(start))
	if err != nil {
		rs.stats.countErr(t, 0, "transport")
		return false
	}
	if status != 201 && status != 200 {
		rs.stats.countErr(t, status, errorCode(resp))
		return false
	}
	return true
}

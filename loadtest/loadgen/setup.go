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
	Tenants   int     `json:"tenants"`
	LowFunded int     `json:"low_funded"`
	Failed    int64   `json:"failed"`
	Seconds   float64 `json:"seconds"`
	SwitchKey bool    `json:"switch_key"` // traffic used a switch-role key (else the admin key)
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

// setupTenants creates every tenant on tariff "standard" and credits its
// opening balance, with Concurrency parallel connections: a million tenants
// are two million requests, so setup is as parallel as the load itself.
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
			c := newConn(rs.hc, rs.host, rs.stats)
			var body, path, tid, ref []byte
			for {
				i := int(next.Add(1)) - 1
				if i >= ts.n {
					return
				}
				low := ts.lowFunded(i)
				maxSessions := 0
				if low {
					maxSessions = 2
				}
				tid = ts.appendID(tid[:0], i)
				body = appendTenant(body[:0], tid, maxSessions)
				if !setupPost(c, rs, rtSetupTenant, []byte("/v1/tenants"), body) {
					failed.Add(1)
					continue
				}
				a := &ts.acct[i]
				a.setFlag(flagCreated)
				amount := rs.cfg.InitialBalance
				if low {
					amount = rs.cfg.LowBalance
				}
				path = appendTenantPath(path[:0], tid, "/topups")
				ref = append(append(ref[:0], "init-"+rs.runID+"-"...), tid...)
				body = appendTopUp(body[:0], amount, topUpMethods[(i+wn)%len(topUpMethods)], ref)
				if !setupPost(c, rs, rtSetupTopUp, path, body) {
					failed.Add(1)
					a.setFlag(flagUncertain)
					continue
				}
				a.topUpMicros.Add(amount)
				if d := done.Add(1); d%1000 == 0 && progress != nil {
					progress(int(d))
				}
			}
		}()
	}
	wg.Wait()
	for i := range ts.n {
		if ts.lowFunded(i) {
			res.LowFunded++
		}
	}
	res.Failed = failed.Load()
	res.Seconds = time.Since(start).Seconds()
	return res
}

func setupPost(c *conn, rs *runState, t reqType, path, body []byte) bool {
	start := time.Now()
	status, resp, err := c.do("POST", path, body, rs.adminAuth)
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

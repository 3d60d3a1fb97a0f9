package loadgen

import (
	"encoding/json"
	"fmt"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// The audit checks SPEC §9's money invariant for every tenant the load
// touched, through the API alone, after all traffic has finished and every
// session was stopped:
//
//	balance        = Σ top-ups − Σ charges   (from the transaction history)
//	reserved       = 0, open_sessions = 0
//	available      = balance − reserved
//	lifetime_spend = Σ charges
//	balance        ≥ −grace_overdraft_limit (default 5.00)
//
// and against the client's own ledger of acknowledged answers: Σ top-ups and
// Σ charges equal what the server acknowledged (≥ when an outcome was
// unknown), and no reference appears twice (no double credit or debit). A
// wallet whose day's 10 auto-recharges the generator paid has none pending.

// graceOverdraftMicros is the default grace_overdraft_limit; setup leaves it.
const graceOverdraftMicros = 5 * microsPerUnit

// walletDoc is the part of GET /v1/tenants/{t}/wallet the audit reads.
type walletDoc struct {
	Balance       string `json:"balance"`
	Reserved      string `json:"reserved"`
	Available     string `json:"available"`
	LifetimeSpend string `json:"lifetime_spend"`
	Status        string `json:"status"`
	OpenSessions  int64  `json:"open_sessions"`
	AutoRecharge  struct {
		PendingReference *string `json:"pending_reference"`
	} `json:"auto_recharge"`
}

// txDoc is one item of GET /v1/tenants/{t}/transactions.
type txDoc struct {
	ID        string `json:"id"`
	Type      string `json:"type"`
	Service   string `json:"service"`
	Amount    string `json:"amount"`
	Reference string `json:"reference"`
}

type txPage struct {
	Items      []txDoc `json:"items"`
	NextCursor *string `json:"next_cursor"`
}

// clientLedger is what the generator saw acknowledged for one tenant.
type clientLedger struct {
	TopUpMicros   int64
	ChargedMicros int64
	Uncertain     bool
	RechargesPaid int32 // auto-recharges the generator paid
}

// tenantAudit is the arithmetic of one tenant: pure, so tests feed it canned
// data. It returns the broken rules.
func tenantAudit(w walletDoc, txs []txDoc, cl clientLedger, overdraftMicros int64) []string {
	var p auditProblems
	topUps, charges := p.history(txs)
	p.wallet(w, topUps, charges, cl, overdraftMicros)
	p.rechargeCap(w, cl)
	return p
}

// rechargeCap checks SPEC §4's cap from outside: once the generator has paid
// a day's recharges (a run is shorter than a day), the engine must request
// no more, so no recharge may be pending.
func (p *auditProblems) rechargeCap(w walletDoc, cl clientLedger) {
	if ref := w.AutoRecharge.PendingReference; cl.RechargesPaid >= rechargesPerDay && ref != nil {
		p.bad("recharge %s pending after %d paid within a day (at most %d)", *ref, cl.RechargesPaid, rechargesPerDay)
	}
}

// auditProblems collects the rules one tenant breaks.
type auditProblems []string

func (p *auditProblems) bad(format string, args ...any) {
	*p = append(*p, fmt.Sprintf(format, args...))
}

// micros parses a wallet field, noting it if it is not a 6-decimal amount.
func (p *auditProblems) micros(field, s string) int64 {
	v, err := parseMicros([]byte(s))
	if err != nil {
		p.bad("wallet %s %q is not a 6-decimal amount", field, s)
	}
	return v
}

// history checks a tenant's transactions one by one (amounts, signs, ids and
// references each booked once) and returns Σ top-ups and Σ charges.
func (p *auditProblems) history(txs []txDoc) (topUps, charges int64) {
	ids := make(map[string]struct{}, len(txs))
	refs := make(map[string]struct{}, len(txs))
	for _, t := range txs {
		amt, err := parseMicros([]byte(t.Amount))
		if err != nil {
			p.bad("transaction %s amount %q is not a 6-decimal amount", t.ID, t.Amount)
			continue
		}
		if _, dup := ids[t.ID]; dup {
			p.bad("transaction id %s listed twice", t.ID)
		}
		ids[t.ID] = struct{}{}
		if t.Reference != "" {
			k := t.Type + "/" + t.Reference
			if _, dup := refs[k]; dup {
				p.bad("%s reference %s booked twice", t.Type, t.Reference)
			}
			refs[k] = struct{}{}
		}
		switch t.Type {
		case "topup":
			if amt <= 0 {
				p.bad("top-up %s has amount %s", t.ID, t.Amount)
			}
			topUps += amt
		case "charge":
			if amt > 0 {
				p.bad("charge %s credits %s", t.ID, t.Amount)
			}
			charges -= amt
		default:
			p.bad("transaction %s has type %q", t.ID, t.Type)
		}
	}
	return topUps, charges
}

// wallet checks the wallet against the history's sums and the client's
// ledger. A session left open (only when the outcome of one of its requests
// is unknown) has committed charges not yet in the history: then the sums
// bound the wallet instead of equalling it.
func (p *auditProblems) wallet(w walletDoc, topUps, charges int64, cl clientLedger, overdraftMicros int64) {
	balance, reserved := p.micros("balance", w.Balance), p.micros("reserved", w.Reserved)
	available, lifetime := p.micros("available", w.Available), p.micros("lifetime_spend", w.LifetimeSpend)
	open := w.OpenSessions != 0
	switch {
	case open && !cl.Uncertain:
		p.bad("%d sessions still open after every call was stopped", w.OpenSessions)
	case !open && reserved != 0:
		p.bad("reserved %s with no open session", formatMicros(reserved))
	}
	switch {
	case !open && balance != topUps-charges:
		p.bad("balance %s != Σ top-ups %s − Σ charges %s (off by %s)", formatMicros(balance),
			formatMicros(topUps), formatMicros(charges), formatMicros(balance-(topUps-charges)))
	case open && balance > topUps-charges:
		p.bad("balance %s > Σ top-ups %s − Σ charges %s", formatMicros(balance), formatMicros(topUps), formatMicros(charges))
	}
	if available != balance-reserved {
		p.bad("available %s != balance %s − reserved %s", formatMicros(available), formatMicros(balance), formatMicros(reserved))
	}
	switch {
	case !open && lifetime != charges:
		p.bad("lifetime_spend %s != Σ charges %s", formatMicros(lifetime), formatMicros(charges))
	case open && lifetime < charges:
		p.bad("lifetime_spend %s < Σ charges %s", formatMicros(lifetime), formatMicros(charges))
	}
	if balance < -overdraftMicros {
		p.bad("balance %s below −grace_overdraft_limit %s", formatMicros(balance), formatMicros(overdraftMicros))
	}
	p.ledger(topUps, charges, cl)
}

// ledger checks the server's sums against what the generator saw
// acknowledged: equal, or, when some outcome is unknown, at least as much.
func (p *auditProblems) ledger(topUps, charges int64, cl clientLedger) {
	switch {
	case !cl.Uncertain && cl.TopUpMicros != topUps:
		p.bad("acknowledged top-ups %s != server's %s", formatMicros(cl.TopUpMicros), formatMicros(topUps))
	case cl.Uncertain && cl.TopUpMicros > topUps:
		p.bad("acknowledged top-ups %s > server's %s (lost credit)", formatMicros(cl.TopUpMicros), formatMicros(topUps))
	}
	switch {
	case !cl.Uncertain && cl.ChargedMicros != charges:
		p.bad("acknowledged charges %s != server's %s", formatMicros(cl.ChargedMicros), formatMicros(charges))
	case cl.Uncertain && cl.ChargedMicros > charges:
		p.bad("acknowledged charges %s > server's %s (lost debit)", formatMicros(cl.ChargedMicros), formatMicros(charges))
	}
}

// AuditResult summarises the audit.
type AuditResult struct {
	Ran          bool     `json:"ran"`
	Tenants      int      `json:"tenants"`
	Transactions int64    `json:"transactions"`
	Uncertain    int      `json:"uncertain_tenants"` // audited with ≥ instead of = against the client ledger
	Failed       int      `json:"failed_tenants"`
	Problems     []string `json:"problems,omitempty"` // the first few
	Seconds      float64  `json:"seconds"`
	// What the wallets looked like: evidence that 402, grace and blocked
	// were reached, not only that the sums agree.
	Statuses       map[string]int `json:"statuses,omitempty"`
	Negative       int            `json:"negative_balances"`
	LowestBalance  string         `json:"lowest_balance,omitempty"`
	lowestMicros   int64
	lowestAssigned bool
}

// OK reports a passed audit (or one that was not asked for).
func (a *AuditResult) OK() bool { return a.Failed == 0 }

const auditPageLimit = 1000

// runAudit audits the touched tenants with a few parallel connections.
func runAudit(rs *runState) AuditResult {
	start := time.Now()
	var todo []int
	for i := range rs.ts.acct {
		if rs.ts.acct[i].hasFlag(flagTouched) {
			todo = append(todo, i)
		}
	}
	if m := rs.cfg.AuditMaxTenants; m > 0 && len(todo) > m {
		todo = todo[:m] // the hottest: Zipf ranks are tenant indices
	}
	res := AuditResult{Ran: true, Tenants: len(todo)}
	var next atomic.Int64
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range min(16, max(1, rs.cfg.Concurrency)) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := newConn(rs.hc, rs.host, rs.stats)
			for {
				k := int(next.Add(1)) - 1
				if k >= len(todo) {
					return
				}
				ti := todo[k]
				a := &rs.ts.acct[ti]
				cl := clientLedger{TopUpMicros: a.topUpMicros.Load(), ChargedMicros: a.chargedMicros.Load(),
					Uncertain: a.hasFlag(flagUncertain), RechargesPaid: a.recharges.Load()}
				ntx, w, probs := auditOne(c, rs, rs.ts.id(ti), cl)
				mu.Lock()
				res.Transactions += int64(ntx)
				res.noteWallet(w)
				if cl.Uncertain {
					res.Uncertain++
				}
				if len(probs) > 0 {
					res.Failed++
					for _, p := range probs {
						if len(res.Problems) < 20 {
							res.Problems = append(res.Problems, rs.ts.id(ti)+": "+p)
						}
					}
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	if res.lowestAssigned {
		res.LowestBalance = formatMicros(res.lowestMicros)
	}
	return res
}

// noteWallet counts a wallet's status and sign.
func (a *AuditResult) noteWallet(w *walletDoc) {
	if w == nil {
		return
	}
	if a.Statuses == nil {
		a.Statuses = map[string]int{}
	}
	a.Statuses[w.Status]++
	b, err := parseMicros([]byte(w.Balance))
	if err != nil {
		return
	}
	if b < 0 {
		a.Negative++
	}
	if !a.lowestAssigned || b < a.lowestMicros {
		a.lowestMicros, a.lowestAssigned = b, true
	}
}

// auditOne reads one tenant's wallet and whole history and checks it.
func auditOne(c *conn, rs *runState, tenant string, cl clientLedger) (int, *walletDoc, []string) {
	var w walletDoc
	path := "/v1/tenants/" + tenant + "/wallet"
	if err := getJSON(c, rs, rtAuditWallet, path, &w); err != nil {
		return 0, nil, []string{err.Error()}
	}
	var txs []txDoc
	cursor := ""
	for pages := 0; ; pages++ {
		path := fmt.Sprintf("/v1/tenants/%s/transactions?limit=%d", tenant, auditPageLimit)
		if cursor != "" {
			path += "&cursor=" + url.QueryEscape(cursor)
		}
		var p txPage
		if err := getJSON(c, rs, rtAuditTx, path, &p); err != nil {
			return len(txs), &w, []string{err.Error()}
		}
		txs = append(txs, p.Items...)
		if p.NextCursor == nil || *p.NextCursor == "" || len(p.Items) == 0 {
			break
		}
		if *p.NextCursor == cursor || pages > 1_000_000 {
			return len(txs), &w, []string{"transactions: the cursor does not advance"}
		}
		cursor = *p.NextCursor
	}
	return len(txs), &w, tenantAudit(w, txs, cl, graceOverdraftMicros)
}

func getJSON(c *conn, rs *runState, t reqType, path string, v any) error {
	start := time.Now()
	status, body, err := c.do("GET", []byte(path), nil, rs.adminAuth)
	rs.stats.hist[t].Record(time.Since(start))
	if err != nil {
		rs.stats.countErr(t, 0, "transport")
		return fmt.Errorf("GET %s: %v", path, err)
	}
	if status != 200 {
		rs.stats.countErr(t, status, errorCode(body))
		return fmt.Errorf("GET %s: status %d: %.200s", path, status, body)
	}
	if err := json.Unmarshal(body, v); err != nil {
		return fmt.Errorf("GET %s: %v", path, err)
	}
	return nil
}

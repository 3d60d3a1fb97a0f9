package charging

import (
	"sort"
	"sync"
	"time"

	"github.com/salio/salio/tariff"
)

// memSink records every effect in memory and answers Reader queries from it:
// the engine's tests run without a store.
type memSink struct {
	mu        sync.Mutex
	txs       map[string][]Transaction // tenant → ascending seq
	cdrs      []CDR
	events    []WalletEvent
	usage     map[string]map[int32]map[string]*UsageLine
	invoices  map[string][]Invoice
	wallets   map[string]WalletState
	sessions  map[string]SessionState // under their own keys
	closed    map[string]SessionState // with the CDR that closed them, as the store's CDR log keeps them
	topups    map[string]TopUpRecord  // tenant/reference
	forgotten []string                // ForgetSessions, in order
	effects   int
}

func newMemSink() *memSink {
	return &memSink{
		txs: map[string][]Transaction{}, usage: map[string]map[int32]map[string]*UsageLine{},
		invoices: map[string][]Invoice{}, wallets: map[string]WalletState{}, sessions: map[string]SessionState{},
		closed: map[string]SessionState{}, topups: map[string]TopUpRecord{},
	}
}

func (m *memSink) Submit(e *Effect) *Commit {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.effects++
	for _, id := range e.ForgetSessions {
		delete(m.sessions, id)
		m.forgotten = append(m.forgotten, id)
	}
	if e.Wallet != nil {
		m.wallets[e.Wallet.Tenant] = *e.Wallet
	}
	switch s := e.Session; {
	case s != nil && s.Closed && e.CDR != nil && e.Event == nil: // the store's closedInLog
		delete(m.sessions, s.ID)
		m.closed[s.ID] = *s
	case s != nil:
		m.sessions[s.ID] = *s
	}
	if e.Transaction != nil {
		m.txs[e.Transaction.Tenant] = append(m.txs[e.Transaction.Tenant], *e.Transaction)
	}
	if e.CDR != nil {
		m.cdrs = append(m.cdrs, *e.CDR)
	}
	m.events = append(m.events, e.Events...)
	for _, u := range e.Usage {
		byMonth := m.usage[u.Tenant]
		if byMonth == nil {
			byMonth = map[int32]map[string]*UsageLine{}
			m.usage[u.Tenant] = byMonth
		}
		lines := byMonth[u.Month]
		if lines == nil {
			lines = map[string]*UsageLine{}
			byMonth[u.Month] = lines
		}
		l := lines[u.Item]
		if l == nil {
			l = &UsageLine{Item: u.Item, Unit: u.Unit}
			lines[u.Item] = l
		}
		l.Count += u.Count
		l.QuantityMicros += u.QuantityMicros
		l.AmountMicros += u.AmountMicros
	}
	if e.TopUp != nil {
		m.topups[e.TopUp.Tenant+"/"+e.TopUp.Reference] = *e.TopUp
	}
	if e.Invoice != nil {
		m.invoices[e.Invoice.Tenant] = append(m.invoices[e.Invoice.Tenant], *e.Invoice)
	}
	return finishedCommit
}

func (m *memSink) Transactions(tenant string, beforeSeq uint64, limit int, typ string) ([]Transaction, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []Transaction
	all := m.txs[tenant]
	for i := len(all) - 1; i >= 0 && len(out) < limit; i-- {
		t := all[i]
		if (beforeSeq == 0 || t.Seq < beforeSeq) && (typ == "" || t.Type == typ) {
			out = append(out, t)
		}
	}
	return out, nil
}

func (m *memSink) Usage(tenant string, month int32) ([]UsageLine, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []UsageLine
	for _, l := range m.usage[tenant][month] {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Item < out[j].Item })
	return out, nil
}

func (m *memSink) Invoices(tenant string) ([]Invoice, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]Invoice(nil), m.invoices[tenant]...), nil
}

func (m *memSink) CDRs(afterSeq uint64, limit int) ([]LoggedCDR, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	var out []LoggedCDR
	for i := int(afterSeq); i < len(m.cdrs) && len(out) < limit; i++ {
		out = append(out, LoggedCDR{Seq: uint64(i + 1), CDR: m.cdrs[i]})
	}
	return out, nil
}

// takeEvents returns the wallet events recorded since the last call.
func (m *memSink) takeEvents() []WalletEvent {
	m.mu.Lock()
	defer m.mu.Unlock()
	ev := m.events
	m.events = nil
	return ev
}

// manualClock is a clock tests move by hand.
type manualClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *manualClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func tariffStandardDoc() []byte { return tariff.Standard().Doc }

// TopUp implements TopUpReader like the store: top-up records are kept for good.
func (m *memSink) TopUp(tenant, reference string) (TopUpRecord, bool, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	r, ok := m.topups[tenant+"/"+reference]
	return r, ok, nil
}

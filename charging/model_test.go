package charging

import (
	"errors"
	"flag"
	"fmt"
	"math/big"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
	"testing"
	"time"
)

// The metamorphic test: random operation sequences run against the engine and
// against refModel, a deliberately simple reference written separately (big
// rationals for money, linear search for grants, no shards, no heaps), and the
// two are compared after every step. A failure prints the seed to replay with
// -model.seed.

var (
	modelSeed  = flag.Uint64("model.seed", 0, "replay one seed of TestModel")
	modelSeeds = flag.Int("model.seeds", 40, "seeds of TestModel")
	modelOps   = flag.Int("model.ops", 2500, "operations per seed of TestModel")
)

type refRate struct {
	perMinute, fee *big.Rat
	initial, next  int64
}

type refSession struct {
	id, tenant            string
	inbound               bool
	rate                  refRate
	mult                  *big.Rat
	used, reqNum          int64
	charged, reserved     int64
	expiresAt             int64 // ms
	granted               int64
	closed                bool
	lastUsed, lastRequest int64
	startPayload          string
}

type refWallet struct {
	balance, reserved, lifetime int64
	graceEndsAt                 int64
	gracePeriodMs, overdraft    int64
	open                        map[string]*refSession
	events                      map[string]string // id → payload
}

type refModel struct {
	nowMs    int64
	wallets  map[string]*refWallet
	sessions map[string]*refSession
	topups   map[string]int64 // tenant/ref → amount
}

func rat(s string) *big.Rat { r, _ := new(big.Rat).SetString(s); return r }

var refRates = map[string]refRate{
	"out:":     {rat("0.05"), rat("0.01"), 60, 60},
	"out:2557": {rat("0.02"), rat("0.005"), 30, 6},
	"out:44":   {rat("0.0125"), rat("0"), 1, 1},
	"in:":      {rat("0.01"), rat("0"), 60, 60},
}

func refRateFor(inbound bool, dest string) refRate {
	if inbound {
		return refRates["in:"]
	}
	best := refRates["out:"]
	for _, p := range []string{"2557", "44"} {
		if len(dest) >= len(p) && dest[:len(p)] == p {
			best = refRates["out:"+p]
		}
	}
	return best
}

// refRound6 rounds a non-negative rational half-up to micro-units.
func refRound6(x *big.Rat) int64 {
	scaled := new(big.Rat).Mul(x, big.NewRat(1_000_000, 1))
	scaled.Add(scaled, big.NewRat(1, 2))
	q := new(big.Int).Quo(scaled.Num(), scaled.Denom())
	return q.Int64()
}

func (r refRate) billed(d int64) int64 {
	switch {
	case d == 0:
		return 0
	case d <= r.initial:
		return r.initial
	}
	return r.initial + (d-r.initial+r.next-1)/r.next*r.next
}

func (r refRate) cost(d int64, mult *big.Rat) int64 {
	if d == 0 {
		return 0
	}
	x := new(big.Rat).Mul(r.perMinute, big.NewRat(r.billed(d), 60))
	x.Add(x, r.fee)
	return refRound6(x.Mul(x, mult))
}

func refMult(lifetime int64) *big.Rat {
	switch {
	case lifetime >= 5_000_000:
		return rat("0.875")
	case lifetime >= 1_000_000:
		return rat("0.95")
	}
	return rat("1")
}

func (w *refWallet) available() int64 { return w.balance - w.reserved }
func (w *refWallet) blocked(now int64) bool {
	return w.graceEndsAt != 0 && now >= w.graceEndsAt
}
func (w *refWallet) graceOpen(now int64) bool { return w.graceEndsAt != 0 && now < w.graceEndsAt }
func (w *refWallet) openGrace(now int64) {
	if w.graceEndsAt == 0 {
		w.graceEndsAt = now + w.gracePeriodMs
	}
}
func (w *refWallet) status(now int64) string {
	switch {
	case w.blocked(now):
		return "blocked"
	case w.graceOpen(now):
		return "grace"
	}
	return "ok"
}

func (w *refWallet) debit(amount, now int64) {
	w.balance -= amount
	w.lifetime += amount
	if amount > 0 && w.balance <= 0 {
		w.openGrace(now)
	}
}

// refGrant is SPEC 7's grant by linear search from the top.
func refGrant(s *refSession, requested, budget int64) (int64, int64) {
	base := s.rate.cost(s.used, s.mult)
	for g := requested; g > 0; g-- {
		if extra := s.rate.cost(s.used+g, s.mult) - base; extra <= budget {
			return g, extra
		}
	}
	return 0, 0
}

func (m *refModel) grant(w *refWallet, s *refSession, requested int64) (g, extra int64) {
	if requested == 0 {
		return 0, 0
	}
	g, extra = refGrant(s, requested, w.available())
	if g == requested {
		return g, extra
	}
	w.openGrace(m.nowMs)
	if s.inbound && w.graceOpen(m.nowMs) {
		left := (w.graceEndsAt - m.nowMs) / 1000
		gg, ge := refGrant(s, min(requested, left), w.available()+w.overdraft)
		if gg > g {
			g, extra = gg, ge
		}
	}
	return g, extra
}

// outcome is what one operation answered, comparable between engine and model.
type outcome struct {
	code                     string // ok, replay, or an error kind
	granted, reserved, money int64
	final                    bool
}

func (m *refModel) start(id, tenant string, inbound bool, dest string, req int64) outcome {
	w := m.wallets[tenant]
	payload := fmt.Sprintf("%s/%v/%s/%d", tenant, inbound, dest, req)
	if s := m.sessions[id]; s != nil {
		if s.startPayload == payload {
			return outcome{code: "replay"}
		}
		return outcome{code: "conflict"}
	}
	if req == 0 {
		req = 120
	}
	s := &refSession{id: id, tenant: tenant, inbound: inbound, rate: refRateFor(inbound, dest), mult: refMult(w.lifetime), startPayload: payload}
	if w.blocked(m.nowMs) {
		return outcome{code: "insufficient_funds"}
	}
	g, extra := m.grant(w, s, req)
	if g == 0 {
		return outcome{code: "insufficient_funds"}
	}
	s.granted, s.reserved, s.expiresAt = g, extra, m.nowMs+(g+30)*1000
	w.reserved += extra
	w.open[id] = s
	m.sessions[id] = s
	return outcome{code: "ok", granted: g, reserved: extra, final: g < req}
}

func (m *refModel) update(id string, n, used, req int64, stop bool) outcome {
	if n < 1 {
		return outcome{code: "invalid_request"}
	}
	s := m.sessions[id]
	if s == nil {
		return outcome{code: "not_found"}
	}
	w := m.wallets[s.tenant]
	if n == s.reqNum && n > 0 {
		if used == s.lastUsed && (stop && s.lastRequest == -2 || !stop && req == s.lastRequest) {
			return outcome{code: "replay"}
		}
		return outcome{code: "conflict"}
	}
	if s.closed || n != s.reqNum+1 {
		return outcome{code: "conflict"}
	}
	total := s.used + used
	charged := s.rate.cost(total, s.mult)
	w.reserved -= s.reserved
	s.reserved = 0
	w.debit(charged-s.charged, m.nowMs)
	s.used, s.charged, s.reqNum, s.lastUsed = total, charged, n, used
	if stop {
		s.lastRequest = -2
		s.closed = true
		delete(w.open, id)
		return outcome{code: "ok", money: charged}
	}
	s.lastRequest = req
	if req == 0 {
		req = 120
	}
	var g, extra int64
	if !w.blocked(m.nowMs) {
		g, extra = m.grant(w, s, req)
	}
	s.granted, s.reserved, s.expiresAt = g, extra, m.nowMs+(g+30)*1000
	w.reserved += extra
	return outcome{code: "ok", granted: g, reserved: extra, money: charged, final: g < req}
}

func (m *refModel) sms(id, tenant, dest string, segments int64) outcome {
	w := m.wallets[tenant]
	payload := fmt.Sprintf("%s/%d", dest, segments)
	if prev, ok := w.events[id]; ok {
		if prev == payload {
			return outcome{code: "replay"}
		}
		return outcome{code: "conflict"}
	}
	per := rat("0.02")
	if len(dest) >= 3 && dest[:3] == "255" {
		per = rat("0.01")
	}
	cost := refRound6(new(big.Rat).Mul(new(big.Rat).Mul(per, big.NewRat(segments, 1)), refMult(w.lifetime)))
	if cost > 0 && (w.blocked(m.nowMs) || cost > w.available()) {
		w.openGrace(m.nowMs)
		return outcome{code: "insufficient_funds"}
	}
	w.debit(cost, m.nowMs)
	w.events[id] = payload
	return outcome{code: "ok", money: cost}
}

func (m *refModel) topup(tenant, ref string, amount int64) outcome {
	key := tenant + "/" + ref
	if prev, ok := m.topups[key]; ok {
		if prev == amount {
			return outcome{code: "replay"}
		}
		return outcome{code: "conflict"}
	}
	m.topups[key] = amount
	w := m.wallets[tenant]
	w.balance += amount
	if w.graceEndsAt != 0 && w.balance > 0 {
		w.graceEndsAt = 0
	}
	return outcome{code: "ok", money: w.balance}
}

// openIDs lists open sessions in a deterministic order.
func (m *refModel) openIDs() []string {
	var out []string
	for _, id := range []string{"a", "b", "c"} {
		for sid := range m.wallets[id].open {
			out = append(out, sid)
		}
	}
	sort.Strings(out)
	return out
}

func (m *refModel) advance(ms int64) {
	m.nowMs += ms
	for _, w := range m.wallets {
		for id, s := range w.open {
			if s.expiresAt <= m.nowMs {
				w.reserved -= s.reserved
				s.reserved, s.closed = 0, true
				s.lastRequest = -3
				delete(w.open, id)
			}
		}
	}
}

func engineOutcome(err error, replay bool) outcome {
	if err == nil {
		if replay {
			return outcome{code: "replay"}
		}
		return outcome{code: "ok"}
	}
	for _, s := range []error{ErrInsufficientFunds, ErrConflict, ErrNotFound, ErrInvalid} {
		if errors.Is(err, s) {
			return outcome{code: s.Error()}
		}
	}
	return outcome{code: err.Error()}
}

func TestModel(t *testing.T) {
	seeds := make([]uint64, 0, *modelSeeds)
	if *modelSeed != 0 {
		seeds = append(seeds, *modelSeed)
	} else {
		for i := 1; i <= *modelSeeds; i++ {
			seeds = append(seeds, uint64(i)*7919)
		}
	}
	total := 0
	for _, seed := range seeds {
		total += runModelSeed(t, seed, *modelOps)
		if t.Failed() {
			t.Fatalf("replay with: go test ./charging -run TestModel -model.seed=%d", seed)
		}
	}
	t.Logf("%d seeds, %d operations compared; outcomes: %v", len(seeds), total, modelOutcomes)
}

var modelOutcomes = map[string]int{}

func runModelSeed(t *testing.T, seed uint64, ops int) int {
	rng := rand.New(rand.NewPCG(seed, seed^0x5a11))
	clock := &manualClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sink := newMemSink()
	e, err := New(Config{Shards: 2, Clock: clock, Sink: sink, Reader: sink, IDEpoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	doc, err := os.ReadFile("testdata/tariffs/model.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutTariff(doc); err != nil {
		t.Fatal(err)
	}
	m := &refModel{nowMs: clock.Now().UnixMilli(), wallets: map[string]*refWallet{}, sessions: map[string]*refSession{}, topups: map[string]int64{}}
	tenants := []string{"a", "b", "c"}
	for _, id := range tenants {
		if _, err := e.CreateTenant(TenantParams{ID: id, Tariff: "model", GracePeriodSeconds: 120, GracePeriodSet: true, GraceOverdraftMicros: 100_000, GraceOverdraftSet: true}); err != nil {
			t.Fatal(err)
		}
		m.wallets[id] = &refWallet{gracePeriodMs: 120_000, overdraft: 100_000, open: map[string]*refSession{}, events: map[string]string{}}
	}
	dests := []string{"15551234567", "255712345678", "447700900123"}
	var ids []string
	for step := 0; step < ops; step++ {
		tenant := tenants[rng.IntN(len(tenants))]
		var got, want outcome
		var desc string
		switch op := rng.IntN(100); {
		case op < 10: // top-up, sometimes a retry of an earlier reference
			ref := fmt.Sprintf("r%d", rng.IntN(step+1))
			amount := int64(rng.IntN(200)+1) * 10_000
			if rng.IntN(4) == 0 {
				amount = 50_000 // same amount as some earlier ones: a replay, or a conflict
			}
			desc = fmt.Sprintf("topup %s %s %d", tenant, ref, amount)
			_, replay, err := e.TopUp(tenant, TopUpRequest{AmountMicros: amount, Method: "mpesa", Reference: ref})
			got, want = engineOutcome(err, replay), m.topup(tenant, ref, amount)
			want.money = 0
		case op < 30: // start
			id := fmt.Sprintf("s%d", step)
			if len(ids) > 0 && rng.IntN(10) == 0 {
				id = ids[rng.IntN(len(ids))]
			}
			inbound := rng.IntN(3) == 0
			dest := dests[rng.IntN(len(dests))]
			req := int64(rng.IntN(5)) * 60
			if rng.IntN(3) == 0 {
				req = int64(rng.IntN(400))
			}
			dir := "outbound"
			if inbound {
				dir = "inbound"
			}
			desc = fmt.Sprintf("start %s %s %s %s %d", id, tenant, dir, dest, req)
			rep, replay, err := e.StartSession(StartRequest{SessionID: id, Tenant: tenant, Service: "voice", Direction: dir, Destination: dest, RequestedSeconds: req})
			got, want = engineOutcome(err, replay), m.start(id, tenant, inbound, dest, req)
			if got.code == "ok" {
				got.granted, got.reserved, got.final = rep.Answer.GrantedSeconds, rep.Answer.ReservedMicros, rep.Answer.FinalUnit
				ids = append(ids, id)
			}
		case op < 65: // update or stop of a known session
			if len(ids) == 0 {
				continue
			}
			id := ids[rng.IntN(len(ids))]
			if open := m.openIDs(); len(open) > 0 && rng.IntN(100) < 85 {
				id = open[rng.IntN(len(open))]
			}
			s := m.sessions[id]
			n := s.reqNum + 1
			if rng.IntN(8) == 0 {
				n = s.reqNum + int64(rng.IntN(3)) - 1
			}
			used := int64(rng.IntN(int(s.granted) + 20))
			if rng.IntN(10) == 0 && n == s.reqNum {
				used = s.lastUsed
			}
			req := int64(rng.IntN(4)) * 60
			stop := rng.IntN(4) == 0
			desc = fmt.Sprintf("update %s n=%d used=%d req=%d stop=%v", id, n, used, req, stop)
			var rep SessionReply
			var replay bool
			var err error
			if stop {
				rep, replay, err = e.StopSession(id, StopRequest{RequestNumber: n, UsedSeconds: used})
				req = 0
			} else {
				rep, replay, err = e.UpdateSession(id, UpdateRequest{RequestNumber: n, UsedSeconds: used, RequestedSeconds: req})
			}
			got, want = engineOutcome(err, replay), m.update(id, n, used, req, stop)
			if got.code == "ok" {
				a := rep.Answer
				got.granted, got.reserved, got.money, got.final = a.GrantedSeconds, a.ReservedMicros, a.ChargedMicros, a.FinalUnit
				if stop {
					got.final = false
				}
			}
		case op < 90: // SMS
			id := fmt.Sprintf("e%d", rng.IntN(step+1))
			segs := int64(rng.IntN(4) + 1)
			dest := dests[rng.IntN(2)]
			desc = fmt.Sprintf("sms %s %s %s %d", id, tenant, dest, segs)
			ans, replay, err := e.Event(EventRequest{EventID: id, Tenant: tenant, Service: "sms", Destination: dest, Segments: segs})
			got, want = engineOutcome(err, replay), m.sms(id, tenant, dest, segs)
			if got.code == "ok" {
				got.money = ans.AmountMicros
			}
		default: // time passes: expiry and grace windows
			secs := int64(rng.IntN(200) + 1)
			desc = fmt.Sprintf("advance %ds", secs)
			clock.Advance(time.Duration(secs) * time.Second)
			e.RunTimers()
			m.advance(secs * 1000)
		}
		modelOutcomes[strings.Fields(desc)[0]+":"+got.code]++
		if got != want {
			t.Errorf("seed %d step %d %s: engine %+v, model %+v", seed, step, desc, got, want)
			return step
		}
		if !compareWallets(t, e, m, seed, step, desc) {
			return step
		}
	}
	checkMoney(t, e, sink)
	return ops
}

func compareWallets(t *testing.T, e *Engine, m *refModel, seed uint64, step int, desc string) bool {
	for id, rw := range m.wallets {
		v, err := e.Wallet(id)
		if err != nil {
			t.Fatal(err)
		}
		got := fmt.Sprintf("balance=%d reserved=%d lifetime=%d status=%s open=%d", v.BalanceMicros, v.ReservedMicros, v.LifetimeSpendMicros, v.Status, v.OpenSessions)
		want := fmt.Sprintf("balance=%d reserved=%d lifetime=%d status=%s open=%d", rw.balance, rw.reserved, rw.lifetime, rw.status(m.nowMs), len(rw.open))
		if got != want {
			t.Errorf("seed %d step %d after %s: wallet %s: engine %s, model %s", seed, step, desc, id, got, want)
			return false
		}
	}
	return true
}

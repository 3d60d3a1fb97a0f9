package loadgen

import (
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/valyala/fasthttp"
)

// runState is what every worker of one run shares, read-only during load.
type runState struct {
	cfg         Config
	runID       string
	stats       *Stats
	ts          *tenantSet
	mix         []mixEntry
	texts       []smsText
	dests       [][]byte
	calls       callDraw
	recharge    rechargePlan
	trafficAuth []byte // the switch key: sessions and events, as a gateway would
	adminAuth   []byte // top-ups, setup and audit
	hc          *fasthttp.HostClient
	host        string
}

var (
	pathEvents   = []byte("/v1/events")
	pathBatch    = []byte("/v1/events/batch")
	pathSessions = []byte("/v1/sessions")
)

// call is one simulated voice call in flight. Its time is compressed: usage
// is reported as soon as the previous answer arrives, never slept.
type call struct {
	id          []byte
	tenant      int
	reqNum      int64
	remaining   int64 // simulated seconds still to report
	granted     int64 // seconds the last answer granted
	final       bool  // the last answer was the final unit
	updatesLeft int   // -1: update every interim until the call ends
	stopUsed    int64 // call-cycle: usage of the stop
}

// worker generates traffic on one connection.
type worker struct {
	rs       *runState
	st       *Stats
	c        *conn
	rng      *rand.Rand
	zipf     *zipfPicker
	idPrefix []byte // "<run>-<worker>-": ids are unique across workers and runs
	seq      uint64

	body, path, idbuf, tbuf []byte

	active []*call // open calls, oldest first
	free   []*call

	batchTenants  []int32
	batchSegments []int32
}

func newWorker(rs *runState, n int) *worker {
	rng := rand.New(rand.NewPCG(rs.cfg.Seed, uint64(n)+1))
	return &worker{
		rs: rs, st: rs.stats, c: newConn(rs.hc, rs.host, rs.stats), rng: rng,
		zipf:     newZipfPicker(rng, rs.cfg.ZipfS, rs.ts.n),
		idPrefix: []byte(rs.runID + "-" + strconv.Itoa(n) + "-"),
		body:     make([]byte, 0, 4096), path: make([]byte, 0, 256),
		idbuf: make([]byte, 0, 128), tbuf: make([]byte, 0, 64),
	}
}

// appendUID writes a fresh id "<letter>-<run>-<worker>-<seq>".
func (w *worker) appendUID(dst []byte, letter byte) []byte {
	w.seq++
	dst = append(dst, letter, '-')
	dst = append(dst, w.idPrefix...)
	return strconv.AppendUint(dst, w.seq, 10)
}

// send performs one request and accounts for it. It reports ok for a 2xx.
// Latency is measured from start: the send time in closed loop; in open
// loop the intended send time when the worker was behind its schedule, the
// time it woke up when it had slept until then (see runLoad).
func (w *worker) send(t reqType, path, body, auth []byte, start time.Time, record bool) (int, []byte, bool) {
	status, resp, err := w.c.do(fasthttp.MethodPost, path, body, auth)
	if record {
		d := time.Since(start)
		w.st.hist[t].Record(d)
		w.st.all.Record(d)
	}
	if err != nil {
		w.st.countErr(t, 0, "transport")
		return 0, nil, false
	}
	if status < 200 || status >= 300 {
		w.st.countErr(t, status, errorCode(resp))
		return status, resp, false
	}
	return status, resp, true
}

// failed marks a tenant's ledger uncertain when a mutating request's outcome
// is unknown: no answer, or a server error.
func (w *worker) failed(tenant, status int) {
	if status == 0 || status >= 500 {
		w.rs.ts.acct[tenant].setFlag(flagUncertain)
	}
}

func (w *worker) charge(tenant int, micros int64) {
	a := &w.rs.ts.acct[tenant]
	a.chargedMicros.Add(micros)
	a.sinceTopUp.Add(micros)
}

func (w *worker) pickTenant() int {
	t := w.zipf.pick()
	w.rs.ts.acct[t].setFlag(flagTouched)
	return t
}

func (w *worker) dest() []byte { return w.rs.dests[w.rng.IntN(len(w.rs.dests))] }

// step sends one request of a kind drawn from the mix.
func (w *worker) step(start time.Time) {
	switch k := pickKind(w.rs.mix, w.rng.Uint32()); k {
	case opSMS:
		w.sms(start)
	case opBatch:
		w.batch(start)
	case opWhatsApp:
		w.whatsapp(start)
	case opAI:
		w.ai(start)
	case opTopUp:
		w.topUp(start)
	default:
		w.callStep(k, start)
	}
}

// smsBody appends one SMS event for tenant and returns its expected segments.
// One in twenty gives segments and encoding instead of a text.
func (w *worker) smsBody(dst []byte, tenant int) ([]byte, int) {
	w.tbuf = w.rs.ts.appendID(w.tbuf[:0], tenant)
	w.idbuf = w.appendUID(w.idbuf[:0], 'e')
	t := &w.rs.texts[w.rng.IntN(len(w.rs.texts))]
	if w.rng.IntN(20) == 0 {
		seg := 1 + w.rng.IntN(4)
		return appendSMSEvent(dst, w.idbuf, w.tbuf, w.dest(), nil, seg, w.rng.IntN(2) == 0), seg
	}
	return appendSMSEvent(dst, w.idbuf, w.tbuf, w.dest(), t, 0, false), t.segments
}

func (w *worker) sms(start time.Time) {
	ti := w.pickTenant()
	var seg int
	w.body, seg = w.smsBody(w.body[:0], ti)
	status, resp, ok := w.send(rtSMS, pathEvents, w.body, w.rs.trafficAuth, start, true)
	if !ok {
		w.failed(ti, status)
		return
	}
	w.eventCharged(ti, resp, seg)
}

// eventCharged books an event answer: its amount and, for SMS, segments.
func (w *worker) eventCharged(tenant int, resp []byte, segments int) {
	amt, _ := fieldMicros(resp, "amount")
	w.charge(tenant, amt)
	if segments > 0 {
		w.st.segments.Add(uint64(segments))
		if got, ok := fieldInt(resp, "segments"); ok && got != int64(segments) {
			w.st.segWrong.Add(1)
		}
	}
}

func (w *worker) batch(start time.Time) {
	n := w.rs.cfg.BatchSize
	w.batchTenants, w.batchSegments = w.batchTenants[:0], w.batchSegments[:0]
	w.body = append(w.body[:0], `{"events":[`...)
	for i := range n {
		if i > 0 {
			w.body = append(w.body, ',')
		}
		ti := w.pickTenant()
		var seg int
		w.body, seg = w.smsBody(w.body, ti)
		w.batchTenants = append(w.batchTenants, int32(ti))
		w.batchSegments = append(w.batchSegments, int32(seg))
	}
	w.body = append(w.body, "]}"...)
	w.st.items.Add(uint64(n))
	status, resp, ok := w.send(rtBatch, pathBatch, w.body, w.rs.trafficAuth, start, true)
	if !ok {
		for _, ti := range w.batchTenants {
			w.failed(int(ti), status)
		}
		return
	}
	got := splitArrayItems(resp, "results", w.batchItem)
	if got != n {
		w.st.countErr(rtBatch, status, "result_count_mismatch")
		for _, ti := range w.batchTenants {
			w.failed(int(ti), 0)
		}
	}
}

// batchItem books item i of a batch answer.
func (w *worker) batchItem(i int, item []byte) {
	if i >= len(w.batchTenants) {
		return
	}
	ti := int(w.batchTenants[i])
	if _, isErr := fieldValue(item, "error"); isErr {
		code := errorCode(item)
		status := 400
		switch code {
		case "insufficient_funds":
			status = 402
		case "too_many_sessions":
			status = 429
		case "unavailable":
			status = 503
		case "conflict":
			status = 409
		}
		if status != 402 && status != 429 {
			w.st.itemErrs.Add(1)
		}
		w.st.countErr(rtBatchItem, status, code)
		w.failed(ti, status)
		return
	}
	w.eventCharged(ti, item, int(w.batchSegments[i]))
}

func (w *worker) whatsapp(start time.Time) {
	ti := w.pickTenant()
	w.tbuf = w.rs.ts.appendID(w.tbuf[:0], ti)
	w.idbuf = w.appendUID(w.idbuf[:0], 'e')
	cat := waCategories[w.rng.IntN(len(waCategories))]
	w.body = appendWhatsAppEvent(w.body[:0], w.idbuf, w.tbuf, w.dest(), cat)
	status, resp, ok := w.send(rtWhatsApp, pathEvents, w.body, w.rs.trafficAuth, start, true)
	if !ok {
		w.failed(ti, status)
		return
	}
	w.eventCharged(ti, resp, 0)
}

func (w *worker) ai(start time.Time) {
	ti := w.pickTenant()
	w.tbuf = w.rs.ts.appendID(w.tbuf[:0], ti)
	w.idbuf = w.appendUID(w.idbuf[:0], 'e')
	model := aiModels[w.rng.IntN(len(aiModels))]
	in := 50 + int64(w.rng.ExpFloat64()*1500)
	out := 10 + int64(w.rng.ExpFloat64()*400)
	w.body = appendAIEvent(w.body[:0], w.idbuf, w.tbuf, model, in, out)
	status, resp, ok := w.send(rtAI, pathEvents, w.body, w.rs.trafficAuth, start, true)
	if !ok {
		w.failed(ti, status)
		return
	}
	w.eventCharged(ti, resp, 0)
}

// topUp credits a funded tenant with at least TopUpAmount, or twice what it
// spent since its last top-up, so hot wallets stay funded under any mix.
func (w *worker) topUp(start time.Time) {
	ti := w.pickTenant()
	for k := 0; k < 8 && !w.rs.manualTopUp(ti); k++ {
		ti = (ti + 1) % w.rs.ts.n
	}
	if !w.rs.manualTopUp(ti) {
		return // a tiny run of low-funded and recharging tenants only
	}
	w.rs.ts.acct[ti].setFlag(flagTouched)
	a := &w.rs.ts.acct[ti]
	amount := max(w.rs.cfg.TopUpAmount, roundUpCents(2*a.sinceTopUp.Load()))
	amount = min(amount, 500_000*microsPerUnit)
	w.tbuf = w.rs.ts.appendID(w.tbuf[:0], ti)
	w.path = appendTenantPath(w.path[:0], w.tbuf, "/topups")
	w.idbuf = w.appendUID(w.idbuf[:0], 'r')
	w.body = appendTopUp(w.body[:0], amount, topUpMethods[w.rng.IntN(len(topUpMethods))], w.idbuf)
	status, _, ok := w.send(rtTopUp, w.path, w.body, w.rs.adminAuth, start, true)
	if !ok {
		w.failed(ti, status)
		return
	}
	a.topUpMicros.Add(amount)
	a.sinceTopUp.Store(0)
}

func roundUpCents(micros int64) int64 {
	const cent = microsPerUnit / 100
	return (micros + cent - 1) / cent * cent
}

// callStep sends the next request of a call: a new call while fewer than
// CallsPerWkr are open, else the next request of the oldest one.
func (w *worker) callStep(k opKind, start time.Time) {
	if len(w.active) < w.rs.cfg.CallsPerWkr {
		w.startCall(k, start)
		return
	}
	c := w.active[0]
	copy(w.active, w.active[1:])
	w.active = w.active[:len(w.active)-1]
	if w.advanceCall(c, start, true) {
		w.active = append(w.active, c)
	} else {
		w.free = append(w.free, c)
	}
}

func (w *worker) startCall(k opKind, start time.Time) {
	var c *call
	if n := len(w.free); n > 0 {
		c, w.free = w.free[n-1], w.free[:n-1]
	} else {
		c = &call{id: make([]byte, 0, 64)}
	}
	ti := w.pickTenant()
	*c = call{id: w.appendUID(c.id[:0], 'c'), tenant: ti, updatesLeft: -1}
	c.id = append(c.id, "@lt.salio.test"...) // a SIP Call-ID, as switches send
	inbound := w.rs.calls.isInbound(w.rng)
	c.remaining = w.rs.calls.seconds(w.rng) // 0: never answered, stopped with 0
	switch k {
	case opCallCycle:
		c.updatesLeft, c.stopUsed = 2, 1+w.rng.Int64N(int64(w.rs.cfg.Interim))
	case opCallStart:
		c.updatesLeft = 0
	}
	var requested int64
	if w.rng.IntN(4) == 0 {
		requested = 120
	}
	w.tbuf = w.rs.ts.appendID(w.tbuf[:0], ti)
	w.body = appendSessionStart(w.body[:0], c.id, w.tbuf, w.dest(), inbound, requested)
	status, resp, ok := w.send(rtCallStart, pathSessions, w.body, w.rs.trafficAuth, start, true)
	if !ok {
		w.failed(ti, status)
		w.free = append(w.free, c)
		return
	}
	c.granted, _ = fieldInt(resp, "granted_seconds")
	c.final, _ = fieldBool(resp, "final_unit")
	w.active = append(w.active, c)
}

// advanceCall sends c's next update or its stop and reports whether the call
// is still open. Reported usage never exceeds the grant: a switch cuts the
// call when its grant runs out.
func (w *worker) advanceCall(c *call, start time.Time, record bool) bool {
	interim := int64(w.rs.cfg.Interim)
	chunk := min(interim, c.granted)
	switch {
	case c.final || c.granted == 0:
		return w.stopCall(c, min(c.remaining, c.granted), start, record)
	case c.updatesLeft == 0:
		if c.stopUsed > 0 {
			return w.stopCall(c, min(c.stopUsed, c.granted), start, record)
		}
		return w.stopCall(c, min(c.remaining, c.granted), start, record)
	case c.updatesLeft < 0 && c.remaining <= chunk:
		return w.stopCall(c, c.remaining, start, record)
	}
	if c.updatesLeft > 0 {
		c.updatesLeft--
	}
	c.reqNum++
	c.remaining = max(0, c.remaining-chunk)
	w.path = appendSessionPath(w.path[:0], c.id, "update")
	w.body = appendSessionReport(w.body[:0], c.reqNum, chunk)
	_, resp, ok := w.send(rtCallUpdate, w.path, w.body, w.rs.trafficAuth, start, record)
	if !ok {
		w.failed(c.tenant, 0) // the session is left open: it will expire
		return false
	}
	c.granted, _ = fieldInt(resp, "granted_seconds")
	c.final, _ = fieldBool(resp, "final_unit")
	return true
}

func (w *worker) stopCall(c *call, used int64, start time.Time, record bool) bool {
	c.reqNum++
	w.path = appendSessionPath(w.path[:0], c.id, "stop")
	w.body = appendSessionReport(w.body[:0], c.reqNum, used)
	_, resp, ok := w.send(rtCallStop, w.path, w.body, w.rs.trafficAuth, start, record)
	if !ok {
		w.failed(c.tenant, 0) // whatever the cause, the session may be left open
		return false
	}
	amt, _ := fieldMicros(resp, "charged_amount")
	w.charge(c.tenant, amt)
	w.st.cycles.Add(1)
	return false
}

// drainCalls stops every open call, after the timed phase, so that the audit
// sees no open session.
func (w *worker) drainCalls() {
	for _, c := range w.active {
		c.final = true // stop now with what the grant covers
		w.advanceCall(c, time.Now(), false)
		w.free = append(w.free, c)
	}
	w.active = w.active[:0]
}

package charging

import (
	"fmt"
	"sync"
	"sync/atomic"
	"time"
	"unsafe"

	"github.com/salio/salio/reservation"
	"github.com/salio/salio/tariff"
)

// wallet is one tenant's in-memory wallet. It is guarded by its shard's lock.
type wallet struct {
	tariff    *tariffEntry
	memoOwner uint32 // the wallet's number in its shard's event memo
	// tenantBytes holds the tenant id when it fits, and WalletState.Tenant
	// then points here: finding a wallet compares the id, and with a million
	// wallets the id's own allocation would be one more cache miss per
	// request. Right before WalletState, whose first field is the id's header.
	tenantBytes [tenantInlineBytes]byte
	WalletState
	open    openSessions            // open sessions of this wallet
	topups  map[string]*TopUpRecord // top-up idempotency records within retention
	numbers map[string]*NumberState
	// _ pads the wallet to 384 bytes, a size class whose objects start on a
	// cache line: the hot fields above then take three lines, not four.
	_ [walletPadBytes]byte
}

// walletPadBytes brings sizeof(wallet) to 384 (TestWalletHotFieldsShareLines).
const walletPadBytes = 56

// tenantInlineBytes: most tenant ids are short slugs or UUIDs without dashes
// (32); longer ones keep their own allocation.
const tenantInlineBytes = 32

// inlineTenant moves w's tenant id into the wallet when it fits.
func (w *wallet) inlineTenant() {
	if n := len(w.Tenant); n > 0 && n <= tenantInlineBytes {
		copy(w.tenantBytes[:], w.Tenant)
		w.Tenant = unsafe.String(&w.tenantBytes[0], n)
	}
}

// Wallet status names (SPEC section 4).
const (
	StatusOK      = "ok"
	StatusLow     = "low"
	StatusGrace   = "grace"
	StatusBlocked = "blocked"
)

func (w *wallet) available() int64 { return w.BalanceMicros - w.ReservedMicros }

func (w *wallet) graceOpen(nowMs int64) bool { return w.GraceEndsAt != 0 && nowMs < w.GraceEndsAt }
func (w *wallet) blocked(nowMs int64) bool   { return w.GraceEndsAt != 0 && nowMs >= w.GraceEndsAt }

func (w *wallet) status(nowMs int64) string {
	switch {
	case w.blocked(nowMs):
		return StatusBlocked
	case w.graceOpen(nowMs):
		return StatusGrace
	case w.BalanceMicros > 0 && w.BalanceMicros <= w.LowBalanceThresholdMicros:
		return StatusLow
	}
	return StatusOK
}

func (w *wallet) fundsError(nowMs int64) error { return &FundsError{WalletStatus: w.status(nowMs)} }

// effectBuf is an Effect with inline storage for its records, pooled so the hot
// paths do not allocate one per request.
type effectBuf struct {
	Effect
	tx     Transaction
	tx2    Transaction
	cdr    CDR
	event  EventAnswer
	evbuf  [4]WalletEvent
	usebuf [2]UsageDelta
	op     op // the operation using this buffer: lives here so it is not allocated
	// ids holds the ids the operations using this buffer mint. The pool
	// keeps a buffer per core, so minting writes a line only this core
	// writes; an arena per wallet shard was written by whichever core took
	// the shard, a line the cores passed back and forth.
	ids reservation.StringArena
}

var effectPool = sync.Pool{New: func() any { b := &effectBuf{}; b.reset(); return b }}

func (b *effectBuf) reset() {
	b.Effect.Reset()
	if b.Events == nil {
		b.Events = b.evbuf[:0]
		b.Usage = b.usebuf[:0]
	}
}

// op is the context of one operation on one locked wallet: it applies the
// wallet rules and collects the records they imply into fx.
type op struct {
	e   *Engine
	sh  *reservation.Shard[wallet]
	w   *wallet
	now int64 // ms
	fx  *effectBuf
	// txNum is the number of the last transaction id minted (nextTx): an
	// event's memo record keeps the number, not the string.
	txNum uint64
}

func (e *Engine) newOp(sh *reservation.Shard[wallet], w *wallet) *op {
	fx := effectPool.Get().(*effectBuf)
	assert(fx.Wallet == nil && fx.Transaction == nil && len(fx.Events) == 0 && len(fx.Usage) == 0,
		"a pooled effect buffer came back uncleared")
	fx.op = op{e: e, sh: sh, w: w, now: e.nowMs(), fx: fx}
	return &fx.op
}

// push hands the effect to the sink while the wallet lock is held, so each
// wallet's effects reach the sink in the order they were applied, and clears
// the buffer for a further effect of the same operation.
func (o *op) push() *Commit {
	o.fx.Wallet = &o.w.WalletState
	c := o.e.sink.Submit(&o.fx.Effect)
	o.fx.reset()
	return c
}

// submit pushes the effect, unlocks and releases the buffer.
func (o *op) submit() *Commit {
	c := o.push()
	o.sh.Unlock()
	o.fx.recycle() // push left the effect clear
	return c
}

// release clears the buffer and returns it, and with it the op, to the pool:
// nothing may use the op after.
func (o *op) release() {
	o.fx.reset()
	o.fx.recycle()
}

// recycle returns a cleared buffer to the pool.
func (b *effectBuf) recycle() {
	b.op = op{}
	effectPool.Put(b)
}

// abort unlocks without submitting anything (the operation changed nothing).
func (o *op) abort() {
	o.sh.Unlock()
	o.release()
}

func (o *op) tariff() *tariff.Tariff { return o.w.tariff.current() }

// tier returns the tier the wallet is in now under its current tariff.
func (o *op) tier() (int, tariff.Tier) {
	t := o.tariff()
	return t.TierIndex(o.w.LifetimeSpendMicros), t.TierFor(o.w.LifetimeSpendMicros)
}

func (o *op) emit(typ string, fill func(*WalletEvent)) {
	ev := WalletEvent{ID: o.id('e'), Tenant: o.w.Tenant, Type: typ, At: o.now, BalanceMicros: o.w.BalanceMicros}
	if fill != nil {
		fill(&ev)
	}
	o.fx.Events = append(o.fx.Events, ev)
}

// --- money movements, each asserting the wallet invariants ---

func (o *op) reserve(amountMicros int64) {
	assert(amountMicros >= 0, "reserve of a negative amount")
	o.w.ReservedMicros += amountMicros
}

func (o *op) unreserve(amountMicros int64) {
	assert(amountMicros >= 0 && amountMicros <= o.w.ReservedMicros, "release of more than is reserved")
	o.w.ReservedMicros -= amountMicros
}

// debit takes a committed charge from the balance and applies the rules a
// lower balance triggers: tier, low balance, grace, auto-recharge.
func (o *op) debit(amountMicros int64) {
	assert(amountMicros >= 0, "negative charge")
	if amountMicros == 0 {
		return
	}
	w := o.w
	w.BalanceMicros -= amountMicros
	w.LifetimeSpendMicros += amountMicros
	o.addMonthSpend(amountMicros)
	o.afterDebit()
}

func (o *op) addMonthSpend(amountMicros int64) {
	month := monthOf(o.now)
	if o.w.MonthKey != month {
		o.w.MonthKey, o.w.MonthSpendMicros = month, 0
	}
	o.w.MonthSpendMicros += amountMicros
}

func (o *op) afterDebit() {
	w := o.w
	if i, t := o.tier(); int32(i) != w.TierIndex {
		w.TierIndex = int32(i)
		o.emit("tier_changed", func(ev *WalletEvent) { ev.Tier = t.Name })
	}
	if w.LowBalanceThresholdMicros > 0 && w.BalanceMicros <= w.LowBalanceThresholdMicros && !w.LowBalanceAlerted {
		w.LowBalanceAlerted = true
		o.emit("balance_low", nil)
	}
	if w.BalanceMicros <= 0 {
		o.openGrace()
	}
	o.maybeAutoRecharge()
}

// credit adds a top-up to the balance and applies the rules a higher balance
// triggers: low-balance re-arm and the end of a grace state.
func (o *op) credit(amountMicros int64) {
	assert(amountMicros > 0, "credit must be positive")
	w := o.w
	w.BalanceMicros += amountMicros
	if w.BalanceMicros > w.LowBalanceThresholdMicros {
		w.LowBalanceAlerted = false
	}
	if w.GraceEndsAt != 0 && w.BalanceMicros > 0 {
		w.GraceEndsAt, w.BlockedNotified = 0, false
		o.emit("balance_restored", nil)
	}
}

// openGrace opens the grace window if none is open or closed (SPEC 5): the
// first time the wallet cannot fully fund a request or a commit leaves its
// balance at or below zero.
func (o *op) openGrace() {
	w := o.w
	if w.GraceEndsAt != 0 {
		return
	}
	w.GraceEndsAt = o.now + w.GracePeriodSeconds*1000
	w.BlockedNotified = false
	o.emit("grace_started", nil)
	o.sh.Timers.Push(reservation.Timer{AtMs: w.GraceEndsAt, Kind: reservation.TimerGraceEnd, Tenant: w.Tenant})
}

// maybeAutoRecharge requests a recharge when a charge left the balance below
// the threshold, none is pending and the daily cap is not reached.
func (o *op) maybeAutoRecharge() {
	w := o.w
	if !w.AutoRechargeEnabled || w.BalanceMicros >= w.AutoRechargeThreshold {
		return
	}
	if w.AutoRechargePendingRef != "" && o.now-w.AutoRechargePendingSince < AutoRechargeLapse.Milliseconds() {
		return
	}
	recent := w.AutoRechargeRecent[:0]
	for _, at := range w.AutoRechargeRecent {
		if o.now-at < (24 * time.Hour).Milliseconds() {
			recent = append(recent, at)
		}
	}
	w.AutoRechargeRecent = recent
	if len(recent) >= AutoRechargeMaxPerDay {
		return
	}
	ref := o.id('r')
	w.AutoRechargePendingRef, w.AutoRechargePendingSince = ref, o.now
	w.AutoRechargeRecent = append(w.AutoRechargeRecent, o.now)
	o.emit("recharge_requested", func(ev *WalletEvent) {
		ev.AmountMicros, ev.Method, ev.Reference = w.AutoRechargeAmount, w.AutoRechargeMethod, ref
	})
}

// pendingRecharge returns the pending reference if it has not lapsed.
func (w *wallet) pendingRecharge(nowMs int64) string {
	if w.AutoRechargePendingRef == "" || nowMs-w.AutoRechargePendingSince >= AutoRechargeLapse.Milliseconds() {
		return ""
	}
	return w.AutoRechargePendingRef
}

// nextTx fills a transaction with the wallet's next sequence number.
func (o *op) nextTx(tx *Transaction, typ, service, item string, amountMicros int64) *Transaction {
	o.w.TxSeq++
	o.txNum = o.nextIDNumber()
	*tx = Transaction{
		ID: o.idOf('t', o.txNum), Tenant: o.w.Tenant, Seq: o.w.TxSeq, Type: typ, Service: service, Item: item,
		AmountMicros: amountMicros, BalanceAfterMicros: o.w.BalanceMicros, CreatedAt: o.now,
	}
	return tx
}

func (o *op) usage(item string, count, quantityMicros, amountMicros int64, unit string) {
	o.fx.Usage = append(o.fx.Usage, UsageDelta{
		Tenant: o.w.Tenant, Month: monthOf(o.now), Item: item, Count: count,
		QuantityMicros: quantityMicros, AmountMicros: amountMicros, Unit: unit,
	})
}

// checkWallet asserts the invariants that hold between operations.
func (w *wallet) check() {
	assert(w.ReservedMicros >= 0, "reserved below zero")
	var sum int64
	for s := range w.open.all() {
		assert(s.Reserved >= 0, "session reservation below zero")
		sum += s.Reserved
	}
	assert(sum == w.ReservedMicros, "reserved != Σ open reservations")
}

// assert panics on a broken money invariant: continuing would risk money.
func assert(ok bool, what string) {
	if !ok {
		panic(fmt.Sprintf("salio: invariant violated: %s", what))
	}
}

func monthOf(ms int64) int32 {
	if m := lastMonthSpan.Load(); m != nil && ms >= m.startMs && ms < m.endMs {
		return m.month
	}
	t := time.UnixMilli(ms).UTC()
	start := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
	m := &monthSpan{startMs: start.UnixMilli(), endMs: start.AddDate(0, 1, 0).UnixMilli(),
		month: int32(t.Year()*100 + int(t.Month()))}
	lastMonthSpan.Store(m)
	return m.month
}

// lastMonthSpan is the month monthOf last computed, with its bounds: nearly
// every call is for now, and the calendar arithmetic of a time.Time costs a
// debit (which takes the month twice) as much as its rating does.
var lastMonthSpan atomic.Pointer[monthSpan]

type monthSpan struct {
	startMs, endMs int64 // [start, end) of the month, UTC
	month          int32 // yyyymm
}

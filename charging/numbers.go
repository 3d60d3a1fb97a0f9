package charging

import (
	"sort"
	"time"

	"github.com/salio/salio/reservation"
	"github.com/salio/salio/tariff"
)

// AddNumber adds a phone number and charges setup_fee + monthly_fee at once,
// at list price (no tier multiplier). The purchase is one transaction; the
// month's usage gets a number.setup and a number.monthly line.
func (e *Engine) AddNumber(tenant string, r NumberRequest) (NumberState, error) {
	if err := e.checkUsable(); err != nil {
		return NumberState{}, err
	}
	number, err := e.validateNumber(&r)
	if err != nil {
		return NumberState{}, err
	}
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return NumberState{}, err
	}
	if old := w.numbers[number]; old != nil {
		sh.Unlock()
		return NumberState{}, conflict("number " + number + " exists")
	}
	if len(w.numbers) >= MaxNumbersPerTenant {
		sh.Unlock()
		return NumberState{}, &InvalidError{Field: "number", Msg: "too many numbers for one tenant"}
	}
	o := e.newOp(sh, w)
	cost := r.SetupFeeMicros + r.MonthlyFeeMicros
	if cost > 0 && (w.blocked(o.now) || cost > w.available()) {
		o.openGrace()
		return NumberState{}, o.refuse(w.fundsError(o.now))
	}
	added := time.UnixMilli(o.now).UTC()
	n := &NumberState{
		Tenant: tenant, Number: number, Type: r.Type, Capabilities: append([]string(nil), r.Capabilities...),
		MonthlyFeeMicros: r.MonthlyFeeMicros, SetupFeeMicros: r.SetupFeeMicros, AddedAt: o.now,
		AnchorDay: int32(added.Day()), Status: "active",
	}
	n.NextRenewalAt = renewalAfter(n.AddedAt, n.AnchorDay, 1)
	o.debit(cost)
	tx := o.nextTx(&o.fx.tx, "charge", "number", "number.setup", -cost)
	tx.QuantityMicros, tx.Unit, tx.Reference = 1_000_000, "number", number
	tx.Description = "Number +" + number + ": setup " + tariff.FormatMicros(r.SetupFeeMicros) + " + first month " + tariff.FormatMicros(r.MonthlyFeeMicros)
	o.fx.Transaction = tx
	o.usage("number.setup", 1, 1_000_000, r.SetupFeeMicros, "number")
	o.usage("number.monthly", 1, 1_000_000, r.MonthlyFeeMicros, "number")
	if w.numbers == nil {
		w.numbers = make(map[string]*NumberState)
	}
	w.numbers[number] = n
	o.fx.Number = n
	sh.Timers.Push(reservation.Timer{AtMs: n.NextRenewalAt, Kind: reservation.TimerNumberRenewal, Tenant: tenant, Key: number})
	out := *n
	if err := e.wait(o.submit()); err != nil {
		return NumberState{}, err
	}
	return out, nil
}

func (e *Engine) validateNumber(r *NumberRequest) (string, error) {
	number, err := tariff.NormalizeDestination(r.Number)
	if err != nil {
		return "", &InvalidError{Field: "number", Msg: "must be 1-32 digits, optionally after +"}
	}
	switch r.Type {
	case "toll_free", "premium", "normal":
	default:
		return "", &InvalidError{Field: "type", Msg: "must be toll_free, premium or normal"}
	}
	if len(r.Capabilities) > 8 {
		return "", &InvalidError{Field: "capabilities", Msg: "at most 8"}
	}
	for _, c := range r.Capabilities {
		switch c {
		case "voice", "sms", "mms", "whatsapp", "fax":
		default:
			return "", &InvalidError{Field: "capabilities", Msg: "each must be voice, sms, mms, whatsapp or fax"}
		}
	}
	if r.MonthlyFeeMicros < 0 || r.MonthlyFeeMicros > e.cfg.MaxTopUpMicros {
		return "", &InvalidError{Field: "monthly_fee", Msg: "out of range"}
	}
	if r.SetupFeeMicros < 0 || r.SetupFeeMicros > e.cfg.MaxTopUpMicros {
		return "", &InvalidError{Field: "setup_fee", Msg: "out of range"}
	}
	return number, nil
}

// renewalAfter returns the k-th monthly anniversary of addedMs: the anchor day
// of the month k months later, or that month's last day if it is shorter.
func renewalAfter(addedMs int64, anchorDay int32, k int) int64 {
	t := time.UnixMilli(addedMs).UTC()
	first := time.Date(t.Year(), t.Month()+time.Month(k), 1, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	last := first.AddDate(0, 1, -1).Day()
	day := min(int(anchorDay), last)
	return first.AddDate(0, 0, day-1).UnixMilli()
}

// nextRenewal returns the anniversary after the one at prevMs.
func nextRenewal(n *NumberState, prevMs int64) int64 {
	added := time.UnixMilli(n.AddedAt).UTC()
	prev := time.UnixMilli(prevMs).UTC()
	k := (prev.Year()-added.Year())*12 + int(prev.Month()-added.Month()) + 1
	return renewalAfter(n.AddedAt, n.AnchorDay, k)
}

// renewNumber charges a due monthly fee, or suspends the number. A renewal is
// not a request, so a blocked wallet that can pay still renews.
func (o *op) renewNumber(n *NumberState) {
	if n.MonthlyFeeMicros > o.w.available() {
		if n.Status != "suspended" {
			n.Status = "suspended"
			o.emit("number_suspended", func(ev *WalletEvent) { ev.Reference = n.Number })
		}
		o.fx.Number = n
		return
	}
	n.Status = "active"
	for n.NextRenewalAt <= o.now {
		n.NextRenewalAt = nextRenewal(n, n.NextRenewalAt)
	}
	o.debit(n.MonthlyFeeMicros)
	tx := o.nextTx(&o.fx.tx, "charge", "number", "number.monthly", -n.MonthlyFeeMicros)
	tx.QuantityMicros, tx.Unit, tx.Reference = 1_000_000, "number", n.Number
	tx.Description = "Number +" + n.Number + ": monthly fee"
	o.fx.Transaction = tx
	o.usage("number.monthly", 1, 1_000_000, n.MonthlyFeeMicros, "number")
	o.fx.Number = n
	o.sh.Timers.Push(reservation.Timer{AtMs: n.NextRenewalAt, Kind: reservation.TimerNumberRenewal, Tenant: n.Tenant, Key: n.Number})
}

// retrySuspendedNumbers renews suspended numbers after a top-up, each as an
// effect of its own pushed after the top-up's (still under the wallet lock).
func (o *op) retrySuspendedNumbers() *Commit {
	var last *Commit
	for _, n := range o.w.sortedNumbers() {
		if n.Status != "suspended" || n.MonthlyFeeMicros > o.w.available() {
			continue
		}
		o.renewNumber(n)
		last = o.push()
	}
	return last
}

func (w *wallet) sortedNumbers() []*NumberState {
	out := make([]*NumberState, 0, len(w.numbers))
	for _, n := range w.numbers {
		out = append(out, n)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Number < out[j].Number })
	return out
}

// Numbers lists a tenant's numbers.
func (e *Engine) Numbers(tenant string) ([]NumberState, error) {
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return nil, err
	}
	defer sh.Unlock()
	out := make([]NumberState, 0, len(w.numbers))
	for _, n := range w.sortedNumbers() {
		out = append(out, *n)
	}
	return out, nil
}

// DeleteNumber releases a number (no refund).
func (e *Engine) DeleteNumber(tenant, number string) error {
	if err := e.checkUsable(); err != nil {
		return err
	}
	if norm, err := tariff.NormalizeDestination(number); err == nil {
		number = norm
	}
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return err
	}
	n := w.numbers[number]
	if n == nil {
		sh.Unlock()
		return notFound("number")
	}
	delete(w.numbers, number)
	del := *n
	del.Deleted = true
	o := e.newOp(sh, w)
	o.fx.Number = &del
	return e.wait(o.submit())
}

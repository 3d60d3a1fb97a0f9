package charging

import (
	"math"

	"github.com/salio/salio/reservation"
)

// TopUp credits a wallet. The reference is the idempotency key, unique per
// wallet: a repeat with the same amount and method returns the original
// answer (transaction and wallet as the top-up left it) and credits nothing;
// with another amount or method it is a conflict.
func (e *Engine) TopUp(tenant string, r TopUpRequest) (TopUpResult, bool, error) {
	if err := e.checkUsable(); err != nil {
		return TopUpResult{}, false, err
	}
	if r.AmountMicros <= 0 || r.AmountMicros > e.cfg.MaxTopUpMicros {
		return TopUpResult{}, false, &InvalidError{Field: "amount", Msg: "must be positive and at most the maximum top-up"}
	}
	if !ValidMethod(r.Method) {
		return TopUpResult{}, false, &InvalidError{Field: "method", Msg: "unknown payment method"}
	}
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return TopUpResult{}, false, err
	}
	prev, err := e.rememberedTopUp(w, r.Reference)
	if err != nil {
		sh.Unlock()
		return TopUpResult{}, false, err
	}
	if prev != nil {
		defer sh.Unlock()
		if prev.AmountMicros != r.AmountMicros || prev.Method != r.Method {
			return TopUpResult{}, false, conflict("reference " + r.Reference + " was used with another amount or method")
		}
		e.stats.replays.Add(1)
		res := TopUpResult{Transaction: prev.Transaction, Wallet: prev.Wallet}
		if res.Wallet.Tenant == "" {
			res.Wallet = e.view(w)
		}
		return res, true, nil
	}
	o := e.newOp(sh, w)
	o.credit(r.AmountMicros)
	if w.AutoRechargePendingRef == r.Reference {
		w.AutoRechargePendingRef = "" // the payment integration answered our request
	}
	tx := o.nextTx(&o.fx.tx, "topup", "", "", r.AmountMicros)
	tx.Reference, tx.Method = r.Reference, r.Method
	o.fx.Transaction = tx
	o.usage("payments", 1, 0, r.AmountMicros, "")
	rec := &TopUpRecord{Tenant: tenant, Reference: r.Reference, AmountMicros: r.AmountMicros, Method: r.Method, At: o.now,
		Transaction: *tx, Wallet: e.view(w)}
	e.rememberTopUp(o, rec)
	o.fx.TopUp = rec
	res := TopUpResult{Transaction: rec.Transaction, Wallet: rec.Wallet}
	c := o.push()
	// Suspended numbers the credit can now pay are renewed after it, as
	// transactions of their own: the answer stays the wallet as the top-up
	// left it, the same one a repeat of the reference gets.
	if renewed := o.retrySuspendedNumbers(); renewed != nil {
		c = renewed
	}
	sh.Unlock()
	o.release()
	if err := e.wait(c); err != nil {
		return TopUpResult{}, false, err
	}
	return res, false, nil
}

// TopUpReader is what the engine asks about top-up references it no longer
// holds in memory. The store implements it (top-up records are kept for good).
type TopUpReader interface {
	TopUp(tenant, reference string) (TopUpRecord, bool, error)
}

// rememberedTopUp finds a reference in memory, else in the store: a point
// read under the wallet lock, paid only by top-ups with a new or old reference.
func (e *Engine) rememberedTopUp(w *wallet, reference string) (*TopUpRecord, error) {
	if prev := w.topups[reference]; prev != nil {
		return prev, nil
	}
	tr, ok := e.reader.(TopUpReader)
	if !ok {
		return nil, nil
	}
	rec, found, err := tr.TopUp(w.Tenant, reference)
	if err != nil {
		return nil, e.readError(err)
	}
	if !found {
		return nil, nil
	}
	return &rec, nil
}

func (e *Engine) rememberTopUp(o *op, rec *TopUpRecord) {
	if o.w.topups == nil {
		o.w.topups = make(map[string]*TopUpRecord)
	}
	o.w.topups[rec.Reference] = rec
	e.idemCount.Add(1)
	o.sh.Forget.Push(reservation.Timer{AtMs: rec.At + e.cfg.Retention.Milliseconds(), Kind: reservation.TimerForgetTopUp, Tenant: rec.Tenant, Key: rec.Reference})
	o.evictRetained()
}

// evictRetained forgets the shard's oldest closed sessions and top-up records
// early while the shard holds more than its share of MaxIdempotencyRecords:
// memory stays bounded whatever the call rate. A forgotten session's key, if
// it has one, goes with this op's effect; a top-up reference stays recognised
// for good through the store (TopUpReader).
func (o *op) evictRetained() {
	for limit := o.e.retainedPerShard(); ; {
		id, ok := o.e.evictOldest(o.sh, limit)
		if !ok {
			return
		}
		if id != "" {
			o.fx.ForgetSessions = append(o.fx.ForgetSessions, id)
		}
	}
}

// retainedPerShard is a shard's share of MaxIdempotencyRecords.
func (e *Engine) retainedPerShard() int { return max(1, e.cfg.MaxIdempotencyRecords/e.wallets.Len()) }

// evictOldest forgets, and counts, the shard's oldest closed session or top-up
// record if the shard holds more than limit; it reports false if it held no
// more. A forgotten session whose image has a key of its own in the store is
// returned as keyedID, for the caller to delete.
func (e *Engine) evictOldest(sh *reservation.Shard[wallet], limit int) (keyedID string, ok bool) {
	for sh.Forget.Len() > limit {
		t, _ := sh.Forget.PopFront()
		switch t.Kind {
		case reservation.TimerForgetSession:
			keyed, ok := e.dropClosed(t.Key, math.MaxInt64)
			if !ok {
				continue
			}
			if keyed {
				keyedID = t.Key
			}
		case reservation.TimerForgetTopUp:
			w := sh.Get(t.Tenant)
			if w == nil || w.topups[t.Key] == nil {
				continue
			}
			delete(w.topups, t.Key)
		default:
			continue
		}
		e.idemCount.Add(-1)
		e.evictions.Add(1)
		return keyedID, true
	}
	return "", false
}

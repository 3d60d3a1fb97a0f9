package charging

import (
	"errors"
	"fmt"

	"github.com/salio/salio/reservation"
	"github.com/salio/salio/tariff"
)

// Restorer returns the receiver of the durable state, for the store's recovery.
// Call it before Start; Start then checks the recovered wallets' invariants.
func (e *Engine) Restorer() Restorer { return restorer{e} }

type restorer struct{ e *Engine }

func (r restorer) RestoreTariff(rec TariffRecord) error {
	t, err := tariff.Parse(rec.Doc)
	if err != nil {
		return fmt.Errorf("restore tariff %s v%d: %w", rec.ID, rec.Version, err)
	}
	t.Version = rec.Version
	r.e.tariffs.install(t)
	return nil
}

func (r restorer) RestoreWallet(ws WalletState) error {
	ent := r.e.tariffs.get(ws.TariffID)
	if ent == nil {
		return fmt.Errorf("restore wallet %s: unknown tariff %s", ws.Tenant, ws.TariffID)
	}
	sh := r.e.wallets.ShardOf(ws.Tenant)
	sh.Lock()
	defer sh.Unlock()
	if sh.Get(ws.Tenant) != nil {
		return fmt.Errorf("restore wallet %s: restored twice", ws.Tenant)
	}
	r.e.putWallet(sh, &wallet{WalletState: ws, tariff: ent})
	if ws.GraceEndsAt != 0 && !ws.BlockedNotified {
		sh.Timers.Push(reservation.Timer{AtMs: ws.GraceEndsAt, Kind: reservation.TimerGraceEnd, Tenant: ws.Tenant})
	}
	return nil
}

// withWallet runs fn on a restored wallet with its shard locked.
func (r restorer) withWallet(tenant, what string, fn func(sh *reservation.Shard[wallet], w *wallet)) error {
	sh := r.e.wallets.ShardOf(tenant)
	sh.Lock()
	defer sh.Unlock()
	w := sh.Get(tenant)
	if w == nil {
		return fmt.Errorf("restore %s: unknown tenant %s", what, tenant)
	}
	fn(sh, w)
	return nil
}

// RestoreSession takes a session kept under its own key: an open one, or a
// closed one that a store written before closed sessions moved to the CDR log
// still holds (keyed: forgetting it deletes that key).
func (r restorer) RestoreSession(ss SessionState) error {
	s := &ss
	return r.withWallet(s.Tenant, "session "+s.ID, func(sh *reservation.Shard[wallet], w *wallet) {
		r.e.sessions.Put(s.ID, s)
		if s.Closed {
			s.keyed = true
			r.retainClosed(sh, s)
			return
		}
		w.open.put(s)
		pushExpiry(sh, s)
	})
}

// RestoreClosedSession takes a closed session kept with its CDR; the store
// hands them over in commit order, after RestoreSession's. One past the
// retention is skipped. If the id is taken, an open session is the newer (an
// id is used again only once its closed session is forgotten) and stays, and
// a closed one is the older and is replaced.
func (r restorer) RestoreClosedSession(ss SessionState) error {
	s := &ss
	if !s.Closed {
		return fmt.Errorf("restore closed session %s: it is open", s.ID)
	}
	if s.ClosedAt+r.e.cfg.Retention.Milliseconds() <= r.e.nowMs() {
		return nil
	}
	return r.withWallet(s.Tenant, "session "+s.ID, func(sh *reservation.Shard[wallet], w *wallet) {
		if old, ok := r.e.sessions.Get(s.ID); ok {
			if !old.Closed {
				return
			}
			s.keyed = old.keyed // its key, if any, is still to delete
			r.e.idemCount.Add(-1)
		}
		r.e.sessions.Put(s.ID, s)
		r.retainClosed(sh, s)
	})
}

// retainClosed counts a recovered closed session and queues its forgetting.
func (r restorer) retainClosed(sh *reservation.Shard[wallet], s *SessionState) {
	r.e.idemCount.Add(1)
	sh.Forget.Push(reservation.Timer{AtMs: s.ClosedAt + r.e.cfg.Retention.Milliseconds(), Kind: reservation.TimerForgetSession, Tenant: s.Tenant, Key: s.ID})
}

func (r restorer) RestoreNumber(ns NumberState) error {
	n := &ns
	return r.withWallet(n.Tenant, "number "+n.Number, func(sh *reservation.Shard[wallet], w *wallet) {
		if n.Deleted {
			return
		}
		if w.numbers == nil {
			w.numbers = make(map[string]*NumberState)
		}
		w.numbers[n.Number] = n
		if n.Status == "active" {
			sh.Timers.Push(reservation.Timer{AtMs: n.NextRenewalAt, Kind: reservation.TimerNumberRenewal, Tenant: n.Tenant, Key: n.Number})
		}
	})
}

// RestoreEvent remembers an event's answer. The store hands them over in
// commit order, which is the order the memo expires them in.
func (r restorer) RestoreEvent(a EventAnswer) error {
	var err error
	werr := r.withWallet(a.Tenant, "event "+a.EventID, func(sh *reservation.Shard[wallet], w *wallet) {
		if _, _, ok := r.e.shards[sh.ID()].events.Get(w.memoOwner, a.EventID); !ok {
			var n uint64
			if n, err = idNumber('t', a.TransactionID); err != nil {
				err = fmt.Errorf("event %s: transaction id: %w", a.EventID, err)
				return
			}
			r.e.rememberEvent(sh, w, &a, n)
		}
	})
	return errors.Join(werr, err)
}

func (r restorer) RestoreTopUp(t TopUpRecord) error {
	rec := &t
	return r.withWallet(t.Tenant, "top-up "+t.Reference, func(sh *reservation.Shard[wallet], w *wallet) {
		if w.topups == nil {
			w.topups = make(map[string]*TopUpRecord)
		}
		w.topups[rec.Reference] = rec
		r.e.idemCount.Add(1)
		sh.Forget.Push(reservation.Timer{AtMs: rec.At + r.e.cfg.Retention.Milliseconds(), Kind: reservation.TimerForgetTopUp, Tenant: rec.Tenant, Key: rec.Reference})
	})
}

func (r restorer) RestoreKey(k KeyRecord) error {
	r.e.access.mu.Lock()
	defer r.e.access.mu.Unlock()
	r.e.access.putKey(k)
	return nil
}

func (r restorer) RestoreRole(role RoleRecord) error {
	r.e.access.mu.Lock()
	defer r.e.access.mu.Unlock()
	r.e.access.putRole(role)
	return nil
}

// verifyRecovered checks every wallet's invariants after recovery: a stored
// reserved total that disagrees with its sessions means the store is corrupt.
func (e *Engine) verifyRecovered() error {
	for i := 0; i < e.wallets.Len(); i++ {
		sh := e.wallets.Shard(i)
		sh.Lock()
		sh.Forget.Sort() // recovery pushed retention deadlines in key order
		// The CDR log may hold more closed sessions than memory may keep.
		for limit := e.retainedPerShard(); ; {
			if _, ok := e.evictOldest(sh, limit); !ok {
				break
			}
		}
		var bad error
		sh.Range(func(tenant string, w *wallet) bool {
			var sum int64
			for s := range w.open.all() {
				sum += s.Reserved
			}
			if sum != w.ReservedMicros || w.LifetimeSpendMicros < 0 {
				bad = fmt.Errorf("recovered wallet %s: reserved %d != Σ sessions %d", tenant, w.ReservedMicros, sum)
				return false
			}
			return true
		})
		sh.Unlock()
		if bad != nil {
			return bad
		}
	}
	return nil
}

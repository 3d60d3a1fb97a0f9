package charging

import (
	"time"

	"github.com/salio/salio/reservation"
)

// timerLoop drives every deadline from the shards' heaps, and closes months.
func (e *Engine) timerLoop() {
	defer e.wg.Done()
	tick := time.NewTicker(TimerTick)
	defer tick.Stop()
	for {
		if m := monthOf(e.nowMs()); m != e.lastMonth && !e.closingMonths.Load() {
			// Closing months reads the store for every tenant: never on the
			// timer goroutine, whose deadlines (expiry) must stay on time.
			e.lastMonth = m
			e.closingMonths.Store(true)
			e.wg.Add(1)
			go func() {
				defer e.wg.Done()
				defer e.closingMonths.Store(false)
				e.closeEndedMonths()
			}()
		}
		select {
		case <-e.stop:
			return
		case <-tick.C:
			e.RunTimers()
		}
	}
}

// RunTimers handles every due deadline now. The timer loop calls it each tick;
// tests with a manual clock call it after moving the clock.
func (e *Engine) RunTimers() {
	if e.checkUsable() != nil {
		return
	}
	var last *Commit
	for i := 0; i < e.wallets.Len(); i++ {
		sh := e.wallets.Shard(i)
		sh.Lock()
		now := e.nowMs()
		e.forgetEvents(sh, now)
		for _, pop := range []func(int64) (reservation.Timer, bool){sh.Timers.PopDue, sh.Forget.PopDue} {
			for {
				t, ok := pop(now)
				if !ok {
					break
				}
				if c := e.fire(sh, t, now); c != nil {
					last = c
				}
			}
		}
		sh.Unlock()
	}
	if last != nil {
		_ = e.wait(last)
	}
}

// fire handles one deadline with its shard locked. Stale entries (the item
// changed since the timer was pushed) are skipped.
func (e *Engine) fire(sh *reservation.Shard[wallet], t reservation.Timer, now int64) *Commit {
	if t.Kind == reservation.TimerForgetSession {
		return e.forgetSession(t.Key, now)
	}
	w := sh.Get(t.Tenant)
	if w == nil {
		return nil
	}
	o := e.newOp(sh, w)
	o.now = now
	defer o.release()
	switch t.Kind {
	case reservation.TimerSessionExpiry:
		s := w.open.get(t.Key)
		if s == nil {
			return nil
		}
		if s.ExpiresAt > now { // the session was updated since: wait for its new deadline
			pushExpiry(sh, s)
			return nil
		}
		o.unreserve(s.Reserved)
		s.Reserved = 0
		o.closeSession(s, TermExpired)
		o.emit("session_expired", func(ev *WalletEvent) { ev.Reference = s.ID })
		e.stats.expiries.Add(1)
	case reservation.TimerGraceEnd:
		if w.GraceEndsAt == 0 || w.GraceEndsAt > now || w.BlockedNotified {
			return nil
		}
		w.BlockedNotified = true
		o.emit("blocked", nil)
	case reservation.TimerNumberRenewal:
		n := w.numbers[t.Key]
		if n == nil || n.Status != "active" || n.NextRenewalAt > now {
			return nil
		}
		o.renewNumber(n)
	case reservation.TimerForgetTopUp:
		// Top-up records stay on disk (money in is rare and worth keeping);
		// only memory forgets them after retention.
		if r := w.topups[t.Key]; r != nil && r.At+e.cfg.Retention.Milliseconds() <= now {
			delete(w.topups, t.Key)
			e.idemCount.Add(-1)
		}
		return nil
	default:
		return nil
	}
	return o.push()
}

// forgetSession drops a closed session past retention from the index and the
// store. The timer was pushed to the session's wallet shard, whose lock is held.
func (e *Engine) forgetSession(id string, now int64) *Commit {
	retentionMs := e.cfg.Retention.Milliseconds()
	keyed, ok := e.dropClosed(id, now-retentionMs)
	if !ok {
		return nil
	}
	e.idemCount.Add(-1)
	if !keyed {
		return nil // its image went with its CDR, which the log's retention prunes
	}
	return e.sink.Submit(&Effect{ForgetSessions: []string{id}})
}

// dropClosed removes session id from the index if it is closed and closed at
// or before closedBy, and reports whether its image has a key of its own in
// the store to delete (keyed).
func (e *Engine) dropClosed(id string, closedBy int64) (keyed, dropped bool) {
	dropped = e.sessions.DeleteIf(id, func(s *SessionState) bool {
		keyed = s.keyed
		return s.Closed && s.ClosedAt <= closedBy
	})
	return keyed && dropped, dropped
}

package store

import (
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// Submit encodes e into the pending group and returns the group's Commit. It
// does no I/O and keeps nothing of e. It blocks only while the pending group
// is full (see Options.MaxPendingBytes). After a failure or Close it returns
// an already-finished Commit carrying the error.
func (s *Store) Submit(e *charging.Effect) *charging.Commit {
	var nowMs int64
	if e.CDR != nil || len(e.Events) > 0 {
		nowMs = s.opts.Now().UnixMilli()
	}
	s.mu.Lock()
	for s.err == nil && !s.closing && s.full() {
		s.space.Wait()
	}
	if c := s.refusal(); c != nil {
		s.mu.Unlock()
		return c
	}
	g := s.cur
	s.appendEffect(g, e, nowMs)
	g.effects++
	first := g.effects == 1
	c := g.commit
	s.mu.Unlock()
	if first {
		s.wake()
	}
	return c
}

// refusal returns the finished Commit to hand out instead of accepting an
// effect, or nil. Called with mu held.
func (s *Store) refusal() *charging.Commit {
	if s.err != nil {
		return s.failedCommit
	}
	if s.closing {
		c := charging.NewCommit()
		c.Finish(fmt.Errorf("%w: %w", charging.ErrUnavailable, ErrClosed))
		return c
	}
	return nil
}

// full reports whether the pending group has reached its bounds. An empty
// group is never full, so one oversized effect still goes through.
func (s *Store) full() bool {
	g := s.cur
	return g.effects > 0 && (g.effects >= s.opts.MaxPendingEffects || g.batch.Len() >= s.opts.MaxPendingBytes)
}

func (s *Store) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// appendEffect writes e's records into g's batch (Batch.Set copies). Forgets
// go first so that a record the same effect writes wins.
func (s *Store) appendEffect(g *group, e *charging.Effect, nowMs int64) {
	b := g.batch
	for _, id := range e.ForgetSessions {
		s.scratch = appendKey1(s.scratch[:0], kindSession, id)
		_ = b.Delete(s.scratch, nil)
	}
	for _, te := range e.ForgetEvents {
		s.scratch = appendKey2(s.scratch[:0], kindEvent, te[0], te[1])
		_ = b.Delete(s.scratch, nil)
	}
	if w := e.Wallet; w != nil {
		s.put(b, appendKey1(s.scratch[:0], kindWallet, w.Tenant), func(v []byte) []byte { return appendWallet(v, w) })
	}
	if ss := e.Session; ss != nil {
		s.put(b, appendKey1(s.scratch[:0], kindSession, ss.ID), func(v []byte) []byte { return appendSession(v, ss) })
	}
	if t := e.Transaction; t != nil {
		s.put(b, appendKeySeq(s.scratch[:0], kindTransaction, t.Tenant, t.Seq), func(v []byte) []byte { return appendTransaction(v, t) })
	}
	if c := e.CDR; c != nil {
		s.nextCDR++
		g.hasCDR = true
		s.put(b, appendLogKey(s.scratch[:0], kindCDRLog, s.nextCDR), func(v []byte) []byte {
			return appendCDR(appendLogEntry(v, nowMs), c)
		})
	}
	for i := range e.Events {
		ev := &e.Events[i]
		s.nextEvent++
		g.hasEvt = true
		s.put(b, appendLogKey(s.scratch[:0], kindEventLog, s.nextEvent), func(v []byte) []byte {
			return appendWalletEvent(appendLogEntry(v, nowMs), ev)
		})
	}
	for i := range e.Usage {
		u := &e.Usage[i]
		k := appendMonth(appendKey1(s.scratch[:0], kindUsage, u.Tenant), u.Month)
		k = appendComponent(k, u.Item)
		s.scratch = appendUsage(k, u)
		_ = b.Merge(s.scratch[:len(k)], s.scratch[len(k):], nil)
	}
	s.appendState(b, e)
}

// appendState writes the idempotency, configuration and invoice records.
func (s *Store) appendState(b *pebble.Batch, e *charging.Effect) {
	if a := e.Event; a != nil {
		s.put(b, appendKey2(s.scratch[:0], kindEvent, a.Tenant, a.EventID), func(v []byte) []byte { return appendEventAnswer(v, a) })
	}
	if t := e.TopUp; t != nil {
		s.put(b, appendKey2(s.scratch[:0], kindTopUp, t.Tenant, t.Reference), func(v []byte) []byte { return appendTopUp(v, t) })
	}
	if n := e.Number; n != nil {
		k := appendKey2(s.scratch[:0], kindNumber, n.Tenant, n.Number)
		if n.Deleted {
			_ = b.Delete(k, nil)
		} else {
			s.put(b, k, func(v []byte) []byte { return appendNumber(v, n) })
		}
	}
	if t := e.Tariff; t != nil {
		s.put(b, appendTariffKey(s.scratch[:0], t.ID, t.Version), func(v []byte) []byte { return appendTariff(v, t) })
	}
	if k := e.Key; k != nil {
		key := appendKey1(s.scratch[:0], kindKey, k.ID)
		if k.Deleted {
			_ = b.Delete(key, nil)
		} else {
			s.put(b, key, func(v []byte) []byte { return appendKeyRecord(v, k) })
		}
	}
	if r := e.Role; r != nil {
		s.put(b, appendKey2(s.scratch[:0], kindRole, r.Tenant, r.Name), func(v []byte) []byte { return appendRole(v, r) })
	}
	if v := e.Invoice; v != nil {
		k := appendMonth(appendKey1(s.scratch[:0], kindInvoice, v.Tenant), v.Month)
		s.put(b, k, func(dst []byte) []byte { return appendInvoice(dst, v) })
	}
}

// put appends the value after key in the scratch buffer and sets it. key
// must be a prefix of s.scratch's backing array (built with s.scratch[:0]).
func (s *Store) put(b *pebble.Batch, key []byte, value func([]byte) []byte) {
	buf := value(key)
	_ = b.Set(buf[:len(key)], buf[len(key):], nil)
	s.scratch = buf
}

// committer is the single goroutine that commits groups: it takes the
// pending group (a fresh one starts filling at once), commits it with one
// fsync and finishes its Commit. It exits when the store is closing and
// drained, or failed.
func (s *Store) committer() {
	defer close(s.committerDone)
	for {
		g := s.take()
		if g == nil {
			return
		}
		s.commitGroup(g)
	}
}

// take waits for a non-empty pending group and swaps in a fresh one. It
// returns nil when the store is failed, or closing with nothing pending.
func (s *Store) take() *group {
	for {
		s.mu.Lock()
		if s.err != nil {
			s.mu.Unlock()
			return nil
		}
		if s.cur.effects > 0 {
			g := s.swapLocked()
			s.mu.Unlock()
			return g
		}
		if s.closing {
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		<-s.kick
	}
}

// swapLocked detaches the pending group, records the log heads in its batch
// (so a restart knows them even after retention emptied a log) and installs
// a fresh group on the spare batch.
func (s *Store) swapLocked() *group {
	g := s.cur
	g.cdrHead, g.eventHead = s.nextCDR, s.nextEvent
	if g.hasCDR {
		_ = g.batch.Set(keyCDRHead, be64(g.cdrHead), nil)
	}
	if g.hasEvt {
		_ = g.batch.Set(keyEventHead, be64(g.eventHead), nil)
	}
	s.cur = &group{batch: s.spare, commit: charging.NewCommit()}
	s.spare = nil
	s.space.Broadcast()
	return g
}

// commitGroup commits g and finishes its Commit: nil once durable (sync
// mode) or applied (batch mode); the store's error if the commit failed, in
// which case the store fails and stays failed.
func (s *Store) commitGroup(g *group) {
	if err := s.Err(); err != nil { // failed meanwhile by the batch-mode syncer
		g.commit.Finish(err)
		return
	}
	bytes := g.batch.Len()
	start := time.Now()
	err := commitBatch(g.batch, s.wsync)
	dur := time.Since(start)
	if err == nil {
		err = s.Err() // batch mode: a sync failed while this group was applied
	}
	if err != nil {
		g.commit.Finish(s.fail(err))
		return
	}
	s.committedCDR.Store(g.cdrHead)
	s.committedEvent.Store(g.eventHead)
	if s.opts.Durability == DurabilitySync {
		s.durableCDR.Store(g.cdrHead)
		s.durableEvent.Store(g.eventHead)
	}
	s.stats.commits.Add(1)
	s.stats.effects.Add(uint64(g.effects))
	s.stats.bytes.Add(uint64(bytes))
	s.stats.lastCommitNs.Store(int64(dur))
	g.commit.Finish(nil)
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(g.effects, bytes, dur)
	}
	g.batch.Reset()
	s.spare = g.batch
}

// syncLoop fsyncs the WAL every BatchSyncInterval in batch mode.
func (s *Store) syncLoop() {
	defer s.loops.Done()
	t := time.NewTicker(s.opts.BatchSyncInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.Failed() {
				return
			}
			_ = s.syncWAL()
		}
	}
}

// syncWAL fsyncs the WAL (an empty synced LogData record syncs everything
// written before it) and advances the durable log heads to what had been
// committed before the sync started.
func (s *Store) syncWAL() error {
	commits := s.stats.commits.Load()
	cdr, evt := s.committedCDR.Load(), s.committedEvent.Load()
	if commits == s.stats.syncedCommits.Load() {
		return nil
	}
	b := s.db.NewBatch()
	_ = b.LogData(nil, nil)
	if err := commitBatch(b, pebble.Sync); err != nil {
		return s.fail(err)
	}
	_ = b.Close()
	s.stats.syncedCommits.Store(commits)
	s.durableCDR.Store(cdr)
	s.durableEvent.Store(evt)
	return nil
}

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
	return g.effects > 0 && (g.effects >= s.opts.MaxPendingEffects || g.size() >= s.opts.MaxPendingBytes)
}

func (s *Store) wake() {
	select {
	case s.kick <- struct{}{}:
	default:
	}
}

// appendEffect encodes e's records into g. Forgets go first so that a
// record the same effect writes wins. Log records take the next sequence
// numbers: this runs under Store.mu, so seq order is submit order.
func (s *Store) appendEffect(g *group, e *charging.Effect, nowMs int64) {
	for _, id := range e.ForgetSessions {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindSession, id)
		g.add(opDelete, start, len(g.buf))
	}
	for _, te := range e.ForgetEvents {
		start := len(g.buf)
		g.buf = appendKey2(g.buf, kindEvent, te[0], te[1])
		g.add(opDelete, start, len(g.buf))
	}
	if w := e.Wallet; w != nil {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindWallet, w.Tenant)
		k := len(g.buf)
		g.buf = appendWallet(g.buf, w)
		g.add(opSet, start, k)
	}
	if ss := e.Session; ss != nil {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindSession, ss.ID)
		k := len(g.buf)
		g.buf = appendSession(g.buf, ss)
		g.add(opSet, start, k)
	}
	if t := e.Transaction; t != nil {
		start := len(g.buf)
		g.buf = appendKeySeq(g.buf, kindTransaction, t.Tenant, t.Seq)
		k := len(g.buf)
		g.buf = appendTransaction(g.buf, t)
		g.add(opSet, start, k)
	}
	s.appendLogs(g, e, nowMs)
	for i := range e.Usage {
		u := &e.Usage[i]
		start := len(g.buf)
		g.buf = appendComponent(appendMonth(appendKey1(g.buf, kindUsage, u.Tenant), u.Month), u.Item)
		k := len(g.buf)
		g.buf = appendUsage(g.buf, u)
		g.add(opMerge, start, k)
	}
	appendIdempotency(g, e)
	appendConfig(g, e)
}

// appendLogs encodes the CDR and wallet events as log entries.
func (s *Store) appendLogs(g *group, e *charging.Effect, nowMs int64) {
	if c := e.CDR; c != nil {
		s.nextCDR++
		g.hasCDR = true
		start := len(g.buf)
		g.buf = appendLogKey(g.buf, kindCDRLog, s.nextCDR)
		k := len(g.buf)
		g.buf = appendCDR(appendLogEntry(g.buf, nowMs), c)
		g.add(opSet, start, k)
	}
	for i := range e.Events {
		s.nextEvent++
		g.hasEvt = true
		start := len(g.buf)
		g.buf = appendLogKey(g.buf, kindEventLog, s.nextEvent)
		k := len(g.buf)
		g.buf = appendWalletEvent(appendLogEntry(g.buf, nowMs), &e.Events[i])
		g.add(opSet, start, k)
	}
}

// appendIdempotency encodes the event and top-up idempotency records.
func appendIdempotency(g *group, e *charging.Effect) {
	if a := e.Event; a != nil {
		start := len(g.buf)
		g.buf = appendKey2(g.buf, kindEvent, a.Tenant, a.EventID)
		k := len(g.buf)
		g.buf = appendEventAnswer(g.buf, a)
		g.add(opSet, start, k)
	}
	if t := e.TopUp; t != nil {
		start := len(g.buf)
		g.buf = appendKey2(g.buf, kindTopUp, t.Tenant, t.Reference)
		k := len(g.buf)
		g.buf = appendTopUp(g.buf, t)
		g.add(opSet, start, k)
	}
}

// appendConfig encodes numbers, tariffs, keys, roles and invoices. A deleted
// number or key deletes its record.
func appendConfig(g *group, e *charging.Effect) {
	if n := e.Number; n != nil {
		start := len(g.buf)
		g.buf = appendKey2(g.buf, kindNumber, n.Tenant, n.Number)
		if k := len(g.buf); n.Deleted {
			g.add(opDelete, start, k)
		} else {
			g.buf = appendNumber(g.buf, n)
			g.add(opSet, start, k)
		}
	}
	if t := e.Tariff; t != nil {
		start := len(g.buf)
		g.buf = appendTariffKey(g.buf, t.ID, t.Version)
		k := len(g.buf)
		g.buf = appendTariff(g.buf, t)
		g.add(opSet, start, k)
	}
	if key := e.Key; key != nil {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindKey, key.ID)
		if k := len(g.buf); key.Deleted {
			g.add(opDelete, start, k)
		} else {
			g.buf = appendKeyRecord(g.buf, key)
			g.add(opSet, start, k)
		}
	}
	if r := e.Role; r != nil {
		start := len(g.buf)
		g.buf = appendKey2(g.buf, kindRole, r.Tenant, r.Name)
		k := len(g.buf)
		g.buf = appendRole(g.buf, r)
		g.add(opSet, start, k)
	}
	if v := e.Invoice; v != nil {
		start := len(g.buf)
		g.buf = appendMonth(appendKey1(g.buf, kindInvoice, v.Tenant), v.Month)
		k := len(g.buf)
		g.buf = appendInvoice(g.buf, v)
		g.add(opSet, start, k)
	}
}

// committer is the single goroutine that commits groups, one at a time:
// it takes the pending group (a fresh one starts filling at once), writes
// it with one Pebble commit and one fsync, and finishes its Commit. It
// exits when the store is closing and drained, or failed.
//
// A pipelined variant (ApplyNoSyncWait, the next group written while the
// previous one's fsync runs, a second goroutine finishing them) was
// measured against this one with BenchmarkDurableEffects: it formed groups
// of 2-7 effects instead of 32-120, spent 10-40% more CPU per effect and
// was no faster at 64 or 256 callers, so the simple loop stayed.
func (s *Store) committer() {
	defer close(s.committerDone)
	for g := s.take(); g != nil; g = s.take() {
		s.seal(g)
		s.commitGroup(g)
	}
}

// seal turns g's records into its Pebble batch and keeps g's buffers as
// the spare for the next group.
func (s *Store) seal(g *group) {
	g.start = time.Now()
	g.batch = g.build(s.db, true)
	s.spare = &group{buf: g.buf[:0], recs: g.recs[:0]}
	g.buf, g.recs = nil, nil
}

// finished counts a successful group, finishes its Commit and reports it.
func (s *Store) finished(g *group, dur time.Duration) {
	bytes := g.batch.Len()
	s.stats.commits.Add(1)
	s.stats.effects.Add(uint64(g.effects))
	s.stats.bytes.Add(uint64(bytes))
	s.stats.lastCommitNs.Store(int64(dur))
	g.commit.Finish(nil)
	if s.opts.OnCommit != nil {
		s.opts.OnCommit(g.effects, bytes, dur)
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

// swapLocked detaches the pending group, records the log heads in it (so a
// restart knows them even after retention emptied a log) and installs a
// fresh group on the spare buffers.
func (s *Store) swapLocked() *group {
	g := s.cur
	g.cdrHead, g.eventHead = s.nextCDR, s.nextEvent
	if g.hasCDR {
		g.addMeta(keyCDRHead, g.cdrHead)
	}
	if g.hasEvt {
		g.addMeta(keyEventHead, g.eventHead)
	}
	next := s.spare
	if next == nil {
		next = &group{}
	}
	next.commit = charging.NewCommit()
	s.cur, s.spare = next, nil
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
	err := commitBatch(g.batch, s.wsync)
	dur := time.Since(g.start)
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
	s.finished(g, dur)
	_ = g.batch.Close()
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

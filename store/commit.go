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
	if e.Event != nil && e.CDR == nil {
		panic("store: an Effect's event answer must come with its CDR (it is kept in the CDR log)")
	}
	s.mu.Lock()
	for s.err == nil && !s.closing && s.full() && s.holds == 0 {
		s.space.Wait()
	}
	if c := s.refusal(); c != nil {
		s.mu.Unlock()
		return c
	}
	g := s.cur
	s.appendEffect(g, e)
	g.effects++
	first := g.effects == 1
	c := g.commit
	s.mu.Unlock()
	if first {
		s.wake()
	}
	return c
}

// Hold keeps the pending group from being sealed until Release, so that the
// effects submitted meanwhile commit together (charging.GroupHolder): a batch
// of events is made durable with one commit. While a hold is on, Submit does
// not wait for space: a holder must never wait for the commit it holds back,
// nor for a wallet lock held by a submitter that does. A new hold waits while
// the group is full or the committer wants to seal it, so holds end and the
// group outgrows its bounds by at most what the current holders submit.
func (s *Store) Hold() {
	s.mu.Lock()
	for s.err == nil && !s.closing && (s.sealWant || s.full()) {
		s.space.Wait()
	}
	s.holds++
	s.mu.Unlock()
}

// Release ends a Hold.
func (s *Store) Release() {
	s.mu.Lock()
	s.holds--
	if s.holds < 0 {
		s.mu.Unlock()
		panic("store: Release without Hold")
	}
	if s.holds == 0 && s.sealWant {
		s.space.Broadcast()
	}
	s.mu.Unlock()
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

// appendEffect encodes e's records into g. Wallet and session images, usage
// deltas and transactions are deferred to the redo record (see
// checkpoint.go); forgets go first so that a record the same effect writes
// wins. An event's idempotency record, and a closed session's, is its CDR
// log entry, which retention prunes: nothing to forget. Log records take the
// next sequence numbers: this runs under Store.mu, so seq order is submit
// order.
func (s *Store) appendEffect(g *group, e *charging.Effect) {
	for _, id := range e.ForgetSessions {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindSession, id)
		g.addDeferred(opDelete, start, len(g.buf))
	}
	if w := e.Wallet; w != nil {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindWallet, w.Tenant)
		k := len(g.buf)
		g.buf = appendWallet(g.buf, w)
		g.addDeferred(opSet, start, k)
	}
	if ss := e.Session; ss != nil {
		start := len(g.buf)
		g.buf = appendKey1(g.buf, kindSession, ss.ID)
		k := len(g.buf)
		if closedInLog(e) {
			g.addDeferred(opDelete, start, k) // its image goes with its CDR (appendLogs)
		} else {
			g.buf = appendSession(g.buf, ss)
			g.addDeferred(opSet, start, k)
		}
		g.recs[len(g.recs)-1].fresh = e.NewSession
	}
	if t := e.Transaction; t != nil {
		start := len(g.buf)
		g.buf = appendKeySeq(g.buf, kindTransaction, t.Tenant, t.Seq)
		k := len(g.buf)
		g.buf = appendTransaction(g.buf, t)
		g.addDeferred(opSet, start, k)
	}
	s.appendLogs(g, e)
	for i := range e.Usage {
		u := &e.Usage[i]
		start := len(g.buf)
		g.buf = appendComponent(appendMonth(appendKey1(g.buf, kindUsage, u.Tenant), u.Month), u.Item)
		k := len(g.buf)
		g.buf = appendUsage(g.buf, u)
		g.addDeferred(opMerge, start, k)
	}
	if t := e.TopUp; t != nil {
		start := len(g.buf)
		g.buf = appendKey2(g.buf, kindTopUp, t.Tenant, t.Reference)
		k := len(g.buf)
		g.buf = appendTopUp(g.buf, t)
		g.add(opSet, start, k)
	}
	appendConfig(g, e)
}

// closedInLog reports that e closes a session with its CDR: the session's
// closed image then goes into the CDR log entry, as an event's answer does,
// and its key is deleted. A closed session is only read back to answer a
// retry within the retention, which the log is kept for, so it need not be
// written to a key of its own at the next checkpoint, flushed and compacted,
// and one that opened since the last checkpoint is never written to its key
// at all (see pending.add).
func closedInLog(e *charging.Effect) bool {
	return e.CDR != nil && e.Event == nil && e.Session != nil && e.Session.Closed
}

// appendLogs appends the CDR (with the answer of the event it charged, or the
// image of the session it closed) and the wallet events to the group's log
// entries.
func (s *Store) appendLogs(g *group, e *charging.Effect) {
	if c := e.CDR; c != nil {
		s.nextCDR++
		if g.cdrs.n == 0 {
			g.cdrs.first = s.nextCDR
		}
		g.cdrs.n++
		s.scratch = appendCDR(s.scratch[:0], c)
		g.cdrs.body = enc(g.cdrs.body).raw(s.scratch)
		s.scratch = s.scratch[:0]
		if a := e.Event; a != nil {
			s.scratch = appendLogAnswer(s.scratch, a, c)
		} else if closedInLog(e) {
			s.scratch = appendLogSession(s.scratch, e.Session)
		}
		g.cdrs.body = enc(g.cdrs.body).raw(s.scratch)
	}
	for i := range e.Events {
		s.nextEvent++
		if g.events.n == 0 {
			g.events.first = s.nextEvent
		}
		g.events.n++
		s.scratch = appendWalletEvent(s.scratch[:0], &e.Events[i])
		g.events.body = enc(g.events.body).raw(s.scratch)
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
// it with one Pebble commit and one fsync, and finishes its Commit. Between
// groups it hands the deferred records to the checkpointer when one is due.
// It exits when the store is closing and drained, or failed.
//
// A pipelined variant (ApplyNoSyncWait, the next group written while the
// previous one's fsync runs, a second goroutine finishing them) was
// measured against this one, in the store benchmark and under the server:
// it formed smaller groups, spent more CPU per effect and was no faster,
// so the simple loop stayed.
func (s *Store) committer() {
	defer close(s.committerDone)
	for g := s.take(); g != nil; g = s.take() {
		s.seal(g)
		s.commitGroup(g)
		s.maybeCheckpoint(false)
	}
}

// seal turns g into its Pebble batch: the records written to their keys,
// one key per log with this group's entries, and the redo record of the
// deferred ones, which also join the pending checkpoint. g's buffers then
// become the spare for the next group.
func (s *Store) seal(g *group) {
	g.start = time.Now()
	if g.encodeRedo() {
		s.redoSeq++
		g.redoSeq = s.redoSeq
		s.pend.upTo = g.redoSeq
	}
	s.foldDeferred(g)
	g.batch = g.build(s.db, true)
	s.scratchCommit = g.addLogsAndRedo(g.batch, s.opts.Now().UnixMilli(), s.scratchCommit)
	spare := &group{buf: g.buf, recs: g.recs, redo: g.redo, cdrs: logBuf{body: g.cdrs.body}, events: logBuf{body: g.events.body}}
	spare.reset()
	s.spare = spare
	g.buf, g.recs, g.redo, g.cdrs.body, g.events.body = nil, nil, nil, nil, nil
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
// While it waits with deferred records pending, it checkpoints them after
// CheckpointInterval, so an idle store leaves little to replay.
func (s *Store) take() *group {
	for {
		s.mu.Lock()
		if s.err != nil {
			s.mu.Unlock()
			return nil
		}
		if s.cur.effects > 0 {
			if !s.waitHoldsLocked() {
				s.mu.Unlock()
				return nil
			}
			g := s.swapLocked()
			s.mu.Unlock()
			return g
		}
		if s.closing {
			s.mu.Unlock()
			return nil
		}
		s.mu.Unlock()
		s.idleWait()
	}
}

// waitHoldsLocked waits, with mu held, until no Hold keeps the pending group
// open; new holds wait meanwhile. It reports false if the store failed.
func (s *Store) waitHoldsLocked() bool {
	for s.holds > 0 && s.err == nil {
		s.sealWant = true
		s.space.Wait()
	}
	s.sealWant = false
	return s.err == nil
}

// swapLocked detaches the pending group, records the log heads in it (so a
// restart knows them even after retention emptied a log) and installs a
// fresh group on the spare buffers.
func (s *Store) swapLocked() *group {
	g := s.cur
	if g.cdrs.n > 0 {
		g.addMeta(keyCDRHead, g.cdrs.last())
	}
	if g.events.n > 0 {
		g.addMeta(keyEventHead, g.events.last())
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
	if err := s.Err(); err != nil { // failed meanwhile by the batch-mode syncer or the checkpointer
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
	if g.cdrs.n > 0 {
		s.committedCDR.Store(g.cdrs.last())
	}
	if g.events.n > 0 {
		s.committedEvent.Store(g.events.last())
	}
	if s.opts.Durability == DurabilitySync {
		s.durableCDR.Store(s.committedCDR.Load())
		s.durableEvent.Store(s.committedEvent.Load())
	}
	s.finished(g, dur)
	_ = g.batch.Close()
	select {
	case s.groupDone <- struct{}{}:
	default:
	}
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

package store

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Deferred state and checkpoints.
//
// Most of an effect's records are images that the next effect of the same
// wallet or session overwrites (the wallet, the session), deltas that the
// next one adds to (a usage line), or history (a transaction). Writing each
// to its key in its group costs a memtable insert per record on the
// committer's path, and a busy wallet's image in every flush and compaction.
// So a group writes them only in its redo record ('g' + redo seq: the
// records in submit order), which is durable with the group, and the store
// keeps them in memory (pending) until a checkpoint writes each key's last
// image, each line's summed delta and each transaction once, sorted, and in
// its last batch deletes the redo records it covers and sets keyCheckpoint. A
// busy wallet is then written once per checkpoint instead of once per effect.
//
// Checkpoints run on their own goroutine, with NoSync: a checkpoint becomes
// durable with the next synced group, and if a crash takes its last batch
// back, the redo records it would have deleted are still there. Open replays
// the redo records that remain, in order, into their keys before recovery.
//
// Usage and transactions are the deferred kinds that queries read, so the
// store keeps them in an overlay (overlay.go) that Usage and Transactions
// add to what Pebble holds. ckptMu keeps a query from seeing a checkpoint's
// usage both in Pebble and in the overlay, or in neither.

// pending is the deferred records of the groups sealed since the last
// checkpoint began, and the last redo seq among them: the wallet and session
// images in g, the usage deltas and transactions in ov, the overlay
// generation that queries read them from until the checkpoint is written.
type pending struct {
	g    group
	upTo uint64           // 0: nothing pending
	last map[uint64]int32 // image key's hash → its live record in g
	ov   *overlay
}

// add folds one deferred record into p. A usage delta is summed into its
// line and a transaction kept by tenant, in the overlay; an image replaces
// its key's previous record, so that a busy wallet costs a checkpoint one
// record to sort, not one per effect. Keys are matched by hash, then
// compared (no string per key: a call leaves one new session key): a
// collision only keeps a record live, and a checkpoint writes same-key
// records in order, so the last still wins.
//
// A session that started since this checkpoint began and has closed leaves
// nothing: its images were only ever here and in redo records, and its closed
// image is in the CDR log, so the Delete of its key is dropped with them
// (fresh). One that started earlier was written to its key, which the Delete
// removes.
func (p *pending) add(o op, key, value []byte, fresh bool) error {
	if o == opMerge || key[0] == kindTransaction {
		return p.ov.add(o, key, value)
	}
	if p.last == nil {
		p.last = map[uint64]int32{}
	}
	h := maphash.Bytes(redoSeed, key)
	if i, ok := p.last[h]; ok && bytes.Equal(p.g.key(&p.g.recs[i]), key) {
		p.g.recs[i].dead = true
		fresh = p.g.recs[i].fresh // see record.fresh
	}
	if fresh && o == opDelete {
		return nil // p.last still finds the dead, fresh start
	}
	p.g.addRaw(o, key, value)
	p.g.recs[len(p.g.recs)-1].fresh = fresh
	p.last[h] = int32(len(p.g.recs) - 1)
	return nil
}

// foldDeferred copies g's deferred records into the pending checkpoint and
// adds those that queries read (usage, transactions) to the overlay. The
// committer calls it as it seals g (in submit order, before build sorts the
// records): if g's commit fails, the store fails and no checkpoint is
// written after it.
func (s *Store) foldDeferred(g *group) {
	p := &s.pend
	s.ovMu.Lock()
	p.ov = s.ovNew
	for i := range g.recs {
		if r := &g.recs[i]; r.deferred && !r.dead {
			if err := p.add(r.op, g.key(r), g.value(r), r.fresh); err != nil {
				panic(err) // encoded by appendEffect a moment ago
			}
		}
	}
	s.ovMu.Unlock()
	s.stats.pendingBytes.Store(int64(len(p.g.buf)))
}

// maybeCheckpoint hands the pending records to the checkpointer when
// CheckpointInterval has passed or they hold CheckpointBytes (force: whenever
// there are any). While a checkpoint is still running it waits only if the
// pending records have grown to 4 × CheckpointBytes: backpressure, so memory
// stays bounded when checkpoints fall behind.
func (s *Store) maybeCheckpoint(force bool) {
	if s.pend.upTo == 0 || s.Failed() {
		return
	}
	size := len(s.pend.g.buf)
	if !force && size < s.opts.CheckpointBytes && time.Since(s.lastCkpt) < s.opts.CheckpointInterval {
		return
	}
	select {
	case <-s.ckptIdle:
	default:
		if size < 4*s.opts.CheckpointBytes {
			return
		}
		<-s.ckptIdle
	}
	job := s.takePending()
	s.ovMu.Lock()
	s.ovOld, s.ovNew = s.ovNew, newOverlay()
	s.ovMu.Unlock()
	s.lastCkpt = time.Now()
	s.stats.pendingBytes.Store(0)
	s.ckptJobs <- job
}

// takePending hands over the pending records for a checkpoint and starts
// anew on the spare buffers a finished checkpoint gave back, if any. The
// image index stays, emptied but with its room: the checkpoint reads g alone.
func (s *Store) takePending() *pending {
	job := &pending{}
	*job, s.pend = s.pend, pending{last: s.pend.last}
	job.last = nil
	clear(s.pend.last)
	select {
	case s.pend.g = <-s.spareFromCkpt:
	default:
	}
	return job
}

// idleWait blocks the committer until Submit kicks it; with deferred records
// pending it checkpoints them after CheckpointInterval of quiet.
func (s *Store) idleWait() {
	if s.pend.upTo == 0 {
		<-s.kick
		return
	}
	t := time.NewTimer(s.opts.CheckpointInterval)
	defer t.Stop()
	select {
	case <-s.kick:
	case <-t.C:
		s.maybeCheckpoint(true)
	}
}

// checkpointer writes the checkpoints the committer hands it, one at a time.
func (s *Store) checkpointer() {
	defer close(s.ckptDone)
	for job := range s.ckptJobs {
		if !s.Failed() {
			if err := s.writeCheckpoint(job, pebble.NoSync); err != nil {
				_ = s.fail(err)
			}
		}
		job.g.reset()
		s.spareFromCkpt <- job.g // the committer's next pending buffers
		s.ckptIdle <- struct{}{}
	}
}

// checkpointChunkBytes bounds one batch of a checkpoint's images. A batch
// goes through the WAL like a group's, and the next synced group's fsync
// carries it: 100,000 wallet images in one batch held group commits up for
// tens of milliseconds.
const checkpointChunkBytes = 256 << 10

// pacedChunkBytes bounds one batch of a paced checkpoint, one per group
// commit (paceChunk). A checkpoint's 256 KiB batches back to back, ~1 MB a
// second at 6,000 SMS/s, put a slow fsync in the answers' tail once a
// second; 32 KiB batches one per group commit, at 6,000 SMS/s open loop in
// eight alternated pairs on a calm VM: a lower p99 in all eight (0.78–1.68
// ms against 0.88–2.67), a lower p99.9 in six (bench/notes.md, ninth
// round). Unpaced checkpoints keep the larger batches: they are the big
// ones, which 32 KiB batches would only cost more commits.
const pacedChunkBytes = 32 << 10

// checkpointPaceMax bounds paceChunk's wait for a group commit: with no
// traffic there is no answer to protect.
const checkpointPaceMax = 2 * time.Millisecond

// paced reports whether p's checkpoint spaces its batches out: only if the
// waits cannot add more than half a CheckpointInterval, so that checkpoints
// keep up with any write rate (the batch scenario's ~11 MB of transactions
// a second are written unpaced).
func (s *Store) paced(p *pending) bool {
	chunks := (len(p.g.buf) + len(p.ov.txBuf)) / pacedChunkBytes
	return time.Duration(chunks)*checkpointPaceMax <= s.opts.CheckpointInterval/2
}

// writeCheckpoint writes p's records to their keys: the last image of each
// wallet and session, sorted, then every transaction (the overlay keeps them
// by tenant in seq order, so they come sorted), in batches of
// checkpointChunkBytes (pacedChunkBytes, spaced out, when paced); then a
// last batch with each usage line's summed delta, the range deletion of the
// redo records up to p.upTo and p.upTo as keyCheckpoint. Images and
// transactions may land before a crash takes the last batch back: replaying
// the redo records then writes the same or newer ones. Usage deltas are not
// idempotent, so they are only in the batch that deletes their redo records.
// The last batch's commit also drops p's overlay under ckptMu, so a query
// sees p's usage either in the overlay or in Pebble.
func (s *Store) writeCheckpoint(p *pending, wo *pebble.WriteOptions) error {
	start := time.Now()
	images := s.db.NewBatch()
	last := s.db.NewBatch()
	n := p.ov.appendUsageMerges(last)
	var err error
	paced := !wo.Sync && s.paced(p) // the synced ones run at Open and Close, with no answer waiting
	chunkBytes := checkpointChunkBytes
	if paced {
		chunkBytes = pacedChunkBytes
	}
	put := func(o op, key, value []byte) {
		n++
		applyOp(images, o, key, value)
		if images.Len() >= chunkBytes && err == nil {
			err = commitBatch(images, wo)
			images.Reset()
			if paced {
				s.stats.pacedBatches.Add(1)
				s.paceChunk()
			}
		}
	}
	p.g.eachOp(true, put)
	p.ov.eachTransaction(func(key, value []byte) { put(opSet, key, value) })
	if err == nil && !images.Empty() {
		err = commitBatch(images, wo)
	}
	_ = images.Close()
	if err != nil {
		_ = last.Close()
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	_ = last.DeleteRange([]byte{kindRedo}, appendLogKey(nil, kindRedo, p.upTo+1), nil)
	_ = last.Set(keyCheckpoint, be64(p.upTo), nil)
	s.ckptMu.Lock()
	err = commitBatch(last, wo)
	if err == nil {
		s.ovMu.Lock()
		s.ovOld = nil
		s.ovMu.Unlock()
	}
	s.ckptMu.Unlock()
	_ = last.Close()
	if err != nil {
		return fmt.Errorf("store: checkpoint: %w", err)
	}
	s.stats.checkpoints.Add(1)
	s.stats.checkpointRecords.Add(uint64(n))
	s.stats.lastCheckpointNs.Store(int64(time.Since(start)))
	return nil
}

// paceChunk waits, after a checkpoint batch, for the next group commit
// (whose fsync carries the batch) or checkpointPaceMax, so that each group
// carries at most one batch.
func (s *Store) paceChunk() {
	select {
	case <-s.groupDone: // a stale token from a group before this batch
	default:
	}
	t := time.NewTimer(checkpointPaceMax)
	defer t.Stop()
	select {
	case <-s.groupDone:
	case <-t.C:
	}
}

// finalCheckpoint writes what is pending, synced, when the store closes, so
// the next Open has nothing to replay.
func (s *Store) finalCheckpoint() error {
	<-s.ckptIdle // the last handed-off checkpoint is done
	close(s.ckptJobs)
	<-s.ckptDone
	if s.Failed() || s.pend.upTo == 0 {
		return nil
	}
	s.ovMu.Lock()
	s.ovOld, s.ovNew = s.ovNew, newOverlay()
	s.pend.ov = s.ovOld
	s.ovMu.Unlock()
	if err := s.writeCheckpoint(&s.pend, pebble.Sync); err != nil {
		return s.fail(err)
	}
	s.pend = pending{}
	s.stats.pendingBytes.Store(0)
	return nil
}

// replayRedo applies the redo records left by the last run (those after its
// last durable checkpoint) to their keys, synced, and sets redoSeq past them.
func (s *Store) replayRedo() error {
	ckpt, err := s.getUint(keyCheckpoint)
	if err != nil {
		return err
	}
	p := pending{ov: newOverlay()}
	err = s.scan([]byte{kindRedo}, []byte{kindRedo + 1}, false, func(k, v []byte) (bool, error) {
		if len(k) != 9 {
			return false, fmt.Errorf("%w: redo key %q", errCorrupt, k)
		}
		p.upTo = binary.BigEndian.Uint64(k[1:])
		var addErr error
		err := walkRedo(v, func(o op, key, value []byte) { addErr = errors.Join(addErr, p.add(o, key, value, false)) })
		err = errors.Join(err, addErr)
		return err == nil, err
	})
	if err != nil {
		return fmt.Errorf("store: replay redo: %w", err)
	}
	s.redoSeq = max(ckpt, p.upTo)
	if p.upTo == 0 {
		return nil
	}
	return s.writeCheckpoint(&p, pebble.Sync)
}

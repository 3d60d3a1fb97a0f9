package store

import (
	"encoding/binary"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// formatVersion is the key-layout version stored at keyFormat. Open refuses a
// store written with another layout rather than misread it.
const formatVersion uint64 = 2

// ErrClosed is returned (wrapped in charging.ErrUnavailable) after Close.
var ErrClosed = errors.New("store: closed")

// Store is the durable sink and history of the engine. It implements
// charging.Sink and charging.Reader. See doc.go for the contract.
type Store struct {
	opts  Options
	db    *pebble.DB
	wsync *pebble.WriteOptions // options of group commits

	// mu guards the pending group and the log sequence numbers, so that key
	// order in the logs is append order is commit order.
	mu        sync.Mutex
	space     sync.Cond // signalled when the pending group is taken or the store stops
	cur       *group
	nextCDR   uint64 // last CDR log seq assigned
	nextEvent uint64 // last event log seq assigned
	err       error  // set once by fail: the store is failed
	closing   bool
	holds     int  // Hold calls not yet released: the pending group stays open
	sealWant  bool // the committer waits for holds to end to take the group

	kick          chan struct{} // wakes the committer; buffered 1
	committerDone chan struct{}
	stop          chan struct{} // closes the background loops
	loops         sync.WaitGroup

	scratch []byte // Submit's encoding buffer (under mu)

	// Committer-owned.
	spare         *group // buffers for the next group
	scratchCommit []byte
	redoSeq       uint64  // last redo record's seq
	pend          pending // deferred records not yet handed to a checkpoint
	lastCkpt      time.Time

	// Checkpoints (see checkpoint.go).
	ckptJobs      chan *pending
	ckptIdle      chan struct{} // holds a token while no checkpoint runs
	spareFromCkpt chan group    // a finished checkpoint's buffers, for reuse
	ckptDone      chan struct{}
	groupDone     chan struct{} // a token after each group commit: paces a checkpoint's chunks
	ckptMu        sync.RWMutex  // held by a checkpoint's commit; by Usage to read
	ovMu          sync.Mutex    // guards ovNew, ovOld
	ovNew, ovOld  *overlay      // pending usage and transactions: not yet / being checkpointed

	// dbMu makes Close wait for readers and direct writes; closed flags it.
	dbMu   sync.RWMutex
	closed bool

	failed       atomic.Bool
	failedCommit *charging.Commit // finished with err; returned by Submit once failed

	committedCDR, committedEvent atomic.Uint64 // heads applied to the DB
	durableCDR, durableEvent     atomic.Uint64 // heads known fsynced: LogHead
	stats                        counters

	bootEpoch uint64
}

type counters struct {
	commits, effects, bytes, failures atomic.Uint64
	lastCommitNs                      atomic.Int64
	syncedCommits                     atomic.Uint64 // batch mode: commits covered by the last WAL sync
	checkpoints, checkpointRecords    atomic.Uint64
	pacedBatches                      atomic.Uint64
	lastCheckpointNs, pendingBytes    atomic.Int64
}

// Stats are cumulative counters for metrics.
type Stats struct {
	Commits    uint64 // groups committed
	Effects    uint64 // effects committed
	Bytes      uint64 // batch bytes committed
	Failures   uint64 // failed commits (the store fails on the first)
	QueueDepth int    // effects in the pending group now
	QueueBytes int    // bytes in the pending group now
	LastCommit time.Duration
	CDRHead    uint64 // LogHead("cdrs")
	EventHead  uint64 // LogHead("events")
	Failed     bool
	Durability string
	BootEpoch  uint64

	Checkpoints       uint64        // checkpoints written
	CheckpointRecords uint64        // batch operations written by checkpoints
	PacedBatches      uint64        // checkpoint batches written one per group commit
	LastCheckpoint    time.Duration // how long the last checkpoint's commit took
	PendingBytes      int64         // deferred records waiting for a checkpoint
}

// Open opens (or creates) the store in dir, checks its format version,
// increments the boot epoch (synced) and starts the committer.
func Open(dir string, opts Options) (*Store, error) {
	if err := opts.setDefaults(); err != nil {
		return nil, err
	}
	cache := pebble.NewCache(opts.CacheBytes)
	defer cache.Unref()
	po := opts.pebbleOptions(cache)
	if err := opts.walDirs(dir, po); err != nil {
		return nil, err
	}
	db, err := pebble.Open(dir, po)
	if err != nil {
		return nil, fmt.Errorf("store: open %s: %w", dir, err)
	}
	s := newStore(db, opts)
	if err := s.boot(); err != nil {
		_ = db.Close()
		return nil, err
	}
	s.start()
	return s, nil
}

func newStore(db *pebble.DB, opts Options) *Store {
	s := &Store{
		opts:          opts,
		db:            db,
		wsync:         pebble.Sync,
		kick:          make(chan struct{}, 1),
		committerDone: make(chan struct{}),
		stop:          make(chan struct{}),
		ckptJobs:      make(chan *pending),
		ckptIdle:      make(chan struct{}, 1),
		spareFromCkpt: make(chan group, 1),
		ckptDone:      make(chan struct{}),
		groupDone:     make(chan struct{}, 1),
		ovNew:         newOverlay(),
		lastCkpt:      time.Now(),
	}
	s.ckptIdle <- struct{}{}
	if opts.Durability == DurabilityBatch {
		s.wsync = pebble.NoSync
	}
	s.space.L = &s.mu
	s.cur = &group{commit: charging.NewCommit()}
	return s
}

// boot checks the format, bumps the boot epoch and loads the log heads.
func (s *Store) boot() error {
	if err := s.checkFormat(); err != nil {
		return err
	}
	epoch, err := s.getUint(keyBootEpoch)
	if err != nil {
		return err
	}
	s.bootEpoch = epoch + 1
	if err := s.db.Set(keyBootEpoch, be64(s.bootEpoch), pebble.Sync); err != nil {
		return fmt.Errorf("store: boot epoch: %w", err)
	}
	if s.nextCDR, err = s.getUint(keyCDRHead); err != nil {
		return err
	}
	if s.nextEvent, err = s.getUint(keyEventHead); err != nil {
		return err
	}
	for _, h := range []*atomic.Uint64{&s.committedCDR, &s.durableCDR} {
		h.Store(s.nextCDR)
	}
	for _, h := range []*atomic.Uint64{&s.committedEvent, &s.durableEvent} {
		h.Store(s.nextEvent)
	}
	return s.replayRedo()
}

// checkFormat writes the format version into an empty store and refuses a
// store with another version, or with data but no version.
func (s *Store) checkFormat() error {
	v, ok, err := s.get(keyFormat)
	if err != nil {
		return err
	}
	if ok {
		if len(v) != 8 || binary.BigEndian.Uint64(v) != formatVersion {
			return fmt.Errorf("store: format version %x, this build reads %d", v, formatVersion)
		}
		return nil
	}
	empty, err := s.isEmpty()
	if err != nil {
		return err
	}
	if !empty {
		return errors.New("store: directory holds a Pebble DB without a Salio format version")
	}
	return s.db.Set(keyFormat, be64(formatVersion), pebble.Sync)
}

func (s *Store) isEmpty() (bool, error) {
	it, err := s.db.NewIter(nil)
	if err != nil {
		return false, err
	}
	empty := !it.First()
	return empty, it.Close()
}

// get returns a copy of key's value.
func (s *Store) get(key []byte) ([]byte, bool, error) {
	v, closer, err := s.db.Get(key)
	if errors.Is(err, pebble.ErrNotFound) {
		return nil, false, nil
	}
	if err != nil {
		return nil, false, err
	}
	defer closer.Close()
	return append([]byte(nil), v...), true, nil
}

func (s *Store) getUint(key []byte) (uint64, error) {
	v, ok, err := s.get(key)
	if err != nil || !ok {
		return 0, err
	}
	if len(v) != 8 {
		return 0, fmt.Errorf("%w: meta key %q", errCorrupt, key)
	}
	return binary.BigEndian.Uint64(v), nil
}

func be64(v uint64) []byte { return binary.BigEndian.AppendUint64(nil, v) }

func (s *Store) start() {
	go s.committer()
	go s.checkpointer()
	if s.opts.Durability == DurabilityBatch {
		s.loops.Add(1)
		go s.syncLoop()
	}
	if s.opts.Retention > 0 {
		s.loops.Add(1)
		go s.retentionLoop()
	}
}

// BootEpoch is the number of times the store has been opened, this time
// included; it is synced before Open returns, so no two runs share one.
func (s *Store) BootEpoch() uint64 { return s.bootEpoch }

// Failed reports whether a commit has failed; the store then refuses every
// effect until the process restarts and recovers.
func (s *Store) Failed() bool { return s.failed.Load() }

// Err returns the failure (wrapping charging.ErrUnavailable), or nil.
func (s *Store) Err() error {
	if !s.failed.Load() {
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// fail puts the store into the failed state (first cause wins), finishes the
// pending group with the error and wakes blocked submitters. It returns the
// store's error.
func (s *Store) fail(cause error) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.failLocked(cause)
}

func (s *Store) failLocked(cause error) error {
	if s.err != nil {
		return s.err
	}
	s.err = fmt.Errorf("%w: store failed: %w", charging.ErrUnavailable, cause)
	s.failedCommit = charging.NewCommit()
	s.failedCommit.Finish(s.err)
	s.failed.Store(true)
	s.stats.failures.Add(1)
	s.cur.commit.Finish(s.err)
	s.cur = nil
	s.space.Broadcast()
	return s.err
}

// Stats returns the counters.
func (s *Store) Stats() Stats {
	st := Stats{
		Commits:    s.stats.commits.Load(),
		Effects:    s.stats.effects.Load(),
		Bytes:      s.stats.bytes.Load(),
		Failures:   s.stats.failures.Load(),
		LastCommit: time.Duration(s.stats.lastCommitNs.Load()),
		CDRHead:    s.durableCDR.Load(),
		EventHead:  s.durableEvent.Load(),
		Failed:     s.failed.Load(),
		Durability: s.opts.Durability,
		BootEpoch:  s.bootEpoch,

		Checkpoints:       s.stats.checkpoints.Load(),
		CheckpointRecords: s.stats.checkpointRecords.Load(),
		PacedBatches:      s.stats.pacedBatches.Load(),
		LastCheckpoint:    time.Duration(s.stats.lastCheckpointNs.Load()),
		PendingBytes:      s.stats.pendingBytes.Load(),
	}
	s.mu.Lock()
	if s.cur != nil {
		st.QueueDepth, st.QueueBytes = s.cur.effects, s.cur.size()
	}
	s.mu.Unlock()
	return st
}

// Close drains the pending group, commits it, stops the background loops,
// fsyncs (batch mode) and closes Pebble. Submit after Close returns a failed
// Commit (ErrUnavailable wrapping ErrClosed).
func (s *Store) Close() error {
	s.mu.Lock()
	if s.closing {
		s.mu.Unlock()
		return ErrClosed
	}
	s.closing = true
	s.space.Broadcast()
	s.mu.Unlock()
	s.wake()
	<-s.committerDone
	ckptErr := s.finalCheckpoint()
	close(s.stop)
	s.loops.Wait()
	var err error
	if s.opts.Durability == DurabilityBatch && !s.Failed() {
		err = s.syncWAL()
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	s.closed = true
	return errors.Join(ckptErr, err, s.closeDB())
}

// closeDB closes Pebble; after a failed WAL Pebble may report or panic.
func (s *Store) closeDB() (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("store: close: %w", panicError(r))
		}
	}()
	return s.db.Close()
}

// readDB runs f with the DB open for reading, or fails with ErrClosed.
func (s *Store) readDB(f func() error) error {
	s.dbMu.RLock()
	defer s.dbMu.RUnlock()
	if s.closed {
		return fmt.Errorf("%w: %w", charging.ErrUnavailable, ErrClosed)
	}
	return f()
}

// writeDirect commits a small batch outside the group committer with an
// fsync (cursors, parked records): Pebble's own pipeline serialises it with
// the committer's groups. A failure fails the store like a group's would.
func (s *Store) writeDirect(build func(b *pebble.Batch)) error {
	return s.readDB(func() error {
		if err := s.Err(); err != nil {
			return err
		}
		b := s.db.NewBatch()
		build(b)
		if err := commitBatch(b, pebble.Sync); err != nil {
			return s.fail(err)
		}
		return b.Close()
	})
}

// commitBatch commits b, turning a Pebble panic (it panics or calls Fatalf
// on a WAL it can no longer write) into an error.
func commitBatch(b *pebble.Batch, opts *pebble.WriteOptions) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	return b.Commit(opts)
}

// panicError turns a recovered Pebble panic into an error, keeping an error
// value's chain.
func panicError(r any) error {
	if err, ok := r.(error); ok {
		return fmt.Errorf("pebble panicked: %w", err)
	}
	return fmt.Errorf("pebble panicked: %v", r)
}

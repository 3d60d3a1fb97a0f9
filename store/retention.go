package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// retentionLoop prunes the logs every RetentionCheckInterval.
func (s *Store) retentionLoop() {
	defer s.loops.Done()
	t := time.NewTicker(s.opts.RetentionCheckInterval)
	defer t.Stop()
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
			if s.Failed() {
				return
			}
			if _, err := s.Prune(); err != nil {
				s.opts.Logf("store: pruning logs: %v", err)
			}
		}
	}
}

// Prune deletes the log entries that are both delivered — seq at or below
// every cursor in Options.LogConsumers for that log (all durable entries if
// none is configured) — and older than Options.Retention. It returns how
// many entries it deleted. The retention loop calls it; tests may too.
func (s *Store) Prune() (int, error) {
	if s.opts.Retention < 0 {
		return 0, nil
	}
	cutoffMs := s.opts.Now().Add(-s.opts.Retention).UnixMilli()
	total := 0
	for _, l := range []struct {
		name string
		kind byte
		head uint64
	}{{LogCDRs, kindCDRLog, s.durableCDR.Load()}, {LogEvents, kindEventLog, s.durableEvent.Load()}} {
		limit, err := s.deliveredUpTo(l.name, l.head)
		if err != nil {
			return total, err
		}
		n, err := s.pruneLog(l.kind, limit, cutoffMs)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

// deliveredUpTo is the highest seq of a log every consumer has passed.
func (s *Store) deliveredUpTo(logName string, head uint64) (uint64, error) {
	limit := head
	for _, name := range s.opts.LogConsumers[logName] {
		c, err := s.Cursor(name)
		if err != nil {
			return 0, err
		}
		limit = min(limit, c)
	}
	return limit, nil
}

// pruneLog deletes, with one range tombstone, the prefix of the log up to
// limit whose entries were appended before cutoffMs, a whole key (one
// group's entries) at a time. It stops at the first key with a younger entry
// or one past limit: append times rise with seq (up to clock skew, which only
// makes it keep a little more).
func (s *Store) pruneLog(kind byte, limit uint64, cutoffMs int64) (int, error) {
	if limit == 0 {
		return 0, nil
	}
	var lastKeySeq uint64
	n := 0
	err := s.scan([]byte{kind}, appendLogKey(nil, kind, limit+1), false, func(k, v []byte) (bool, error) {
		if len(k) != 9 {
			return false, fmt.Errorf("%w: log key %q", errCorrupt, k)
		}
		lg, err := readLogGroup(binary.BigEndian.Uint64(k[1:]), v)
		if err != nil || lg.atMs >= cutoffMs || lg.last() > limit {
			return false, err
		}
		lastKeySeq = lg.first
		n += lg.n
		return true, nil
	})
	if err != nil || n == 0 {
		return 0, err
	}
	err = s.readDB(func() error {
		b := s.db.NewBatch()
		_ = b.DeleteRange([]byte{kind}, appendLogKey(nil, kind, lastKeySeq+1), nil)
		if err := commitBatch(b, pebble.NoSync); err != nil {
			return s.fail(err)
		}
		return b.Close()
	})
	return n, err
}

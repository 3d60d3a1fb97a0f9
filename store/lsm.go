package store

import "github.com/cockroachdb/pebble/v2"

// LSMStats are the Pebble figures an on-call engineer needs when charging
// slows down with a busy disk: how far compactions are behind and how many
// bytes they rewrite per byte written (write amplification).
type LSMStats struct {
	L0Sublevels       int    // read amplification of L0; grows when compactions fall behind
	L0Files           int64  // files in L0
	TableBytes        int64  // bytes in sstables, all levels
	FlushedBytes      uint64 // bytes written by memtable flushes since Open
	CompactedBytes    uint64 // bytes written by compactions since Open
	CompactionDebt    uint64 // estimated bytes compactions must still write
	CompactionsActive int64  // compactions running now
	WALBytes          uint64 // WAL bytes written since Open
}

// LSM returns the store's Pebble figures (cheap: Pebble's own counters),
// zero once the store is closed.
func (s *Store) LSM() (st LSMStats) {
	_ = s.readDB(func() error {
		st = lsmStats(s.db.Metrics())
		return nil
	})
	return st
}

func lsmStats(m *pebble.Metrics) LSMStats {
	st := LSMStats{
		L0Sublevels:       int(m.Levels[0].Sublevels),
		L0Files:           m.Levels[0].TablesCount,
		CompactionDebt:    m.Compact.EstimatedDebt,
		CompactionsActive: m.Compact.NumInProgress,
		WALBytes:          m.WAL.BytesWritten,
	}
	// Summed by hand: Metrics.Total counts the WAL's bytes as flushed too.
	for i := range m.Levels {
		l := &m.Levels[i]
		st.TableBytes += l.TablesSize
		st.FlushedBytes += l.TableBytesFlushed
		st.CompactedBytes += l.TableBytesCompacted
	}
	return st
}

package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// group is one group commit: the records of every effect submitted while
// the previous group was being written, and the Commit they all wait on.
// Submit encodes records into buf under Store.mu; the committer owns the
// group after take.
type group struct {
	buf     []byte   // keys and values, back to back
	recs    []record // in submit order until build sorts them
	commit  *charging.Commit
	effects int

	hasCDR, hasEvt     bool
	cdrHead, eventHead uint64 // set at take: the last log seqs in the group

	batch *pebble.Batch // built by the committer
	start time.Time     // when the committer began writing it
}

type op uint8

const (
	opSet op = iota
	opMerge
	opDelete
)

// record locates one batch operation in group.buf: the key at off, the
// value right after it.
type record struct {
	off, keyLen, valLen uint32
	idx                 uint32 // submit order: keeps same-key records in order
	op                  op
}

// add records the operation whose key is buf[start:keyEnd] and whose value
// is the rest of buf.
func (g *group) add(o op, start, keyEnd int) {
	g.recs = append(g.recs, record{off: uint32(start), keyLen: uint32(keyEnd - start),
		valLen: uint32(len(g.buf) - keyEnd), idx: uint32(len(g.recs)), op: o})
}

// addMeta adds a Set of an 8-byte big-endian meta value.
func (g *group) addMeta(key []byte, v uint64) {
	start := len(g.buf)
	g.buf = append(g.buf, key...)
	k := len(g.buf)
	g.buf = binary.BigEndian.AppendUint64(g.buf, v)
	g.add(opSet, start, k)
}

func (g *group) key(r *record) []byte { return g.buf[r.off : r.off+r.keyLen] }

func (g *group) value(r *record) []byte {
	v := r.off + r.keyLen
	return g.buf[v : v+r.valLen]
}

// size is the group's encoded size, for the backpressure bound.
func (g *group) size() int { return len(g.buf) + 16*len(g.recs) }

// build writes the records into a Pebble batch sorted by key (same-key
// records keep their order, so the batch means the same). Pebble inserts a
// batch into the memtable skiplist with a cached splice, so sorted keys
// each start their search next to the previous one instead of at the top
// of a list of millions: this was the committer's main CPU cost.
// overwritten reports that record i (sorted) is a Set or Delete followed by a
// Set or Delete of the same key: applying it would only cost a memtable
// insert. A hot wallet written by many effects of one group is written once.
func (g *group) overwritten(i int) bool {
	if i+1 >= len(g.recs) {
		return false
	}
	r, next := &g.recs[i], &g.recs[i+1]
	return r.op != opMerge && next.op != opMerge && bytes.Equal(g.key(r), g.key(next))
}

// mergeRun returns the index of the last of the adjacent (sorted) merge
// records with record i's key.
func (g *group) mergeRun(i int) int {
	j := i
	for j+1 < len(g.recs) && g.recs[j+1].op == opMerge && bytes.Equal(g.key(&g.recs[j+1]), g.key(&g.recs[i])) {
		j++
	}
	return j
}

// sumMerges folds the usage operands of records i..last into one, as the
// merge operator would (addition commutes, so the result is exact).
func (g *group) sumMerges(i, last int) ([]byte, error) {
	var m usageSum
	for k := i; k <= last; k++ {
		if err := m.add(g.value(&g.recs[k]), true); err != nil {
			return nil, err
		}
	}
	v, _, err := m.Finish(true)
	return v, err
}

func (g *group) build(db *pebble.DB, sorted bool) *pebble.Batch {
	if sorted {
		slices.SortFunc(g.recs, func(a, b record) int {
			if c := bytes.Compare(g.key(&a), g.key(&b)); c != 0 {
				return c
			}
			return cmp.Compare(a.idx, b.idx)
		})
	}
	b := db.NewBatchWithSize(len(g.buf) + 8*len(g.recs) + 32)
	for i := 0; i < len(g.recs); i++ {
		r := &g.recs[i]
		if sorted && g.overwritten(i) {
			continue // a later Set or Delete of the same key in this group wins
		}
		if sorted && r.op == opMerge {
			if last := g.mergeRun(i); last > i {
				// One usage line hit by many effects of this group: one summed operand.
				if v, err := g.sumMerges(i, last); err == nil {
					_ = b.Merge(g.key(r), v, nil)
					i = last
					continue
				}
			}
		}
		switch r.op {
		case opSet:
			_ = b.Set(g.key(r), g.value(r), nil)
		case opMerge:
			_ = b.Merge(g.key(r), g.value(r), nil)
		case opDelete:
			_ = b.Delete(g.key(r), nil)
		}
	}
	return b
}

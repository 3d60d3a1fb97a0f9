package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"hash/maphash"
	"slices"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
)

// group is one group commit: the records of every effect submitted while
// the previous group was being written, and the Commit they all wait on.
// Submit encodes records into buf under Store.mu; the committer owns the
// group after take.
//
// A record is either written to its key in the group's batch, or deferred:
// wallet and session images, usage deltas and transactions go into the
// group's one redo record instead (see checkpoint.go), and reach their keys
// at the next checkpoint. CDRs and wallet events go into one key per group
// and log.
type group struct {
	buf     []byte   // keys and values, back to back
	recs    []record // in submit order until build sorts them
	commit  *charging.Commit
	effects int

	cdrs, events logBuf // this group's log entries
	redo         []byte // the redo record's value, built by seal

	// foldRedo's: an image key's hash to its latest record, a usage key's
	// hash to its fold in usage. Kept across reuse so that they do not
	// reallocate.
	lastKey, usageAt map[uint64]int32
	usage            []usageFold

	batch   *pebble.Batch // built by the committer
	redoSeq uint64        // the redo record's sequence number; 0 = none
	start   time.Time     // when the committer began writing it
}

// logBuf collects one log's entries of a group; they become one key.
type logBuf struct {
	first uint64 // seq of the first entry
	n     int
	body  []byte // entries, each length-prefixed (see appendLogGroup)
}

func (l *logBuf) last() uint64 { return l.first + uint64(l.n) - 1 }

type op uint8

const (
	opSet op = iota
	opMerge
	opDelete
)

// record locates one batch operation in group.buf: the key at off, the
// value right after it.
type record struct {
	prefix              uint64 // the key's first 8 bytes, big-endian: most comparisons end here
	off, keyLen, valLen uint32
	idx                 uint32 // submit order: keeps same-key records in order
	op                  op
	deferred            bool // goes into the redo record, not the batch
	dead                bool // replaced by a later record of its key (see encodeRedo, pending.add)
	// fresh: a session image whose key holds nothing outside this chain of
	// records (the session's start, and what replaced it since). A Delete
	// that is fresh is dropped with the rest of its chain. A record replacing
	// another takes its freshness: a start that replaces a Delete still to be
	// written (the same id used again) is not fresh, or the key would keep
	// the older session's image.
	fresh bool
}

// add records the operation whose key is buf[start:keyEnd] and whose value
// is the rest of buf.
func (g *group) add(o op, start, keyEnd int) {
	var p [8]byte
	copy(p[:], g.buf[start:keyEnd])
	g.recs = append(g.recs, record{prefix: binary.BigEndian.Uint64(p[:]), off: uint32(start), keyLen: uint32(keyEnd - start),
		valLen: uint32(len(g.buf) - keyEnd), idx: uint32(len(g.recs)), op: o})
}

// addDeferred is add for a record that waits for the next checkpoint.
func (g *group) addDeferred(o op, start, keyEnd int) {
	g.add(o, start, keyEnd)
	g.recs[len(g.recs)-1].deferred = true
}

// addMeta adds a Set of an 8-byte big-endian meta value.
func (g *group) addMeta(key []byte, v uint64) {
	start := len(g.buf)
	g.buf = append(g.buf, key...)
	k := len(g.buf)
	g.buf = binary.BigEndian.AppendUint64(g.buf, v)
	g.add(opSet, start, k)
}

// addRaw copies a record (a redo record's operation) into the group.
func (g *group) addRaw(o op, key, value []byte) {
	start := len(g.buf)
	g.buf = append(g.buf, key...)
	k := len(g.buf)
	g.buf = append(g.buf, value...)
	g.add(o, start, k)
}

func (g *group) key(r *record) []byte { return g.buf[r.off : r.off+r.keyLen] }

func (g *group) value(r *record) []byte {
	v := r.off + r.keyLen
	return g.buf[v : v+r.valLen]
}

// size is the group's encoded size, for the backpressure bound.
func (g *group) size() int {
	return len(g.buf) + 16*len(g.recs) + len(g.cdrs.body) + len(g.events.body)
}

// reset empties g for reuse, keeping its buffers.
func (g *group) reset() {
	clear(g.lastKey)
	clear(g.usageAt)
	*g = group{buf: g.buf[:0], recs: g.recs[:0], redo: g.redo[:0], lastKey: g.lastKey, usageAt: g.usageAt, usage: g.usage[:0],
		cdrs: logBuf{body: g.cdrs.body[:0]}, events: logBuf{body: g.events.body[:0]}}
}

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

// build writes the records that are not deferred into a Pebble batch, sorted
// by key (same-key records keep their order, so the batch means the same).
// Pebble inserts a batch into the memtable skiplist with a cached splice, so
// sorted keys each start their search next to the previous one instead of
// at the top of a list of millions. A Set or Delete followed by another of
// the same key is dropped: a key costs one memtable insert per batch.
func (g *group) build(db *pebble.DB, sorted bool) *pebble.Batch {
	b := db.NewBatchWithSize(len(g.buf) + 8*len(g.recs) + len(g.redo) + len(g.cdrs.body) + len(g.events.body) + 128)
	g.eachOp(sorted, func(o op, key, value []byte) { applyOp(b, o, key, value) })
	return b
}

// eachOp calls f with the operations build writes: the records that are
// neither deferred nor dead (it drops those from g), sorted and folded as build
// describes (sorted), or in submit order.
func (g *group) eachOp(sorted bool, f func(o op, key, value []byte)) {
	g.recs = slices.DeleteFunc(g.recs, func(r record) bool { return r.deferred || r.dead })
	if sorted {
		slices.SortFunc(g.recs, func(a, b record) int {
			if c := cmp.Compare(a.prefix, b.prefix); c != 0 {
				return c
			}
			if c := bytes.Compare(g.key(&a), g.key(&b)); c != 0 {
				return c
			}
			return cmp.Compare(a.idx, b.idx)
		})
	}
	for i := range g.recs {
		if sorted && g.overwritten(i) {
			continue // a later Set or Delete of the same key wins
		}
		r := &g.recs[i]
		f(r.op, g.key(r), g.value(r))
	}
}

func applyOp(b *pebble.Batch, o op, key, value []byte) {
	switch o {
	case opSet:
		_ = b.Set(key, value, nil)
	case opMerge:
		_ = b.Merge(key, value, nil)
	case opDelete:
		_ = b.Delete(key, nil)
	}
}

// encodeRedo writes the group's deferred records, in submit order, as the
// value of its redo record: valueV1, then per record its op, key and value,
// the last two length-prefixed. The redo record is replayed whole or not at
// all, so only the last image of a key and the sum of a usage line's deltas
// can matter: foldRedo leaves the rest out. (A batch of 100 SMS for one
// tenant wrote its wallet 100 times: ~110 of the ~480 bytes an event cost
// the WAL, and its usage line 100 times, ~45 more.) It reports whether there
// were any.
func (g *group) encodeRedo() bool {
	g.foldRedo()
	g.redo = append(g.redo[:0], valueV1)
	n := 0
	for i := range g.recs {
		r := &g.recs[i]
		if !r.deferred || r.dead {
			continue
		}
		n++
		g.redo = append(g.redo, byte(r.op))
		g.redo = enc(g.redo).raw(g.key(r)).raw(g.value(r))
	}
	return n > 0
}

// foldRedo shrinks the group's deferred records to what replaying them
// needs: every Set or Delete (a wallet or session image) that a later one of
// the same key replaces is marked dead, a session that starts and closes
// within the group leaves nothing (its closed image is in the CDR log), and a
// usage line's several deltas are
// summed into one record added at the end (merges commute) with the
// originals marked dead. Transactions have keys of their own and are kept.
// Keys are matched by hash and then compared: a collision only keeps a
// record.
func (g *group) foldRedo() {
	if g.lastKey == nil {
		g.lastKey, g.usageAt = map[uint64]int32{}, map[uint64]int32{}
	}
	g.usage = g.usage[:0]
	foldUsage := g.onlyMergedUsage()
	for i := range g.recs {
		r := &g.recs[i]
		if !r.deferred || r.keyLen == 0 || g.buf[r.off] == kindTransaction {
			continue
		}
		k := g.key(r)
		h := maphash.Bytes(redoSeed, k)
		if r.op == opMerge {
			if foldUsage && k[0] == kindUsage { // the only merge operands there are
				g.foldUsage(h, int32(i))
			}
			continue
		}
		// A later Set or Delete overrides whatever came before it.
		if prev, seen := g.lastKey[h]; seen && bytes.Equal(g.key(&g.recs[prev]), k) {
			g.recs[prev].dead = true
			r.fresh = g.recs[prev].fresh // a start after a Delete still due is not fresh
		}
		if r.fresh && r.op == opDelete {
			r.dead = true // a session started and closed within the group
		}
		g.lastKey[h] = int32(i)
	}
	g.appendUsageSums()
}

// onlyMergedUsage reports that no usage key is Set or Deleted in the group
// (none ever is): moving a line's summed deltas to the end is then the same
// as applying them where they were.
func (g *group) onlyMergedUsage() bool {
	for i := range g.recs {
		r := &g.recs[i]
		if r.deferred && r.op != opMerge && r.keyLen > 0 && g.buf[r.off] == kindUsage {
			return false
		}
	}
	return true
}

// usageFold is one usage line's deltas in a group: the first record and
// their sum.
type usageFold struct {
	first int32
	n     int32
	sum   usageSum
}

// foldUsage adds usage record i, whose key hashes to h, to its line's fold.
func (g *group) foldUsage(h uint64, i int32) {
	r := &g.recs[i]
	if prev, seen := g.usageAt[h]; seen && bytes.Equal(g.key(&g.recs[g.usage[prev].first]), g.key(r)) {
		f := &g.usage[prev]
		if f.sum.add(g.value(r), true) == nil {
			r.dead = true
			f.n++
			return
		}
	}
	g.usageAt[h] = int32(len(g.usage))
	g.usage = append(g.usage, usageFold{first: i, n: 1})
	if g.usage[len(g.usage)-1].sum.add(g.value(r), true) != nil {
		g.usage = g.usage[:len(g.usage)-1] // undecodable: left as it is
		delete(g.usageAt, h)
	}
}

// appendUsageSums replaces each line's several deltas with their sum.
func (g *group) appendUsageSums() {
	for _, f := range g.usage {
		if f.n < 2 {
			continue
		}
		first := &g.recs[f.first]
		first.dead = true
		start := len(g.buf)
		g.buf = append(g.buf, g.key(first)...)
		k := len(g.buf)
		g.buf = f.sum.appendTo(g.buf)
		g.addDeferred(opMerge, start, k)
	}
}

var redoSeed = maphash.MakeSeed()

// addLogsAndRedo adds to b the group's entries of each log as one key, with
// appendedAtMs, and its redo record if it has one. scratch is reused.
func (g *group) addLogsAndRedo(b *pebble.Batch, appendedAtMs int64, scratch []byte) []byte {
	for _, l := range []struct {
		kind byte
		buf  *logBuf
	}{{kindCDRLog, &g.cdrs}, {kindEventLog, &g.events}} {
		if l.buf.n == 0 {
			continue
		}
		scratch = appendLogGroup(appendLogKey(scratch[:0], l.kind, l.buf.first), appendedAtMs, l.buf)
		_ = b.Set(scratch[:9], scratch[9:], nil)
	}
	if g.redoSeq != 0 {
		scratch = appendLogKey(scratch[:0], kindRedo, g.redoSeq)
		_ = b.Set(scratch, g.redo, nil)
	}
	return scratch
}

// walkRedo calls f with every operation of a redo record's value, in order.
func walkRedo(v []byte, f func(o op, key, value []byte)) error {
	d := dec{b: v}
	d.version(valueV1)
	for d.err == nil && len(d.b) > 0 {
		o := op(d.b[0])
		d.b = d.b[1:]
		k, val := d.bytes(), d.bytes()
		if d.err == nil && o > opDelete {
			d.fail()
		}
		if d.err == nil {
			f(o, k, val)
		}
	}
	return d.end()
}

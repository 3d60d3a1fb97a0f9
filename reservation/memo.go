package reservation

import "hash/maphash"

// memoMinCap is a Memo's smallest ring; it doubles as entries arrive and
// halves when three quarters of it stand empty.
const memoMinCap = 64

// Memo remembers one value per (owner, key) for a retention window: the
// idempotency records of one shard's events, where the owner is a wallet's
// number in its shard. Entries are kept in a ring in the order they were
// added, which is the order they expire in, with a hash index beside it. A
// lookup hashes the key and probes a map of uint64; adding appends to the
// ring and copies the key into a block arena; expiry pops the ring's front
// and leaves the key's index slot stale, for the next rebuild of the index to
// drop.
//
// The index is keyed by the key's hash alone, not the owner's: a caller can
// then Probe it before it has found the owner (a wallet, itself a cache miss
// away), and the two misses overlap. Entries of one key under several owners
// share a chain, which Get walks.
//
// Nothing in the ring, the index or the arena is a pointer, so the garbage
// collector never scans them: a day of records (millions) costs the GC
// nothing. V must hold no pointers either (strings included), or it loses
// that.
//
// Guarded by its shard's lock, like the rest of a Shard.
type Memo[V any] struct {
	index posIndex       // hash → position of the newest entry with that hash; positions before first are stale: absent
	ring  []memoEntry[V] // entry at position p is ring[p&(len-1)]
	first int64          // position of the oldest entry
	next  int64          // position the next entry takes
	keys  keyArena

	// Hash, when set, replaces the hash of a key: tests use it to make keys
	// collide.
	Hash func(key string) uint64
}

type memoEntry[V any] struct {
	hash   uint64
	older  int64 // position of the next older entry with the same hash, or -1
	atMs   int64
	keyOff int64 // the key's offset in the arena
	keyLen uint32
	owner  uint32
	val    V
}

// hash is never 0 (posIndex's empty slot). Its low bits pick the index slot,
// so none is forced (h|1 gave every key an odd home: 1.8 probes per absent
// key at load 1/2 instead of 1.5).
func (m *Memo[V]) hash(key string) uint64 {
	var h uint64
	if m.Hash != nil {
		h = m.Hash(key)
	} else {
		h = maphash.String(seed, key)
	}
	if h == 0 {
		h = 1
	}
	return h
}

func (m *Memo[V]) at(pos int64) *memoEntry[V] { return &m.ring[pos&int64(len(m.ring)-1)] }

// MemoProbe is a key's hash and the first word of its home slot in a Memo's
// index, read by Probe.
type MemoProbe struct {
	hash, home uint64
}

// Probe reads key's home slot in the index. A caller that probes before it
// looks up the owner lets the two cache misses overlap: the CPU issues the
// owner's loads while the slot's is in flight, since nothing waits for it
// until GetProbed.
func (m *Memo[V]) Probe(key string) MemoProbe {
	h := m.hash(key)
	if m.index.n == 0 {
		return MemoProbe{hash: h}
	}
	return MemoProbe{hash: h, home: m.index.slots[h&uint64(len(m.index.slots)-1)].hash}
}

// Get returns the value remembered for (owner, key) and when it was added.
func (m *Memo[V]) Get(owner uint32, key string) (v *V, atMs int64, ok bool) {
	return m.GetProbed(owner, key, m.Probe(key))
}

// GetProbed is Get with the key's Probe, taken under the same lock.
func (m *Memo[V]) GetProbed(owner uint32, key string, p MemoProbe) (v *V, atMs int64, ok bool) {
	if m.next == m.first || p.home == 0 { // an empty home slot: no entry has this hash
		return nil, 0, false
	}
	pos, ok := m.index.get(p.hash)
	for ok && pos >= m.first {
		e := m.at(pos)
		if e.owner == owner && string(m.keys.bytes(e.keyOff, e.keyLen)) == key {
			return &e.val, e.atMs, true
		}
		pos, ok = e.older, e.older >= 0
	}
	return nil, 0, false
}

// Add remembers v for (owner, key), added at atMs. The caller has checked
// with Get that the pair is not remembered, and adds in time order: an entry
// added out of order expires no earlier than the entries before it. A key is
// at most MaxMemoKey bytes.
func (m *Memo[V]) Add(owner uint32, key string, atMs int64, v V) {
	if m.next-m.first == int64(len(m.ring)) {
		m.resize(max(memoMinCap, 2*len(m.ring)))
	}
	if 2*(m.index.n+1) > len(m.index.slots) {
		m.rebuildIndex()
	}
	h := m.hash(key)
	older, ok := m.index.swap(h, m.next)
	if !ok || older < m.first {
		older = -1
	}
	*m.at(m.next) = memoEntry[V]{hash: h, older: older, atMs: atMs, keyOff: m.keys.add(key, m.next),
		keyLen: uint32(len(key)), owner: owner, val: v}
	m.next++
}

// Oldest returns the oldest entry's owner, key and time, or false if empty.
// The key is valid until the entry is popped.
func (m *Memo[V]) Oldest() (owner uint32, key []byte, atMs int64, ok bool) {
	if m.next == m.first {
		return 0, nil, 0, false
	}
	e := m.at(m.first)
	return e.owner, m.keys.bytes(e.keyOff, e.keyLen), e.atMs, true
}

// PopOldest forgets the oldest entry. It touches none of the entry's memory:
// a memo at its cap pops one entry per add, and the front of each shard's
// ring is long out of cache. Its index slot stays, stale (a position before
// first, which every lookup treats as absent), until the index is next swept
// (see rebuildIndex); its ring slot is overwritten when the ring comes round;
// its key's block is freed once no live entry's key is in it.
func (m *Memo[V]) PopOldest() {
	if m.next == m.first {
		return
	}
	m.first++
	if m.first == m.next {
		m.keys.releaseAll()
		m.index = posIndex{} // every slot is stale
	} else {
		m.keys.releaseBefore(m.first)
	}
	if n := m.next - m.first; len(m.ring) > memoMinCap && n < int64(len(m.ring)/4) {
		m.resize(len(m.ring) / 2)
	}
}

// Len returns the number of entries.
func (m *Memo[V]) Len() int { return int(m.next - m.first) }

// rebuildIndex drops the stale slots PopOldest left, when the index would
// pass load 1/2, i.e. after at least as many adds as there were entries at
// the last rebuild. At a steady size it sweeps the table in place
// (purgeBefore), in order; when the memo has grown or shrunk it rehashes into
// a table of at least four slots per entry.
func (m *Memo[V]) rebuildIndex() {
	n := hashTableMinSlots
	for n < 4*(m.Len()+1) {
		n *= 2
	}
	if n == len(m.index.slots) {
		m.index.purgeBefore(m.first)
		return
	}
	m.index.resizeKeeping(n, func(pos int64) bool { return pos >= m.first })
}

// resize moves the entries into a ring of capacity n (a power of two that
// holds them); positions, and so the index, stay valid.
func (m *Memo[V]) resize(n int) {
	ring := make([]memoEntry[V], n)
	for p := m.first; p < m.next; p++ {
		ring[p&int64(n-1)] = *m.at(p)
	}
	m.ring = ring
}

// MaxMemoKey is the longest key a Memo takes (an arena block).
const MaxMemoKey = keyBlockBytes

const keyBlockBytes = 32 << 10

// keyArena holds a Memo's keys back to back in blocks, in the order they
// were added, and frees whole blocks from the front as entries expire. An
// offset is absolute: it never changes while the key lives. Each block
// remembers the ring position of the first key written to it, so that expiry
// can free blocks by position without reading an entry.
type keyArena struct {
	blocks [][]byte // blocks[i] holds offsets [base+i*keyBlockBytes, base+(i+1)*keyBlockBytes)
	starts []int64  // starts[i]: position of the first entry whose key is in blocks[i]
	base   int64
	end    int64 // where the next key goes
	spare  []byte
}

// add copies the key of the entry at ring position pos.
func (a *keyArena) add(key string, pos int64) int64 {
	if len(key) > keyBlockBytes {
		panic("reservation: memo key too long")
	}
	if within := a.end % keyBlockBytes; within+int64(len(key)) > keyBlockBytes {
		a.end += keyBlockBytes - within // keys never straddle blocks
	}
	for a.base+int64(len(a.blocks))*keyBlockBytes <= a.end {
		b := a.spare
		if b == nil {
			b = make([]byte, keyBlockBytes)
		}
		a.spare = nil
		a.blocks = append(a.blocks, b)
		a.starts = append(a.starts, pos)
	}
	off := a.end
	copy(a.bytes(off, uint32(len(key))), key)
	a.end += int64(len(key))
	return off
}

func (a *keyArena) bytes(off int64, n uint32) []byte {
	rel := off - a.base
	b := a.blocks[rel/keyBlockBytes]
	i := rel % keyBlockBytes
	return b[i : i+int64(n) : i+int64(n)]
}

// releaseBefore frees the blocks that hold only keys of entries before
// position first: every block but the last whose successor starts at or
// before first.
func (a *keyArena) releaseBefore(first int64) {
	for len(a.blocks) > 1 && a.starts[1] <= first {
		a.dropFront()
	}
}

// releaseAll frees every block: the memo is empty.
func (a *keyArena) releaseAll() {
	for len(a.blocks) > 0 {
		a.dropFront()
	}
	a.end += (keyBlockBytes - a.end%keyBlockBytes) % keyBlockBytes // the next key opens a block
	a.base = a.end
}

func (a *keyArena) dropFront() {
	a.spare = a.blocks[0]
	a.blocks[0] = nil
	a.blocks = a.blocks[1:]
	a.starts = a.starts[1:]
	a.base += keyBlockBytes
}

// posIndex maps a nonzero uint64 hash to a ring position: a hashTable whose
// key is the hash itself, so a slot matches on its hash alone. A Go map would
// do, but a memo expires as often as it adds: a map would take a delete per
// expiry (a cache miss each), where this table lets expiry leave its slot
// stale and a rebuild sweep the stale ones out in order.
type posIndex struct{ hashTable[int64] }

func (x *posIndex) get(key uint64) (int64, bool) {
	if x.n == 0 {
		return 0, false
	}
	mask := uint64(len(x.slots) - 1)
	for i := key & mask; ; i = (i + 1) & mask {
		switch s := &x.slots[i]; s.hash {
		case key:
			return s.v, true
		case 0:
			return 0, false
		}
	}
}

// swap sets key's position and returns the one it replaced, in one probe.
func (x *posIndex) swap(key uint64, pos int64) (old int64, ok bool) {
	x.reserveOne()
	mask := uint64(len(x.slots) - 1)
	for i := key & mask; ; i = (i + 1) & mask {
		s := &x.slots[i]
		if s.hash == key {
			old, s.v = s.v, pos
			return old, true
		}
		if s.hash == 0 {
			*s = hashSlot[int64]{key, pos}
			x.n++
			return 0, false
		}
	}
}

// purgeBefore empties, in one sweep in place, the slots whose position is
// before first (stale), and moves every live entry back to the first empty
// slot of its probe run. The sweep begins after an empty slot, so no probe
// run wraps past its start, and a live entry only ever moves back into slots
// already swept, which are in cache: the sweep reads and writes the table in
// order, where a rehash into a new table writes each entry at a random place
// (a cache miss per live entry).
func (x *posIndex) purgeBefore(first int64) {
	mask := uint64(len(x.slots) - 1)
	start := uint64(0)
	for x.slots[start].hash != 0 { // load ≤ 1/2: there is an empty slot
		start++
	}
	n := 0
	for k := uint64(1); k < uint64(len(x.slots)); k++ {
		i := (start + k) & mask
		s := x.slots[i]
		switch {
		case s.hash == 0:
			continue
		case s.v < first:
			x.slots[i] = hashSlot[int64]{}
			continue
		}
		n++
		j := s.hash & mask
		for j != i && x.slots[j].hash != 0 {
			j = (j + 1) & mask
		}
		if j != i {
			x.slots[j], x.slots[i] = s, hashSlot[int64]{}
		}
	}
	x.n = n
}

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
// ring and copies the key into a block arena; expiry pops the ring's front.
//
// Nothing in the ring, the index or the arena is a pointer, so the garbage
// collector never scans them: a day of records (millions) costs the GC
// nothing. V must hold no pointers either (strings included), or it loses
// that.
//
// Guarded by its shard's lock, like the rest of a Shard.
type Memo[V any] struct {
	index map[uint64]int64 // hash → position of the newest entry with that hash
	ring  []memoEntry[V]   // entry at position p is ring[p&(len-1)]
	first int64            // position of the oldest entry
	next  int64            // position the next entry takes
	keys  keyArena

	// Hash, when set, replaces the hash of (owner, key): tests use it to
	// make keys collide.
	Hash func(owner uint32, key string) uint64
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

func (m *Memo[V]) hash(owner uint32, key string) uint64 {
	if m.Hash != nil {
		return m.Hash(owner, key)
	}
	return maphash.String(seed, key) ^ (uint64(owner) * 0x9E3779B97F4A7C15)
}

func (m *Memo[V]) at(pos int64) *memoEntry[V] { return &m.ring[pos&int64(len(m.ring)-1)] }

// Get returns the value remembered for (owner, key) and when it was added.
func (m *Memo[V]) Get(owner uint32, key string) (v *V, atMs int64, ok bool) {
	if m.next == m.first {
		return nil, 0, false
	}
	pos, ok := m.index[m.hash(owner, key)]
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
	if m.index == nil {
		m.index = make(map[uint64]int64)
	}
	if m.next-m.first == int64(len(m.ring)) {
		m.resize(max(memoMinCap, 2*len(m.ring)))
	}
	h := m.hash(owner, key)
	older, ok := m.index[h]
	if !ok || older < m.first {
		older = -1
	}
	*m.at(m.next) = memoEntry[V]{hash: h, older: older, atMs: atMs, keyOff: m.keys.add(key),
		keyLen: uint32(len(key)), owner: owner, val: v}
	m.index[h] = m.next
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

// PopOldest forgets the oldest entry.
func (m *Memo[V]) PopOldest() {
	if m.next == m.first {
		return
	}
	e := m.at(m.first)
	if pos, ok := m.index[e.hash]; ok && pos == m.first {
		delete(m.index, e.hash) // no newer entry shares its hash
	}
	*e = memoEntry[V]{}
	m.first++
	if m.first == m.next {
		m.keys.release(m.keys.end)
	} else {
		m.keys.release(m.at(m.first).keyOff)
	}
	if n := m.next - m.first; len(m.ring) > memoMinCap && n < int64(len(m.ring)/4) {
		m.resize(len(m.ring) / 2)
	}
}

// Len returns the number of entries.
func (m *Memo[V]) Len() int { return int(m.next - m.first) }

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
// offset is absolute: it never changes while the key lives.
type keyArena struct {
	blocks [][]byte // blocks[i] holds offsets [base+i*keyBlockBytes, base+(i+1)*keyBlockBytes)
	base   int64
	end    int64 // where the next key goes
	spare  []byte
}

func (a *keyArena) add(key string) int64 {
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

// release frees the blocks wholly before off.
func (a *keyArena) release(off int64) {
	for len(a.blocks) > 0 && a.base+keyBlockBytes <= off {
		a.spare = a.blocks[0]
		a.blocks[0] = nil
		a.blocks = a.blocks[1:]
		a.base += keyBlockBytes
	}
}

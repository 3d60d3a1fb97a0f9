package reservation

import "hash/maphash"

// memoMinCap is a Memo's smallest ring; it doubles as entries arrive and
// halves when three quarters of it stand empty.
const memoMinCap = 64

// Memo remembers one value per (tenant, key) for a retention window: the
// idempotency records of one shard's events. Entries are kept in a ring in
// the order they were added, which is the order they expire in, with a hash
// index beside it. A lookup hashes the two strings and probes a map of
// uint64; adding appends to the ring; expiry pops the ring's front. Nothing
// is allocated per entry but the index's share of its map, and no entry is
// ever copied but when the ring grows.
//
// Guarded by its shard's lock, like the rest of a Shard.
type Memo[V any] struct {
	index map[uint64]int64 // hash → position of the newest entry with that hash
	ring  []memoEntry[V]   // entry at position p is ring[p&(len-1)]
	first int64            // position of the oldest entry
	next  int64            // position the next entry takes

	// Hash, when set, replaces the hash of (tenant, key): tests use it to
	// make keys collide.
	Hash func(tenant, key string) uint64
}

type memoEntry[V any] struct {
	hash   uint64
	older  int64 // position of the next older entry with the same hash, or -1
	atMs   int64
	tenant string
	key    string
	val    V
}

func (m *Memo[V]) hash(tenant, key string) uint64 {
	if m.Hash != nil {
		return m.Hash(tenant, key)
	}
	h := maphash.String(seed, key)
	return h ^ (maphash.String(seed, tenant) * 0x9E3779B97F4A7C15)
}

func (m *Memo[V]) at(pos int64) *memoEntry[V] { return &m.ring[pos&int64(len(m.ring)-1)] }

// Get returns the value remembered for (tenant, key) and when it was added.
func (m *Memo[V]) Get(tenant, key string) (v *V, atMs int64, ok bool) {
	if m.next == m.first {
		return nil, 0, false
	}
	h := m.hash(tenant, key)
	pos, ok := m.index[h]
	for ok && pos >= m.first {
		e := m.at(pos)
		if e.key == key && e.tenant == tenant {
			return &e.val, e.atMs, true
		}
		pos, ok = e.older, e.older >= 0
	}
	return nil, 0, false
}

// Add remembers v for (tenant, key), added at atMs. The caller has checked
// with Get that the pair is not remembered, and adds in time order: an entry
// added out of order expires no earlier than the entries before it.
func (m *Memo[V]) Add(tenant, key string, atMs int64, v V) {
	if m.index == nil {
		m.index = make(map[uint64]int64)
	}
	if m.next-m.first == int64(len(m.ring)) {
		m.resize(max(memoMinCap, 2*len(m.ring)))
	}
	h := m.hash(tenant, key)
	older, ok := m.index[h]
	if !ok || older < m.first {
		older = -1
	}
	*m.at(m.next) = memoEntry[V]{hash: h, older: older, atMs: atMs, tenant: tenant, key: key, val: v}
	m.index[h] = m.next
	m.next++
}

// Oldest returns the oldest entry's tenant, key and time, or false if empty.
func (m *Memo[V]) Oldest() (tenant, key string, atMs int64, ok bool) {
	if m.next == m.first {
		return "", "", 0, false
	}
	e := m.at(m.first)
	return e.tenant, e.key, e.atMs, true
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

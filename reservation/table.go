package reservation

import (
	"hash/maphash"
	"math/bits"
	"sync"
)

var seed = maphash.MakeSeed()

// Table is a sharded map of tenant id → *W. Each shard has its own lock.
type Table[W any] struct {
	shards []Shard[W]
	mask   uint64
}

// Shard is one lock domain: its wallets and its timers.
type Shard[W any] struct {
	mu      sync.Mutex
	wallets map[string]*W
	Timers  Timers // expiry, grace, renewals: any order
	Forget  Queue  // idempotency retention: pushed in time order
	IDs     StringArena
	id      int
	_       [32]byte // keep neighbouring shards' locks off one cache line
}

// NewTable returns a table with n shards; n is rounded up to a power of two.
func NewTable[W any](n int) *Table[W] {
	if n < 1 {
		n = 1
	}
	n = 1 << bits.Len(uint(n-1))
	t := &Table[W]{shards: make([]Shard[W], n), mask: uint64(n - 1)}
	for i := range t.shards {
		t.shards[i].wallets = make(map[string]*W)
		t.shards[i].id = i
	}
	return t
}

// ShardOf returns the shard that holds tenant.
func (t *Table[W]) ShardOf(tenant string) *Shard[W] {
	return &t.shards[maphash.String(seed, tenant)&t.mask]
}

// Len returns the number of shards.
func (t *Table[W]) Len() int { return len(t.shards) }

// Shard returns shard i.
func (t *Table[W]) Shard(i int) *Shard[W] { return &t.shards[i] }

// ID returns the shard's index (0..Len-1), for state a caller keeps per shard.
func (s *Shard[W]) ID() int { return s.id }

// Lock locks the shard.
func (s *Shard[W]) Lock() { s.mu.Lock() }

// Unlock unlocks the shard.
func (s *Shard[W]) Unlock() { s.mu.Unlock() }

// Get returns the wallet of tenant; the shard must be locked.
func (s *Shard[W]) Get(tenant string) *W { return s.wallets[tenant] }

// Put stores w for tenant; the shard must be locked.
func (s *Shard[W]) Put(tenant string, w *W) { s.wallets[tenant] = w }

// Len returns the number of wallets; the shard must be locked.
func (s *Shard[W]) Len() int { return len(s.wallets) }

// Range calls fn for each wallet; the shard must be locked.
func (s *Shard[W]) Range(fn func(tenant string, w *W) bool) {
	for k, w := range s.wallets {
		if !fn(k, w) {
			return
		}
	}
}

// Index is a sharded map from a global id to a value, safe for concurrent
// use. Values are pointers owned by some Table shard; the index only finds
// them, and keyOf gives back the id a value is filed under.
//
// Each shard is an open-addressing table of (hash, value) with linear probing,
// not a map[string]V: a Go map keeps the id beside the value and compares its
// bytes, three cache misses (control word, slot, string) per lookup in a table
// of millions, where this one misses on its slot and then on the value, which
// the caller reads next anyway.
type Index[V comparable] struct {
	shards []indexShard[V]
	mask   uint64
	keyOf  func(V) string
}

type indexShard[V comparable] struct {
	mu    sync.RWMutex
	slots []indexSlot[V] // len a power of two, or 0; load at most 1/2
	n     int
	_     [32]byte
}

type indexSlot[V comparable] struct {
	hash uint64 // 0: empty
	v    V
}

const indexMinSlots = 16

// NewIndex returns an index with n shards (rounded up to a power of two).
func NewIndex[V comparable](n int, keyOf func(V) string) *Index[V] {
	if n < 1 {
		n = 1
	}
	n = 1 << bits.Len(uint(n-1))
	return &Index[V]{shards: make([]indexShard[V], n), mask: uint64(n - 1), keyOf: keyOf}
}

// hash is never 0 (an empty slot); its high bits pick the shard and its low
// bits the slot.
func indexHash(id string) uint64 {
	if h := maphash.String(seed, id); h != 0 {
		return h
	}
	return 1
}

func (x *Index[V]) shard(h uint64) *indexShard[V] { return &x.shards[(h>>48)&x.mask] }

// find returns the slot of id, or the empty slot that ends its probe run.
func (x *Index[V]) find(s *indexShard[V], h uint64, id string) *indexSlot[V] {
	mask := uint64(len(s.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.hash == 0 || (sl.hash == h && x.keyOf(sl.v) == id) {
			return sl
		}
	}
}

// Get returns the value of id.
func (x *Index[V]) Get(id string) (V, bool) {
	h := indexHash(id)
	s := x.shard(h)
	s.mu.RLock()
	defer s.mu.RUnlock()
	var zero V
	if s.n == 0 {
		return zero, false
	}
	sl := x.find(s, h, id)
	return sl.v, sl.hash != 0
}

// Put sets the value of id.
func (x *Index[V]) Put(id string, v V) {
	h := indexHash(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	x.put(s, h, id, v)
}

func (x *Index[V]) put(s *indexShard[V], h uint64, id string, v V) {
	if 2*(s.n+1) > len(s.slots) {
		x.resize(s, max(indexMinSlots, 2*len(s.slots)))
	}
	sl := x.find(s, h, id)
	if sl.hash == 0 {
		s.n++
	}
	*sl = indexSlot[V]{h, v}
}

// PutIfAbsent sets id to v unless id is present; it returns the present value
// and false in that case. Two tenants racing for one id cannot both win.
func (x *Index[V]) PutIfAbsent(id string, v V) (V, bool) {
	h := indexHash(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n > 0 {
		if sl := x.find(s, h, id); sl.hash != 0 {
			return sl.v, false
		}
	}
	x.put(s, h, id, v)
	return v, true
}

// Delete removes id, shifting back the entries of its probe run so that no
// lookup ever stops early at the hole.
func (x *Index[V]) Delete(id string) {
	h := indexHash(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.n == 0 {
		return
	}
	sl := x.find(s, h, id)
	if sl.hash == 0 {
		return
	}
	mask := uint64(len(s.slots) - 1)
	i := h & mask
	for &s.slots[i] != sl {
		i = (i + 1) & mask
	}
	for j := (i + 1) & mask; s.slots[j].hash != 0; j = (j + 1) & mask {
		home := s.slots[j].hash & mask
		// Move slot j into the hole at i unless its home lies in (i, j].
		if (j > i && (home <= i || home > j)) || (j < i && home <= i && home > j) {
			s.slots[i] = s.slots[j]
			i = j
		}
	}
	s.slots[i] = indexSlot[V]{}
	s.n--
	if len(s.slots) > indexMinSlots && 8*s.n < len(s.slots) {
		x.resize(s, len(s.slots)/2)
	}
}

func (x *Index[V]) resize(s *indexShard[V], n int) {
	old := s.slots
	s.slots, s.n = make([]indexSlot[V], n), 0
	mask := uint64(n - 1)
	for _, sl := range old {
		if sl.hash == 0 {
			continue
		}
		i := sl.hash & mask
		for s.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
		s.n++
	}
}

// Len returns the number of ids.
func (x *Index[V]) Len() int {
	n := 0
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.RLock()
		n += s.n
		s.mu.RUnlock()
	}
	return n
}

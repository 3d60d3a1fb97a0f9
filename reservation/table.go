package reservation

import (
	"hash/maphash"
	"math/bits"
	"sync"
)

var seed = maphash.MakeSeed()

// Table is a sharded map of tenant id → *W. Each shard has its own lock.
// keyOf gives back a wallet's tenant id.
type Table[W any] struct {
	shards []Shard[W]
	mask   uint64
}

// Shard is one lock domain: its wallets and its timers.
type Shard[W any] struct {
	mu      sync.Mutex
	wallets hashTable[*W]
	keyOf   func(*W) string
	Timers  Timers // expiry, grace, renewals: any order
	Forget  Queue  // idempotency retention: pushed in time order
	id      int
	// _ pads a Shard to 192 bytes, three whole cache lines, so that no line
	// holds two shards: a core taking one shard does not take its
	// neighbour's lock word or table header from the other core.
	_ [shardPadBytes]byte
}

const shardPadBytes = 72

// NewTable returns a table with n shards; n is rounded up to a power of two.
func NewTable[W any](n int, keyOf func(*W) string) *Table[W] {
	if n < 1 {
		n = 1
	}
	n = 1 << bits.Len(uint(n-1))
	t := &Table[W]{shards: make([]Shard[W], n), mask: uint64(n - 1)}
	for i := range t.shards {
		t.shards[i].keyOf = keyOf
		t.shards[i].id = i
	}
	return t
}

// ShardOf returns the shard that holds tenant.
func (t *Table[W]) ShardOf(tenant string) *Shard[W] {
	sh, _ := t.Locate(tenant)
	return sh
}

// Locate returns the shard that holds tenant and the tenant's hash, for
// GetHashed: the id is hashed once per request.
func (t *Table[W]) Locate(tenant string) (*Shard[W], TenantHash) {
	h := hashID(tenant)
	return &t.shards[shardBits(h)&t.mask], TenantHash(h)
}

// TenantHash is a tenant id's hash, from Locate.
type TenantHash uint64

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
func (s *Shard[W]) Get(tenant string) *W { return s.GetHashed(TenantHash(hashID(tenant)), tenant) }

// GetHashed is Get with the tenant's hash from Locate.
func (s *Shard[W]) GetHashed(h TenantHash, tenant string) *W {
	w, _ := s.wallets.get(uint64(h), tenant, s.keyOf)
	return w
}

// Put stores w, filed under keyOf(w); the shard must be locked.
func (s *Shard[W]) Put(w *W) {
	id := s.keyOf(w)
	s.wallets.put(hashID(id), id, w, s.keyOf)
}

// Range calls fn for each wallet; the shard must be locked.
func (s *Shard[W]) Range(fn func(tenant string, w *W) bool) {
	s.wallets.all(func(w *W) bool { return fn(s.keyOf(w), w) })
}

// Index is a sharded map from a global id to a value, safe for concurrent
// use. Values are pointers owned by some Table shard; the index only finds
// them, and keyOf gives back the id a value is filed under.
type Index[V comparable] struct {
	shards []indexShard[V]
	mask   uint64
	keyOf  func(V) string
}

type indexShard[V comparable] struct {
	mu sync.RWMutex
	t  hashTable[V]
	_  [32]byte
}

// NewIndex returns an index with n shards (rounded up to a power of two).
func NewIndex[V comparable](n int, keyOf func(V) string) *Index[V] {
	if n < 1 {
		n = 1
	}
	n = 1 << bits.Len(uint(n-1))
	return &Index[V]{shards: make([]indexShard[V], n), mask: uint64(n - 1), keyOf: keyOf}
}

func (x *Index[V]) shard(h uint64) *indexShard[V] { return &x.shards[shardBits(h)&x.mask] }

// Get returns the value of id.
func (x *Index[V]) Get(id string) (V, bool) {
	h := hashID(id)
	s := x.shard(h)
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.t.get(h, id, x.keyOf)
}

// Put sets the value of id.
func (x *Index[V]) Put(id string, v V) {
	h := hashID(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.put(h, id, v, x.keyOf)
}

// PutIfAbsent sets id to v unless id is present; it returns the present value
// and false in that case. Two tenants racing for one id cannot both win.
func (x *Index[V]) PutIfAbsent(id string, v V) (V, bool) {
	h := hashID(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.t.get(h, id, x.keyOf); ok {
		return old, false
	}
	s.t.put(h, id, v, x.keyOf)
	return v, true
}

// Delete removes id.
func (x *Index[V]) Delete(id string) {
	h := hashID(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	s.t.delete(h, id, x.keyOf)
}

// DeleteIf removes id if drop, called with its value under the index's
// lock, says so. It reports whether id was removed.
func (x *Index[V]) DeleteIf(id string, drop func(V) bool) bool {
	h := hashID(id)
	s := x.shard(h)
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.t.deleteIf(h, id, x.keyOf, drop)
}

// Len returns the number of ids.
func (x *Index[V]) Len() int {
	n := 0
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.RLock()
		n += s.t.n
		s.mu.RUnlock()
	}
	return n
}

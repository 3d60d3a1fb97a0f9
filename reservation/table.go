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

// Index is a sharded map from a global id to a value, safe for concurrent use.
// Values are pointers owned by some Table shard; the index only finds them.
type Index[V any] struct {
	shards []indexShard[V]
	mask   uint64
}

type indexShard[V any] struct {
	mu sync.RWMutex
	m  map[string]V
	_  [40]byte
}

// NewIndex returns an index with n shards (rounded up to a power of two).
func NewIndex[V any](n int) *Index[V] {
	if n < 1 {
		n = 1
	}
	n = 1 << bits.Len(uint(n-1))
	x := &Index[V]{shards: make([]indexShard[V], n), mask: uint64(n - 1)}
	for i := range x.shards {
		x.shards[i].m = make(map[string]V)
	}
	return x
}

func (x *Index[V]) shard(id string) *indexShard[V] {
	return &x.shards[maphash.String(seed, id)&x.mask]
}

// Get returns the value of id.
func (x *Index[V]) Get(id string) (V, bool) {
	s := x.shard(id)
	s.mu.RLock()
	v, ok := s.m[id]
	s.mu.RUnlock()
	return v, ok
}

// Put sets the value of id.
func (x *Index[V]) Put(id string, v V) {
	s := x.shard(id)
	s.mu.Lock()
	s.m[id] = v
	s.mu.Unlock()
}

// Delete removes id.
func (x *Index[V]) Delete(id string) {
	s := x.shard(id)
	s.mu.Lock()
	delete(s.m, id)
	s.mu.Unlock()
}

// Len returns the number of ids.
func (x *Index[V]) Len() int {
	n := 0
	for i := range x.shards {
		s := &x.shards[i]
		s.mu.RLock()
		n += len(s.m)
		s.mu.RUnlock()
	}
	return n
}

// PutIfAbsent sets id to v unless id is present; it returns the present value
// and false in that case. Two tenants racing for one id cannot both win.
func (x *Index[V]) PutIfAbsent(id string, v V) (V, bool) {
	s := x.shard(id)
	s.mu.Lock()
	defer s.mu.Unlock()
	if old, ok := s.m[id]; ok {
		return old, false
	}
	s.m[id] = v
	return v, true
}

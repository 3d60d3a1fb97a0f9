package reservation

import "hash/maphash"

// hashTable maps string ids to values that know their own id (keyOf): an
// open-addressing table of (hash, value) with linear probing, backward-shift
// deletion and load at most 1/2. It is what a sharded table keeps per shard
// in place of a map[string]V: a Go map keeps the id beside the value and
// compares its bytes, three cache misses (control word, slot, string) per
// lookup in a table of millions; this one misses on its slot and then on the
// value, which the caller reads next anyway. Not safe for concurrent use.
// The memo's index (posIndex) is one too, keyed by the hash alone.
type hashTable[V comparable] struct {
	slots []hashSlot[V] // len a power of two, or 0
	n     int
}

type hashSlot[V comparable] struct {
	hash uint64 // 0: empty
	v    V
}

const hashTableMinSlots = 16

// hashID is never 0 (an empty slot). Its high bits pick a shard (shardBits)
// and its low bits a slot, so the two choices stay independent.
func hashID(id string) uint64 {
	if h := maphash.String(seed, id); h != 0 {
		return h
	}
	return 1
}

func shardBits(h uint64) uint64 { return h >> 40 }

// find returns the slot of id, or the empty slot that ends its probe run.
// The table has at least one slot.
func (t *hashTable[V]) find(h uint64, id string, keyOf func(V) string) *hashSlot[V] {
	mask := uint64(len(t.slots) - 1)
	for i := h & mask; ; i = (i + 1) & mask {
		s := &t.slots[i]
		if s.hash == 0 || (s.hash == h && keyOf(s.v) == id) {
			return s
		}
	}
}

func (t *hashTable[V]) get(h uint64, id string, keyOf func(V) string) (V, bool) {
	if t.n == 0 {
		var zero V
		return zero, false
	}
	s := t.find(h, id, keyOf)
	return s.v, s.hash != 0
}

// put sets id's value.
func (t *hashTable[V]) put(h uint64, id string, v V, keyOf func(V) string) {
	t.reserveOne()
	s := t.find(h, id, keyOf)
	if s.hash == 0 {
		t.n++
	}
	*s = hashSlot[V]{h, v}
}

// delete removes id.
func (t *hashTable[V]) delete(h uint64, id string, keyOf func(V) string) {
	t.deleteIf(h, id, keyOf, nil)
}

// deleteIf removes id if it is present and drop (nil: always) says so, and
// reports whether it did.
func (t *hashTable[V]) deleteIf(h uint64, id string, keyOf func(V) string, drop func(V) bool) bool {
	if t.n == 0 {
		return false
	}
	mask := uint64(len(t.slots) - 1)
	i := h & mask
	for ; t.slots[i].hash != h || keyOf(t.slots[i].v) != id; i = (i + 1) & mask {
		if t.slots[i].hash == 0 {
			return false
		}
	}
	if drop != nil && !drop(t.slots[i].v) {
		return false
	}
	t.removeAt(i)
	return true
}

// reserveOne grows the table, if need be, so one more entry keeps the load
// at or below 1/2.
func (t *hashTable[V]) reserveOne() {
	if 2*(t.n+1) > len(t.slots) {
		t.resize(max(hashTableMinSlots, 2*len(t.slots)))
	}
}

// removeAt empties slot i, shifting back the entries of its probe run so
// that no lookup ever stops early at the hole, and shrinks the table below
// load 1/8.
func (t *hashTable[V]) removeAt(i uint64) {
	mask := uint64(len(t.slots) - 1)
	for j := (i + 1) & mask; t.slots[j].hash != 0; j = (j + 1) & mask {
		if fillsHole(t.slots[j].hash&mask, i, j) {
			t.slots[i] = t.slots[j]
			i = j
		}
	}
	t.slots[i] = hashSlot[V]{}
	t.n--
	if len(t.slots) > hashTableMinSlots && 8*t.n < len(t.slots) {
		t.resize(len(t.slots) / 2)
	}
}

// fillsHole reports whether the entry in slot j, whose home slot is home, may
// move back into the hole at slot i (j after i in its probe run, wrapping):
// yes unless its home lies in (i, j], where a lookup would no longer reach it.
func fillsHole(home, i, j uint64) bool {
	if j > i {
		return home <= i || home > j
	}
	return home <= i && home > j
}

func (t *hashTable[V]) resize(n int) { t.resizeKeeping(n, nil) }

// resizeKeeping rehashes into n slots the entries keep (nil: all) accepts.
func (t *hashTable[V]) resizeKeeping(n int, keep func(V) bool) {
	old := t.slots
	t.slots, t.n = make([]hashSlot[V], n), 0
	mask := uint64(n - 1)
	for _, s := range old {
		if s.hash == 0 || (keep != nil && !keep(s.v)) {
			continue
		}
		i := s.hash & mask
		for t.slots[i].hash != 0 {
			i = (i + 1) & mask
		}
		t.slots[i] = s
		t.n++
	}
}

// all calls fn for each value until it returns false.
func (t *hashTable[V]) all(fn func(V) bool) {
	for _, s := range t.slots {
		if s.hash != 0 && !fn(s.v) {
			return
		}
	}
}

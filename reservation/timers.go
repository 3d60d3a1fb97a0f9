package reservation

import "sort"

// TimerKind says what a deadline is for.
type TimerKind uint8

const (
	TimerSessionExpiry TimerKind = iota + 1 // Key: session id
	TimerGraceEnd                           // Key: tenant
	TimerNumberRenewal                      // Key: number, Tenant: tenant
	TimerForgetSession                      // Key: session id
	TimerForgetTopUp                        // Key: reference, Tenant: tenant
)

// Timer is one deadline. Entries may be stale (the item changed or went away
// since it was pushed): the handler checks the item's own deadline, which is
// cheaper than moving the entry on every change. An item that goes away for
// good while many others come and go (a stopped call) removes its entry
// through Slot instead, so that the heap holds live items only.
type Timer struct {
	AtMs   int64
	Kind   TimerKind
	Tenant string
	Key    string
	// Slot, when set, is where Timers keeps this entry's position while it
	// is queued: index+1, and 0 once it is popped or removed. Its owner can
	// then Remove or Reschedule the entry instead of leaving it stale.
	Slot *int32
}

// Timers is a min-heap of deadlines. Guarded by its shard's lock. It is
// written out rather than built on container/heap, whose interface boxes every
// pushed value (an allocation per session request).
type Timers struct{ h []Timer }

// Push adds a deadline.
func (t *Timers) Push(x Timer) {
	t.h = append(t.h, x)
	t.up(t.moved(len(t.h) - 1))
}

// PopDue removes and returns the earliest timer if it is due at nowMs.
func (t *Timers) PopDue(nowMs int64) (Timer, bool) {
	if len(t.h) == 0 || t.h[0].AtMs > nowMs {
		return Timer{}, false
	}
	top := t.h[0]
	t.removeAt(0)
	return top, true
}

// Remove takes out the entry whose Slot holds slot (index+1); a slot of 0
// (not queued) does nothing.
func (t *Timers) Remove(slot int32) {
	if slot != 0 {
		t.removeAt(int(slot - 1))
	}
}

// removeAt takes out entry i, filling its place with the last entry.
func (t *Timers) removeAt(i int) {
	last := len(t.h) - 1
	if t.h[i].Slot != nil {
		*t.h[i].Slot = 0
	}
	t.h[i] = t.h[last]
	t.h[last] = Timer{}
	t.h = t.h[:last]
	if i < last {
		t.down(t.up(t.moved(i)))
	}
}

// Reschedule moves the entry whose Slot holds slot (index+1) to atMs.
func (t *Timers) Reschedule(slot int32, atMs int64) {
	i := int(slot - 1)
	t.h[i].AtMs = atMs
	t.down(t.up(i))
}

// moved records entry i's position in its Slot, and returns i.
func (t *Timers) moved(i int) int {
	if p := t.h[i].Slot; p != nil {
		*p = int32(i + 1)
	}
	return i
}

func (t *Timers) swap(i, j int) {
	t.h[i], t.h[j] = t.h[j], t.h[i]
	t.moved(i)
	t.moved(j)
}

// up sifts entry i toward the root and returns where it ends.
func (t *Timers) up(i int) int {
	for i > 0 {
		parent := (i - 1) / 2
		if t.h[parent].AtMs <= t.h[i].AtMs {
			break
		}
		t.swap(parent, i)
		i = parent
	}
	return i
}

// down sifts entry i toward the leaves.
func (t *Timers) down(i int) {
	for n := len(t.h); ; {
		small, l, r := i, 2*i+1, 2*i+2
		if l < n && t.h[l].AtMs < t.h[small].AtMs {
			small = l
		}
		if r < n && t.h[r].AtMs < t.h[small].AtMs {
			small = r
		}
		if small == i {
			return
		}
		t.swap(i, small)
		i = small
	}
}

// Len returns the number of pending timers.
func (t *Timers) Len() int { return len(t.h) }

// Next returns the earliest deadline, or false if none.
func (t *Timers) Next() (int64, bool) {
	if len(t.h) == 0 {
		return 0, false
	}
	return t.h[0].AtMs, true
}

// queueBlockLen: deadlines per block of a Queue.
const queueBlockLen = 1024

// Queue is a FIFO of deadlines pushed in time order (idempotency retention):
// O(1) where a heap would pay log n on millions of entries, and kept in
// fixed-size blocks so that growing it never copies what it holds. An entry
// pushed out of order only delays the entries behind it, never advances them.
type Queue struct {
	blocks [][]Timer // blocks[0][head:] is the front; every block but the last is full
	head   int
	n      int
}

// Push appends a deadline.
func (q *Queue) Push(x Timer) {
	if len(q.blocks) == 0 || len(q.blocks[len(q.blocks)-1]) == queueBlockLen {
		q.blocks = append(q.blocks, make([]Timer, 0, queueBlockLen))
	}
	last := &q.blocks[len(q.blocks)-1]
	*last = append(*last, x)
	q.n++
}

// PopDue removes and returns the front deadline if it is due at nowMs.
func (q *Queue) PopDue(nowMs int64) (Timer, bool) {
	if q.n == 0 || q.blocks[0][q.head].AtMs > nowMs {
		return Timer{}, false
	}
	x := q.blocks[0][q.head]
	q.blocks[0][q.head] = Timer{}
	q.head++
	q.n--
	if q.head == len(q.blocks[0]) { // front block used up: drop it
		q.blocks[0] = nil
		q.blocks = q.blocks[1:]
		q.head = 0
	}
	return x, true
}

// PopFront removes and returns the front deadline, due or not (to forget a
// record early when memory is full).
func (q *Queue) PopFront() (Timer, bool) {
	if q.n == 0 {
		return Timer{}, false
	}
	return q.PopDue(q.blocks[0][q.head].AtMs)
}

// Len returns the number of queued deadlines.
func (q *Queue) Len() int { return q.n }

// Sort orders the queue by deadline (after recovery pushed it in key order).
func (q *Queue) Sort() {
	all := make([]Timer, 0, q.n)
	for i, b := range q.blocks {
		if i == 0 {
			b = b[q.head:]
		}
		all = append(all, b...)
	}
	sort.Slice(all, func(i, j int) bool { return all[i].AtMs < all[j].AtMs })
	*q = Queue{}
	for _, x := range all {
		q.Push(x)
	}
}

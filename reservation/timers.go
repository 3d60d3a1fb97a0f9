package reservation

import (
	"container/heap"
	"sort"
)

// TimerKind says what a deadline is for.
type TimerKind uint8

const (
	TimerSessionExpiry TimerKind = iota + 1 // Key: session id
	TimerGraceEnd                           // Key: tenant
	TimerNumberRenewal                      // Key: number, Tenant: tenant
	TimerForgetSession                      // Key: session id
	TimerForgetEvent                        // Key: event id, Tenant: tenant
	TimerForgetTopUp                        // Key: reference, Tenant: tenant
)

// Timer is one deadline. Entries may be stale (the item changed or went away
// since it was pushed): the handler checks the item's own deadline, which is
// cheaper than deleting from the heap on every change.
type Timer struct {
	AtMs   int64
	Kind   TimerKind
	Tenant string
	Key    string
}

// Timers is a min-heap of deadlines. Guarded by its shard's lock.
type Timers struct{ h timerHeap }

// Push adds a deadline.
func (t *Timers) Push(x Timer) { heap.Push(&t.h, x) }

// PopDue removes and returns the earliest timer if it is due at nowMs.
func (t *Timers) PopDue(nowMs int64) (Timer, bool) {
	if len(t.h) == 0 || t.h[0].AtMs > nowMs {
		return Timer{}, false
	}
	return heap.Pop(&t.h).(Timer), true
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

type timerHeap []Timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].AtMs < h[j].AtMs }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(Timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	n := len(old)
	x := old[n-1]
	old[n-1] = Timer{}
	*h = old[:n-1]
	return x
}

// Queue is a FIFO of deadlines pushed in time order (idempotency retention):
// O(1) where a heap would pay log n on millions of entries. An entry pushed
// out of order only delays the entries behind it, never advances them.
type Queue struct {
	items []Timer
	head  int
}

// Push appends a deadline.
func (q *Queue) Push(x Timer) { q.items = append(q.items, x) }

// PopDue removes and returns the front deadline if it is due at nowMs.
func (q *Queue) PopDue(nowMs int64) (Timer, bool) {
	if q.head == len(q.items) || q.items[q.head].AtMs > nowMs {
		return Timer{}, false
	}
	x := q.items[q.head]
	q.items[q.head] = Timer{}
	q.head++
	if q.head > 1024 && q.head*2 > len(q.items) { // compact: keep memory proportional to what is queued
		n := copy(q.items, q.items[q.head:])
		clear(q.items[n:])
		q.items, q.head = q.items[:n], 0
	}
	return x, true
}

// Len returns the number of queued deadlines.
func (q *Queue) Len() int { return len(q.items) - q.head }

// Sort orders the queue by deadline (after recovery pushed it in key order).
func (q *Queue) Sort() {
	rest := q.items[q.head:]
	sort.Slice(rest, func(i, j int) bool { return rest[i].AtMs < rest[j].AtMs })
}

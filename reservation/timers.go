package reservation

import "container/heap"

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

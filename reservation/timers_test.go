package reservation

import (
	"math/rand/v2"
	"sort"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTimersOrder: deadlines come out in time order, only when due.
func TestTimersOrder(t *testing.T) {
	var tm Timers
	rng := rand.New(rand.NewPCG(1, 2))
	var want []int64
	for i := 0; i < 5000; i++ {
		at := rng.Int64N(1000)
		want = append(want, at)
		tm.Push(Timer{AtMs: at})
	}
	sort.Slice(want, func(i, j int) bool { return want[i] < want[j] })
	if _, ok := tm.PopDue(-1); ok {
		t.Fatal("popped a timer that is not due")
	}
	for i, w := range want {
		x, ok := tm.PopDue(1000)
		if !ok || x.AtMs != w {
			t.Fatalf("pop %d: got %d %v, want %d", i, x.AtMs, ok, w)
		}
	}
	if tm.Len() != 0 {
		t.Fatal("heap not empty")
	}
}

// TestTimersSlotsAgainstModel: random pushes (half of them tracked by a
// Slot), pops, removals and reschedules against a plain list; after every
// step the heap is ordered, every tracked entry's Slot holds its position,
// and what is queued is what the model holds.
func TestTimersSlotsAgainstModel(t *testing.T) {
	rng := rand.New(rand.NewPCG(7, 8))
	var tm Timers
	var model []*modelTimer // queued items
	for step := 0; step < 20_000; step++ {
		switch r := rng.IntN(10); {
		case r < 4:
			it := &modelTimer{at: rng.Int64N(1000)}
			if rng.IntN(2) == 0 {
				it.slot = new(int32)
			}
			tm.Push(Timer{AtMs: it.at, Slot: it.slot})
			model = append(model, it)
		case r < 6: // pop what is due at a random time
			now := rng.Int64N(1000)
			x, ok := tm.PopDue(now)
			earliest := int64(1 << 62)
			for _, it := range model {
				earliest = min(earliest, it.at)
			}
			require.Equal(t, len(model) > 0 && earliest <= now, ok, "step %d", step)
			if ok {
				require.Equal(t, earliest, x.AtMs)
				if x.Slot != nil {
					require.Zero(t, *x.Slot, "a popped entry's slot is cleared")
				}
				model = removeTimer(model, func(it *modelTimer) bool { return it.at == x.AtMs && it.slot == x.Slot })
			}
		case r < 8: // remove a tracked item
			if it := pickTracked(rng, model); it != nil {
				tm.Remove(*it.slot)
				require.Zero(t, *it.slot)
				model = removeTimer(model, func(m *modelTimer) bool { return m == it })
			}
		default: // reschedule a tracked item
			if it := pickTracked(rng, model); it != nil {
				it.at = rng.Int64N(1000)
				tm.Reschedule(*it.slot, it.at)
			}
		}
		require.Equal(t, len(model), tm.Len(), "step %d", step)
		for i := range tm.h { // plain ifs: require per entry would dominate the run
			if i > 0 && tm.h[(i-1)/2].AtMs > tm.h[i].AtMs {
				t.Fatalf("step %d: entry %d is earlier than its parent", step, i)
			}
			if p := tm.h[i].Slot; p != nil && *p != int32(i+1) {
				t.Fatalf("step %d: entry %d's slot holds %d", step, i, *p)
			}
		}
	}
}

type modelTimer struct {
	at   int64
	slot *int32 // nil: untracked
}

func removeTimer(s []*modelTimer, match func(*modelTimer) bool) []*modelTimer {
	for i, x := range s {
		if match(x) {
			return append(s[:i], s[i+1:]...)
		}
	}
	panic("removeTimer: no match")
}

// pickTracked returns a random queued item with a Slot, or nil.
func pickTracked(rng *rand.Rand, s []*modelTimer) *modelTimer {
	var tracked []*modelTimer
	for _, it := range s {
		if it.slot != nil {
			tracked = append(tracked, it)
		}
	}
	if len(tracked) == 0 {
		return nil
	}
	return tracked[rng.IntN(len(tracked))]
}

func TestQueueFIFO(t *testing.T) {
	var q Queue
	for i := int64(0); i < 3000; i++ {
		q.Push(Timer{AtMs: i})
	}
	for i := int64(0); i < 3000; i++ {
		x, ok := q.PopDue(i)
		if !ok || x.AtMs != i {
			t.Fatalf("pop %d: %v %v", i, x, ok)
		}
		if _, ok := q.PopDue(i); ok {
			t.Fatal("popped before due")
		}
	}
}

func TestGrant(t *testing.T) {
	// 60/60 at 0.05/min + 0.01 fee, in micros.
	cost := func(d int64) (int64, error) {
		if d == 0 {
			return 0, nil
		}
		billed := int64(60)
		if d > 60 {
			billed = 60 + (d-60+59)/60*60
		}
		return billed*50_000/60 + 10_000, nil
	}
	cases := []struct{ used, req, budget, g, extra int64 }{
		{0, 300, 1_000_000, 300, 260_000},
		{0, 300, 60_000, 60, 60_000},
		{0, 300, 59_999, 0, 0},
		{10, 50, 0, 50, 0},      // seconds already paid by the increment
		{10, 51, 0, 50, 0},      // one more second needs the next minute
		{0, 300, -1, 0, 0},      // a wallet below its limit gets nothing
		{0, 0, 1_000_000, 0, 0}, // nothing asked
	}
	for _, c := range cases {
		g, extra, err := Grant(cost, c.used, c.req, c.budget)
		if err != nil || g != c.g || extra != c.extra {
			t.Errorf("Grant(used %d, req %d, budget %d) = %d, %d, %v; want %d, %d", c.used, c.req, c.budget, g, extra, err, c.g, c.extra)
		}
	}
}

func TestArenaStrings(t *testing.T) {
	var a StringArena
	seen := map[string]bool{}
	for i := 0; i < 5000; i++ {
		b := append(a.Bytes(16), byte('a'+i%26), byte(i), byte(i>>8))
		s := a.String(b)
		if len(s) != 3 || seen[s] && i < 26*256 {
			continue
		}
		seen[s] = true
	}
	x := a.String(append(a.Bytes(16), "hello"...))
	y := a.String(append(a.Bytes(16), "world"...))
	if x != "hello" || y != "world" {
		t.Fatalf("arena strings overlap: %q %q", x, y)
	}
}

func TestQueueSortAndBlocks(t *testing.T) {
	var q Queue
	rng := rand.New(rand.NewPCG(3, 4))
	for i := 0; i < 5000; i++ {
		q.Push(Timer{AtMs: rng.Int64N(10_000)})
	}
	for i := 0; i < 100; i++ { // pop some before sorting
		q.PopDue(1 << 62)
	}
	q.Sort()
	prev := int64(-1)
	for n := 0; q.Len() > 0; n++ {
		x, ok := q.PopDue(1 << 62)
		if !ok || x.AtMs < prev {
			t.Fatalf("pop %d: %v %v after %d", n, x, ok, prev)
		}
		prev = x.AtMs
	}
}

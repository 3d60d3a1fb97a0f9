package reservation

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMemoAgainstMap runs random adds, lookups and expiries against a plain
// map, with the real hash and with one that makes most keys collide.
func TestMemoAgainstMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash func(key string) uint64
	}{
		{"maphash", nil},
		{"collisions", func(key string) uint64 { return uint64(len(key)) % 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m := Memo[int]{Hash: tc.hash}
			type k struct {
				owner uint32
				key   string
			}
			model := map[k]int{}
			var order []k // the model's FIFO
			now := int64(0)
			for step := 0; step < 50_000; step++ {
				now++
				key := k{uint32(rng.IntN(7)), fmt.Sprintf("e%d-%s", rng.IntN(3000), strings.Repeat("x", rng.IntN(200)))}
				switch r := rng.IntN(10); {
				case r < 5:
					_, _, ok := m.Get(key.owner, key.key)
					_, want := model[key]
					require.Equal(t, want, ok, "step %d", step)
					if !ok {
						m.Add(key.owner, key.key, now, step)
						model[key] = step
						order = append(order, key)
					}
				case r < 9:
					v, _, ok := m.Get(key.owner, key.key)
					want, wok := model[key]
					require.Equal(t, wok, ok, "step %d", step)
					if ok {
						require.Equal(t, want, *v)
					}
				default: // expire a burst from the front
					for n := rng.IntN(400); n > 0 && len(order) > 0; n-- {
						owner, key, at, ok := m.Oldest()
						require.True(t, ok)
						require.Equal(t, order[0], k{owner, string(key)})
						require.Positive(t, at)
						m.PopOldest()
						delete(model, order[0])
						order = order[1:]
					}
				}
				require.Equal(t, len(order), m.Len())
			}
			for len(order) > 0 {
				m.PopOldest()
				order = order[1:]
			}
			_, _, _, ok := m.Oldest()
			require.False(t, ok)
			require.Zero(t, m.index.n, "an emptied memo keeps no index entries")
			require.Len(t, m.ring, memoMinCap, "an emptied memo shrinks")
			require.LessOrEqual(t, len(m.keys.blocks), 1, "an emptied memo frees its key blocks")
		})
	}
}

// TestMemoIndexStaysBounded: expiry leaves stale index slots behind, and the
// rebuilds keep the index near four slots per live entry however long a
// memo of steady size runs.
func TestMemoIndexStaysBounded(t *testing.T) {
	var m Memo[int]
	for i := range 200_000 {
		key := fmt.Sprintf("e%d", i)
		_, _, ok := m.Get(1, key)
		require.False(t, ok)
		m.Add(1, key, int64(i), i)
		if m.Len() > 1000 {
			m.PopOldest()
		}
		require.LessOrEqual(t, 2*m.index.n, len(m.index.slots), "step %d", i)
		require.LessOrEqual(t, len(m.index.slots), 8192, "step %d", i)
	}
	for i := 200_000 - 1000; i < 200_000; i++ { // the live ones are all found
		v, _, ok := m.Get(1, fmt.Sprintf("e%d", i))
		require.True(t, ok)
		require.Equal(t, i, *v)
	}
	_, _, ok := m.Get(1, "e1")
	require.False(t, ok, "an expired key behind a stale slot is absent")
}

func BenchmarkMemoAddGetExpire(b *testing.B) {
	var m Memo[[64]byte]
	keys := make([]string, 1<<16)
	for i := range keys {
		keys[i] = fmt.Sprintf("event-%012d", i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := keys[i&(len(keys)-1)]
		if _, _, ok := m.Get(7, k); !ok {
			m.Add(7, k, int64(i), [64]byte{})
		}
		if m.Len() > 50_000 {
			m.PopOldest()
		}
	}
}

// TestPosIndexAgainstMap: random swaps and gets, with keys that crowd a few
// home slots so that probe runs wrap around the end.
func TestPosIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var x posIndex
	model := map[uint64]int64{}
	for step := 0; step < 200_000; step++ {
		key := uint64(rng.IntN(400))*uint64(1<<20) + uint64(rng.IntN(3)) + 1 // few distinct low bits
		if rng.IntN(10) == 0 {
			key = rng.Uint64() | 1
		}
		if rng.IntN(2) == 0 {
			old, ok := x.swap(key, int64(step))
			want, wok := model[key]
			require.Equal(t, wok, ok, "step %d", step)
			require.Equal(t, want, old, "step %d", step)
			model[key] = int64(step)
		}
		got, ok := x.get(key)
		want, wok := model[key]
		require.Equal(t, wok, ok, "step %d", step)
		require.Equal(t, want, got, "step %d", step)
		require.Equal(t, len(model), x.n)
	}
	for k, v := range model {
		got, ok := x.get(k)
		require.True(t, ok)
		require.Equal(t, v, got)
	}
}

// TestPosIndexPurgeAgainstMap: swaps at rising positions, with keys that
// crowd a few home slots near the table's end so probe runs wrap, and now and
// then a purge of every position before a rising front; the index must then
// hold exactly the model's entries at or after the front.
func TestPosIndexPurgeAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := posIndex{}
	x.resize(1024)
	model := map[uint64]int64{}
	first := int64(0)
	for pos := int64(0); pos < 300_000; pos++ {
		key := uint64(rng.IntN(300))<<20 | uint64(1020+rng.IntN(8)) // homes 1020..1027: wrap at 1024
		if rng.IntN(4) == 0 {
			key = rng.Uint64() | 1
		}
		if 2*(x.n+1) > len(x.slots) { // as Memo.rebuildIndex does at a steady size
			first = pos - int64(rng.IntN(200))
			x.purgeBefore(first)
			for k, v := range model {
				if v < first {
					delete(model, k)
				}
			}
			require.Equal(t, len(model), x.n, "pos %d", pos)
			for k, v := range model {
				got, ok := x.get(k)
				require.True(t, ok, "pos %d", pos)
				require.Equal(t, v, got, "pos %d", pos)
			}
		}
		old, ok := x.swap(key, pos)
		want, wok := model[key]
		require.Equal(t, wok, ok, "pos %d", pos)
		require.Equal(t, want, old, "pos %d", pos)
		model[key] = pos
	}
}

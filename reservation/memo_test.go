package reservation

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestMemoAgainstMap runs random adds, lookups and expiries against a plain
// map, with the real hash and with one that makes most keys collide.
func TestMemoAgainstMap(t *testing.T) {
	for _, tc := range []struct {
		name string
		hash func(tenant, key string) uint64
	}{
		{"maphash", nil},
		{"collisions", func(tenant, key string) uint64 { return uint64(len(tenant)+len(key)) % 3 }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rng := rand.New(rand.NewPCG(1, 2))
			m := Memo[int]{Hash: tc.hash}
			type k struct{ tenant, key string }
			model := map[k]int{}
			var order []k // the model's FIFO
			now := int64(0)
			for step := 0; step < 50_000; step++ {
				now++
				key := k{fmt.Sprintf("t%d", rng.IntN(7)), fmt.Sprintf("e%d", rng.IntN(3000))}
				switch r := rng.IntN(10); {
				case r < 5:
					_, _, ok := m.Get(key.tenant, key.key)
					_, want := model[key]
					require.Equal(t, want, ok, "step %d", step)
					if !ok {
						m.Add(key.tenant, key.key, now, step)
						model[key] = step
						order = append(order, key)
					}
				case r < 9:
					v, _, ok := m.Get(key.tenant, key.key)
					want, wok := model[key]
					require.Equal(t, wok, ok, "step %d", step)
					if ok {
						require.Equal(t, want, *v)
					}
				default: // expire a burst from the front
					for n := rng.IntN(400); n > 0 && len(order) > 0; n-- {
						tenant, key, at, ok := m.Oldest()
						require.True(t, ok)
						require.Equal(t, order[0], k{tenant, key})
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
			require.Empty(t, m.index, "an emptied memo keeps no index entries")
			require.Len(t, m.ring, memoMinCap, "an emptied memo shrinks")
		})
	}
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
		if _, _, ok := m.Get("tenant", k); !ok {
			m.Add("tenant", k, int64(i), [64]byte{})
		}
		if m.Len() > 50_000 {
			m.PopOldest()
		}
	}
}

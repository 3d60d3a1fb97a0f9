package reservation

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

type indexItem struct{ id string }

// TestIndexAgainstMap runs random puts, put-if-absents, deletes and lookups
// against a map, through growth and shrinking, and checks the load bound.
func TestIndexAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	x := NewIndex(4, func(v *indexItem) string { return v.id })
	model := map[string]*indexItem{}
	for step := range 200_000 {
		// The key space widens then narrows, so the shards grow and shrink.
		span := 1 + step/20
		if step > 100_000 {
			span = 1 + (200_000-step)/20
		}
		id := fmt.Sprintf("id-%d", rng.IntN(span))
		switch r := rng.IntN(10); {
		case r < 3:
			v := &indexItem{id}
			got, won := x.PutIfAbsent(id, v)
			if old := model[id]; old != nil {
				require.False(t, won, "step %d", step)
				require.Same(t, old, got, "step %d", step)
			} else {
				require.True(t, won, "step %d", step)
				model[id] = v
			}
		case r < 4:
			v := &indexItem{id}
			x.Put(id, v)
			model[id] = v
		case r < 6:
			x.Delete(id)
			delete(model, id)
		case r < 7:
			// DeleteIf drops only values the predicate accepts: here the
			// ids ending in an even digit.
			even := func(v *indexItem) bool { return v.id[len(v.id)-1]%2 == 0 }
			old := model[id]
			dropped := x.DeleteIf(id, even)
			require.Equal(t, old != nil && even(old), dropped, "step %d", step)
			if dropped {
				delete(model, id)
			}
		default:
			got, ok := x.Get(id)
			require.Equal(t, model[id] != nil, ok, "step %d", step)
			require.Same(t, model[id], got, "step %d", step)
		}
		if step%10_000 == 0 {
			require.Equal(t, len(model), x.Len(), "step %d", step)
			for id, v := range model {
				got, ok := x.Get(id)
				require.True(t, ok, "step %d: %s", step, id)
				require.Same(t, v, got)
			}
			for i := range x.shards {
				s := &x.shards[i]
				require.LessOrEqual(t, 2*s.t.n, len(s.t.slots), "shard %d over load 1/2", i)
			}
		}
	}
}

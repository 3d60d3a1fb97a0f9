package charging

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestOpenSessionsAgainstMap runs random puts and removes, inline and past
// the inline slots, against a map.
func TestOpenSessionsAgainstMap(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	var o openSessions
	model := map[string]*SessionState{}
	for step := range 20_000 {
		id := fmt.Sprintf("s%d", rng.IntN(6))
		if s := model[id]; s != nil {
			o.remove(s)
			delete(model, id)
		} else {
			s := &SessionState{ID: id}
			o.put(s)
			model[id] = s
		}
		require.Equal(t, len(model), o.len(), "step %d", step)
		for i := range 6 {
			id := fmt.Sprintf("s%d", i)
			require.Same(t, model[id], o.get(id), "step %d: %s", step, id)
		}
		seen := map[string]bool{}
		for s := range o.all() {
			require.False(t, seen[s.ID], "step %d: %s twice", step, s.ID)
			seen[s.ID] = true
			require.Same(t, model[s.ID], s)
		}
		require.Len(t, seen, len(model))
	}
}

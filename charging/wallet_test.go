package charging

import (
	"fmt"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestTenantIDsInlineAndNot: ids up to tenantInlineBytes live in the wallet,
// longer ones in their own allocation; either way the wallet is found, and
// neighbouring ids that share a prefix stay apart.
func TestTenantIDsInlineAndNot(t *testing.T) {
	ids := []string{"a", strings.Repeat("b", tenantInlineBytes-1), strings.Repeat("b", tenantInlineBytes),
		strings.Repeat("b", tenantInlineBytes+1), strings.Repeat("c", 128)}
	e, _ := boundedEngine(t, 1000, ids...)
	for i, id := range ids {
		w, err := e.Wallet(id)
		require.NoError(t, err, id)
		require.Equal(t, id, w.Tenant)
		_, _, err = e.Event(EventRequest{EventID: fmt.Sprint("e", i), Tenant: id, Service: "sms",
			Destination: "255712345678", Segments: int64(i + 1)})
		require.NoError(t, err, id)
	}
	for i, id := range ids {
		w, err := e.Wallet(id)
		require.NoError(t, err)
		require.Equal(t, int64(100_000_000-10_000*(i+1)), w.BalanceMicros, id)
	}
}

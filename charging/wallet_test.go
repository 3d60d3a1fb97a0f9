package charging

import (
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"
	"time"
	"unsafe"

	"github.com/salio/salio/reservation"
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

// TestWalletHotFieldsShareLines pins the wallet's layout: the fields an event
// debit touches lie in its first 160 bytes, and the wallet is a whole number
// of cache lines, so that with a million wallets a debit misses on three
// lines of it (two adjacent ones prefetch together).
func TestWalletHotFieldsShareLines(t *testing.T) {
	var w wallet
	require.Equal(t, uintptr(384), unsafe.Sizeof(w), "wallet size: adjust walletPadBytes")
	hot := map[string]uintptr{
		"tariff": unsafe.Offsetof(w.tariff), "memoOwner": unsafe.Offsetof(w.memoOwner),
		"tenantBytes": unsafe.Offsetof(w.tenantBytes),
	}
	base := unsafe.Offsetof(w.WalletState)
	for _, f := range []string{"Tenant", "Currency", "BalanceMicros", "ReservedMicros", "LifetimeSpendMicros",
		"MonthSpendMicros", "TxSeq", "GraceEndsAt", "LowBalanceThresholdMicros", "TierIndex", "MonthKey",
		"LowBalanceAlerted", "AutoRechargeEnabled", "AutoRechargeThreshold"} {
		sf, ok := reflect.TypeOf(w.WalletState).FieldByName(f)
		require.True(t, ok, f)
		hot[f] = base + sf.Offset + sf.Type.Size()
	}
	for name, end := range hot {
		require.LessOrEqual(t, end, uintptr(160), name)
	}
}

// TestMonthOfAgainstCalendar: the cached month agrees with the calendar on
// both sides of month ends (leap February, December into January), whatever
// month the cache held before.
func TestMonthOfAgainstCalendar(t *testing.T) {
	calendar := func(ms int64) int32 {
		u := time.UnixMilli(ms).UTC()
		return int32(u.Year()*100 + int(u.Month()))
	}
	var edges []int64
	for _, d := range []string{"2024-02-29T23:59:59.999Z", "2024-03-01T00:00:00Z", "2026-12-31T23:59:59.999Z",
		"2027-01-01T00:00:00Z", "1999-12-31T23:59:59.999Z", "2026-06-15T12:00:00Z"} {
		at, err := time.Parse(time.RFC3339Nano, d)
		require.NoError(t, err)
		edges = append(edges, at.UnixMilli()-1, at.UnixMilli(), at.UnixMilli()+1)
	}
	rng := rand.New(rand.NewPCG(7, 8))
	for range 20_000 {
		ms := edges[rng.IntN(len(edges))]
		if rng.IntN(4) == 0 {
			ms = rng.Int64N(4_102_444_800_000) // up to 2100
		}
		require.Equal(t, calendar(ms), monthOf(ms), "ms %d", ms)
	}
}

// TestShardLayout: the per-shard structures are whole cache lines, so no
// line is shared by two shards (see shardState and reservation.Shard).
func TestShardLayout(t *testing.T) {
	require.Equal(t, uintptr(256), unsafe.Sizeof(shardState{}), "adjust shardStatePadBytes")
	require.Equal(t, uintptr(192), unsafe.Sizeof(reservation.Shard[wallet]{}), "adjust reservation.shardPadBytes")
}

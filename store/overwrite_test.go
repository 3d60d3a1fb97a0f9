package store

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/salio/salio/charging"
)

// TestGroupLastWriteWins: many effects of one wallet in flight at once share
// groups, where only the last image of the wallet is applied; what is
// recovered must be the last image submitted, with every transaction.
func TestGroupLastWriteWins(t *testing.T) {
	dir := t.TempDir()
	s := openStore(t, dir, testOptions())
	var last *charging.Commit
	for seq := uint64(1); seq <= 500; seq++ {
		last = s.Submit(chargeEffect("hot", seq, 202611)) // no wait: effects pile into shared groups
	}
	require.NoError(t, last.Wait())
	require.NoError(t, s.Close())
	s = openStore(t, dir, testOptions())
	rec := recoverAll(t, s)
	w := rec.wallets["hot"]
	require.Equal(t, uint64(500), w.TxSeq)
	require.Equal(t, int64(1_000_000_000-500*20_000), w.BalanceMicros)
	txs, err := s.Transactions("hot", 0, 1000, "")
	require.NoError(t, err)
	require.Len(t, txs, 500)
}

// TestGroupUsageSum: usage deltas of one line from many effects in flight at
// once are summed within groups; the month's line is exact.
func TestGroupUsageSum(t *testing.T) {
	s := openStore(t, t.TempDir(), testOptions())
	var last *charging.Commit
	for seq := uint64(1); seq <= 500; seq++ {
		last = s.Submit(chargeEffect("hot", seq, 202611))
	}
	require.NoError(t, last.Wait())
	lines, err := s.Usage("hot", 202611)
	require.NoError(t, err)
	require.Len(t, lines, 1)
	require.Equal(t, charging.UsageLine{Item: "sms", Count: 500, QuantityMicros: 500_000_000, Unit: "segment", AmountMicros: 500 * 20_000}, lines[0])
}

// TestTopUpLookup: top-up records are found by tenant and reference for good.
func TestTopUpLookup(t *testing.T) {
	s := openStore(t, t.TempDir(), testOptions())
	rec := &charging.TopUpRecord{Tenant: "acme", Reference: "MP-1", AmountMicros: 5_000_000, Method: "mpesa", At: 1,
		Transaction: charging.Transaction{ID: "t1", Tenant: "acme", Seq: 1, Type: "topup", AmountMicros: 5_000_000}}
	require.NoError(t, s.Submit(&charging.Effect{TopUp: rec}).Wait())
	got, ok, err := s.TopUp("acme", "MP-1")
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, *rec, got)
	_, ok, err = s.TopUp("acme", "MP-2")
	require.NoError(t, err)
	require.False(t, ok)
	_, ok, err = s.TopUp("other", "MP-1")
	require.NoError(t, err)
	require.False(t, ok)
}

package store

import (
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

// testOptions keeps Pebble small: tests run on two shared cores.
func testOptions() Options {
	return Options{
		MemTableBytes: 4 << 20,
		CacheBytes:    8 << 20,
		Logf:          func(string, ...any) {},
	}
}

func openStore(t testing.TB, dir string, opts Options) *Store {
	t.Helper()
	s, err := Open(dir, opts)
	require.NoError(t, err)
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// chargeEffect is a typical event charge: wallet image, transaction, CDR,
// wallet event, usage delta and idempotency record, about 500 bytes.
func chargeEffect(tenant string, seq uint64, month int32) *charging.Effect {
	id := fmt.Sprintf("%s-%d", tenant, seq)
	return &charging.Effect{
		Wallet: &charging.WalletState{
			Tenant: tenant, Name: "Tenant " + tenant, Currency: "USD", TariffID: "standard",
			BalanceMicros: 1_000_000_000 - int64(seq)*20_000, LifetimeSpendMicros: int64(seq) * 20_000,
			TxSeq: seq, MonthKey: month, MonthSpendMicros: int64(seq) * 20_000,
		},
		Transaction: &charging.Transaction{
			ID: "tx-" + id, Tenant: tenant, Seq: seq, Type: "charge", Service: "sms", Item: "sms",
			AmountMicros: -20_000, BalanceAfterMicros: 1_000_000_000 - int64(seq)*20_000,
			QuantityMicros: 1_000_000, Unit: "segment", Reference: "ev-" + id, CreatedAt: 1_760_000_000_000 + int64(seq),
			Description: "SMS to 255712345678",
		},
		CDR: &charging.CDR{
			ID: "cdr-" + id, Tenant: tenant, Kind: "event", EventID: "ev-" + id, Service: "sms",
			Direction: "outbound", Destination: "255712345678", StartedAt: 1_760_000_000_000, EndedAt: 1_760_000_000_000,
			QuantityMicros: 1_000_000, Unit: "segment", RatePicos: 10_000_000_000, Tier: "bronze",
			MultiplierMicros: 1_000_000, AmountMicros: 20_000, Currency: "USD", Requests: 1,
		},
		Events: []charging.WalletEvent{{ID: "we-" + id, Tenant: tenant, Type: "balance_low", At: 1_760_000_000_000, BalanceMicros: 5}},
		Usage:  []charging.UsageDelta{{Tenant: tenant, Month: month, Item: "sms", Count: 1, QuantityMicros: 1_000_000, AmountMicros: 20_000, Unit: "segment"}},
		Event: &charging.EventAnswer{EventID: "ev-" + id, Tenant: tenant, Hash: seq * 7919, At: 1_760_000_000_000,
			AmountMicros: 20_000, QuantityMicros: 1_000_000, Unit: "segment", BalanceMicros: 5, TransactionID: "tx-" + id,
			Segments: 1, Encoding: "gsm7"},
	}
}

// recorder is a charging.Restorer that keeps everything in arrival order.
type recorder struct {
	mu       sync.Mutex
	order    []string
	tariffs  []charging.TariffRecord
	wallets  map[string]charging.WalletState
	sessions map[string]charging.SessionState
	closed   map[string]charging.SessionState // from the CDR log
	numbers  []charging.NumberState
	events   map[string]charging.EventAnswer // tenant/event id
	topups   []charging.TopUpRecord
	keys     []charging.KeyRecord
	roles    []charging.RoleRecord
}

func newRecorder() *recorder {
	return &recorder{wallets: map[string]charging.WalletState{}, sessions: map[string]charging.SessionState{},
		closed: map[string]charging.SessionState{}, events: map[string]charging.EventAnswer{}}
}

func (r *recorder) note(kind string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if n := len(r.order); n == 0 || r.order[n-1] != kind {
		r.order = append(r.order, kind)
	}
}

func (r *recorder) RestoreTariff(t charging.TariffRecord) error {
	r.note("tariff")
	r.tariffs = append(r.tariffs, t)
	return nil
}

func (r *recorder) RestoreWallet(w charging.WalletState) error {
	r.note("wallet")
	r.wallets[w.Tenant] = w
	return nil
}

func (r *recorder) RestoreSession(s charging.SessionState) error {
	return r.session("session", r.sessions, s)
}

func (r *recorder) RestoreClosedSession(s charging.SessionState) error {
	return r.session("log", r.closed, s)
}

// session keeps s in into, after checking that its wallet came first.
func (r *recorder) session(kind string, into map[string]charging.SessionState, s charging.SessionState) error {
	r.note(kind)
	if _, ok := r.wallets[s.Tenant]; !ok {
		return fmt.Errorf("%s %s before its wallet", kind, s.ID)
	}
	into[s.ID] = s
	return nil
}

func (r *recorder) RestoreNumber(n charging.NumberState) error {
	r.note("number")
	r.numbers = append(r.numbers, n)
	return nil
}

func (r *recorder) RestoreEvent(e charging.EventAnswer) error {
	r.note("log")
	r.events[e.Tenant+"/"+e.EventID] = e
	return nil
}

func (r *recorder) RestoreTopUp(t charging.TopUpRecord) error {
	r.note("topup")
	r.topups = append(r.topups, t)
	return nil
}

func (r *recorder) RestoreKey(k charging.KeyRecord) error {
	r.note("key")
	r.keys = append(r.keys, k)
	return nil
}

func (r *recorder) RestoreRole(x charging.RoleRecord) error {
	r.note("role")
	r.roles = append(r.roles, x)
	return nil
}

func recoverAll(t testing.TB, s *Store) *recorder {
	t.Helper()
	r := newRecorder()
	require.NoError(t, s.Recover(r))
	return r
}

func requireOrder(t testing.TB, r *recorder) {
	t.Helper()
	rank := map[string]int{"tariff": 0, "wallet": 1, "session": 2, "number": 3, "log": 4, "topup": 5, "key": 6, "role": 7}
	for i := 1; i < len(r.order); i++ {
		require.Less(t, rank[r.order[i-1]], rank[r.order[i]], "restore order %s", strings.Join(r.order, ","))
	}
}

package store

import (
	"fmt"
	"runtime"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// countingRestorer only counts, so the benchmark measures the store.
type countingRestorer struct{ tariffs, wallets, sessions, others int }

func (c *countingRestorer) RestoreTariff(charging.TariffRecord) error { c.tariffs++; return nil }
func (c *countingRestorer) RestoreWallet(charging.WalletState) error  { c.wallets++; return nil }
func (c *countingRestorer) RestoreSession(charging.SessionState) error {
	c.sessions++
	return nil
}
func (c *countingRestorer) RestoreClosedSession(charging.SessionState) error {
	c.sessions++
	return nil
}
func (c *countingRestorer) RestoreNumber(charging.NumberState) error { c.others++; return nil }
func (c *countingRestorer) RestoreEvent(charging.EventAnswer) error  { c.others++; return nil }
func (c *countingRestorer) RestoreTopUp(charging.TopUpRecord) error  { c.others++; return nil }
func (c *countingRestorer) RestoreKey(charging.KeyRecord) error      { c.others++; return nil }
func (c *countingRestorer) RestoreRole(charging.RoleRecord) error    { c.others++; return nil }

// BenchmarkRecover measures Open + Recover of 1,000,000 wallets and 100,000
// open sessions (the goal is under 10 s).
//
//	go test ./store -run XXX -bench Recover -benchtime 3x
func BenchmarkRecover(b *testing.B) {
	const wallets, sessions = 1_000_000, 100_000
	dir := b.TempDir()
	t0 := time.Now()
	buildRecoverDB(b, dir, wallets, sessions)
	b.Logf("built %d wallets + %d sessions in %v", wallets, sessions, time.Since(t0))
	b.Run("open+recover", func(b *testing.B) {
		b.ReportAllocs()
		for i := 0; i < b.N; i++ {
			var before, after runtime.MemStats
			runtime.GC()
			runtime.ReadMemStats(&before)
			s, err := Open(dir, benchOptions())
			if err != nil {
				b.Fatal(err)
			}
			var r countingRestorer
			if err := s.Recover(&r); err != nil {
				b.Fatal(err)
			}
			runtime.ReadMemStats(&after)
			if r.wallets != wallets || r.sessions != sessions || r.tariffs != 1 {
				b.Fatalf("recovered %+v", r)
			}
			_ = s.Close()
			b.ReportMetric(float64(after.TotalAlloc-before.TotalAlloc)/(1<<20), "MB-allocated")
			b.ReportMetric(float64(after.HeapInuse)/(1<<20), "MB-heap-inuse")
		}
	})
}

func buildRecoverDB(b *testing.B, dir string, wallets, sessions int) {
	s, err := Open(dir, benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	batch := s.db.NewBatch()
	flush := func(force bool) {
		if batch.Len() < 4<<20 && !force {
			return
		}
		if err := batch.Commit(pebble.NoSync); err != nil {
			b.Fatal(err)
		}
		batch = s.db.NewBatch()
	}
	var buf []byte
	tr := charging.TariffRecord{ID: "standard", Version: 1, Doc: make([]byte, 2000), At: 1}
	buf = appendTariffKey(buf[:0], tr.ID, tr.Version)
	_ = batch.Set(buf, appendTariff(nil, &tr), nil)
	for i := 0; i < wallets; i++ {
		w := charging.WalletState{Tenant: fmt.Sprintf("tenant-%07d", i), Name: "Tenant name", Currency: "USD",
			TariffID: "standard", CreatedAt: 1_760_000_000_000, BalanceMicros: 12_345_678, LifetimeSpendMicros: 98_765_432,
			TierIndex: 1, GracePeriodSeconds: 300, GraceOverdraftMicros: 5_000_000, MaxConcurrentSessions: 10,
			AutoRechargeRecent: []int64{1_760_000_000_000}, TxSeq: 1234, MonthKey: 202610, MonthSpendMicros: 1_000_000}
		k := appendKey1(nil, kindWallet, w.Tenant)
		_ = batch.Set(k, appendWallet(nil, &w), nil)
		flush(false)
	}
	for i := 0; i < sessions; i++ {
		ss := charging.SessionState{ID: fmt.Sprintf("a84b4c76e66710-%07d@pc33.example.com", i), Tenant: fmt.Sprintf("tenant-%07d", i*7),
			Service: "voice", Direction: "outbound", Destination: "255712345678", TariffID: "standard", TariffVersion: 1,
			Rate:     tariff.VoiceRate{Prefix: "2557", PerMinutePicos: 20_000_000_000, FeePicos: 5_000_000_000, InitialIncrement: 30, SubsequentIncrement: 6},
			TierName: "silver", MultiplierMicros: 950_000, StartHash: 42, StartedAt: 1_760_000_000_000, LastAt: 1_760_000_060_000,
			ExpiresAt: 1_760_000_390_000, RequestNum: 1, UsedSeconds: 60, Charged: 22_000, Granted: 300, Reserved: 95_000,
			StartAnswer: charging.SessionAnswer{GrantedSeconds: 300, ValiditySeconds: 330, ReservedMicros: 95_000},
			LastAnswer:  charging.SessionAnswer{RequestNumber: 1, GrantedSeconds: 300, ValiditySeconds: 330, ReservedMicros: 95_000, ChargedMicros: 22_000}}
		_ = batch.Set(appendKey1(nil, kindSession, ss.ID), appendSession(nil, &ss), nil)
		flush(false)
	}
	flush(true)
	if err := s.Close(); err != nil {
		b.Fatal(err)
	}
}

package charging

import (
	"strconv"
	"sync/atomic"
	"testing"
)

func benchEngine(b *testing.B, wallets int) (*Engine, []string) {
	e, err := New(Config{Sink: DiscardSink{}, IDEpoch: 1})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := e.PutTariff(tariffStandardDoc()); err != nil {
		b.Fatal(err)
	}
	ids := make([]string, wallets)
	for i := range ids {
		ids[i] = "tenant-" + strconv.Itoa(i)
		if _, err := e.CreateTenant(TenantParams{ID: ids[i], Tariff: "standard"}); err != nil {
			b.Fatal(err)
		}
		if _, _, err := e.TopUp(ids[i], TopUpRequest{AmountMicros: 1_000_000 * 1_000_000, Method: "manual", Reference: "seed"}); err != nil {
			b.Fatal(err)
		}
	}
	return e, ids
}

// BenchmarkEventDebit: one SMS debit per op, in-process, no durability.
func BenchmarkEventDebit(b *testing.B) {
	e, ids := benchEngine(b, 1000)
	var n atomic.Int64
	eventIDs := make([]string, 1<<20)
	for i := range eventIDs {
		eventIDs[i] = "ev" + strconv.Itoa(i)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			r := EventRequest{EventID: eventIDs[i&(1<<20-1)], Tenant: ids[i%int64(len(ids))], Service: "sms", Destination: "255712345678", Segments: 1}
			if _, _, err := e.Event(r); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// BenchmarkSessionCycle: start, two updates, stop per op.
func BenchmarkSessionCycle(b *testing.B) {
	e, ids := benchEngine(b, 1000)
	var n atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			i := n.Add(1)
			id := "call-" + strconv.FormatInt(i, 10)
			if _, _, err := e.StartSession(StartRequest{SessionID: id, Tenant: ids[i%int64(len(ids))], Service: "voice", Direction: "outbound", Destination: "255712345678", RequestedSeconds: 60}); err != nil {
				b.Fatal(err)
			}
			for k := int64(1); k <= 2; k++ {
				if _, _, err := e.UpdateSession(id, UpdateRequest{RequestNumber: k, UsedSeconds: 60, RequestedSeconds: 60}); err != nil {
					b.Fatal(err)
				}
			}
			if _, _, err := e.StopSession(id, StopRequest{RequestNumber: 3, UsedSeconds: 30}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

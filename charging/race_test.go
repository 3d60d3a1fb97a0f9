package charging

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// TestConcurrentMoney fires 10,000 mixed requests from many goroutines at a
// handful of wallets, some nearly empty, and then checks SPEC 9's invariant on
// every wallet. Run with -race.
func TestConcurrentMoney(t *testing.T) {
	clock := &manualClock{t: time.Date(2026, 11, 24, 10, 0, 0, 0, time.UTC)}
	sink := newMemSink()
	e, err := New(Config{Shards: 4, Clock: clock, Sink: sink, Reader: sink, IDEpoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutTariff(standardDoc(t)); err != nil {
		t.Fatal(err)
	}
	tenants := []string{"w0", "w1", "w2", "w3", "w4"}
	for i, id := range tenants {
		if _, err := e.CreateTenant(TenantParams{ID: id, Tariff: "standard", GraceOverdraftMicros: 20_000, GraceOverdraftSet: true}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.TopUp(id, TopUpRequest{AmountMicros: int64(i+1) * 300_000, Method: "manual", Reference: "seed"}); err != nil {
			t.Fatal(err)
		}
	}
	const workers, perWorker = 50, 200 // 10,000 requests
	var wg sync.WaitGroup
	var done, refused atomic.Int64
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(w), 99))
			type call struct {
				id      string
				n       int64
				granted int64
			}
			var calls []*call
			for i := 0; i < perWorker; i++ {
				tenant := tenants[rng.IntN(len(tenants))]
				var err error
				switch op := rng.IntN(10); {
				case op < 3:
					dir := []string{"outbound", "inbound"}[rng.IntN(2)]
					id := fmt.Sprintf("c%d-%d", w, i)
					var rep SessionReply
					rep, _, err = e.StartSession(StartRequest{SessionID: id, Tenant: tenant, Service: "voice", Direction: dir, Destination: "255712345678", RequestedSeconds: 120})
					if err == nil {
						calls = append(calls, &call{id: id, granted: rep.Answer.GrantedSeconds})
					}
				case op < 6 && len(calls) > 0:
					k := rng.IntN(len(calls))
					c := calls[k]
					c.n++
					used := int64(rng.IntN(int(c.granted) + 1)) // never beyond the grant
					if rng.IntN(3) == 0 {
						_, _, err = e.StopSession(c.id, StopRequest{RequestNumber: c.n, UsedSeconds: used})
						calls = append(calls[:k], calls[k+1:]...)
					} else {
						var rep SessionReply
						rep, _, err = e.UpdateSession(c.id, UpdateRequest{RequestNumber: c.n, UsedSeconds: used, RequestedSeconds: 60})
						if err == nil {
							c.granted = rep.Answer.GrantedSeconds
						}
					}
				case op < 9:
					_, _, err = e.Event(EventRequest{EventID: fmt.Sprintf("e%d-%d", w, i), Tenant: tenant, Service: "sms", Destination: "15551234567", Segments: int64(rng.IntN(3) + 1)})
				default:
					_, _, err = e.TopUp(tenant, TopUpRequest{AmountMicros: 50_000, Method: "mpesa", Reference: fmt.Sprintf("t%d-%d", w, i)})
				}
				if err != nil {
					refused.Add(1)
				}
				done.Add(1)
			}
			for _, c := range calls { // hang up what is still open
				c.n++
				if _, _, err := e.StopSession(c.id, StopRequest{RequestNumber: c.n, UsedSeconds: 0}); err != nil {
					t.Errorf("stop %s: %v", c.id, err)
				}
			}
		}(w)
	}
	wg.Wait()
	checkMoney(t, e, sink)
	for _, id := range tenants {
		v, _ := e.Wallet(id)
		if v.ReservedMicros != 0 || v.OpenSessions != 0 {
			t.Errorf("%s: reserved %d with %d open sessions after all calls ended", id, v.ReservedMicros, v.OpenSessions)
		}
	}
	t.Logf("%d requests, %d refused or rejected", done.Load(), refused.Load())
}

func standardDoc(t testing.TB) []byte {
	t.Helper()
	return tariffStandardDoc()
}

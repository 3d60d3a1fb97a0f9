package charging

import (
	"fmt"
	"testing"
	"time"

	"github.com/salio/salio/tariff"
)

// boundedEngine is an engine on 4 shards holding at most maxRecords
// idempotency records, with the tenants funded (one top-up record each).
func boundedEngine(t *testing.T, maxRecords int, tenants ...string) (*Engine, *memSink) {
	t.Helper()
	sink := newMemSink()
	e, err := New(Config{Shards: 4, Clock: &manualClock{t: scriptEpoch}, Sink: sink, Reader: sink, IDEpoch: 1,
		MaxIdempotencyRecords: maxRecords})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutTariff(tariff.Standard().Doc); err != nil {
		t.Fatal(err)
	}
	e.ready.Store(true)
	for _, id := range tenants {
		if _, err := e.CreateTenant(TenantParams{ID: id, Tariff: "standard"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.TopUp(id, TopUpRequest{AmountMicros: 100_000_000, Method: "manual", Reference: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	return e, sink
}

// TestIdempotencyRecordsBounded: past MaxIdempotencyRecords each shard forgets
// its oldest event records, counts them, and keeps the newest.
func TestIdempotencyRecordsBounded(t *testing.T) {
	e, sink := boundedEngine(t, 40, "a", "b", "c")
	const n = 300
	ev := func(i int) EventRequest {
		return EventRequest{EventID: fmt.Sprintf("e%d", i), Tenant: []string{"a", "b", "c"}[i%3], Service: "sms",
			Destination: "255712345678", Segments: 1}
	}
	for i := 0; i < n; i++ {
		if _, replay, err := e.Event(ev(i)); err != nil || replay {
			t.Fatalf("event %d: replay=%v err=%v", i, replay, err)
		}
	}
	st := e.Stats()
	events := int64(0)
	for i := range e.shards {
		events += int64(e.shards[i].events.Len())
	}
	if events > 40 || st.IdempotencyEvictions != n-events {
		t.Fatalf("%d event records held (cap 40), %d evicted, want %d", events, st.IdempotencyEvictions, n-events)
	}
	if _, replay, err := e.Event(ev(n - 1)); err != nil || !replay {
		t.Fatalf("the newest event is forgotten: replay=%v err=%v", replay, err)
	}
	checkMoney(t, e, sink)
}

// TestIdempotencyEventWindow: the window a retried event is recognised in
// is the retention until a shard forgets records early, then the age of the
// newest record it forgot; it grows back as time passes. The budget is
// shared: one busy tenant's shard holds all of it.
func TestIdempotencyEventWindow(t *testing.T) {
	e, _ := boundedEngine(t, 40, "a")
	clock := e.cfg.Clock.(*manualClock)
	if w := e.Stats().IdempotencyEventWindowMs; w != DefaultRetention.Milliseconds() {
		t.Fatalf("window %d ms before any eviction, want the retention", w)
	}
	t0 := clock.Now()
	for i := 0; i < 60; i++ { // one a second: events 0-19 are forgotten, 20-59 held
		clock.Set(t0.Add(time.Duration(i) * time.Second))
		if _, _, err := e.Event(EventRequest{EventID: fmt.Sprintf("e%d", i), Tenant: "a", Service: "sms",
			Destination: "255712345678", Segments: 1}); err != nil {
			t.Fatal(err)
		}
	}
	if w := e.Stats().IdempotencyEventWindowMs; w != 40_000 { // now t0+59 s, newest forgotten t0+19 s
		t.Fatalf("window %d ms, want 40000", w)
	}
	clock.Set(t0.Add(DefaultRetention + time.Hour))
	if w := e.Stats().IdempotencyEventWindowMs; w != DefaultRetention.Milliseconds() {
		t.Fatalf("window %d ms a day later, want the retention", w)
	}
}

// TestIdempotencyBudgetShared: the budget is shared, so a hot shard takes
// the room a cold one leaves, and each shard, forgetting as it adds, keeps
// records about as far back as the others (as if the oldest went first,
// whatever their shard). The total stays within a block per shard of the
// budget.
func TestIdempotencyBudgetShared(t *testing.T) {
	const budget, shards = 64_000, 4
	e, _ := boundedEngine(t, budget)
	cold := "cold"
	for i := 0; e.wallets.ShardOf(cold).ID() == e.wallets.ShardOf("hot").ID(); i++ {
		cold = fmt.Sprintf("cold%d", i)
	}
	for _, id := range []string{"hot", cold} {
		if _, err := e.CreateTenant(TenantParams{ID: id, Tariff: "standard"}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.TopUp(id, TopUpRequest{AmountMicros: 100_000 * 1_000_000, Method: "manual", Reference: "r"}); err != nil {
			t.Fatal(err)
		}
	}
	for i := 0; i < 100_000; i++ {
		tenant := "hot"
		if i%100 == 0 {
			tenant = cold
		}
		if _, _, err := e.Event(EventRequest{EventID: fmt.Sprintf("e%d", i), Tenant: tenant, Service: "sms",
			Destination: "255712345678", Segments: 1}); err != nil {
			t.Fatal(err)
		}
	}
	hot := e.shards[e.wallets.ShardOf("hot").ID()].events.Len()
	coldHeld := e.shards[e.wallets.ShardOf(cold).ID()].events.Len()
	total := int64(0)
	for i := range e.shards {
		total += int64(e.shards[i].events.Len())
	}
	// The newest 64,000 events are 63,360 of the hot tenant and 640 of the cold one.
	if hot < 3*budget/shards || coldHeld < 540 || coldHeld > 740 {
		t.Fatalf("hot shard holds %d (an even share is %d), cold %d (want ~640)", hot, budget/shards, coldHeld)
	}
	if slack := shards * e.eventBlock; total > budget+slack || total < budget-slack {
		t.Fatalf("%d records held, want %d ± %d", total, budget, slack)
	}
	if ev := e.Stats().IdempotencyEvictions; ev != 100_000-total {
		t.Fatalf("%d evictions, want %d", ev, 100_000-total)
	}
}

func TestIDNumberRoundTrip(t *testing.T) {
	for _, n := range []uint64{0, 1, 35, 36, 1<<40 | 12345, ^uint64(0)} {
		id := string(appendIDNumber(nil, 't', n))
		got, err := idNumber('t', id)
		if err != nil || got != n {
			t.Fatalf("%d -> %q -> %d, %v", n, id, got, err)
		}
	}
	for _, bad := range []string{"", "t", "x12", "t-1", "tZZ", "t 1", "t01"} {
		if _, err := idNumber('t', bad); err == nil {
			t.Fatalf("%q parsed as a t id", bad)
		}
	}
}

// TestClosedSessionsBounded: closed sessions count against
// MaxIdempotencyRecords too; the oldest are forgotten early and counted. The
// store holds them only with their CDRs (its log's retention prunes them), so
// forgetting one sends no delete.
func TestClosedSessionsBounded(t *testing.T) {
	e, sink := boundedEngine(t, 40, "a")
	const n = 100
	for i := 0; i < n; i++ {
		id := fmt.Sprintf("call-%d", i)
		if _, _, err := e.StartSession(StartRequest{SessionID: id, Tenant: "a", Service: "voice", Direction: "outbound",
			Destination: "255712345678", RequestedSeconds: 60}); err != nil {
			t.Fatal(err)
		}
		if _, _, err := e.StopSession(id, StopRequest{RequestNumber: 1, UsedSeconds: 10}); err != nil {
			t.Fatal(err)
		}
	}
	limit := 40 / 4 // the tenant's shard's share
	if _, ok := e.sessions.Get("call-0"); ok {
		t.Fatal("the oldest closed session is still held")
	}
	if _, ok := sink.sessions["call-0"]; ok {
		t.Fatal("a closed session is under its own key in the store")
	}
	if _, ok := sink.closed["call-0"]; !ok {
		t.Fatal("a closed session is not with its CDR in the store")
	}
	if _, ok := e.sessions.Get(fmt.Sprintf("call-%d", n-1)); !ok {
		t.Fatal("the newest closed session is forgotten")
	}
	if ev := e.Stats().IdempotencyEvictions; ev != int64(n+1-limit) { // the top-up record counts too
		t.Fatalf("%d evictions, want %d", ev, n+1-limit)
	}
	checkMoney(t, e, sink)
}

// TestStoppedCallsLeaveNoDeadline: a session's expiry deadline leaves the
// timer heap when the session stops, so the heap holds open sessions only; an
// update to an earlier deadline moves the entry rather than adding one; the
// open ones still expire.
func TestStoppedCallsLeaveNoDeadline(t *testing.T) {
	e, sink := boundedEngine(t, 0, "a", "b")
	queued := func() int {
		n := 0
		for i := 0; i < e.wallets.Len(); i++ {
			sh := e.wallets.Shard(i)
			sh.Lock()
			n += sh.Timers.Len()
			sh.Unlock()
		}
		return n
	}
	const calls = 50
	for i := range calls {
		id, tenant := fmt.Sprintf("call-%d", i), []string{"a", "b"}[i%2]
		if _, _, err := e.StartSession(StartRequest{SessionID: id, Tenant: tenant, Service: "voice", Direction: "outbound",
			Destination: "255712345678", RequestedSeconds: 300}); err != nil {
			t.Fatal(err)
		}
		// A shorter grant: an earlier deadline, which moves the entry.
		if _, _, err := e.UpdateSession(id, UpdateRequest{RequestNumber: 1, UsedSeconds: 10, RequestedSeconds: 30}); err != nil {
			t.Fatal(err)
		}
	}
	if got := queued(); got != calls {
		t.Fatalf("%d deadlines queued for %d open calls", got, calls)
	}
	for i := 0; i < calls; i += 2 {
		if _, _, err := e.StopSession(fmt.Sprintf("call-%d", i), StopRequest{RequestNumber: 2, UsedSeconds: 20}); err != nil {
			t.Fatal(err)
		}
	}
	if got := queued(); got != calls/2 {
		t.Fatalf("%d deadlines queued for %d open calls", got, calls/2)
	}
	e.clock.(*manualClock).Advance(61 * time.Second) // past the 30 s grant + 30 s validity
	e.RunTimers()
	if got := queued(); got != 0 {
		t.Fatalf("%d deadlines queued after every call ended", got)
	}
	for i := 1; i < calls; i += 2 {
		s, ok := e.sessions.Get(fmt.Sprintf("call-%d", i))
		if !ok || !s.Closed || s.Termination != TermExpired {
			t.Fatalf("call-%d: not expired", i)
		}
	}
	checkMoney(t, e, sink)
}

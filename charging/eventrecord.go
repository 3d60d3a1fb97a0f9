package charging

import (
	"github.com/salio/salio/reservation"
)

// eventRecord is an event's idempotency record as a shard's memo keeps it:
// the answer packed into 48 bytes without a pointer (EventAnswer is ~180;
// the memo holds the wallet's number, the event id and the time beside it).
// A busy shard holds a day of these: without pointers the garbage collector
// never scans them.
type eventRecord struct {
	hash           uint64
	amountMicros   int64
	quantityMicros int64
	balanceMicros  int64
	txNum          uint64 // the transaction id's number: ids are 't' + base 36 (op.id)
	segments       int32
	unit           uint8
	encoding       uint8
}

var (
	unitNames     = [...]string{"", "segment", "message", "token", "GB"}
	encodingNames = [...]string{"", "gsm7", "ucs2"}
)

func codeOf(names []string, s string) uint8 {
	for i, n := range names {
		if n == s {
			return uint8(i)
		}
	}
	return 0
}

// packEvent packs a; txNum is the number of its transaction id.
func packEvent(a *EventAnswer, txNum uint64) eventRecord {
	return eventRecord{
		hash: a.Hash, amountMicros: a.AmountMicros, quantityMicros: a.QuantityMicros,
		balanceMicros: a.BalanceMicros, txNum: txNum, segments: int32(a.Segments),
		unit: codeOf(unitNames[:], a.Unit), encoding: codeOf(encodingNames[:], a.Encoding),
	}
}

func (r *eventRecord) answer(tenant, eventID string, atMs int64) EventAnswer {
	return EventAnswer{
		EventID: eventID, Tenant: tenant, Hash: r.hash, At: atMs, AmountMicros: r.amountMicros,
		QuantityMicros: r.quantityMicros, Unit: unitNames[r.unit], BalanceMicros: r.balanceMicros,
		TransactionID: string(appendIDNumber(nil, 't', r.txNum)), Segments: int64(r.segments), Encoding: encodingNames[r.encoding],
	}
}

// rememberEvent keeps an event's answer for the retention window in its
// shard's memo. MaxIdempotencyRecords is one budget for all shards: while the
// shards together hold more, the shard adding a record forgets its oldest
// one and counts it. Memory stays bounded whatever the event rate, and the
// room goes where the events are: with skewed traffic a hot shard holds
// more than an even share, so its tenants' retries are recognised further
// back (an even split gave the hottest shard of a Zipf load a tenth of the
// window). The shard is locked.
func (e *Engine) rememberEvent(sh *reservation.Shard[wallet], w *wallet, a *EventAnswer, txNum uint64) {
	st := &e.shards[sh.ID()]
	m := &st.events
	m.Add(w.memoOwner, a.EventID, a.At, packEvent(a, txNum))
	e.reportEvents(st)
	// Two at most: one keeps the total where it is; the second brings it
	// back when reports in blocks let it overshoot.
	for i := 0; i < 2 && m.Len() > 1 && e.eventRecords.Load() > int64(e.cfg.MaxIdempotencyRecords); i++ {
		_, _, atMs, _ := m.Oldest()
		m.PopOldest()
		st.evictions++
		st.evictedUpToMs = atMs
		e.reportEvents(st)
	}
}

// reportEvents adds the change in st's event records to Engine.eventRecords
// once it reaches eventBlock either way. The total is then off by less than
// eventBlock per shard. The shard is locked.
func (e *Engine) reportEvents(st *shardState) {
	if d := int64(st.events.Len()) - st.reportedRecords; d >= e.eventBlock || d <= -e.eventBlock {
		e.eventRecords.Add(d)
		st.reportedRecords += d
	}
}

// maxEventBlock bounds eventBlock: 64 shards may then hold up to 16,384
// records past the budget, 0.4% of the default 4M.
const maxEventBlock = 256

// eventBlockFor returns the step in which shards report their event records:
// at most an eighth of an even share, so that a small budget (tests, tiny
// deployments) is kept nearly exactly.
func eventBlockFor(maxRecords, shards int) int64 {
	return int64(min(max(maxRecords/(8*shards), 1), maxEventBlock))
}

// forgetEvents drops a shard's event records past retention. The shard is locked.
func (e *Engine) forgetEvents(sh *reservation.Shard[wallet], nowMs int64) {
	st := &e.shards[sh.ID()]
	m := &st.events
	for {
		_, _, atMs, ok := m.Oldest()
		if !ok || atMs+e.cfg.Retention.Milliseconds() > nowMs {
			e.reportEvents(st)
			return
		}
		m.PopOldest()
	}
}

// putWallet adds a new wallet to its locked shard and numbers it for the
// shard's event memo.
func (e *Engine) putWallet(sh *reservation.Shard[wallet], w *wallet) {
	w.inlineTenant()
	st := &e.shards[sh.ID()]
	w.memoOwner = st.nextOwner
	st.nextOwner++
	sh.Put(w)
}

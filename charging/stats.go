package charging

import "sync/atomic"

// counters are the engine's monotonic counters, updated lock-free.
type counters struct {
	deniedInsufficientFunds atomic.Int64
	deniedBlocked           atomic.Int64
	deniedTooManySessions   atomic.Int64
	deniedGraceExpired      atomic.Int64
	expiries                atomic.Int64
	replays                 atomic.Int64
}

func (c *counters) deny(reason string) {
	switch reason {
	case "insufficient_funds":
		c.deniedInsufficientFunds.Add(1)
	case "blocked":
		c.deniedBlocked.Add(1)
	case "too_many_sessions":
		c.deniedTooManySessions.Add(1)
	case "grace_expired":
		c.deniedGraceExpired.Add(1)
	}
}

// EngineStats are counters and gauges for metrics. Counters only grow.
type EngineStats struct {
	Wallets            int64
	OpenSessions       int64
	ReservedMicros     int64
	WalletsByStatus    map[string]int64 // ok low grace blocked
	Grants             int64            // session grants > 0
	Denials            map[string]int64 // by reason: insufficient_funds blocked too_many_sessions grace_expired
	Expiries           int64
	Replays            int64
	EventsCharged      int64
	IdempotencyRecords int64 // retained records of closed sessions, events and top-ups
	// IdempotencyEvictions counts idempotency records (events, closed
	// sessions, top-ups) forgotten before their retention ended because
	// MaxIdempotencyRecords was reached.
	IdempotencyEvictions int64
	// IdempotencyEventWindowMs is how far back a retried event is still
	// recognised: Config.Retention, or less where a shard has forgotten
	// records early (the age of the newest one forgotten, the least over
	// the shards). A retry older than that is charged again.
	IdempotencyEventWindowMs int64
	Failed                   bool
}

// Stats returns counters and gauges; it walks every wallet (one shard locked
// at a time), so call it at scrape intervals, not per request.
func (e *Engine) Stats() EngineStats {
	st := EngineStats{
		WalletsByStatus: map[string]int64{StatusOK: 0, StatusLow: 0, StatusGrace: 0, StatusBlocked: 0},
		Denials: map[string]int64{
			"insufficient_funds": e.stats.deniedInsufficientFunds.Load(),
			"blocked":            e.stats.deniedBlocked.Load(),
			"too_many_sessions":  e.stats.deniedTooManySessions.Load(),
			"grace_expired":      e.stats.deniedGraceExpired.Load(),
		},
		Expiries:             e.stats.expiries.Load(),
		Replays:              e.stats.replays.Load(),
		IdempotencyRecords:   e.idemCount.Load(),
		IdempotencyEvictions: e.evictions.Load(),
		Failed:               e.failed.Load() != nil,
	}
	now := e.nowMs()
	st.IdempotencyEventWindowMs = e.cfg.Retention.Milliseconds()
	for i := 0; i < e.wallets.Len(); i++ {
		sh := e.wallets.Shard(i)
		sh.Lock()
		ss := &e.shards[i]
		st.EventsCharged += ss.eventsCharged
		st.Grants += ss.grants
		st.IdempotencyRecords += int64(ss.events.Len())
		st.IdempotencyEvictions += ss.evictions
		if ss.evictions > 0 {
			st.IdempotencyEventWindowMs = min(st.IdempotencyEventWindowMs, now-ss.evictedUpToMs)
		}
		sh.Range(func(_ string, w *wallet) bool {
			st.Wallets++
			st.OpenSessions += int64(w.open.len())
			st.ReservedMicros += w.ReservedMicros
			st.WalletsByStatus[w.status(now)]++
			return true
		})
		sh.Unlock()
	}
	return st
}

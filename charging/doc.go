// Package charging is Salio's engine: it composes rating (package tariff) and
// the in-memory wallets (package reservation) into the operations of the API,
// and for every effect builds the records the rest of the system needs.
//
// # Contract
//
//   - Every mutating method applies its effect to the wallet in memory while
//     holding the wallet's shard lock, builds the effect's records (wallet
//     image, session, transaction, CDR, wallet events, usage deltas,
//     idempotency record) and hands them to the Sink before releasing the
//     lock, so each wallet's effects reach the Sink in the order they were
//     applied. It then waits, without the lock, until the Sink reports the
//     effect durable, and only then returns. A request that sees an effect not
//     yet durable can only become durable after it (the Sink is FIFO), and a
//     refusal based on it costs no money.
//   - If the Sink fails, the engine fails closed: that call and every later one
//     return ErrUnavailable, Ready turns false, and the process is expected to
//     exit and recover from the store. Memory is never trusted again once it
//     may be ahead of disk.
//   - Money is int64 micro-units; rating is exact (package tariff) and rounded
//     half-up once. Every money movement asserts the wallet invariants
//     (reserved >= 0, reserved = Σ open reservations on check); a broken
//     invariant panics rather than risk money.
//   - Idempotency: session start by session_id (global), update and stop by
//     request_number, events by (tenant, event_id), top-ups by (tenant,
//     reference). Same key, same payload: the stored answer (replay = true).
//     Same key, other payload: ErrConflict. Records are kept for
//     Config.Retention (default 24 h) and then forgotten. Event records live
//     in one reservation.Memo per shard (a ring in arrival order with a hash
//     index). Config.MaxIdempotencyRecords is one budget for all shards:
//     while they hold more, a shard adding a record forgets its oldest early
//     and counts it (EngineStats.IdempotencyEvictions), so each shard keeps
//     records about as far back as the others, however skewed the traffic.
//     A retry older than the newest record forgotten is charged again, and
//     EngineStats.IdempotencyEventWindowMs says how far back retries are
//     recognised.
//   - Time comes from Config.Clock. Session expiry, grace windows, number
//     renewals and idempotency retention are deadlines in each shard's timer
//     heap, handled by RunTimers (every TimerTick from Start's loop).
//
// # Choices where the spec is silent
//
//   - A phone number's purchase (setup fee + first month) is one transaction;
//     the month's usage gets separate number.setup and number.monthly lines.
//   - A renewal is not a request: a blocked wallet that can pay still renews.
//   - Updates or stops of a session that has ended (stopped or expired) are
//     ErrConflict ("session has ended"); the stop's own retry replays.
//   - A session's transaction is written when it ends; interim commits move the
//     balance and lifetime spend at once (money invariant: balance = Σ
//     transactions − what open sessions have committed).
//   - Top-up references are kept in memory for the retention window and on
//     disk for good; a reference memory no longer holds is looked up in the
//     store (TopUpReader), so a payment confirmation retried days later is
//     still a replay, never a second credit. A top-up's answer, the first
//     and every repeat's, is its transaction and the wallet as it left it;
//     the suspended numbers it lets renew follow as transactions of their own.
//   - Invoice numbers are "INV-YYYY-MM", unique per tenant.
//   - A free charge (a WhatsApp service message) on a wallet at zero opens no
//     grace window: only a commit that moves money can leave the balance at
//     or below zero, and a free message must not lead to a block.
//   - Setting auto-recharge with a threshold above the balance asks for a
//     recharge at once: waiting for the next charge would leave a wallet that
//     is already low without one.
//   - A wallet moved to another tariff (PATCH) gets the tier that tariff gives
//     its lifetime spend at once, lower or higher, with tier_changed. A new
//     version of its own tariff takes effect at its next charge (the engine
//     does not walk every wallet on a tariff PUT).
package charging

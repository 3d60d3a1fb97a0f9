// Package reservation owns Salio's in-memory wallets and their locking.
//
// Wallets live in a Table split into a power-of-two number of shards chosen by
// a hash of the tenant id; each shard has its own mutex, its own timer heap and
// its own hash table, so unrelated tenants never contend and a shard's timers are
// processed under the same lock as its wallets. The wallet type itself is the
// caller's (package charging defines the rules); this package supplies the
// mechanisms every rule depends on:
//
//   - Table: sharded lock table of wallets (Lock/Unlock by tenant, Range).
//   - Index: a sharded map from a global id (a session id) to a value, for
//     requests that name a session but not its tenant.
//   - Both keep, per shard, an open-addressing table of (hash, value) whose
//     values know their own id (hashtable.go) instead of a map[string]V: one
//     cache miss per lookup fewer than a Go map's three in tables of millions.
//   - Timers: a min-heap of deadlines per shard (session expiry, grace windows,
//     renewals) driven by an injected clock, never a goroutine or
//     time.AfterFunc per item; Queue: a block FIFO for the deadlines that
//     arrive in time order (idempotency retention), O(1) per item.
//   - StringArena: ids minted without an allocation each.
//   - Memo: values remembered by (tenant, key) for a retention window, in a
//     ring in arrival order (the order they expire in) with a hash index: the
//     event idempotency records, without a map per wallet or an entry per
//     record in a deadline queue. Expiry leaves the index slot stale (absent
//     to every lookup) until the index's next rebuild drops it.
//   - Grant: the largest grant g <= requested whose extra cost fits a budget,
//     as SPEC section 7 defines it, by binary search over the monotone cost.
//
// The package knows no disk and no network; it imports only tariff.
package reservation

package charging

import "github.com/salio/salio/reservation"

// shardState is the engine's state of one wallet shard beside its wallets,
// guarded by the shard lock: the event records, the numbers it gives its
// wallets (a wallet's memo owner id), its block of id numbers, and its
// counters. Counters kept per shard and summed by Stats cost no cache line
// shared between the cores, as an atomic bumped on every request would.
//
// The fields every event writes come first, and the struct is padded to 256
// bytes (four whole lines; TestShardLayout): a core that takes a shard then
// pulls few lines from the other core, and none of a neighbouring shard's.
type shardState struct {
	idNext, idEnd   uint64 // the id numbers [idNext, idEnd) are this shard's to mint
	eventsCharged   int64
	evictions       int64 // event records forgotten early: MaxIdempotencyRecords reached
	evictedUpToMs   int64 // with evictions > 0: the time of the newest record forgotten early
	reportedRecords int64 // the events' length last added to Engine.eventRecords

	events    reservation.Memo[eventRecord]
	nextOwner uint32
	grants    int64
	_         [shardStatePadBytes]byte
}

const shardStatePadBytes = 24

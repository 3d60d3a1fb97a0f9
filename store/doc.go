// Package store is the engine's durable sink and history, on Pebble v2.
//
// # Contract
//
//   - Durable before Finish. Submit (charging.Sink) encodes an effect into the
//     pending group and returns that group's *charging.Commit. In the default
//     "sync" mode the Commit finishes with nil only after the group's Pebble
//     batch is written to the WAL and fsynced. A 2xx answer waits for it.
//   - Atomic. An effect's records go into one Pebble batch, so after a
//     crash an effect is wholly there or not at all. Pebble replays a WAL up
//     to its last intact batch. Some records reach their keys later, at a
//     checkpoint (below), but they are in the same batch as redo.
//   - FIFO. Groups are committed one after another by a single committer
//     goroutine, so an effect submitted earlier is durable no later than one
//     submitted later. The engine submits under the wallet lock, so per-wallet
//     order is commit order.
//   - No I/O in Submit. Submit holds a mutex only to encode the effect's
//     records into the pending group's buffer and to assign log sequence
//     numbers; it keeps no pointer into the Effect.
//   - Backpressure. While one group commits the next one fills. When the
//     filling group reaches Options.MaxPendingBytes (16 MiB, encoded) or
//     MaxPendingEffects (65,536), Submit blocks until the committer takes it.
//     The engine holds a wallet lock meanwhile, so a slow disk slows charging
//     rather than growing memory without bound.
//   - Held groups. Between Hold and Release (charging.GroupHolder) the
//     committer does not seal the pending group, so the effects of one
//     request, a batch of events, commit together: one fsync, and after a
//     crash all of them or none. While a hold is on, Submit does not wait
//     for space (a holder must not wait for the commit it holds back); a new
//     Hold waits while the group is full or the committer wants it, so the
//     bound is exceeded only by what the current holders submit (a batch is
//     at most 1000 effects).
//   - Fail closed. If a commit fails (disk full, I/O error) the group's
//     Commit, the pending group's and every later Submit's finish with an
//     error wrapping charging.ErrUnavailable (errors.Is works for both it and
//     the cause); Failed() turns true and stays true; SetCursor and Park fail
//     too. Nothing is retried: the engine answers 503 and the process must
//     restart and recover from what is on disk.
//
// # Why fail closed, and what Pebble does on a failed WAL write
//
// Read in pebble v2.1.7: record.LogWriter latches the first write or sync
// error (flusher.err) and hands it to every waiting and later sync request;
// once it reaches LogWriter.err, commitWrite panics on the next WriteRecord.
// DB.applyInternal (behind Batch.Commit) calls Logger.Fatalf for any error
// of the commit pipeline, a failed WAL sync included, and the default
// Logger's Fatalf calls os.Exit. The DB is unusable after the first WAL
// error either way: there is no knowing what reached the disk, and the
// memtable may hold batches whose sync failed. So the store gives Pebble a
// Logger whose Fatalf panics with the cause, recovers every panic around its
// own commits, and latches the failure. A batch whose sync failed was
// applied to the memtable and may or may not survive the restart — it was
// never acknowledged, and it is whole either way. One failure is fatal
// outright: a write error while Pebble rotates its WAL (a full memtable)
// panics with Pebble's mutex released, and the runtime then aborts the
// process on the deferred unlock. That is closed as well: the process exits
// and a restart recovers from what is on disk.
//
// # Group commit versus Pebble's own
//
// Pebble also groups concurrent Commit(Sync) calls into one fsync, but every
// caller then makes its own trip through the commit pipeline, and
// MEASUREMENTS.md found 36-41k commits/s with a p99 of 15-40 ms at 64-256
// callers. The single committer makes one Pebble commit per group: one WAL
// record, one fsync, one memtable insertion pass for all the effects that
// arrived while the previous group was on disk. Before the commit it sorts
// the group's records by key (same-key records keep their order, so the
// batch means the same): Pebble inserts a batch into the memtable skiplist
// with a cached splice, so sorted keys start each search near the previous
// one. With the deferred records (below) a charge adds no key of its own
// to its group's batch, only bytes to the group's log and redo keys (format
// version 1 wrote seven keys per charge).
//
// BenchmarkDurableEffects runs both side by side on this repository's
// 2-core machine (ext4, shared with other builds; -benchtime 2s; an effect
// is a typical SMS charge, ~470 bytes: wallet image, transaction, CDR with
// its event answer, wallet event, usage delta). The raw Pebble loop commits
// the same records, each caller its own batch:
//
//	callers  store effects/s  p50 / p99 ms     raw Pebble effects/s  p50 / p99 ms
//	      1   4.7k             0.2 / 0.4          4.9k               0.2 / 0.4
//	     16   26k              0.6 / 1.6          30k                0.5 / 1.4
//	     64   67k              0.8 / 4.3          60-63k             0.9 / 3.9-5.4
//	    256   79-94k           1.7-2.1 / 23-31    66-75k             2.7-3.3 / 14-16
//
// The store spends 16-19 µs of CPU per effect against raw Pebble's 21-23.
// (Format version 1, which wrote every record to its key in every group,
// made 33-37k effects/s at 64 callers and 47-55k at 256.) At 256 callers
// the p99 is checkpoints': each one then sorts and writes ~100,000 wallet
// images (131,072 tenants), and without checkpoints the same run's p99 was
// 13 ms. A pipelined committer (ApplyNoSyncWait, the next group written
// while the previous one's fsync runs, a second goroutine finishing them)
// was measured too, in this benchmark and under the server: it formed
// smaller groups, used more CPU per effect and was no faster, so the simple
// loop stayed. The single committer is also what makes FIFO across wallets
// and gap-free log sequence numbers cheap.
//
// # Durability modes
//
// Options.Durability "sync" (default) is described above. "batch" commits
// groups with NoSync and finishes their Commits at once; a ticker fsyncs the
// WAL every Options.BatchSyncInterval (10 ms) with an empty synced LogData
// record (Pebble v2 has no FlushWAL), which syncs everything written before
// it. A process crash loses
// nothing (the WAL is in the OS cache), a machine crash or power loss can
// lose the last BatchSyncInterval of acknowledged effects: it breaks the
// spec's "2xx means fsynced", so it is for load tests and operators who
// choose it knowingly. LogHead and the relay reads only advance after an
// fsync, so Kafka never receives a record that a crash can take back.
//
// In "sync" mode the WAL's fsync is in every answer's latency, so its tail
// is the floor under the p99 (bench's fsync layer measures it).
// Options.WALDir puts the WAL in a directory of its own, on a device that
// syncs fast and carries no flushes or compactions. Pebble refuses to open
// a store whose WAL directory changed unless told where the old logs are:
// Open reads the previous run's wal_dir from Pebble's newest OPTIONS file
// and adds it to WALRecoveryDirs, so the WAL can move between runs
// (TestWALDirMoves).
//
// # Deferred state and checkpoints
//
// Wallet images, session images, usage deltas and transactions are written
// once and then overwritten, summed or only read back by history queries. A
// group therefore writes them only into its one redo record ('g' seq), in
// submit order; the store keeps them in memory, and a checkpoint (every
// Options.CheckpointInterval, 1 s, or at Options.CheckpointBytes, 32 MiB)
// writes each key's last image, each usage line's summed delta and each
// transaction once, sorted (a tenant's transactions of the interval land
// next to each other in the memtable), deletes the redo records it covers
// with a range tombstone and records the last one's seq. A wallet charged 50
// times a second is written once a second, not 50 times, the redo records
// are deleted before a memtable flush would write them out, and a group's own
// batch is a handful of keys (its redo record, its log keys, the log heads)
// whatever its size. Within a group's redo record too only the last image
// of a wallet or session is kept (the record is replayed whole or not at
// all): a batch of 100 SMS for one tenant writes its wallet once, not 100
// times. Checkpoints run on their own goroutine with NoSync:
// one becomes durable with the next synced group, and if a crash takes it
// back, the redo records it would have deleted are still there. Open
// replays the redo records left by the last run into their keys (synced)
// before recovery reads them; Close checkpoints synchronously, so a clean
// restart replays nothing. While a checkpoint runs, the next one's records
// keep accumulating; at 4 × CheckpointBytes the committer waits for it.
//
// Queries read usage and transactions: the store keeps the pending ones in
// an overlay (usage summed per line, transactions per tenant) that Usage and
// Transactions add to what Pebble holds. A checkpoint writes images in
// batches of 256 KiB (a group behind one big batch in the WAL would wait for
// all of it); one small enough to finish within half an interval so is
// paced instead: batches of 32 KiB, each followed by a wait for the next
// group commit (at most 2 ms), so that no group's fsync carries more than
// one. It writes usage only in its last batch with the range deletion, and drops
// the overlay under a lock queries also take: a query counts each usage delta
// exactly once and lists each transaction once
// (TestUsageExactDuringCheckpoints, TestTransactionsExactDuringCheckpoints).
// The overlay is updated when a group is sealed, so a query may show an
// effect whose commit is still on its way to disk, as a wallet's balance in
// memory already does.
//
// # Logs
//
// The CDR log and the wallet-event log hold one key per group and log,
// keyed by the first entry's sequence number; seqs are assigned under the
// same mutex as the batch append, and groups commit in order, so key order
// is commit order and seqs have no gaps: a reader of committed keys in order
// (the Kafka relay) can never skip a record that commits later. LogHead is
// the last durable seq; ReadCDRs/ReadEvents never return past it. Relays keep
// their position with SetCursor (fsynced) and set aside records the broker
// refused for good with Park (a copy of the record is kept; Parked lists
// them).
//
// A CDR log entry also carries the answer of the event it charged, or the
// closed image of the session it ended: that is the event's or the closed
// session's idempotency record. The log is kept at least as long as the
// idempotency retention (both are Options.Retention), so neither needs a key
// of its own; recovery restores both from the log (Restorer.RestoreEvent,
// RestoreClosedSession), and forgetting them needs no delete.
//
// A session's key thus holds only an open session. Its close deletes the key
// (deferred), and a session that opened since the last checkpoint never
// reaches its key at all: its start's record is marked fresh
// (Effect.NewSession), and a Delete that follows a fresh chain within a group
// or a pending checkpoint is dropped with it. A record that replaces another
// takes its freshness, so a session id used again while the Delete of its
// older session is still to be written keeps that Delete
// (TestSessionKeysAgainstModel checks recoveries against a model). A call
// that starts and stops within a checkpoint interval, most of them under
// load, costs the LSM nothing but its CDR log entry: before, its closed image
// was written at the next checkpoint under a random key, flushed, compacted,
// and deleted a day later (bench/notes.md, twelfth round). Closed images
// that an older store left under their keys are still read (RestoreSession)
// and deleted when the engine forgets them; a store written this way cannot
// be opened by a binary from before it (its recovery rejects the new log
// entry with an error).
//
// # Retention
//
// A loop (every Options.RetentionCheckInterval, 1 min) deletes, with a range
// tombstone, the log keys whose entries are all delivered and older than
// Options.Retention (24 h, by their append time). Delivered means at or below
// every cursor named for that log in Options.LogConsumers. A log without
// consumers (Kafka off) is the data of the pull API (GET /v1/cdrs): its
// entries are kept for Retention and then deleted whether read or not.
// Entries that a configured consumer has not passed are never deleted. The
// log heads are stored with every group, so sequence numbers continue after
// a restart even when retention emptied a log.
//
// # Key layout (format version 2)
//
// Every key starts with a one-byte kind. Strings inside keys are
// "components": the bytes with 0x00 escaped as 0x00 0xFF, terminated by
// 0x00 0x01, so that keys sort like the tuple of their strings and no
// tenant's keys are a prefix of another's. seq and version are 8-byte
// big-endian (versions offset by 2^63 to sort signed values); month is a
// 4-byte big-endian yyyymm.
//
//	0x01 "format"               format version (8-byte BE), checked at Open
//	0x01 "boot"                 boot epoch (8-byte BE), +1 and fsynced at Open
//	0x01 "head.cdrs"|"head.events"  last log seq written (8-byte BE)
//	0x01 "ckpt"                 last redo seq a checkpoint covered (8-byte BE)
//	'f' id version              TariffRecord, every version
//	'g' seq                     redo record: a group's deferred records (op, key, value)*
//	'w' tenant                  WalletState (deferred; last image)
//	's' session-id              open SessionState (deferred; global: looked up by id); deleted at its close
//	'n' tenant number           NumberState; Deleted=true deletes the key
//	'p' tenant reference        TopUpRecord (idempotency, kept for good)
//	'k' key-id                  KeyRecord; Deleted=true deletes the key
//	'r' tenant name             RoleRecord
//	't' tenant seq              Transaction (deferred; reverse scan = newest first)
//	'u' tenant month item       usage sums (deferred; merge operands, see below)
//	'v' tenant month            Invoice
//	'c' first-seq               CDR log: one group's entries (CDR + event answer or closed session)
//	'e' first-seq               wallet-event log: one group's entries
//	'x' name                    relay cursor (8-byte BE)
//	'z' log-name seq            parked record
//
// Values are binary: a version byte (1), then the fields in declaration
// order as varints (zig-zag for signed), length-prefixed strings and byte
// strings, one byte per bool. A log key's value is the version, the group's
// append time (ms), the entry count and the length-prefixed entries. A
// changed record gets a new value version and a decoder for both; a changed
// layout bumps the format version, and Open refuses a store of another
// format (or a Pebble DB without one) instead of misreading it (version 1
// kept one key per log entry and per event idempotency record).
//
// Usage deltas are written with batch.Merge and summed by a Pebble Merger
// (salio.usage.sum.v1): no read-modify-write, so checkpoints and recovery are
// exact without reading a line first; Pebble folds the operands in
// compactions.
//
// # Recovery
//
// Open first replays the redo records into their keys (above). Recover then
// streams, each kind in key order: all tariff versions (ascending), all
// wallets, then sessions, numbers, event records (the answers in the CDR
// log), top-up records, keys and roles — so every wallet and tariff precedes
// what belongs to it. BenchmarkRecover: 1,000,000 wallets and 100,000
// sessions open and recover in 0.98 s (1.1-1.5 s with store format 1, 4 s
// while other builds loaded the machine), allocating 80 MB in 5.8M
// allocations (the records' strings) and retaining 7 MB. A replay adds at most
// a checkpoint interval's redo records.
//
// # Pebble tuning
//
// See Options.pebbleOptions: a 64 MiB memtable (fewer, larger flushes), L0
// compaction at 2 sublevels but no write stop before 1000 (a burst costs
// read amplification, not a charging stall), compactions on up to both
// cores, a block cache of Options.CacheBytes (128 MiB; recovery and history
// queries read through it, the hot path never reads).
package store

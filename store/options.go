package store

import (
	"fmt"
	"log"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/vfs"
)

// Durability modes.
const (
	// DurabilitySync fsyncs every group before finishing its Commit (default).
	DurabilitySync = "sync"
	// DurabilityBatch finishes a group once it is in the WAL buffer and fsyncs
	// the WAL every BatchSyncInterval: a machine crash can lose that window.
	DurabilityBatch = "batch"
)

// Options configures a Store. The zero value is the production default.
type Options struct {
	// FS is the filesystem; nil = the OS (vfs.Default). Tests pass
	// vfs.NewCrashableMem or an error-injecting wrapper.
	FS vfs.FS

	// Durability is DurabilitySync (default) or DurabilityBatch.
	Durability string
	// BatchSyncInterval is the WAL fsync period in batch mode (default 10 ms).
	BatchSyncInterval time.Duration

	// MaxPendingBytes bounds the group that fills while the previous group
	// commits (default 16 MiB of encoded records, at most 1 GiB). When the
	// pending group holds this many bytes or MaxPendingEffects effects,
	// Submit blocks until the committer takes it: backpressure onto the
	// engine (which holds a wallet lock meanwhile), so a slow disk slows
	// charging instead of growing memory without bound.
	MaxPendingBytes int
	// MaxPendingEffects bounds the pending group by effects (default 65,536).
	MaxPendingEffects int

	// CheckpointInterval is how often the deferred records (wallet and session
	// images, usage deltas) are written to their keys (default 1 s); see
	// checkpoint.go. Longer means fewer writes of busy wallets and more to
	// replay at the next Open.
	CheckpointInterval time.Duration
	// CheckpointBytes starts a checkpoint early when the deferred records
	// reach it (default 32 MiB); at 4× it, while a checkpoint still runs, the
	// committer waits for it (backpressure).
	CheckpointBytes int

	// WALDir puts Pebble's write-ahead log in a directory of its own
	// (default: the store's). Every answer waits for the WAL's fsync, so a
	// device that syncs fast and carries nothing else (no flushes, no
	// compactions) lowers the floor under every latency. It may change
	// from one run to the next: Open recovers the logs left in the
	// previous run's WAL directory (named in Pebble's OPTIONS file) and
	// writes new ones to WALDir.
	WALDir string

	// MemTableBytes is Pebble's memtable size (default 64 MiB): larger
	// memtables mean fewer flushes and fewer L0 files under sustained writes.
	MemTableBytes uint64
	// CacheBytes is Pebble's block cache (default 128 MiB). Recovery and the
	// history queries read through it; the hot path never reads.
	CacheBytes int64

	// Retention is how long delivered CDR and event log entries are kept
	// (default 24 h). Negative keeps them forever.
	Retention time.Duration
	// RetentionCheckInterval is how often the pruning loop runs (default 1 min).
	RetentionCheckInterval time.Duration
	// LogConsumers names, per log (LogCDRs, LogEvents), the cursors (see
	// SetCursor) that must all have passed an entry before it may be pruned,
	// e.g. {"cdrs": {"kafka.cdrs"}}. A log with no consumers is pruned by age
	// alone: with Kafka off the CDR log is the pull API's data and lives for
	// Retention.
	LogConsumers map[string][]string

	// OnCommit, if set, is called by the committer after each group with the
	// group's effect count, batch bytes and commit (write + fsync) duration.
	// It runs on the committer goroutine: keep it to a few counter updates.
	OnCommit func(effects, bytes int, syncDur time.Duration)

	// Now is the clock for log-entry ages (default time.Now).
	Now func() time.Time
	// Logf receives Pebble's informational and error messages (default log.Printf).
	Logf func(format string, args ...any)
}

const (
	defaultBatchSyncInterval = 10 * time.Millisecond
	defaultMaxPendingBytes   = 16 << 20
	defaultMaxPendingEffects = 1 << 16
	maxPendingBytesLimit     = 1 << 30 // record offsets are uint32
	defaultMemTableBytes     = 64 << 20
	defaultCacheBytes        = 128 << 20
	defaultRetention         = 24 * time.Hour
	defaultRetentionCheck    = time.Minute
	defaultCheckpointEvery   = time.Second
	defaultCheckpointBytes   = 32 << 20
)

func (o *Options) setDefaults() error {
	if o.FS == nil {
		o.FS = vfs.Default
	}
	switch o.Durability {
	case "":
		o.Durability = DurabilitySync
	case DurabilitySync, DurabilityBatch:
	default:
		return fmt.Errorf("store: unknown durability %q (want %q or %q)", o.Durability, DurabilitySync, DurabilityBatch)
	}
	setDefault(&o.BatchSyncInterval, defaultBatchSyncInterval)
	setDefault(&o.MaxPendingBytes, defaultMaxPendingBytes)
	setDefault(&o.MaxPendingEffects, defaultMaxPendingEffects)
	o.MaxPendingBytes = min(o.MaxPendingBytes, maxPendingBytesLimit)
	setDefault(&o.CheckpointInterval, defaultCheckpointEvery)
	setDefault(&o.CheckpointBytes, defaultCheckpointBytes)
	o.CheckpointBytes = min(o.CheckpointBytes, maxPendingBytesLimit/4)
	setDefault(&o.MemTableBytes, defaultMemTableBytes)
	setDefault(&o.CacheBytes, defaultCacheBytes)
	if o.Retention == 0 {
		o.Retention = defaultRetention
	}
	setDefault(&o.RetentionCheckInterval, defaultRetentionCheck)
	for name := range o.LogConsumers {
		if _, ok := logKind(name); !ok {
			return fmt.Errorf("store: LogConsumers: unknown log %q", name)
		}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Logf == nil {
		o.Logf = log.Printf
	}
	return nil
}

func setDefault[T int | int64 | uint64 | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// pebbleOptions tunes Pebble for a sustained stream of small synced batches
// on two cores:
//   - a 64 MiB memtable, up to 4 queued, so flushes are rare and large;
//   - L0 compaction starts at 2 sublevels but writes stop only at 1000 (as
//     CockroachDB does): a burst makes reads briefly slower instead of
//     stalling every charge for a compaction, the stalls seen at 50-60k
//     unsynced commits/s with the defaults (MEASUREMENTS.md);
//   - compactions may use both cores when they fall behind;
//   - a Fatalf that panics instead of exiting, so the committer can recover
//     it into the failed state (see doc.go).
func (o *Options) pebbleOptions(cache *pebble.Cache) *pebble.Options {
	po := &pebble.Options{
		FS:                          o.FS,
		FormatMajorVersion:          pebble.FormatNewest,
		Merger:                      usageMerger,
		Cache:                       cache,
		MemTableSize:                o.MemTableBytes,
		MemTableStopWritesThreshold: 4,
		L0CompactionThreshold:       2,
		L0StopWritesThreshold:       1000,
		LBaseMaxBytes:               256 << 20,
		CompactionConcurrencyRange:  func() (int, int) { return 1, 2 },
		Logger:                      pebbleLogger{o.Logf},
	}
	po.EnsureDefaults()
	return po
}

// pebbleLogger adapts Logf; Fatalf panics so that a fatal commit error inside
// the committer becomes a recoverable failure instead of os.Exit.
type pebbleLogger struct{ logf func(string, ...any) }

func (l pebbleLogger) Infof(format string, args ...any)  { l.logf("pebble: "+format, args...) }
func (l pebbleLogger) Errorf(format string, args ...any) { l.logf("pebble: "+format, args...) }
func (l pebbleLogger) Fatalf(format string, args ...any) {
	p := &fatalPanic{msg: fmt.Sprintf(format, args...)}
	for _, a := range args {
		if err, ok := a.(error); ok {
			p.cause = err
			break
		}
	}
	panic(p)
}

// fatalPanic is the panic value of Fatalf; it keeps the error Pebble
// reported so that errors.Is still finds it (an injected fault, ENOSPC).
type fatalPanic struct {
	msg   string
	cause error
}

func (p *fatalPanic) Error() string { return p.msg }
func (p *fatalPanic) Unwrap() error { return p.cause }

package charging

import "time"

// Defaults and limits of the engine, each with the reason it has the value it has.
const (
	// DefaultShards: 64 shards keep lock contention negligible on machines of
	// up to a few dozen cores while the per-shard overhead stays tiny
	// (MEASUREMENTS: 64 shards reach 4–5M reserve+settle ops/s on 2 cores).
	DefaultShards = 64
	// DefaultRetention: switches and gateways retry within seconds or minutes;
	// a day of idempotency covers every retry policy we know of.
	DefaultRetention = 24 * time.Hour
	// DefaultMaxIdempotencyRecords bounds the memory of idempotency records,
	// once for event answers (~190 bytes each: memo entry, index slots, event id)
	// and once for closed sessions with top-up records (~1 KB each). Past it
	// the oldest are forgotten early (counted in
	// EngineStats.IdempotencyEvictions): at 1,000 events/s they are then
	// over an hour old, far past any retry policy.
	DefaultMaxIdempotencyRecords = 4_000_000
	// DefaultMaxTopUpMicros: 1,000,000 currency units per top-up or fee; larger
	// amounts are almost surely typing errors, and the cap keeps every sum of
	// money far from int64 overflow (9.2e12 units).
	DefaultMaxTopUpMicros = 1_000_000 * 1_000_000
	// MaxRequestedSeconds: spec, requested_seconds at most 86,400.
	MaxRequestedSeconds = 86_400
	// MaxUsedSecondsPerRequest: usage since the previous request; a day bounds
	// any plausible interim interval and keeps totals far from overflow.
	MaxUsedSecondsPerRequest = 86_400
	// MaxSessionSeconds: a session's total usage (a week of talk).
	MaxSessionSeconds = 7 * 86_400
	// ValidityGraceSeconds: spec, validity = grant + 30 s.
	ValidityGraceSeconds = 30
	// DefaultGracePeriodSeconds and DefaultGraceOverdraftMicros: spec defaults.
	DefaultGracePeriodSeconds   = 300
	DefaultGraceOverdraftMicros = 5 * 1_000_000
	// MaxGracePeriodSeconds: a grace window longer than a day is a credit line, not a grace.
	MaxGracePeriodSeconds = 86_400
	// AutoRechargeLapse and AutoRechargeMaxPerDay: spec, 15 minutes and 10 per 24 h.
	AutoRechargeLapse     = 15 * time.Minute
	AutoRechargeMaxPerDay = 10
	// MaxBatchEvents: spec, a batch holds at most 1,000 items.
	MaxBatchEvents = 1000
	// MaxNumbersPerTenant bounds a wallet's memory.
	MaxNumbersPerTenant = 10_000
	// TimerTick: how often timers are checked; expiry is accurate to this.
	TimerTick = 100 * time.Millisecond
	// MaxMaxConcurrentSessions bounds the tenant setting.
	MaxMaxConcurrentSessions = 1_000_000
)

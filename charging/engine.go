package charging

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/salio/salio/reservation"
	"github.com/salio/salio/tariff"
)

// Config configures an Engine. Zero values take the defaults in limits.go.
type Config struct {
	Shards                int           // wallet shards, a power of two (default 64)
	Clock                 Clock         // default: the system clock
	Sink                  Sink          // where effects go (default DiscardSink)
	Reader                Reader        // durable history for queries (nil: queries answer empty)
	IDEpoch               uint64        // unique per process start (store.BootEpoch); ids are epoch-counter
	Retention             time.Duration // idempotency retention (default 24 h)
	MaxIdempotencyRecords int           // across all wallets (default 4,000,000)
	MaxTopUpMicros        int64         // largest accepted top-up or fee (default 1,000,000 units)
	Logger                *slog.Logger
	OnLogCommitted        func() // called after effects with CDRs/events are durable (relay wakeup)
}

// Clock tells the time. Tests inject a manual one.
type Clock interface{ Now() time.Time }

type systemClock struct{}

func (systemClock) Now() time.Time { return time.Now() }

// Engine is the charging engine. See doc.go.
type Engine struct {
	cfg      Config
	clock    Clock
	sink     Sink
	reader   Reader
	log      *slog.Logger
	wallets  *reservation.Table[wallet]
	sessions *reservation.Index[*SessionState]
	shards   []shardState // per wallet shard, under its lock
	tariffs  tariffRegistry
	access   accessRegistry

	idEpoch   uint64
	idCounter atomic.Uint64

	failed    atomic.Pointer[error]
	ready     atomic.Bool
	stats     counters
	idemCount atomic.Int64 // retained idempotency records of top-ups and closed sessions (events: Σ memo lengths)
	evictions atomic.Int64 // top-up and closed-session records forgotten early: MaxIdempotencyRecords reached (events: per shard)

	// eventRecords is the event records held over all shards, as the shards
	// report them in steps of eventBlock (shardState.reportedRecords): the
	// shared budget of MaxIdempotencyRecords, touched once per eventBlock
	// records rather than on every event.
	eventRecords atomic.Int64
	eventBlock   int64

	lastMonth     int32       // yyyymm of the last month-close pass (timer goroutine only)
	closingMonths atomic.Bool // a month-close pass is running

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New returns an engine; call Restorer() to load durable state, then Start.
func New(cfg Config) (*Engine, error) {
	if cfg.Shards == 0 {
		cfg.Shards = DefaultShards
	}
	if cfg.Shards < 1 || cfg.Shards > 1<<16 {
		return nil, errors.New("charging: shards must be in 1..65536")
	}
	if cfg.Clock == nil {
		cfg.Clock = systemClock{}
	}
	if cfg.Sink == nil {
		cfg.Sink = DiscardSink{}
	}
	if cfg.Retention == 0 {
		cfg.Retention = DefaultRetention
	}
	if cfg.MaxIdempotencyRecords == 0 {
		cfg.MaxIdempotencyRecords = DefaultMaxIdempotencyRecords
	}
	if cfg.MaxTopUpMicros == 0 {
		cfg.MaxTopUpMicros = DefaultMaxTopUpMicros
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	e := &Engine{
		cfg:      cfg,
		clock:    cfg.Clock,
		sink:     cfg.Sink,
		reader:   cfg.Reader,
		log:      cfg.Logger,
		wallets:  reservation.NewTable(cfg.Shards, func(w *wallet) string { return w.Tenant }),
		sessions: reservation.NewIndex(cfg.Shards, func(s *SessionState) string { return s.ID }),
		idEpoch:  cfg.IDEpoch,
		stop:     make(chan struct{}),
	}
	e.shards = make([]shardState, e.wallets.Len())
	e.eventBlock = eventBlockFor(cfg.MaxIdempotencyRecords, len(e.shards))
	e.tariffs.init()
	e.access.init()
	return e, nil
}

// Start begins the timers (expiry, grace, renewals, month close) and marks the engine ready.
func (e *Engine) Start() {
	if err := e.verifyRecovered(); err != nil {
		e.fail(err)
		return
	}
	e.ready.Store(true)
	e.wg.Add(1)
	go e.timerLoop()
}

// Close stops the timers. In-flight calls finish.
func (e *Engine) Close() {
	e.stopOnce.Do(func() { close(e.stop) })
	e.wg.Wait()
	e.ready.Store(false)
}

// Ready reports that recovery is done and the engine has not failed.
func (e *Engine) Ready() bool { return e.ready.Load() && e.failed.Load() == nil }

// Err returns the error that made the engine fail closed, or nil.
func (e *Engine) Err() error {
	if p := e.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// fail latches the engine into the failed state: memory may now be ahead of
// disk, so nothing more is answered from it (fail closed). The process is
// expected to exit and recover from the store.
func (e *Engine) fail(err error) error {
	if err == nil {
		return nil
	}
	wrapped := err
	if !errors.Is(err, ErrUnavailable) {
		wrapped = &MessageError{Err: ErrUnavailable, Msg: "store: " + err.Error()}
	}
	if e.failed.CompareAndSwap(nil, &wrapped) {
		e.log.Error("engine failed closed: effects can no longer be made durable", "err", err)
	}
	return wrapped
}

func (e *Engine) checkUsable() error {
	if p := e.failed.Load(); p != nil {
		return *p
	}
	return nil
}

// wait blocks for a commit and fails the engine closed if it failed.
func (e *Engine) wait(c *Commit) error {
	if err := c.Wait(); err != nil {
		return e.fail(err)
	}
	if e.cfg.OnLogCommitted != nil {
		e.cfg.OnLogCommitted() // wake the Kafka relay: new log records may be durable
	}
	return nil
}

func (e *Engine) nowMs() int64 { return e.clock.Now().UnixMilli() }

// Ids are process-unique: base-36 of epoch<<40 | counter, with a one-letter
// kind prefix. They never repeat across restarts because the store increments
// the epoch at every open. Each shard takes the counter idBlock numbers at a
// time (op.nextIDNumber): a shared counter bumped on every request would
// bounce its cache line between the cores. Ids are unique, not ordered.
const idBlock = 1024

func appendIDNumber(dst []byte, prefix byte, n uint64) []byte {
	return strconv.AppendUint(append(dst, prefix), n, 36)
}

// idNumber is the number of an id minted with prefix (op.id).
func idNumber(prefix byte, id string) (uint64, error) {
	if len(id) < 2 || id[0] != prefix {
		return 0, fmt.Errorf("%q is not a %c id", id, prefix)
	}
	n, err := strconv.ParseUint(id[1:], 36, 64)
	if err != nil || string(appendIDNumber(nil, prefix, n)) != id {
		return 0, fmt.Errorf("%q is not a %c id", id, prefix)
	}
	return n, nil
}

// id mints an id in the operation's arena (no allocation per id).
func (o *op) id(prefix byte) string {
	return o.idOf(prefix, o.nextIDNumber())
}

// nextIDNumber is the number of the next id, from the shard's block.
func (o *op) nextIDNumber() uint64 {
	st := &o.e.shards[o.sh.ID()]
	if st.idNext == st.idEnd {
		end := o.e.idCounter.Add(idBlock)
		st.idNext, st.idEnd = end-idBlock+1, end+1
	}
	n := st.idNext
	st.idNext++
	return o.e.idEpoch<<40 | n
}

func (o *op) idOf(prefix byte, n uint64) string {
	return o.fx.ids.String(appendIDNumber(o.fx.ids.Bytes(16), prefix, n))
}

// lockWallet locks tenant's shard and returns the wallet, or ErrNotFound with
// the shard unlocked.
func (e *Engine) lockWallet(tenant string) (*reservation.Shard[wallet], *wallet, error) {
	sh, h := e.wallets.Locate(tenant)
	sh.Lock()
	w := sh.GetHashed(h, tenant)
	if w == nil {
		sh.Unlock()
		return nil, nil, notFound("tenant")
	}
	return sh, w, nil
}

var _ = tariff.MicrosPerUnit

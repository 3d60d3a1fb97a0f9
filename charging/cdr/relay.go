package cdr

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"

	"github.com/salio/salio/charging"
)

// Log is the part of the store a Relay reads: the commit-ordered CDR and
// wallet-event logs, the relay's persisted cursors, and the park list of
// records Kafka refused for good. The store implements it; every method must
// be safe for concurrent use (LogHead is also called by metric scrapes).
type Log interface {
	// ReadCDRs returns up to limit CDRs with Seq > afterSeq, in Seq order.
	ReadCDRs(afterSeq uint64, limit int) ([]charging.LoggedCDR, error)
	// ReadEvents returns up to limit wallet events with Seq > afterSeq, in Seq order.
	ReadEvents(afterSeq uint64, limit int) ([]charging.LoggedEvent, error)
	// Cursor returns the persisted cursor called name (0 if never set).
	Cursor(name string) (uint64, error)
	// SetCursor durably records that everything up to seq is handled.
	SetCursor(name string, seq uint64) error
	// Park durably records that the record seq of logName ("cdrs" or
	// "events") was not published, and why.
	Park(logName string, seq uint64, reason string) error
	// LogHead returns the last committed seq of "cdrs" or "events".
	LogHead(logName string) uint64
}

// Stream selects the log a Relay publishes.
type Stream int

const (
	CDRs   Stream = iota // log "cdrs", topic salio.cdrs, header cdr-id
	Events               // log "events", topic salio.events, header event-id
)

// String returns the store's name of the log: "cdrs" or "events".
func (s Stream) String() string {
	if s == Events {
		return "events"
	}
	return "cdrs"
}

// Config configures the Kafka side of the relays. Zero fields take the
// defaults named in their comments.
type Config struct {
	Brokers    []string // bootstrap brokers, host:port; required
	ClientID   string   // "salio"
	CDRTopic   string   // "salio.cdrs"
	EventTopic string   // "salio.events"

	TLS  *tls.Config // nil = plaintext
	SASL SASLConfig  // zero = no SASL

	// BatchSize is the most records read from the log and handed to one
	// WriteMessages call; it is also the Writer's per-partition BatchSize.
	// Default 5000 (see relay_bench_test.go).
	BatchSize int
	// BatchBytes caps the sum of the messages' sizes in one WriteMessages
	// call; it is also the Writer's BatchBytes. It must not exceed the
	// brokers' message.max.bytes (Kafka's default is 1,048,588). A single
	// record larger than this is parked without being sent. Default 1,000,000.
	BatchBytes int64
	// BatchTimeout is how long the Writer waits to fill a partition's batch.
	// Every WriteMessages call whose batches are not full waits it out once,
	// so it bounds the publish latency of a quiet log. Default 2 ms (kafka-go's
	// own default of 1 s would stall every partial batch).
	BatchTimeout time.Duration
	// Compression of the record batches: "lz4" (default), "snappy",
	// "zstd", "gzip" or "none". JSON records shrink about fivefold, which
	// halves the broker's work per record (see relay_bench_test.go).
	// BatchBytes counts uncompressed bytes, so it stays a safe bound.
	Compression string

	WriteTimeout time.Duration // one produce request; default 10 s
	DialTimeout  time.Duration // connect, TLS and SASL; default 5 s
	// MetadataTTL is how long topic metadata is cached: a topic created
	// while the relay waits for it is used within it. Default 6 s.
	MetadataTTL time.Duration

	// PollInterval is how often an idle relay looks at the log head. Notify
	// wakes it at once. Default 10 ms.
	PollInterval time.Duration
	// BackoffMin and BackoffMax bound the capped exponential backoff after
	// a failed publish, log read or cursor write. Defaults 50 ms and 5 s.
	BackoffMin, BackoffMax time.Duration
	// StopTimeout bounds how long Stop waits for the in-flight batch before
	// it cancels it. Default 15 s.
	StopTimeout time.Duration

	// AllowAutoTopicCreation lets the brokers create a missing topic on
	// first use (if they allow it). Off by default: topics are provisioned
	// with their partition count and replication by the operator.
	AllowAutoTopicCreation bool

	Logger *slog.Logger // default slog.Default()
}

func (c *Config) setDefaults() {
	def := func(d *time.Duration, v time.Duration) {
		if *d <= 0 {
			*d = v
		}
	}
	if c.ClientID == "" {
		c.ClientID = "salio"
	}
	if c.CDRTopic == "" {
		c.CDRTopic = "salio.cdrs"
	}
	if c.EventTopic == "" {
		c.EventTopic = "salio.events"
	}
	if c.BatchSize <= 0 {
		c.BatchSize = 5000
	}
	if c.BatchBytes <= 0 {
		c.BatchBytes = 1_000_000
	}
	def(&c.BatchTimeout, 2*time.Millisecond)
	def(&c.WriteTimeout, 10*time.Second)
	def(&c.DialTimeout, 5*time.Second)
	def(&c.MetadataTTL, 6*time.Second)
	def(&c.PollInterval, 10*time.Millisecond)
	def(&c.BackoffMin, 50*time.Millisecond)
	def(&c.BackoffMax, 5*time.Second)
	if c.BackoffMax < c.BackoffMin {
		c.BackoffMax = c.BackoffMin
	}
	def(&c.StopTimeout, 15*time.Second)
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
}

func compressionCodec(name string) (kafka.Compression, error) {
	switch strings.ToLower(name) {
	case "", "lz4":
		return kafka.Lz4, nil
	case "snappy":
		return kafka.Snappy, nil
	case "zstd":
		return kafka.Zstd, nil
	case "gzip":
		return kafka.Gzip, nil
	case "none":
		return 0, nil
	}
	return 0, fmt.Errorf("cdr: unknown compression %q", name)
}

// Relay publishes one log of the store to one Kafka topic (the outbox
// pattern). See the package documentation for the delivery contract.
type Relay struct {
	log        Log
	stream     Stream
	name       string // "cdrs" | "events"
	cursorName string // "kafka.cdrs" | "kafka.events"
	topic      string
	header     string // "cdr-id" | "event-id"
	cfg        Config
	logger     *slog.Logger

	transport *kafka.Transport
	trCancel  context.CancelFunc
	writer    *kafka.Writer

	notify chan struct{}
	stopCh chan struct{}
	done   chan struct{}
	cancel context.CancelFunc

	mu      sync.Mutex
	started bool
	stopped bool

	bal *countingBalancer

	// Owned by the loop goroutine.
	cursor    uint64
	cur, next *batch // the batch in flight and the one read ahead
	call      []kafka.Message
	partBytes []int64
	partIDs   []int
	backoff   time.Duration
	failing   int // consecutive failures
	lastWarn  time.Time
	lastRead  time.Time

	// Metrics, read by Stats and the collectors.
	published   atomic.Uint64
	errs        atomic.Uint64
	parked      atomic.Uint64
	batches     atomic.Uint64
	cursorSeen  atomic.Uint64
	oldestMs    atomic.Int64 // noOldest when nothing is pending
	lastLatency atomic.Int64 // ns
	latency     prometheus.Histogram
	collector   *relayCollector
}

const noOldest = math.MinInt64

// item is one record of a batch (see batch for where its bytes are).
type item struct {
	seq                           uint64
	atMs                          int64
	keyOff, idOff, valOff, valEnd int
	size                          int64 // upper bound of kafka-go's message size
	state                         uint8
}

const (
	pending uint8 = iota
	acked
	parkedState
)

// New returns a relay of stream s of log. It does not connect until Start.
func New(log Log, s Stream, cfg Config) (*Relay, error) {
	if log == nil {
		return nil, errors.New("cdr: nil Log")
	}
	if len(cfg.Brokers) == 0 {
		return nil, errors.New("cdr: no Kafka brokers configured")
	}
	cfg.Brokers = append([]string(nil), cfg.Brokers...)
	cfg.setDefaults()
	mech, err := cfg.SASL.mechanism()
	if err != nil {
		return nil, err
	}
	codec, err := compressionCodec(cfg.Compression)
	if err != nil {
		return nil, err
	}
	r := &Relay{
		log:    log,
		stream: s,
		name:   s.String(),
		cfg:    cfg,
		logger: cfg.Logger,
		notify: make(chan struct{}, 1),
		stopCh: make(chan struct{}),
		done:   make(chan struct{}),
	}
	r.cursorName = "kafka." + r.name
	r.topic, r.header = cfg.CDRTopic, "cdr-id"
	if s == Events {
		r.topic, r.header = cfg.EventTopic, "event-id"
	}
	r.logger = r.logger.With("component", "kafka-relay", "log", r.name, "topic", r.topic)
	r.oldestMs.Store(noOldest)
	r.cur, r.next = &batch{}, &batch{}
	r.bal = &countingBalancer{Murmur2Balancer: kafka.Murmur2Balancer{Consistent: true}}

	trCtx, trCancel := context.WithCancel(context.Background())
	r.trCancel = trCancel
	r.transport = &kafka.Transport{
		DialTimeout:    cfg.DialTimeout,
		MetadataTTL:    cfg.MetadataTTL,
		MetadataTopics: []string{r.topic},
		ClientID:       cfg.ClientID,
		TLS:            cfg.TLS,
		SASL:           mech,
		Context:        trCtx,
	}
	r.writer = newWriter(cfg, r.topic, r.transport, r.bal, codec)
	r.initMetrics()
	return r, nil
}

// newWriter returns the kafka-go Writer of a relay publishing to topic.
func newWriter(cfg Config, topic string, transport *kafka.Transport, bal kafka.Balancer, codec kafka.Compression) *kafka.Writer {
	return &kafka.Writer{
		Addr:      kafka.TCP(cfg.Brokers...),
		Topic:     topic,
		Transport: transport,
		// One tenant → one partition: the key is the tenant and murmur2 of
		// the key modulo the partition count is a pure function of both
		// (the same as Java's default partitioner and librdkafka's
		// murmur2_random), so every record of a tenant goes to the same
		// partition as long as the topic's partition count is unchanged.
		// kafka.Hash (FNV-1a) would be as consistent; murmur2 also agrees with
		// the rest of the Kafka world. Keys are never nil, so Consistent only
		// documents intent.
		Balancer: bal,
		// The record is durable only once every in-sync replica has it.
		RequiredAcks: kafka.RequireAll,
		// Synchronous: WriteMessages returns each message's outcome, which
		// the cursor depends on. Async would drop errors.
		Async: false,
		// Each call carries at most BatchSize messages and BatchBytes bytes,
		// so every partition gets at most one produce batch per call: the
		// order within a tenant then cannot be broken by one batch of a call
		// failing while a later one succeeds.
		BatchSize:    cfg.BatchSize,
		BatchBytes:   cfg.BatchBytes,
		BatchTimeout: cfg.BatchTimeout,
		Compression:  codec,
		WriteTimeout: cfg.WriteTimeout,
		ReadTimeout:  cfg.WriteTimeout,
		// A few quick in-writer retries absorb leader moves; longer outages
		// go through the relay's own capped backoff, which is counted,
		// logged and leaves the log untouched.
		MaxAttempts:            3,
		WriteBackoffMin:        10 * time.Millisecond,
		WriteBackoffMax:        100 * time.Millisecond,
		AllowAutoTopicCreation: cfg.AllowAutoTopicCreation,
	}
}

// Topic returns the topic the relay publishes to.
func (r *Relay) Topic() string { return r.topic }

// Start starts publishing in a goroutine. Cancelling ctx stops the relay at
// once, abandoning the in-flight batch (it is sent again after a restart);
// Stop is the graceful way. Start can be called once.
func (r *Relay) Start(ctx context.Context) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.started || r.stopped {
		return errors.New("cdr: relay already started or stopped")
	}
	r.started = true
	ctx, r.cancel = context.WithCancel(ctx)
	go r.run(ctx)
	return nil
}

// Notify wakes an idle relay: the engine calls it after a commit that added
// records. It never blocks.
func (r *Relay) Notify() {
	select {
	case r.notify <- struct{}{}:
	default:
	}
}

// Stop stops the relay gracefully: it reads no further records, finishes the
// batch in flight as long as Kafka accepts it (no retries after a failure),
// persists the cursor and closes the connections. If that takes longer than
// Config.StopTimeout the in-flight write is cancelled. Stop is idempotent.
func (r *Relay) Stop() {
	r.mu.Lock()
	if r.stopped {
		r.mu.Unlock()
		<-r.done
		return
	}
	r.stopped = true
	started := r.started
	r.mu.Unlock()

	close(r.stopCh)
	if started {
		t := time.NewTimer(r.cfg.StopTimeout)
		select {
		case <-r.done:
		case <-t.C:
			r.logger.Warn("stop timeout: cancelling the in-flight batch")
			r.cancel()
			<-r.done
		}
		t.Stop()
		r.cancel()
	} else {
		close(r.done)
	}
	r.writer.Close()
	r.transport.CloseIdleConnections()
	r.trCancel()
}

func (r *Relay) stopping() bool {
	select {
	case <-r.stopCh:
		return true
	default:
		return false
	}
}

// sleep waits d; false if the relay is stopping or ctx is done.
func (r *Relay) sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.stopCh:
		return false
	case <-ctx.Done():
		return false
	}
}

// fail counts an error and backs off; false if the relay should exit.
func (r *Relay) fail(ctx context.Context, what string, err error) bool {
	r.errs.Add(1)
	r.failing++
	if r.backoff < r.cfg.BackoffMin {
		r.backoff = r.cfg.BackoffMin
	}
	if r.failing == 1 || time.Since(r.lastWarn) >= 10*time.Second {
		r.lastWarn = time.Now()
		r.logger.Warn("kafka relay: "+what+" failed; retrying", "err", err, "failures", r.failing, "backoff", r.backoff)
	}
	ok := r.sleep(ctx, r.backoff)
	r.backoff = min(2*r.backoff, r.cfg.BackoffMax)
	return ok
}

func (r *Relay) succeed() {
	if r.failing > 0 {
		r.logger.Info("kafka relay: recovered", "failures", r.failing)
	}
	r.failing = 0
	r.backoff = r.cfg.BackoffMin
}

// batch is one read of the log on its way to Kafka. Record i's key, id and
// JSON value are arena[keyOff:idOff], arena[idOff:valOff] and
// arena[valOff:valEnd]; msgs[i] holds them; pend lists, in log order, the
// records neither acknowledged nor parked.
type batch struct {
	items []item
	arena []byte
	msgs  []kafka.Message
	hdrs  []kafka.Header
	pend  []int32
	ready bool // read ahead, not yet published
}

// countingBalancer is the Writer's balancer. It remembers the partition
// count kafka-go hands it so that the relay can size each call per partition.
type countingBalancer struct {
	kafka.Murmur2Balancer
	n atomic.Int32
}

func (b *countingBalancer) Balance(msg kafka.Message, partitions ...int) int {
	if n := int32(len(partitions)); b.n.Load() != n {
		b.n.Store(n)
	}
	return b.Murmur2Balancer.Balance(msg, partitions...)
}

func (r *Relay) run(ctx context.Context) {
	defer close(r.done)
	if !r.loadCursor(ctx) {
		return
	}
	r.succeed()

	poll := time.NewTimer(r.cfg.PollInterval)
	defer poll.Stop()
	woken := true
	for !r.stopping() && ctx.Err() == nil {
		cur := r.cur
		// The head tells an idle relay there is nothing to read without a
		// read; a notification or a second without reading reads anyway.
		if !woken && r.log.LogHead(r.name) <= r.cursor && time.Since(r.lastRead) < time.Second {
			woken = r.wait(ctx, poll)
			continue
		}
		woken = false
		if !cur.ready {
			r.lastRead = time.Now()
			if err := r.read(cur, r.cursor); err != nil {
				if !r.fail(ctx, "reading the log", err) {
					return
				}
				continue
			}
		}
		cur.ready = false
		if len(cur.items) == 0 {
			// Nothing after the cursor although the head may say otherwise:
			// wait rather than spin.
			woken = r.wait(ctx, poll)
			continue
		}
		woken = r.deliver(ctx, cur)
	}
}

// loadCursor reads the relay's cursor, retrying with backoff; false if ctx
// ended or the relay stopped first.
func (r *Relay) loadCursor(ctx context.Context) bool {
	for {
		c, err := r.log.Cursor(r.cursorName)
		if err == nil {
			r.cursor = c
			r.cursorSeen.Store(c)
			return true
		}
		if !r.fail(ctx, "reading the cursor", err) {
			return false
		}
	}
}

// deliver publishes cur and commits the cursor past what was delivered. A
// full batch suggests more is waiting: it reads and encodes the next one
// while this one is on the wire, and keeps it (reporting true: read on at
// once) only if this one was entirely handled.
func (r *Relay) deliver(ctx context.Context, cur *batch) bool {
	var ahead chan error
	if len(cur.items) == r.cfg.BatchSize {
		ahead = make(chan error, 1)
		next, after := r.next, cur.items[len(cur.items)-1].seq
		go func() { ahead <- r.read(next, after) }()
	}
	r.oldestMs.Store(cur.items[0].atMs)
	r.publish(ctx, cur)
	r.commit(ctx, cur)
	if ahead == nil {
		return false
	}
	if err := <-ahead; err != nil || len(cur.pend) != 0 || cur.arena == nil {
		return false
	}
	r.lastRead = time.Now()
	r.next.ready = true
	r.cur, r.next = r.next, cur
	return true
}

// wait sleeps one poll interval or until Notify, Stop or ctx; true if
// notified.
func (r *Relay) wait(ctx context.Context, poll *time.Timer) bool {
	poll.Reset(r.cfg.PollInterval)
	select {
	case <-poll.C:
	case <-r.notify:
		return true
	case <-r.stopCh:
	case <-ctx.Done():
	}
	return false
}

// read loads the records after seq after into b and encodes them. It runs
// on the loop goroutine or, reading ahead, on its own while the loop
// publishes another batch; it touches nothing but b.
func (r *Relay) read(b *batch, after uint64) error {
	b.items, b.arena, b.pend = b.items[:0], b.arena[:0], b.pend[:0]
	prev := after
	add := func(seq uint64, at int64, tenant, id string) (*item, error) {
		if seq <= prev {
			return nil, fmt.Errorf("log %s returned seq %d after %d", r.name, seq, prev)
		}
		prev = seq
		b.items = append(b.items, item{seq: seq, atMs: at, keyOff: len(b.arena)})
		it := &b.items[len(b.items)-1]
		b.arena = append(b.arena, tenant...)
		it.idOff = len(b.arena)
		b.arena = append(b.arena, id...)
		it.valOff = len(b.arena)
		return it, nil
	}
	switch r.stream {
	case CDRs:
		recs, err := r.log.ReadCDRs(after, r.cfg.BatchSize)
		if err != nil {
			return err
		}
		for i := range recs {
			c := &recs[i].CDR
			it, err := add(recs[i].Seq, c.EndedAt, c.Tenant, c.ID)
			if err != nil {
				return err
			}
			b.arena = AppendCDRJSON(b.arena, c)
			it.valEnd = len(b.arena)
		}
	case Events:
		recs, err := r.log.ReadEvents(after, r.cfg.BatchSize)
		if err != nil {
			return err
		}
		for i := range recs {
			e := &recs[i].Event
			it, err := add(recs[i].Seq, e.At, e.Tenant, e.ID)
			if err != nil {
				return err
			}
			b.arena = AppendEventJSON(b.arena, e)
			it.valEnd = len(b.arena)
		}
	}
	b.messages(r.header)
	return nil
}

// messages points b's Kafka messages at its items' key, id header and value
// in the arena, and marks them all pending.
func (b *batch) messages(header string) {
	n := len(b.items)
	if cap(b.msgs) < n {
		b.msgs = make([]kafka.Message, n)
		b.hdrs = make([]kafka.Header, n)
	}
	b.msgs, b.hdrs = b.msgs[:n], b.hdrs[:n]
	for i := range b.items {
		it := &b.items[i]
		key := b.arena[it.keyOff:it.idOff:it.idOff]
		id := b.arena[it.idOff:it.valOff:it.valOff]
		val := b.arena[it.valOff:it.valEnd:it.valEnd]
		b.hdrs[i] = kafka.Header{Key: header, Value: id}
		b.msgs[i] = kafka.Message{Key: key, Value: val, Headers: b.hdrs[i : i+1 : i+1]}
		// kafka-go's Message.totalSize plus slack for the varints.
		it.size = int64(len(key)+len(val)+len(id)+len(header)) + 64
		b.pend = append(b.pend, int32(i))
	}
}

// chunk returns how many of b's first pending records go in the next call:
// at most BatchSize records and, per partition, at most BatchBytes bytes, so
// that the Writer makes exactly one produce batch per partition of the call.
// Until the Writer has seen the partition count, the whole call is held to
// BatchBytes.
func (r *Relay) chunk(b *batch) int {
	np := int(r.bal.n.Load())
	if np > 0 && len(r.partIDs) != np {
		r.partIDs, r.partBytes = make([]int, np), make([]int64, np)
		for i := range r.partIDs {
			r.partIDs[i] = i
		}
	}
	clear(r.partBytes)
	n, total := 0, int64(0)
	for n < len(b.pend) && n < r.cfg.BatchSize {
		i := b.pend[n]
		s := b.items[i].size
		if np > 0 {
			p := r.bal.Murmur2Balancer.Balance(b.msgs[i], r.partIDs...)
			if r.partBytes[p]+s > r.cfg.BatchBytes {
				break
			}
			r.partBytes[p] += s
		} else {
			if total+s > r.cfg.BatchBytes {
				break
			}
			total += s
		}
		n++
	}
	return n
}

// publish sends b until every record is acknowledged or parked, or the
// relay is stopping (then after the first failure) or ctx is done.
func (r *Relay) publish(ctx context.Context, b *batch) {
	isolate := 0 // the first isolate pending records go one per call
	for len(b.pend) > 0 {
		if ctx.Err() != nil {
			return
		}
		if it := &b.items[b.pend[0]]; it.size > r.cfg.BatchBytes {
			if !r.parkOversized(ctx, b, it.size) {
				return
			}
			isolate = max(isolate-1, 0)
			continue
		}
		n := 1
		if isolate == 0 {
			n = r.chunk(b)
		}
		start := time.Now()
		err := r.send(ctx, b, n, start)
		if ctx.Err() != nil {
			// Abandoned: kafka-go may still hold the messages, so these
			// buffers are never reused.
			*b = batch{}
			r.call = nil
			return
		}
		lat := time.Since(start)
		r.batches.Add(1)
		if err == nil {
			r.acknowledge(b, n, lat)
			isolate = max(isolate-n, 0)
			r.succeed()
			continue
		}
		transient, firstErr := r.sortOut(ctx, b, n, err, lat, &isolate)
		if !transient {
			r.errs.Add(1)
			continue
		}
		if r.stopping() || !r.fail(ctx, "publishing", firstErr) {
			return
		}
	}
}

// parkOversized parks b's first pending record, which cannot fit in any
// batch, as the Writer would refuse it. It reports false if ctx ended first.
func (r *Relay) parkOversized(ctx context.Context, b *batch, size int64) bool {
	reason := fmt.Sprintf("record of about %d bytes exceeds the batch limit of %d bytes (kafka: message too large)", size, r.cfg.BatchBytes)
	if !r.park(ctx, b, b.pend[0], reason) {
		return false
	}
	b.pend = b.pend[1:]
	r.updateOldest(b)
	return true
}

// send writes b's first n pending records in one WriteMessages call,
// stamped with start.
func (r *Relay) send(ctx context.Context, b *batch, n int, start time.Time) error {
	r.call = r.call[:0]
	for _, i := range b.pend[:n] {
		m := b.msgs[i]
		m.Time = start
		r.call = append(r.call, m)
	}
	return r.writer.WriteMessages(ctx, r.call...)
}

// acknowledge retires b's first n pending records, which the broker took.
func (r *Relay) acknowledge(b *batch, n int, lat time.Duration) {
	for _, i := range b.pend[:n] {
		b.items[i].state = acked
	}
	r.published.Add(uint64(n))
	r.lastLatency.Store(int64(lat))
	r.latency.Observe(lat.Seconds())
	b.pend = b.pend[n:]
	r.updateOldest(b)
}

// sortOut sorts out the records of a failed call of b's first n pending
// records: acknowledged ones leave; refused ones are parked if they went
// alone, or else go again one by one (isolate) to find out which of them
// the broker refuses; the rest stay in place, before the records after
// them, and are retried after a backoff. (All records of one partition
// share their batch's fate.) It reports whether any failure was transient,
// and the call's first error.
func (r *Relay) sortOut(ctx context.Context, b *batch, n int, err error, lat time.Duration, isolate *int) (transient bool, firstErr error) {
	var werrs kafka.WriteErrors
	perMsg := errors.As(err, &werrs) && len(werrs) == n
	kept := b.pend[:0]
	lastRefused, okCount := -1, 0
	for j, i := range b.pend[:n] {
		e := err
		if perMsg {
			e = werrs[j]
		}
		switch {
		case e == nil:
			b.items[i].state = acked
			okCount++
		case refused(e) && n == 1:
			if !r.park(ctx, b, i, "kafka refused the record: "+e.Error()) {
				kept = append(kept, i)
				transient = true
			}
		case refused(e):
			lastRefused = len(kept)
			kept = append(kept, i)
		default:
			kept = append(kept, i)
			transient = true
		}
		if e != nil && firstErr == nil {
			firstErr = e
		}
	}
	r.published.Add(uint64(okCount))
	if okCount > 0 {
		r.lastLatency.Store(int64(lat))
		r.latency.Observe(lat.Seconds())
	}
	keptFromCall := len(kept)
	b.pend = append(kept, b.pend[n:]...)
	if *isolate > 0 { // n == 1
		if keptFromCall == 0 {
			*isolate--
		}
	} else {
		*isolate = lastRefused + 1
	}
	r.updateOldest(b)
	return transient, firstErr
}

// refused reports whether err is the broker (or kafka-go) refusing a record
// for good: retrying the same bytes cannot succeed. Everything else —
// network errors, timeouts, leader moves, missing topics, authorization —
// is retried, since it says nothing about the record itself and parking the
// log's records one by one would empty it into the park list.
func refused(err error) bool {
	var tooLarge kafka.MessageTooLargeError
	return errors.As(err, &tooLarge) ||
		errors.Is(err, kafka.MessageSizeTooLarge) ||
		errors.Is(err, kafka.RecordListTooLarge) ||
		errors.Is(err, kafka.InvalidRecord)
}

// park records item i of b as refused; false if the store failed and the
// relay is stopping.
func (r *Relay) park(ctx context.Context, b *batch, i int32, reason string) bool {
	it := &b.items[i]
	for {
		err := r.log.Park(r.name, it.seq, reason)
		if err == nil {
			it.state = parkedState
			r.parked.Add(1)
			r.logger.Error("kafka relay: record parked", "seq", it.seq, "id", string(b.arena[it.idOff:it.valOff]), "reason", reason)
			return true
		}
		if r.stopping() || !r.fail(ctx, "parking a record", err) {
			return false
		}
	}
}

func (r *Relay) updateOldest(b *batch) {
	if len(b.pend) == 0 {
		r.oldestMs.Store(noOldest)
		return
	}
	r.oldestMs.Store(b.items[b.pend[0]].atMs)
}

// commit persists the cursor past the longest handled prefix of b.
func (r *Relay) commit(ctx context.Context, b *batch) {
	k := 0
	for k < len(b.items) && b.items[k].state != pending {
		k++
	}
	if k > 0 {
		seq := b.items[k-1].seq
		for {
			err := r.log.SetCursor(r.cursorName, seq)
			if err == nil {
				r.cursor = seq
				r.cursorSeen.Store(seq)
				break
			}
			if r.stopping() || !r.fail(ctx, "persisting the cursor", err) {
				break
			}
		}
	}
	if len(b.pend) == 0 {
		r.oldestMs.Store(noOldest)
	}
}

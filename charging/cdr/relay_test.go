package cdr

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/big"
	"net"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
	"github.com/twmb/franz-go/pkg/kmsg"

	"github.com/salio/salio/charging"
)

// memLog stands in for the store: two append-only logs, cursors and a park list.
type memLog struct {
	mu      sync.Mutex
	cdrs    []charging.LoggedCDR
	events  []charging.LoggedEvent
	cursors map[string]uint64
	setLog  []uint64 // every SetCursor("kafka.cdrs") value
	parked  []parkedRec
	failSet atomic.Bool // SetCursor fails while set
}

type parkedRec struct {
	log    string
	seq    uint64
	reason string
}

func newMemLog() *memLog { return &memLog{cursors: map[string]uint64{}} }

func (l *memLog) appendCDRs(cs ...charging.CDR) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, c := range cs {
		l.cdrs = append(l.cdrs, charging.LoggedCDR{Seq: uint64(len(l.cdrs) + 1), CDR: c})
	}
}

func (l *memLog) appendEvents(es ...charging.WalletEvent) {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, e := range es {
		l.events = append(l.events, charging.LoggedEvent{Seq: uint64(len(l.events) + 1), Event: e})
	}
}

func (l *memLog) ReadCDRs(after uint64, limit int) ([]charging.LoggedCDR, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if after >= uint64(len(l.cdrs)) {
		return nil, nil
	}
	end := min(int(after)+limit, len(l.cdrs))
	return append([]charging.LoggedCDR(nil), l.cdrs[after:end]...), nil
}

func (l *memLog) ReadEvents(after uint64, limit int) ([]charging.LoggedEvent, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if after >= uint64(len(l.events)) {
		return nil, nil
	}
	end := min(int(after)+limit, len(l.events))
	return append([]charging.LoggedEvent(nil), l.events[after:end]...), nil
}

func (l *memLog) Cursor(name string) (uint64, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.cursors[name], nil
}

func (l *memLog) SetCursor(name string, seq uint64) error {
	if l.failSet.Load() {
		return errors.New("store unavailable")
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if seq < l.cursors[name] {
		return fmt.Errorf("cursor %s moved back from %d to %d", name, l.cursors[name], seq)
	}
	l.cursors[name] = seq
	if name == "kafka.cdrs" {
		l.setLog = append(l.setLog, seq)
	}
	return nil
}

func (l *memLog) Park(log string, seq uint64, reason string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.parked = append(l.parked, parkedRec{log, seq, reason})
	return nil
}

func (l *memLog) LogHead(log string) uint64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	if log == "events" {
		return uint64(len(l.events))
	}
	return uint64(len(l.cdrs))
}

func (l *memLog) cursor(name string) uint64 { c, _ := l.Cursor(name); return c }

func (l *memLog) parkedList() []parkedRec {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]parkedRec(nil), l.parked...)
}

// ---- fixtures ----

const testPartitions = 4

var tenants = []string{"acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "tyrell"}

func makeCDR(i int) charging.CDR {
	t := tenants[i%len(tenants)]
	c := charging.CDR{
		ID: fmt.Sprintf("cdr-%06d", i), Tenant: t, Kind: "session", SessionID: fmt.Sprintf("call-%d@pbx.example.com", i),
		Service: "voice", Direction: "outbound", Destination: "+4930" + fmt.Sprint(1000000+i),
		StartedAt: 1700000000123 + int64(i)*1000, EndedAt: 1700000065000 + int64(i)*1000,
		UsageSeconds: int64(i % 300), BilledSeconds: int64(i%300 + 1), QuantityMicros: int64(i%300) * 1e6, Unit: "second",
		RatePicos: 20000000000, Tier: "standard", MultiplierMicros: 1000000, AmountMicros: int64(i) * 1234,
		Currency: "USD", Termination: "normal", Requests: 3,
	}
	if i%5 == 0 {
		c.Kind, c.SessionID, c.EventID, c.Service, c.Direction, c.Termination = "event", "", fmt.Sprintf("sms-%d", i), "sms", "", ""
	}
	return c
}

func makeCDRs(from, n int) []charging.CDR {
	out := make([]charging.CDR, n)
	for i := range out {
		out[i] = makeCDR(from + i)
	}
	return out
}

func freePort(t testing.TB) int {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	port := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	return port
}

func newCluster(t testing.TB, opts ...kfake.Opt) *kfake.Cluster {
	opts = append([]kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(testPartitions, "salio.cdrs", "salio.events")}, opts...)
	c, err := kfake.NewCluster(opts...)
	require.NoError(t, err)
	return c
}

func quietLogger() *slog.Logger { return slog.New(slog.NewTextHandler(io.Discard, nil)) }

func testConfig(addrs []string) Config {
	return Config{
		Brokers:      addrs,
		BatchSize:    500,
		PollInterval: 5 * time.Millisecond,
		BackoffMin:   20 * time.Millisecond,
		BackoffMax:   200 * time.Millisecond,
		WriteTimeout: 3 * time.Second,
		DialTimeout:  time.Second,
		StopTimeout:  5 * time.Second,
		Logger:       quietLogger(),
	}
}

func startRelay(t testing.TB, log Log, s Stream, cfg Config) *Relay {
	r, err := New(log, s, cfg)
	require.NoError(t, err)
	require.NoError(t, r.Start(context.Background()))
	t.Cleanup(r.Stop)
	return r
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t testing.TB, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", d, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// topicEnd returns the sum of the topic's partitions' end offsets: the
// number of records ever written to it.
func topicEnd(t testing.TB, cl *kgo.Client, topic string) int64 {
	t.Helper()
	req := kmsg.NewPtrListOffsetsRequest()
	rt := kmsg.NewListOffsetsRequestTopic()
	rt.Topic = topic
	for p := int32(0); p < testPartitions; p++ {
		rp := kmsg.NewListOffsetsRequestTopicPartition()
		rp.Partition = p
		rp.Timestamp = -1 // latest
		rt.Partitions = append(rt.Partitions, rp)
	}
	req.Topics = append(req.Topics, rt)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	resp, err := req.RequestWith(ctx, cl)
	require.NoError(t, err)
	var sum int64
	for _, rt := range resp.Topics {
		for _, rp := range rt.Partitions {
			require.Zero(t, rp.ErrorCode)
			sum += rp.Offset
		}
	}
	return sum
}

// consumeAll reads every record of topic: exactly as many as its end offsets say.
func consumeAll(t testing.TB, addrs []string, topic string) []*kgo.Record {
	t.Helper()
	cl, err := kgo.NewClient(kgo.SeedBrokers(addrs...), kgo.ConsumeTopics(topic),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	want := topicEnd(t, cl, topic)
	var recs []*kgo.Record
	deadline := time.Now().Add(20 * time.Second)
	for int64(len(recs)) < want {
		require.True(t, time.Now().Before(deadline), "consumed %d of %d records", len(recs), want)
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		fs := cl.PollFetches(ctx)
		cancel()
		fs.EachError(func(_ string, _ int32, err error) {
			if !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("fetch: %v", err)
			}
		})
		recs = append(recs, fs.Records()...)
	}
	require.EqualValues(t, want, len(recs))
	return recs
}

func header(r *kgo.Record, key string) string {
	for _, h := range r.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

// checkCDRs verifies the topic against the log: every CDR present with its
// key, header and value; duplicates only as identical copies; per tenant the
// first occurrences in commit order, all on one partition. It returns the
// number of duplicates.
func checkCDRs(t *testing.T, log *memLog, recs []*kgo.Record, skip map[uint64]bool) int {
	t.Helper()
	log.mu.Lock()
	want := append([]charging.LoggedCDR(nil), log.cdrs...)
	log.mu.Unlock()
	byID := map[string]charging.LoggedCDR{}
	for _, lc := range want {
		byID[lc.CDR.ID] = lc
	}
	// kgo returns each partition's records in offset order.
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].Partition != recs[j].Partition {
			return recs[i].Partition < recs[j].Partition
		}
		return recs[i].Offset < recs[j].Offset
	})
	seen := map[string]bool{}
	lastSeq := map[string]uint64{}
	part := map[string]int32{}
	dups := 0
	for _, r := range recs {
		id := header(r, "cdr-id")
		lc, ok := byID[id]
		require.True(t, ok, "unknown record %q", id)
		require.Equal(t, lc.CDR.Tenant, string(r.Key))
		require.Equal(t, string(AppendCDRJSON(nil, &lc.CDR)), string(r.Value))
		var m map[string]any
		require.NoError(t, json.Unmarshal(r.Value, &m))
		require.Equal(t, id, m["id"])
		if p, ok := part[lc.CDR.Tenant]; ok {
			require.Equal(t, p, r.Partition, "tenant %s on two partitions", lc.CDR.Tenant)
		}
		part[lc.CDR.Tenant] = r.Partition
		if seen[id] {
			dups++
			continue
		}
		seen[id] = true
		require.Greater(t, lc.Seq, lastSeq[lc.CDR.Tenant], "tenant %s out of order at %s", lc.CDR.Tenant, id)
		lastSeq[lc.CDR.Tenant] = lc.Seq
	}
	for _, lc := range want {
		if !skip[lc.Seq] {
			require.True(t, seen[lc.CDR.ID], "record %d (%s) missing", lc.Seq, lc.CDR.ID)
		} else {
			require.False(t, seen[lc.CDR.ID], "parked record %d published", lc.Seq)
		}
	}
	return dups
}

// (a) Normal operation: every record exactly once, keyed by tenant, in order
// per tenant, fields right; events likewise.
func TestRelayExactlyOnceInOrder(t *testing.T) {
	c := newCluster(t)
	defer c.Close()
	log := newMemLog()
	cfg := testConfig(c.ListenAddrs())
	reg := prometheus.NewRegistry()
	p, err := NewPublisher(log, cfg)
	require.NoError(t, err)
	reg.MustRegister(p.Collectors()...)
	require.NoError(t, p.Start(context.Background()))
	defer p.Stop()

	const n = 3000
	for i := 0; i < n; i += 250 { // commits arrive while the relay runs
		log.appendCDRs(makeCDRs(i, 250)...)
		log.appendEvents(charging.WalletEvent{ID: fmt.Sprintf("ev-%d", i), Tenant: tenants[i%len(tenants)], Type: "balance_low", At: int64(i), BalanceMicros: int64(i)},
			charging.WalletEvent{ID: fmt.Sprintf("ev-%d-r", i), Tenant: tenants[i%len(tenants)], Type: "recharge_requested", At: int64(i), AmountMicros: 5e6, Method: "card", Reference: "ar-" + fmt.Sprint(i)})
		p.Notify()
	}
	waitFor(t, 20*time.Second, "cdr cursor", func() bool { return log.cursor("kafka.cdrs") == n })
	waitFor(t, 20*time.Second, "event cursor", func() bool { return log.cursor("kafka.events") == 2*n/250 })

	recs := consumeAll(t, c.ListenAddrs(), "salio.cdrs")
	require.Len(t, recs, n)
	require.Zero(t, checkCDRs(t, log, recs, nil))

	evs := consumeAll(t, c.ListenAddrs(), "salio.events")
	require.Len(t, evs, 2*n/250)
	for _, r := range evs {
		var m map[string]string
		require.NoError(t, json.Unmarshal(r.Value, &m))
		require.Equal(t, m["id"], header(r, "event-id"))
		require.Equal(t, m["tenant"], string(r.Key))
	}

	s := p.CDRs.Stats()
	require.EqualValues(t, n, s.Published)
	require.Zero(t, s.Backlog)
	require.Zero(t, s.Parked)
	require.Zero(t, s.Errors)
	require.Zero(t, s.OldestUnpublishedAge)
	require.Positive(t, s.LastPublishLatency)

	mfs, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, mf := range mfs {
		for _, m := range mf.GetMetric() {
			if m.GetLabel()[0].GetValue() == "cdrs" && m.Counter != nil {
				got[mf.GetName()] = m.GetCounter().GetValue()
			}
		}
	}
	require.EqualValues(t, n, got["salio_kafka_published_total"])
}

// (b) Outage: the broker goes away mid-run while records keep arriving, and a
// new broker comes back on the same address with the same data directory.
// Everything arrives; duplicates only as copies with the same id.
func TestRelayBrokerOutage(t *testing.T) {
	dir := t.TempDir()
	port := freePort(t)
	opts := []kfake.Opt{kfake.Ports(port), kfake.DataDir(dir)}
	c := newCluster(t, opts...)
	addrs := c.ListenAddrs()
	log := newMemLog()
	r := startRelay(t, log, CDRs, testConfig(addrs))

	// A producer of commits, running throughout.
	var next atomic.Int64
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				return
			case <-time.After(2 * time.Millisecond):
			}
			i := int(next.Add(10)) - 10
			log.appendCDRs(makeCDRs(i, 10)...)
			r.Notify()
		}
	}()

	waitFor(t, 10*time.Second, "first records published", func() bool { return log.cursor("kafka.cdrs") >= 300 })
	c.Close() // broker gone mid-run
	errs := r.Stats().Errors
	waitFor(t, 10*time.Second, "the relay to notice", func() bool { return r.Stats().Errors > errs })
	atOutage := log.LogHead("cdrs")
	waitFor(t, 10*time.Second, "records to pile up", func() bool { return log.LogHead("cdrs") >= atOutage+300 })
	s := r.Stats()
	require.Positive(t, s.Backlog)
	require.Positive(t, s.OldestUnpublishedAge)
	cursorDuringOutage := log.cursor("kafka.cdrs")

	c2 := newCluster(t, opts...) // same address, same data
	defer c2.Close()
	require.Equal(t, addrs, c2.ListenAddrs())
	waitFor(t, 10*time.Second, "publishing to resume", func() bool { return log.cursor("kafka.cdrs") > cursorDuringOutage+300 })
	close(stop)
	wg.Wait()
	head := log.LogHead("cdrs")
	waitFor(t, 20*time.Second, "the backlog to drain", func() bool { return log.cursor("kafka.cdrs") == head })
	require.Zero(t, r.Stats().Backlog)

	recs := consumeAll(t, addrs, "salio.cdrs")
	dups := checkCDRs(t, log, recs, nil)
	require.GreaterOrEqual(t, len(recs), int(head))
	t.Logf("%d records, %d published, %d duplicates, %d errors", head, len(recs), dups, r.Stats().Errors)
}

// (c) A record the broker refuses for good is parked and counted; the
// records around it flow.
func TestRelayParksRefusedRecords(t *testing.T) {
	c := newCluster(t, kfake.BrokerConfigs(map[string]string{"message.max.bytes": "16384"}))
	defer c.Close()
	log := newMemLog()

	huge := makeCDR(20)
	noise := make([]byte, 30000) // incompressible: over message.max.bytes even with lz4
	rand.Read(noise)
	huge.Destination = hex.EncodeToString(noise)
	enormous := makeCDR(40)
	enormous.Destination = strings.Repeat("8", 2000000) // over the writer's BatchBytes too
	cs := makeCDRs(0, 60)
	cs[20], cs[40] = huge, enormous
	log.appendCDRs(cs...)

	cfg := testConfig(c.ListenAddrs())
	cfg.BatchSize = 25
	cfg.BatchTimeout = time.Millisecond
	r := startRelay(t, log, CDRs, cfg)
	waitFor(t, 20*time.Second, "cursor", func() bool { return log.cursor("kafka.cdrs") == 60 })

	parked := log.parkedList()
	t.Logf("parked: %+v", parked)
	require.Len(t, parked, 2)
	require.Equal(t, "cdrs", parked[0].log)
	require.EqualValues(t, 21, parked[0].seq)
	require.Contains(t, strings.ToLower(parked[0].reason), "too large", parked[0].reason)
	require.EqualValues(t, 41, parked[1].seq)
	require.Contains(t, strings.ToLower(parked[1].reason), "too large", parked[1].reason)
	s := r.Stats()
	require.EqualValues(t, 2, s.Parked)
	require.EqualValues(t, 58, s.Published)

	// Later records still flow.
	log.appendCDRs(makeCDRs(60, 10)...)
	r.Notify()
	waitFor(t, 10*time.Second, "cursor", func() bool { return log.cursor("kafka.cdrs") == 70 })
	recs := consumeAll(t, c.ListenAddrs(), "salio.cdrs")
	require.Len(t, recs, 68)
	require.Zero(t, checkCDRs(t, log, recs, map[uint64]bool{21: true, 41: true}))
}

// (d) The cursor moves only past acknowledged records: while the broker
// refuses produce requests it stays put, and a relay restarted from it sends
// exactly the records that were never acknowledged.
func TestRelayCursorFollowsAcks(t *testing.T) {
	c := newCluster(t)
	defer c.Close()
	var failing atomic.Bool
	c.ControlKey(int16(kmsg.Produce), func(kmsg.Request) (kmsg.Response, error, bool) {
		c.KeepControl()
		if failing.Load() {
			return nil, errors.New("injected: connection dropped before the produce"), true
		}
		return nil, nil, false
	})
	log := newMemLog()
	log.appendCDRs(makeCDRs(0, 100)...)
	cfg := testConfig(c.ListenAddrs())
	r1 := startRelay(t, log, CDRs, cfg)
	waitFor(t, 10*time.Second, "cursor 100", func() bool { return log.cursor("kafka.cdrs") == 100 })

	failing.Store(true)
	log.appendCDRs(makeCDRs(100, 100)...)
	r1.Notify()
	waitFor(t, 10*time.Second, "failed publishes", func() bool { return r1.Stats().Errors >= 2 })
	require.EqualValues(t, 100, log.cursor("kafka.cdrs"))
	require.EqualValues(t, 100, r1.Stats().Backlog)
	r1.Stop() // gives up on the failing batch, cursor unchanged
	require.EqualValues(t, 100, log.cursor("kafka.cdrs"))
	require.EqualValues(t, 100, r1.Stats().Published)

	failing.Store(false)
	r2 := startRelay(t, log, CDRs, cfg)
	waitFor(t, 10*time.Second, "cursor 200", func() bool { return log.cursor("kafka.cdrs") == 200 })
	require.EqualValues(t, 100, r2.Stats().Published)

	recs := consumeAll(t, c.ListenAddrs(), "salio.cdrs")
	require.Len(t, recs, 200) // nothing sent twice
	require.Zero(t, checkCDRs(t, log, recs, nil))
	log.mu.Lock()
	defer log.mu.Unlock()
	require.True(t, sort.SliceIsSorted(log.setLog, func(i, j int) bool { return log.setLog[i] < log.setLog[j] }))
}

// A failing cursor write is retried and counted; a relay that stops (or
// crashes) before it succeeds sends the batch again after a restart: the
// duplicates are byte-identical copies with the same ids.
func TestRelayCursorWriteFailure(t *testing.T) {
	c := newCluster(t)
	defer c.Close()
	log := newMemLog()
	log.failSet.Store(true)
	log.appendCDRs(makeCDRs(0, 10)...)
	r := startRelay(t, log, CDRs, testConfig(c.ListenAddrs()))
	waitFor(t, 10*time.Second, "errors", func() bool { return r.Stats().Errors >= 2 })
	require.EqualValues(t, 10, r.Stats().Published)
	require.Zero(t, log.cursor("kafka.cdrs"))
	r.Stop()
	require.Zero(t, log.cursor("kafka.cdrs"))

	log.failSet.Store(false)
	r2 := startRelay(t, log, CDRs, testConfig(c.ListenAddrs()))
	waitFor(t, 10*time.Second, "cursor", func() bool { return log.cursor("kafka.cdrs") == 10 })
	require.EqualValues(t, 10, r2.Stats().Published)
	recs := consumeAll(t, c.ListenAddrs(), "salio.cdrs")
	require.Len(t, recs, 20)
	require.Equal(t, 10, checkCDRs(t, log, recs, nil))
}

// Stop finishes the batch in flight: records read before Stop are all
// published and the cursor persisted.
func TestRelayStopFinishesBatch(t *testing.T) {
	c := newCluster(t)
	defer c.Close()
	log := newMemLog()
	cfg := testConfig(c.ListenAddrs())
	cfg.BatchTimeout = 200 * time.Millisecond // each partial batch waits: Stop lands mid-call
	r := startRelay(t, log, CDRs, cfg)
	log.appendCDRs(makeCDRs(0, 50)...)
	r.Notify()
	waitFor(t, 5*time.Second, "a batch in flight", func() bool { return r.Stats().OldestUnpublishedAge > 0 })
	r.Stop()
	require.EqualValues(t, 50, log.cursor("kafka.cdrs"))
	require.Len(t, consumeAll(t, c.ListenAddrs(), "salio.cdrs"), 50)
}

func TestRelaySASL(t *testing.T) {
	for _, mech := range []string{SASLPlain, SASLScramSHA256, SASLScramSHA512} {
		t.Run(mech, func(t *testing.T) {
			c := newCluster(t, kfake.EnableSASL(), kfake.Superuser(mech, "salio", "s3cr=t,pw"))
			defer c.Close()
			log := newMemLog()
			log.appendCDRs(makeCDRs(0, 5)...)
			cfg := testConfig(c.ListenAddrs())
			cfg.SASL = SASLConfig{Mechanism: mech, Username: "salio", Password: "s3cr=t,pw"}
			startRelay(t, log, CDRs, cfg)
			waitFor(t, 10*time.Second, "cursor", func() bool { return log.cursor("kafka.cdrs") == 5 })

			// A wrong password publishes nothing and counts errors.
			log2 := newMemLog()
			log2.appendCDRs(makeCDRs(0, 5)...)
			cfg.SASL.Password = "wrong"
			r := startRelay(t, log2, CDRs, cfg)
			waitFor(t, 10*time.Second, "auth errors", func() bool { return r.Stats().Errors >= 1 })
			require.Zero(t, log2.cursor("kafka.cdrs"))
		})
	}
}

func TestConfigErrors(t *testing.T) {
	_, err := New(newMemLog(), CDRs, Config{})
	require.Error(t, err)
	_, err = New(newMemLog(), CDRs, Config{Brokers: []string{"x:1"}, SASL: SASLConfig{Mechanism: "GSSAPI"}})
	require.Error(t, err)
	_, err = New(newMemLog(), CDRs, Config{Brokers: []string{"x:1"}, Compression: "brotli"})
	require.Error(t, err)
	r, err := New(newMemLog(), Events, Config{Brokers: []string{"x:1"}})
	require.NoError(t, err)
	require.Equal(t, "salio.events", r.Topic())
	r.Stop() // never started
	require.Error(t, r.Start(context.Background()))
}

// A missing topic is an outage like any other: retried, counted, never
// parked; records flow once the topic exists.
func TestRelayMissingTopic(t *testing.T) {
	c := newCluster(t)
	defer c.Close()
	log := newMemLog()
	log.appendEvents(charging.WalletEvent{ID: "e1", Tenant: "acme", Type: "blocked", At: 1})
	cfg := testConfig(c.ListenAddrs())
	cfg.EventTopic = "salio.events.v2"
	cfg.MetadataTTL = 200 * time.Millisecond
	r := startRelay(t, log, Events, cfg)
	waitFor(t, 10*time.Second, "errors", func() bool { return r.Stats().Errors >= 2 })
	require.Zero(t, log.cursor("kafka.events"))
	require.Empty(t, log.parkedList())

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...))
	require.NoError(t, err)
	defer cl.Close()
	req := kmsg.NewPtrCreateTopicsRequest()
	rt := kmsg.NewCreateTopicsRequestTopic()
	rt.Topic, rt.NumPartitions, rt.ReplicationFactor = "salio.events.v2", testPartitions, 1
	req.Topics = append(req.Topics, rt)
	resp, err := req.RequestWith(context.Background(), cl)
	require.NoError(t, err)
	require.Zero(t, resp.Topics[0].ErrorCode)
	waitFor(t, 15*time.Second, "cursor", func() bool { return log.cursor("kafka.events") == 1 })
}

func TestRelayTLS(t *testing.T) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "kfake"},
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")},
		NotBefore:   time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	require.NoError(t, err)
	cert, err := x509.ParseCertificate(der)
	require.NoError(t, err)
	c := newCluster(t, kfake.TLS(&tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}))
	defer c.Close()

	pool := x509.NewCertPool()
	pool.AddCert(cert)
	log := newMemLog()
	log.appendCDRs(makeCDRs(0, 5)...)
	cfg := testConfig(c.ListenAddrs())
	cfg.TLS = &tls.Config{RootCAs: pool}
	startRelay(t, log, CDRs, cfg)
	waitFor(t, 10*time.Second, "cursor", func() bool { return log.cursor("kafka.cdrs") == 5 })
}

package main

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime"
	"runtime/debug"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"unsafe"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// engineFixture is an engine on DiscardSink with funded wallets.
type engineFixture struct {
	e       *charging.Engine
	tenants []string
	// bytesPerWallet is the live heap the engine grew by per created wallet
	// (tenant settings and wallet, no history); withTopUp adds one top-up
	// each (its idempotency record is kept for the retention period).
	bytesPerWallet, bytesPerWalletWithTopUp float64
}

var (
	fixturesMu sync.Mutex
	fixtures   = map[int]*engineFixture{}
)

// sharedFixture builds each size once per process: a million wallets take
// seconds to create, and every benchmark of that size can share them.
func sharedFixture(wallets int) (*engineFixture, error) {
	fixturesMu.Lock()
	defer fixturesMu.Unlock()
	if f := fixtures[wallets]; f != nil {
		return f, nil
	}
	f, err := newEngineFixture(wallets)
	if err != nil {
		return nil, err
	}
	fixtures[wallets] = f
	return f, nil
}

func tenantName(i int) string { return "bench-" + strconv.Itoa(i) }

// tenantNamer writes a random fixture tenant's id into its own buffer, as a
// request's decoder would: the id the engine is handed is in cache, as in the
// server, instead of a cache miss into a million-entry name table that only
// the benchmark has. The engine keeps no reference to a request's tenant id.
type tenantNamer struct {
	buf []byte
	n   int
}

func (t *tenantNamer) random(r *rand.Rand) string {
	t.buf = strconv.AppendInt(append(t.buf[:0], "bench-"...), int64(r.IntN(t.n)), 10)
	return unsafe.String(&t.buf[0], len(t.buf))
}

// heapLive returns the live heap after a full collection.
func heapLive() uint64 {
	runtime.GC()
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// serverGCPercent is salio serve's default --gc-percent: the engine is
// measured with the collector tuned as it runs in the server.
const serverGCPercent = 400

func newEngineFixture(wallets int) (f *engineFixture, err error) {
	debug.SetGCPercent(serverGCPercent)
	defer func() {
		if r := recover(); r != nil { // the engine may still be a stub
			err = fmt.Errorf("engine panicked: %v", r)
		}
	}()
	e, err := charging.New(charging.Config{Sink: charging.DiscardSink{}})
	if err != nil {
		return nil, err
	}
	if _, err := e.PutTariff(tariff.Standard().Doc); err != nil {
		return nil, err
	}
	e.Start()
	f = &engineFixture{e: e}
	before := heapLive()
	if err := parallelRange(wallets, func(i int) error {
		_, err := e.CreateTenant(charging.TenantParams{ID: tenantName(i), Tariff: "standard"})
		return err
	}); err != nil {
		return nil, fmt.Errorf("create tenants: %w", err)
	}
	created := heapLive()
	if err := parallelRange(wallets, func(i int) error {
		_, _, err := e.TopUp(tenantName(i), charging.TopUpRequest{AmountMicros: 100_000 * 1_000_000,
			Method: "manual", Reference: "init"})
		return err
	}); err != nil {
		return nil, fmt.Errorf("top up: %w", err)
	}
	funded := heapLive()
	f.bytesPerWallet = float64(created-before) / float64(wallets)
	f.bytesPerWalletWithTopUp = float64(funded-before) / float64(wallets)
	f.tenants = make([]string, wallets)
	for i := range f.tenants {
		f.tenants[i] = tenantName(i)
	}
	return f, nil
}

// parallelRange calls fn(0..n-1) on every core and returns the first error.
func parallelRange(n int, fn func(i int) error) error {
	var next atomic.Int64
	var firstErr atomic.Pointer[error]
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n || firstErr.Load() != nil {
					return
				}
				if err := fn(i); err != nil {
					firstErr.CompareAndSwap(nil, &err)
					return
				}
			}
		}()
	}
	wg.Wait()
	if p := firstErr.Load(); p != nil {
		return *p
	}
	return nil
}

// idArena hands out unique fixed-width ids backed by one allocation, so that
// making an id costs the benchmark loop no allocation: allocs/op is then the
// engine's own.
type idArena struct {
	buf   []byte
	width int
	taken atomic.Int64 // ids handed to cursors
}

const idDigits = 11

var arenaRound atomic.Int64

// newIDArena makes n ids; each arena has its own round number in its ids, so
// the successive rounds of a benchmark never repeat an idempotency key.
func newIDArena(n int, prefix string) *idArena {
	prefix += strconv.FormatInt(arenaRound.Add(1), 36) + "-"
	w := len(prefix) + idDigits
	a := &idArena{buf: make([]byte, n*w), width: w}
	for i := range n {
		b := a.buf[i*w : i*w : (i+1)*w]
		b = append(b, prefix...)
		s := strconv.Itoa(i)
		for range idDigits - len(s) {
			b = append(b, '0')
		}
		_ = append(b, s...)
	}
	return a
}

func (a *idArena) id(i int) string { return unsafe.String(&a.buf[i*a.width], a.width) }

// idCursorBlock is how many arena ids a goroutine takes at a time.
const idCursorBlock = 1024

// newIDArenaFor makes enough ids for n operations taken through idCursors by
// the goroutines of a RunParallel, each of which may leave part of its last
// block unused.
func newIDArenaFor(n int, prefix string) *idArena {
	return newIDArena(n+runtime.GOMAXPROCS(0)*idCursorBlock, prefix)
}

// idCursor hands one goroutine of a RunParallel the arena's ids a block at a
// time. An atomic add per id, on a counter every core writes, moves that
// counter's cache line between the cores on every operation: a cost of the
// harness, not of the engine (a request brings its own id), and on a VM whose
// cores are far apart as large as a tenth of an operation.
type idCursor struct {
	a         *idArena
	next, end int
}

// cursor returns a cursor for one goroutine.
func (a *idArena) cursor() idCursor { return idCursor{a: a} }

func (c *idCursor) id() string {
	if c.next == c.end {
		c.end = int(c.a.taken.Add(idCursorBlock))
		c.next = c.end - idCursorBlock
	}
	c.next++
	return c.a.id(c.next - 1)
}

var benchSeed atomic.Uint64

// benchEventDebits charges one-segment SMS to uniformly random wallets.
func benchEventDebits(b *testing.B, f *engineFixture) {
	ids := newIDArenaFor(b.N, "e")
	var failures atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(benchSeed.Add(1), 1))
		req := charging.EventRequest{Service: "sms", Destination: "255712345678", Segments: 1, Encoding: "gsm7"}
		names := tenantNamer{n: len(f.tenants)}
		cur := ids.cursor()
		for pb.Next() {
			req.EventID = cur.id()
			req.Tenant = names.random(r)
			if _, _, err := f.e.Event(req); err != nil && failures.Add(1) == 1 {
				b.Log(err)
			}
		}
	})
	b.StopTimer()
	reportFailures(b, failures.Load())
}

// benchSessionCycles runs whole calls: start, two 60 s updates, stop at 30 s.
func benchSessionCycles(b *testing.B, f *engineFixture) {
	ids := newIDArenaFor(b.N, "s")
	var failures atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(benchSeed.Add(1), 2))
		start := charging.StartRequest{Service: "voice", Direction: "outbound", Destination: "255712345678"}
		names := tenantNamer{n: len(f.tenants)}
		cur := ids.cursor()
		for pb.Next() {
			start.SessionID = cur.id()
			start.Tenant = names.random(r)
			if err := oneCycle(f.e, start); err != nil && failures.Add(1) == 1 {
				b.Log(err)
			}
		}
	})
	b.StopTimer()
	reportFailures(b, failures.Load())
}

func oneCycle(e *charging.Engine, start charging.StartRequest) error {
	if _, _, err := e.StartSession(start); err != nil {
		return err
	}
	for n := int64(1); n <= 2; n++ {
		if _, _, err := e.UpdateSession(start.SessionID, charging.UpdateRequest{RequestNumber: n, UsedSeconds: 60}); err != nil {
			return err
		}
	}
	_, _, err := e.StopSession(start.SessionID, charging.StopRequest{RequestNumber: 3, UsedSeconds: 30})
	return err
}

// benchTopUps credits random wallets with unique references.
func benchTopUps(b *testing.B, f *engineFixture) {
	ids := newIDArenaFor(b.N, "r")
	var failures atomic.Int64
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		r := rand.New(rand.NewPCG(benchSeed.Add(1), 3))
		req := charging.TopUpRequest{AmountMicros: 1_000_000, Method: "mpesa"}
		cur := ids.cursor()
		for pb.Next() {
			req.Reference = cur.id()
			if _, _, err := f.e.TopUp(f.tenants[r.IntN(len(f.tenants))], req); err != nil && failures.Add(1) == 1 {
				b.Log(err)
			}
		}
	})
	b.StopTimer()
	reportFailures(b, failures.Load())
}

var errSomeFailed = errors.New("some operations failed")

// failures is the last benchmark's failed operations, for the command, which
// runs benchmarks through testing.Benchmark where b.Errorf has no reader.
var failures atomic.Int64

func reportFailures(b *testing.B, n int64) {
	failures.Store(n)
	if n > 0 {
		b.Errorf("%v: %d of %d", errSomeFailed, n, b.N)
	}
}

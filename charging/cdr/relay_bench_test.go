package cdr

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"

	"github.com/salio/salio/charging"
)

// The benchmark can run the broker in a child process (this test binary
// re-executed), as in MEASUREMENTS.md, so that the broker's own work is not
// profiled with the relay's. The two still share the machine's cores.
const kfakeChildEnv = "SALIO_CDR_KFAKE_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(kfakeChildEnv) != "" {
		runKfakeChild()
		return
	}
	os.Exit(m.Run())
}

// runKfakeChild serves a kfake cluster until stdin closes.
func runKfakeChild() {
	opts := []kfake.Opt{kfake.NumBrokers(1), kfake.SeedTopics(testPartitions, "salio.cdrs", "salio.events")}
	if os.Getenv(kfakeChildEnv) == "blackhole" {
		opts = append(opts, kfake.BlackholeProduce())
	}
	c, err := kfake.NewCluster(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	fmt.Println(strings.Join(c.ListenAddrs(), ","))
	io.Copy(io.Discard, os.Stdin)
	c.Close()
}

// childCluster starts a kfake broker in another process and returns its address.
func childCluster(b *testing.B, mode string) []string {
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), kfakeChildEnv+"="+mode)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { stdin.Close(); cmd.Wait() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		b.Fatal(err)
	}
	return strings.Split(strings.TrimSpace(line), ",")
}

// benchLog serves n CDRs built from a pool, as a store would: a fresh slice
// per read.
type benchLog struct {
	pool   []charging.CDR
	n      uint64
	cursor atomic.Uint64
}

func (l *benchLog) ReadCDRs(after uint64, limit int) ([]charging.LoggedCDR, error) {
	if after >= l.n {
		return nil, nil
	}
	m := min(uint64(limit), l.n-after)
	out := make([]charging.LoggedCDR, m)
	for i := range out {
		seq := after + uint64(i) + 1
		out[i] = charging.LoggedCDR{Seq: seq, CDR: l.pool[seq%uint64(len(l.pool))]}
	}
	return out, nil
}
func (l *benchLog) ReadEvents(uint64, int) ([]charging.LoggedEvent, error) { return nil, nil }
func (l *benchLog) Cursor(string) (uint64, error)                          { return 0, nil }
func (l *benchLog) SetCursor(_ string, seq uint64) error                   { l.cursor.Store(seq); return nil }
func (l *benchLog) Park(string, uint64, string) error                      { return nil }
func (l *benchLog) LogHead(string) uint64                                  { return l.n }

// BenchmarkRelay publishes b.N CDRs (~480-byte JSON values, 8 tenants, 4
// partitions, acks=all) from memory to a kfake broker on loopback and
// reports CDRs/s. broker=inproc runs kfake in this process, broker=process
// in a child process; blackhole makes kfake discard what it acknowledges.
//
//	go test -run XXX -bench Relay -benchtime 300000x ./charging/cdr/
func BenchmarkRelay(b *testing.B) {
	for _, bc := range []struct {
		broker  string // inproc | process | process-blackhole
		batch   int
		timeout time.Duration
		codec   string
	}{
		{"inproc", 5000, 2 * time.Millisecond, "lz4"},
		{"inproc", 5000, 2 * time.Millisecond, "none"},
		{"process", 1000, 2 * time.Millisecond, "lz4"},
		{"process", 2000, 2 * time.Millisecond, "lz4"},
		{"process", 5000, 1 * time.Millisecond, "lz4"},
		{"process", 5000, 2 * time.Millisecond, "lz4"},
		{"process", 5000, 5 * time.Millisecond, "lz4"},
		{"process", 5000, 2 * time.Millisecond, "snappy"},
		{"process", 5000, 2 * time.Millisecond, "none"},
		{"process-blackhole", 5000, 2 * time.Millisecond, "lz4"},
	} {
		name := fmt.Sprintf("broker=%s/batch=%d/timeout=%v", bc.broker, bc.batch, bc.timeout)
		name += "/" + bc.codec
		b.Run(name, func(b *testing.B) {
			var addrs []string
			switch bc.broker {
			case "inproc":
				c := newCluster(b)
				defer c.Close()
				addrs = c.ListenAddrs()
			case "process":
				addrs = childCluster(b, "store")
			default:
				addrs = childCluster(b, "blackhole")
			}
			log := &benchLog{pool: makeCDRs(0, 4096), n: uint64(b.N)}
			cfg := testConfig(addrs)
			cfg.BatchSize = bc.batch
			cfg.BatchTimeout = bc.timeout
			cfg.Compression = bc.codec
			r, err := New(log, CDRs, cfg)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			b.ResetTimer()
			start := time.Now()
			if err := r.Start(context.Background()); err != nil {
				b.Fatal(err)
			}
			deadline := start.Add(5 * time.Minute)
			for log.cursor.Load() < log.n {
				if time.Now().After(deadline) {
					b.Fatalf("published %d of %d", log.cursor.Load(), log.n)
				}
				time.Sleep(time.Millisecond)
			}
			el := time.Since(start)
			b.StopTimer()
			r.Stop()
			s := r.Stats()
			if s.Errors != 0 || s.Published != uint64(b.N) {
				b.Fatalf("stats %+v", s)
			}
			b.ReportMetric(float64(b.N)/el.Seconds(), "cdrs/s")
			b.ReportMetric(float64(b.N)/float64(s.Batches), "cdrs/call")
		})
	}
}

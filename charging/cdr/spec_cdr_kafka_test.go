package cdr

import (
	"fmt"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/segmentio/kafka-go"
	"github.com/stretchr/testify/require"
)

// TestSpecCDRKafkaContract pins SPEC 8's Kafka terms on the relays the
// defaults build: topics salio.cdrs and salio.events, acks from all in-sync
// replicas, synchronous writes (each record's outcome decides the cursor),
// and a tenant's records on one partition (the balancer hashes the key).
func TestSpecCDRKafkaContract(t *testing.T) {
	cfg := testConfig([]string{"127.0.0.1:1"})
	for s, topic := range map[Stream]string{CDRs: "salio.cdrs", Events: "salio.events"} {
		r, err := New(newMemLog(), s, cfg)
		require.NoError(t, err)
		require.Equal(t, topic, r.Topic())
		require.Equal(t, kafka.RequireAll, r.writer.RequiredAcks, "acks=all")
		require.False(t, r.writer.Async)
		for _, parts := range [][]int{{0, 1, 2, 3}, {0, 1, 2, 3, 4, 5, 6}} {
			for i := 0; i < 50; i++ {
				msg := kafka.Message{Key: []byte(fmt.Sprintf("tenant-%d", i))}
				first := r.writer.Balancer.Balance(msg, parts...)
				for j := 0; j < 5; j++ {
					require.Equal(t, first, r.writer.Balancer.Balance(msg, parts...), "one tenant, one partition")
				}
			}
		}
	}
}

// TestSpecCDRBacklogMetric: with Kafka unreachable, committed CDRs wait and
// their number is exported as salio_kafka_backlog{log="cdrs"} (SPEC 8).
func TestSpecCDRBacklogMetric(t *testing.T) {
	log := newMemLog()
	cfg := testConfig([]string{fmt.Sprintf("127.0.0.1:%d", freePort(t))}) // nothing listens there
	cfg.WriteTimeout, cfg.DialTimeout = 200*time.Millisecond, 100*time.Millisecond
	cfg.StopTimeout = time.Second
	r := startRelay(t, log, CDRs, cfg)
	reg := prometheus.NewRegistry()
	reg.MustRegister(r.Collectors()...)
	log.appendCDRs(makeCDRs(0, 7)...)
	r.Notify()
	backlog := func() float64 {
		mfs, err := reg.Gather()
		require.NoError(t, err)
		for _, mf := range mfs {
			if mf.GetName() != "salio_kafka_backlog" {
				continue
			}
			for _, m := range mf.GetMetric() {
				for _, l := range m.GetLabel() {
					if l.GetName() == "log" && l.GetValue() == "cdrs" {
						return m.GetGauge().GetValue()
					}
				}
			}
		}
		t.Fatal("no salio_kafka_backlog{log=\"cdrs\"}")
		return 0
	}
	require.Equal(t, float64(7), backlog())
	waitFor(t, 5*time.Second, "a failed attempt", func() bool { return r.Stats().Errors > 0 })
	log.appendCDRs(makeCDRs(7, 3)...)
	require.Equal(t, float64(10), backlog())
	require.Zero(t, log.cursor("kafka.cdrs"), "nothing unacknowledged is skipped")
}

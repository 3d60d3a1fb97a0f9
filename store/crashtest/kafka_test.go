package crashtest

import (
	"context"
	"encoding/json"
	"flag"
	"strings"
	"testing"
	"time"

	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

var kafkaKills = flag.Int("crash.kafka-kills", 6, "SIGKILLs in TestCrashWithKafka")

// TestCrashWithKafka runs the crash rounds with the Kafka relay on, against a
// Kafka-protocol broker (kfake) on loopback, and then reads salio.cdrs with an
// ordinary Kafka client: every CDR of an acknowledged charge must arrive
// (at-least-once), and a duplicate must carry the same id and the same record.
func TestCrashWithKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server")
	}
	cluster, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(4, "salio.cdrs", "salio.events"))
	if err != nil {
		t.Fatal(err)
	}
	defer cluster.Close()
	brokers := strings.Join(cluster.ListenAddrs(), ",")
	s := newServer(t, "--kafka-brokers", brokers)
	reqs := crashRounds(t, s, *kafkaKills)
	want := expectedCDRs(reqs)
	got := consumeCDRs(t, brokers, want, 60*time.Second)
	s.kill()
	missing := 0
	for id := range want {
		if _, ok := got[id]; !ok {
			missing++
			if missing <= 5 {
				t.Errorf("CDR %s of an acknowledged charge never reached Kafka", id)
			}
		}
	}
	dups := 0
	for _, n := range got {
		if n.count > 1 {
			dups++
		}
	}
	t.Logf("%d CDRs expected, %d distinct received, %d delivered more than once (same id and record), %d missing", len(want), len(got), dups, missing)
}

// expectedCDRs returns the CDR ids of every acknowledged event and stop.
func expectedCDRs(reqs []*request) map[string]bool {
	want := map[string]bool{}
	for _, r := range reqs {
		if !r.acked {
			continue
		}
		switch {
		case r.path == "/v1/events":
			if id, _ := r.answer["transaction_id"].(string); id != "" {
				want[id] = true
			}
		case r.path == "/v1/events/batch":
			items, _ := r.answer["results"].([]any)
			for _, it := range items {
				if m, _ := it.(map[string]any); m != nil {
					if id, _ := m["transaction_id"].(string); id != "" {
						want[id] = true
					}
				}
			}
		case strings.HasSuffix(r.path, "/stop"):
			if id, _ := r.answer["cdr_id"].(string); id != "" {
				want[id] = true
			}
		}
	}
	return want
}

type received struct {
	value []byte
	count int
}

// consumeCDRs reads salio.cdrs from the start until every wanted id arrived
// or the timeout passes.
func consumeCDRs(t *testing.T, brokers string, want map[string]bool, timeout time.Duration) map[string]*received {
	cl, err := kgo.NewClient(kgo.SeedBrokers(strings.Split(brokers, ",")...), kgo.ConsumeTopics("salio.cdrs"), kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()))
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	got := map[string]*received{}
	seen := 0
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for seen < len(want) && ctx.Err() == nil {
		fetches := cl.PollFetches(ctx)
		fetches.EachRecord(func(rec *kgo.Record) {
			var c struct {
				ID     string `json:"id"`
				Tenant string `json:"tenant"`
			}
			if err := json.Unmarshal(rec.Value, &c); err != nil {
				t.Errorf("CDR is not JSON: %s", rec.Value)
				return
			}
			if string(rec.Key) != c.Tenant {
				t.Errorf("CDR %s keyed %q, tenant %q", c.ID, rec.Key, c.Tenant)
			}
			if hdr := header(rec, "cdr-id"); hdr != c.ID {
				t.Errorf("CDR %s has header cdr-id %q", c.ID, hdr)
			}
			if prev := got[c.ID]; prev != nil {
				if string(prev.value) != string(rec.Value) {
					t.Errorf("duplicate CDR %s differs:\n%s\n%s", c.ID, prev.value, rec.Value)
				}
				prev.count++
				return
			}
			got[c.ID] = &received{value: rec.Value, count: 1}
			if want[c.ID] {
				seen++
			}
		})
	}
	return got
}

func header(rec *kgo.Record, key string) string {
	for _, h := range rec.Headers {
		if h.Key == key {
			return string(h.Value)
		}
	}
	return ""
}

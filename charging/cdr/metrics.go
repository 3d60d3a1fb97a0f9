package cdr

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Stats is a snapshot of a relay's counters and gauges.
type Stats struct {
	Log   string // "cdrs" | "events"
	Topic string

	Published uint64 // records acknowledged by Kafka (a re-send after a failure counts again)
	Batches   uint64 // WriteMessages calls
	Errors    uint64 // failed publishes, log reads, cursor writes and parks (each attempt)
	Parked    uint64 // records Kafka refused for good, recorded with Log.Park

	Cursor  uint64 // last seq handled (acknowledged or parked) and persisted
	Head    uint64 // Log.LogHead
	Backlog uint64 // Head − Cursor: records committed but not yet published

	// OldestUnpublishedAge is how long ago the oldest record of the batch in
	// flight happened (CDR EndedAt, event At); 0 when nothing is in flight.
	OldestUnpublishedAge time.Duration
	// LastPublishLatency is the duration of the last acknowledged WriteMessages call.
	LastPublishLatency time.Duration
}

// Stats returns the relay's current figures. It calls Log.LogHead.
func (r *Relay) Stats() Stats {
	s := Stats{
		Log:                r.name,
		Topic:              r.topic,
		Published:          r.published.Load(),
		Batches:            r.batches.Load(),
		Errors:             r.errs.Load(),
		Parked:             r.parked.Load(),
		Cursor:             r.cursorSeen.Load(),
		Head:               r.log.LogHead(r.name),
		LastPublishLatency: time.Duration(r.lastLatency.Load()),
	}
	if s.Head > s.Cursor {
		s.Backlog = s.Head - s.Cursor
	}
	if ms := r.oldestMs.Load(); ms != noOldest {
		s.OldestUnpublishedAge = max(time.Since(time.UnixMilli(ms)), 0)
	}
	return s
}

// Collectors returns the relay's Prometheus collectors, labelled
// log="cdrs"|"events" so that both relays register in one registry:
//
//	salio_kafka_published_total                 counter
//	salio_kafka_batches_total                   counter
//	salio_kafka_errors_total                    counter
//	salio_kafka_parked_total                    counter
//	salio_kafka_cursor                          gauge
//	salio_kafka_backlog                         gauge   LogHead − cursor
//	salio_kafka_oldest_unpublished_age_seconds  gauge
//	salio_kafka_last_publish_latency_seconds    gauge
//	salio_kafka_publish_latency_seconds         histogram of WriteMessages calls
func (r *Relay) Collectors() []prometheus.Collector {
	return []prometheus.Collector{r.collector, r.latency}
}

type relayCollector struct {
	r                                    *Relay
	published, batches, errs, parked     *prometheus.Desc
	cursor, backlog, oldest, lastLatency *prometheus.Desc
}

func (r *Relay) initMetrics() {
	labels := prometheus.Labels{"log": r.name}
	d := func(name, help string) *prometheus.Desc {
		return prometheus.NewDesc("salio_kafka_"+name, help, nil, labels)
	}
	r.collector = &relayCollector{
		r:           r,
		published:   d("published_total", "Records acknowledged by Kafka."),
		batches:     d("batches_total", "WriteMessages calls made."),
		errs:        d("errors_total", "Failed publishes, log reads, cursor writes and parks."),
		parked:      d("parked_total", "Records Kafka refused for good and the store parked."),
		cursor:      d("cursor", "Last log sequence number published or parked."),
		backlog:     d("backlog", "Records committed to the log and not yet published."),
		oldest:      d("oldest_unpublished_age_seconds", "Age of the oldest record in flight (0 when none)."),
		lastLatency: d("last_publish_latency_seconds", "Duration of the last acknowledged publish."),
	}
	r.latency = prometheus.NewHistogram(prometheus.HistogramOpts{
		Name:        "salio_kafka_publish_latency_seconds",
		Help:        "Duration of acknowledged WriteMessages calls.",
		ConstLabels: labels,
		Buckets:     []float64{.001, .002, .005, .01, .02, .05, .1, .25, .5, 1, 2.5, 5, 10},
	})
}

func (c *relayCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.published, c.batches, c.errs, c.parked, c.cursor, c.backlog, c.oldest, c.lastLatency} {
		ch <- d
	}
}

func (c *relayCollector) Collect(ch chan<- prometheus.Metric) {
	s := c.r.Stats()
	m := func(d *prometheus.Desc, t prometheus.ValueType, v float64) {
		ch <- prometheus.MustNewConstMetric(d, t, v)
	}
	m(c.published, prometheus.CounterValue, float64(s.Published))
	m(c.batches, prometheus.CounterValue, float64(s.Batches))
	m(c.errs, prometheus.CounterValue, float64(s.Errors))
	m(c.parked, prometheus.CounterValue, float64(s.Parked))
	m(c.cursor, prometheus.GaugeValue, float64(s.Cursor))
	m(c.backlog, prometheus.GaugeValue, float64(s.Backlog))
	m(c.oldest, prometheus.GaugeValue, s.OldestUnpublishedAge.Seconds())
	m(c.lastLatency, prometheus.GaugeValue, s.LastPublishLatency.Seconds())
}

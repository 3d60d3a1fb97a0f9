package store

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the store's Prometheus metrics: what an on-call engineer asks
// first of a durable path (how big are the group commits, how long does the
// fsync take, is anything queued, has the store failed). Pass Observe as
// Options.OnCommit and register Collectors.
type Metrics struct {
	groupEffects *prometheus.HistogramVec
	groupBytes   prometheus.Histogram
	commitSecs   prometheus.Histogram
	stats        *statsCollector
}

// NewMetrics returns the store's metrics; Bind attaches the store once open.
func NewMetrics() *Metrics {
	return &Metrics{
		groupEffects: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "salio_store_group_effects", Help: "Effects per group commit (one fsync each).",
			Buckets: prometheus.ExponentialBuckets(1, 2, 14),
		}, nil),
		groupBytes: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "salio_store_group_bytes", Help: "Bytes per group commit.",
			Buckets: prometheus.ExponentialBuckets(256, 4, 10),
		}),
		commitSecs: prometheus.NewHistogram(prometheus.HistogramOpts{
			Name: "salio_store_commit_seconds", Help: "Time to write and fsync one group commit.",
			Buckets: prometheus.ExponentialBuckets(50e-6, 2, 14),
		}),
		stats: &statsCollector{},
	}
}

// Observe records one group commit (the signature of Options.OnCommit).
func (m *Metrics) Observe(effects, bytes int, syncDur time.Duration) {
	m.groupEffects.WithLabelValues().Observe(float64(effects))
	m.groupBytes.Observe(float64(bytes))
	m.commitSecs.Observe(syncDur.Seconds())
}

// Bind makes the gauges read s.
func (m *Metrics) Bind(s *Store) { m.stats.s = s }

// Collectors returns every metric of the store.
func (m *Metrics) Collectors() []prometheus.Collector {
	return []prometheus.Collector{m.groupEffects, m.groupBytes, m.commitSecs, m.stats}
}

var (
	descQueueDepth = prometheus.NewDesc("salio_store_queue_effects", "Effects waiting for the next group commit.", nil, nil)
	descFailures   = prometheus.NewDesc("salio_store_failures_total", "Failed group commits (the store then fails closed).", nil, nil)
	descFailed     = prometheus.NewDesc("salio_store_failed", "1 when the store has failed closed.", nil, nil)
	descLogHead    = prometheus.NewDesc("salio_store_log_head", "Last durable sequence number of a log (cdrs, events).", []string{"log"}, nil)
	descCommits    = prometheus.NewDesc("salio_store_commits_total", "Group commits.", nil, nil)
	descEffects    = prometheus.NewDesc("salio_store_effects_total", "Effects made durable.", nil, nil)
	descCkpts      = prometheus.NewDesc("salio_store_checkpoints_total", "Checkpoints: deferred wallet, session and usage records written to their keys.", nil, nil)
	descCkptRecs   = prometheus.NewDesc("salio_store_checkpoint_records_total", "Records written by checkpoints (after folding each key's images).", nil, nil)
	descCkptPaced  = prometheus.NewDesc("salio_store_checkpoint_paced_batches_total", "Checkpoint batches written one per group commit, so that no fsync carries more than one (checkpoints too big to pace in half an interval are not).", nil, nil)
	descCkptSecs   = prometheus.NewDesc("salio_store_checkpoint_last_seconds", "How long the last checkpoint took to write.", nil, nil)
	descPending    = prometheus.NewDesc("salio_store_pending_bytes", "Deferred records waiting for the next checkpoint (what a crash would replay).", nil, nil)

	descL0Sublevels = prometheus.NewDesc("salio_store_lsm_l0_sublevels", "Pebble L0 sublevels: grows when compactions fall behind writes.", nil, nil)
	descL0Files     = prometheus.NewDesc("salio_store_lsm_l0_files", "Pebble L0 sstables.", nil, nil)
	descTableBytes  = prometheus.NewDesc("salio_store_lsm_table_bytes", "Bytes in Pebble sstables, all levels.", nil, nil)
	descFlushed     = prometheus.NewDesc("salio_store_lsm_flushed_bytes_total", "Bytes written by Pebble memtable flushes since start.", nil, nil)
	descCompacted   = prometheus.NewDesc("salio_store_lsm_compacted_bytes_total", "Bytes written by Pebble compactions since start (compacted/flushed = write amplification).", nil, nil)
	descDebt        = prometheus.NewDesc("salio_store_lsm_compaction_debt_bytes", "Pebble's estimate of bytes compactions must still write.", nil, nil)
	descActive      = prometheus.NewDesc("salio_store_lsm_compactions_running", "Pebble compactions running now.", nil, nil)
	descWAL         = prometheus.NewDesc("salio_store_wal_bytes_total", "Bytes written to the WAL since start.", nil, nil)
)

// statsCollector reads Store.Stats at scrape time.
type statsCollector struct{ s *Store }

func (c *statsCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descQueueDepth, descFailures, descFailed, descLogHead, descCommits, descEffects,
		descCkpts, descCkptRecs, descCkptPaced, descCkptSecs, descPending,
		descL0Sublevels, descL0Files, descTableBytes, descFlushed, descCompacted, descDebt, descActive, descWAL} {
		ch <- d
	}
}

func (c *statsCollector) Collect(ch chan<- prometheus.Metric) {
	if c.s == nil {
		return
	}
	st := c.s.Stats()
	failed := 0.0
	if st.Failed {
		failed = 1
	}
	ch <- prometheus.MustNewConstMetric(descQueueDepth, prometheus.GaugeValue, float64(st.QueueDepth))
	ch <- prometheus.MustNewConstMetric(descFailures, prometheus.CounterValue, float64(st.Failures))
	ch <- prometheus.MustNewConstMetric(descFailed, prometheus.GaugeValue, failed)
	ch <- prometheus.MustNewConstMetric(descLogHead, prometheus.GaugeValue, float64(st.CDRHead), "cdrs")
	ch <- prometheus.MustNewConstMetric(descLogHead, prometheus.GaugeValue, float64(st.EventHead), "events")
	ch <- prometheus.MustNewConstMetric(descCommits, prometheus.CounterValue, float64(st.Commits))
	ch <- prometheus.MustNewConstMetric(descEffects, prometheus.CounterValue, float64(st.Effects))
	ch <- prometheus.MustNewConstMetric(descCkpts, prometheus.CounterValue, float64(st.Checkpoints))
	ch <- prometheus.MustNewConstMetric(descCkptRecs, prometheus.CounterValue, float64(st.CheckpointRecords))
	ch <- prometheus.MustNewConstMetric(descCkptPaced, prometheus.CounterValue, float64(st.PacedBatches))
	ch <- prometheus.MustNewConstMetric(descCkptSecs, prometheus.GaugeValue, st.LastCheckpoint.Seconds())
	ch <- prometheus.MustNewConstMetric(descPending, prometheus.GaugeValue, float64(st.PendingBytes))
	c.collectLSM(ch)
}

func (c *statsCollector) collectLSM(ch chan<- prometheus.Metric) {
	l := c.s.LSM()
	ch <- prometheus.MustNewConstMetric(descL0Sublevels, prometheus.GaugeValue, float64(l.L0Sublevels))
	ch <- prometheus.MustNewConstMetric(descL0Files, prometheus.GaugeValue, float64(l.L0Files))
	ch <- prometheus.MustNewConstMetric(descTableBytes, prometheus.GaugeValue, float64(l.TableBytes))
	ch <- prometheus.MustNewConstMetric(descFlushed, prometheus.CounterValue, float64(l.FlushedBytes))
	ch <- prometheus.MustNewConstMetric(descCompacted, prometheus.CounterValue, float64(l.CompactedBytes))
	ch <- prometheus.MustNewConstMetric(descDebt, prometheus.GaugeValue, float64(l.CompactionDebt))
	ch <- prometheus.MustNewConstMetric(descActive, prometheus.GaugeValue, float64(l.CompactionsActive))
	ch <- prometheus.MustNewConstMetric(descWAL, prometheus.CounterValue, float64(l.WALBytes))
}

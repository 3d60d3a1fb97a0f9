package store

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	"github.com/stretchr/testify/require"
)

// TestMetrics: group commits are observed and the gauges read the store.
func TestMetrics(t *testing.T) {
	m := NewMetrics()
	opts := testOptions()
	opts.OnCommit = m.Observe
	opts.CheckpointInterval = time.Hour // the one checkpoint is Close's, however slow the machine
	s := openStore(t, t.TempDir(), opts)
	m.Bind(s)
	reg := prometheus.NewRegistry()
	reg.MustRegister(m.Collectors()...)
	require.NoError(t, s.Submit(chargeEffect("acme", 1, 202611)).Wait())
	require.NoError(t, s.Close()) // OnCommit runs after Finish: Close waits for the committer
	require.NoError(t, testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP salio_store_effects_total Effects made durable.
# TYPE salio_store_effects_total counter
salio_store_effects_total 1
# HELP salio_store_log_head Last durable sequence number of a log (cdrs, events).
# TYPE salio_store_log_head gauge
salio_store_log_head{log="cdrs"} 1
salio_store_log_head{log="events"} 1
# HELP salio_store_checkpoints_total Checkpoints: deferred wallet, session and usage records written to their keys.
# TYPE salio_store_checkpoints_total counter
salio_store_checkpoints_total 1
# HELP salio_store_pending_bytes Deferred records waiting for the next checkpoint (what a crash would replay).
# TYPE salio_store_pending_bytes gauge
salio_store_pending_bytes 0
`), "salio_store_effects_total", "salio_store_log_head", "salio_store_checkpoints_total", "salio_store_pending_bytes"))
	n, err := testutil.GatherAndCount(reg, "salio_store_commit_seconds")
	require.NoError(t, err)
	require.Equal(t, 1, n)
}

// TestLSMStats: the Pebble figures count what a flush and a compaction wrote.
func TestLSMStats(t *testing.T) {
	s := openStore(t, t.TempDir(), testOptions())
	for i := range 50 { // two overlapping flushes, so the compaction rewrites rather than moves
		require.NoError(t, s.Submit(chargeEffect("acme", uint64(i+1), 202611)).Wait())
		if i == 24 || i == 49 {
			require.NoError(t, s.db.Flush())
		}
	}
	require.NoError(t, s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true))
	l := s.LSM()
	require.Positive(t, l.FlushedBytes)
	require.Positive(t, l.CompactedBytes)
	require.Positive(t, l.TableBytes)
	require.Positive(t, l.WALBytes)
	require.NoError(t, s.Close())
	require.Equal(t, LSMStats{}, s.LSM(), "closed: zero, not a panic")
}

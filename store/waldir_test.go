package store

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestWALDirMoves opens one store four times with its WAL in its own
// directory, in another, back in the store's and out again. Pebble's Close
// does not flush its memtable, so each run's writes live only in that run's
// WAL: every reopen has to recover the logs from where the previous run put
// them.
func TestWALDirMoves(t *testing.T) {
	dir, walA, walB := t.TempDir(), t.TempDir(), t.TempDir()
	var want int64
	for run, wal := range []string{walA, walB, "", walA} {
		opts := testOptions()
		opts.WALDir = wal
		s, err := Open(dir, opts)
		require.NoError(t, err, "run %d, WAL in %q", run, wal)
		r := recoverAll(t, s)
		if run > 0 {
			require.Equal(t, want, r.wallets["acme"].BalanceMicros, "run %d lost the previous run's charge", run)
		}
		e := chargeEffect("acme", uint64(run+1), 202612)
		submitWait(t, s, e)
		want = e.Wallet.BalanceMicros
		require.NoError(t, s.Close())

		logsIn := wal
		if wal == "" {
			logsIn = dir
		}
		logs, err := filepath.Glob(filepath.Join(logsIn, "*.log"))
		require.NoError(t, err)
		require.NotEmpty(t, logs, "run %d wrote no WAL into %s", run, logsIn)
	}
}

func TestPreviousWALDir(t *testing.T) {
	opts := testOptions()
	require.NoError(t, opts.setDefaults())
	_, ok, err := previousWALDir(&opts, filepath.Join(t.TempDir(), "none"))
	require.NoError(t, err)
	require.False(t, ok, "a store that does not exist yet has no previous WAL directory")

	dir, wal := t.TempDir(), t.TempDir()
	opts.WALDir = wal
	s, err := Open(dir, opts)
	require.NoError(t, err)
	require.NoError(t, s.Close())
	got, ok, err := previousWALDir(&opts, dir)
	require.NoError(t, err)
	require.True(t, ok)
	require.Equal(t, wal, got)
}

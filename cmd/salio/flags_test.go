package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/salio/salio/tariff"
)

// unsetSalioEnv clears every SALIO_* variable for the test (restored after).
func unsetSalioEnv(t *testing.T) {
	for _, kv := range os.Environ() {
		if name, _, _ := strings.Cut(kv, "="); strings.HasPrefix(name, envPrefix) {
			t.Setenv(name, "")
			require.NoError(t, os.Unsetenv(name))
		}
	}
}

func TestFlagDefaults(t *testing.T) {
	unsetSalioEnv(t)
	o, err := parseFlags(nil, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:8080", o.addr)
	require.Equal(t, "./salio-data", o.dataDir)
	require.Empty(t, o.brokers())
	require.Equal(t, filepath.Join("salio-data", "admin.key"), o.adminKeyFile)
	require.Equal(t, "sync", o.durability)
	require.Equal(t, 24*time.Hour, o.retention)
	require.Equal(t, 1<<20, o.maxBodyBytes)
	require.False(t, o.accessLog)
	require.Empty(t, o.walDir, "the WAL lives in the store's directory unless told otherwise")

	var help bytes.Buffer
	require.Equal(t, 0, run([]string{"serve", "--help"}, &bytes.Buffer{}, &help))
	for _, s := range []string{"--addr", "SALIO_ADDR", "127.0.0.1:8080", "--data-dir", "SALIO_DATA_DIR", "./salio-data",
		"--kafka-brokers", "SALIO_KAFKA_BROKERS", "--admin-key-file", "SALIO_ADMIN_KEY_FILE", "<data-dir>/admin.key",
		"--shards", "--durability", "--batch-sync-interval", "--retention", "--checkpoint-interval", "SALIO_CHECKPOINT_INTERVAL",
		"--max-idempotency-records", "--max-body-bytes", "--log-level",
		"--access-log", "SALIO_ADMIN_KEY", "--wal-dir", "SALIO_WAL_DIR"} {
		require.Contains(t, help.String(), s)
	}
}

func TestFlagsEnvOverride(t *testing.T) {
	unsetSalioEnv(t)
	t.Setenv("SALIO_ADDR", "0.0.0.0:9000")
	t.Setenv("SALIO_DATA_DIR", "/tmp/x")
	t.Setenv("SALIO_DURABILITY", "batch")
	t.Setenv("SALIO_ACCESS_LOG", "true")
	t.Setenv("SALIO_KAFKA_BROKERS", "k1:9092, k2:9092")
	t.Setenv("SALIO_WAL_DIR", "/fast/wal")
	o, err := parseFlags([]string{"--addr", "127.0.0.1:1"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Equal(t, "127.0.0.1:1", o.addr, "the flag wins over the environment")
	require.Equal(t, "/tmp/x", o.dataDir)
	require.Equal(t, filepath.Join("/tmp/x", "admin.key"), o.adminKeyFile)
	require.Equal(t, "batch", o.durability)
	require.True(t, o.accessLog)
	require.Equal(t, []string{"k1:9092", "k2:9092"}, o.brokers())
	require.Equal(t, "/fast/wal", o.walDir)

	t.Setenv("SALIO_SHARDS", "3")
	_, err = parseFlags(nil, &bytes.Buffer{})
	require.ErrorContains(t, err, "power of two")
	t.Setenv("SALIO_SHARDS", "many")
	_, err = parseFlags(nil, &bytes.Buffer{})
	require.ErrorContains(t, err, "SALIO_SHARDS")
}

func TestVersionAndCheckTariff(t *testing.T) {
	var out, errb bytes.Buffer
	require.Equal(t, 0, run([]string{"version"}, &out, &errb))
	require.Contains(t, out.String(), "salio ")
	require.Equal(t, 2, run([]string{"nope"}, &out, &errb))
	require.Equal(t, 2, run(nil, &out, &errb))

	dir := t.TempDir()
	good := filepath.Join(dir, "good.json")
	require.NoError(t, os.WriteFile(good, tariff.Standard().Doc, 0o600))
	out.Reset()
	require.Equal(t, 0, run([]string{"check-tariff", good}, &out, &errb), errb.String())
	require.Contains(t, out.String(), `"standard"`)
	bad := filepath.Join(dir, "bad.json")
	doc := strings.Replace(string(tariff.Standard().Doc), `"currency":"USD"`, `"currency":""`, 1)
	require.NoError(t, os.WriteFile(bad, []byte(doc), 0o600))
	errb.Reset()
	require.Equal(t, 1, run([]string{"check-tariff", bad}, &out, &errb))
	require.Contains(t, errb.String(), "currency")
}

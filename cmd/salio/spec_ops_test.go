package main

import (
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/shopspring/decimal"
	"github.com/stretchr/testify/require"
)

// call sends one request with a key and decodes a JSON answer.
func call(t *testing.T, base, key, method, path, body string) (int, map[string]any) {
	t.Helper()
	resp := send(t, method, base+path, key, body)
	defer resp.Body.Close()
	var m map[string]any
	_ = json.NewDecoder(resp.Body).Decode(&m)
	return resp.StatusCode, m
}

// TestSpecOpsFlagsTakeEffect: --data-dir, --admin-key-file and --addr do
// what they say, SALIO_ADMIN_KEY sets the admin key (written 0600 to the
// key file, and replacing an earlier admin key on a later start),
// SALIO_KAFKA_BROKERS empty means Kafka off with CDRs at GET /v1/cdrs, and
// /metrics, /healthz, /readyz need no key (SPEC 7 keys, SPEC 9).
func TestSpecOpsFlagsTakeEffect(t *testing.T) {
	unsetSalioEnv(t)
	const k1, k2 = "sk_spec_ops_admin_key_first_00", "sk_spec_ops_admin_key_second_0"
	t.Setenv("SALIO_ADMIN_KEY", k1)
	t.Setenv("SALIO_KAFKA_BROKERS", "")
	dataDir := filepath.Join(t.TempDir(), "data")
	keyFile := filepath.Join(t.TempDir(), "keys", "the-admin.key")
	args := []string{"--addr", "127.0.0.1:0", "--data-dir", dataDir, "--admin-key-file", keyFile}
	o, err := parseFlags(args, io.Discard)
	require.NoError(t, err)
	var out strings.Builder
	a, err := start(o, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
	require.NoError(t, err)
	base := "http://" + a.addr
	require.True(t, strings.HasPrefix(a.addr, "127.0.0.1:"))
	require.Contains(t, out.String(), "kafka: off")

	fi, err := os.Stat(keyFile)
	require.NoError(t, err)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.Equal(t, k1, strings.TrimSpace(string(raw)))
	_, err = os.Stat(filepath.Join(dataDir, "salio-data"))
	require.True(t, os.IsNotExist(err))
	entries, err := os.ReadDir(dataDir)
	require.NoError(t, err)
	require.NotEmpty(t, entries, "the store lives in --data-dir")

	for _, p := range []string{"/healthz", "/readyz", "/metrics"} {
		code, _ := get(t, base+p, "")
		require.Equal(t, 200, code, p)
	}
	code, _ := call(t, base, "", "GET", "/v1/cdrs", "")
	require.Equal(t, 401, code)
	code, m := call(t, base, k1, "POST", "/v1/tenants", `{"id":"acme","tariff":"standard"}`)
	require.Equal(t, 201, code, "%v", m)
	code, m = call(t, base, k1, "POST", "/v1/tenants/acme/topups", `{"amount":"1","method":"manual","reference":"r1"}`)
	require.Equal(t, 201, code, "%v", m)
	code, m = call(t, base, k1, "POST", "/v1/events", `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","text":"x"}`)
	require.Equal(t, 201, code, "%v", m)
	code, m = call(t, base, k1, "GET", "/v1/cdrs", "")
	require.Equal(t, 200, code, "%v", m)
	require.Len(t, m["items"], 1, "Kafka off: CDRs readable at GET /v1/cdrs")
	require.NoError(t, a.stop())

	// Next start with another SALIO_ADMIN_KEY: that key is the admin's now.
	t.Setenv("SALIO_ADMIN_KEY", k2)
	o, err = parseFlags(args, io.Discard)
	require.NoError(t, err)
	a, err = start(o, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	require.NoError(t, err)
	defer a.stop()
	base = "http://" + a.addr
	code, m = call(t, base, k2, "GET", "/v1/tenants/acme/wallet", "")
	require.Equal(t, 200, code, "%v", m)
	require.Equal(t, "0.980000", m["balance"], "data kept in --data-dir across restarts")
	code, _ = call(t, base, k1, "GET", "/v1/tenants/acme/wallet", "")
	require.Equal(t, 401, code)
	raw, err = os.ReadFile(keyFile)
	require.NoError(t, err)
	require.Equal(t, k2, strings.TrimSpace(string(raw)))
}

// TestSpecOpsEnvVars: each flag's environment variable takes effect when
// the flag is absent (SALIO_ADDR, SALIO_DATA_DIR, SALIO_ADMIN_KEY_FILE).
func TestSpecOpsEnvVars(t *testing.T) {
	unsetSalioEnv(t)
	dataDir := filepath.Join(t.TempDir(), "envdata")
	keyFile := filepath.Join(t.TempDir(), "env.key")
	t.Setenv("SALIO_ADDR", "127.0.0.1:0")
	t.Setenv("SALIO_DATA_DIR", dataDir)
	t.Setenv("SALIO_ADMIN_KEY_FILE", keyFile)
	o, err := parseFlags(nil, io.Discard)
	require.NoError(t, err)
	a, err := start(o, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	require.NoError(t, err)
	defer a.stop()
	raw, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	key := strings.TrimSpace(string(raw))
	code, body := get(t, "http://"+a.addr+"/v1/tariffs/standard", key)
	require.Equal(t, 200, code, body)
	entries, err := os.ReadDir(dataDir)
	require.NoError(t, err)
	require.NotEmpty(t, entries)
}

// TestSpecOpsSIGTERMUnderLoad: SIGTERM while top-ups are in flight: the
// process exits 0, and after a restart every acknowledged top-up is there
// (drained and flushed, SPEC 9), and the money invariant holds: balance =
// Σ top-ups in the history.
func TestSpecOpsSIGTERMUnderLoad(t *testing.T) {
	f := newFixture(t)
	r := f.start(t)
	key := f.adminKey(t)
	code, m := call(t, r.base, key, "POST", "/v1/tenants", `{"id":"acme","tariff":"standard"}`)
	require.Equal(t, 201, code, "%v", m)

	var acked, failed atomic.Int64
	var wg sync.WaitGroup
	stop := make(chan struct{})
	client := &http.Client{}
	for g := 0; g < 4; g++ {
		wg.Add(1)
		go func(g int) {
			defer wg.Done()
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				req, _ := http.NewRequest("POST", r.base+"/v1/tenants/acme/topups",
					strings.NewReader(fmt.Sprintf(`{"amount":"1","method":"manual","reference":"g%d-%d"}`, g, i)))
				req.Header.Set("Authorization", "Bearer "+key)
				resp, err := client.Do(req)
				if err != nil { // refused (listener closed) or cut: this worker is done
					failed.Add(1)
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
				switch resp.StatusCode {
				case 201:
					acked.Add(1)
				default:
					// Anything but a clean answer or a refused connection
					// means a request was cut, not drained.
					t.Errorf("top-up answered %d during shutdown", resp.StatusCode)
				}
			}
		}(g)
	}
	require.Eventually(t, func() bool { return acked.Load() >= 50 }, 20*time.Second, 5*time.Millisecond)
	r.stop(t) // SIGTERM, requires exit 0
	close(stop)
	wg.Wait()
	t.Logf("%d acknowledged, %d failed to connect or were cut", acked.Load(), failed.Load())

	r = f.start(t)
	require.Contains(t, r.out.String(), `msg="salio: recovered" wallets=1 `, "the restart says what it recovered")
	code, w := call(t, r.base, key, "GET", "/v1/tenants/acme/wallet", "")
	require.Equal(t, 200, code, "%v", w)
	bal := decimal.RequireFromString(w["balance"].(string))
	require.True(t, bal.IsInteger(), "each top-up is 1.00: %s", bal)
	require.GreaterOrEqual(t, bal.IntPart(), acked.Load(), "an acknowledged top-up was lost")
	require.LessOrEqual(t, bal.IntPart(), acked.Load()+failed.Load())
	code, txs := call(t, r.base, key, "GET", "/v1/tenants/acme/transactions?limit=1000", "")
	require.Equal(t, 200, code)
	require.Len(t, txs["items"], int(bal.IntPart()), "balance = Σ top-ups")
	r.stop(t)
}

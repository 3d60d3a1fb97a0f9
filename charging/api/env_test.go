package api

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/cockroachdb/pebble/v2/vfs"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/store"
	"github.com/salio/salio/tariff"
)

// testEnv is a real server on 127.0.0.1 (random port) over an engine and an
// in-memory store, with a bootstrap admin key.
type testEnv struct {
	t      *testing.T
	eng    *charging.Engine
	st     *store.Store
	srv    *Server
	reg    *prometheus.Registry
	base   string
	admin  string
	client *http.Client
}

const testAdminKey = "sk_test_admin_key_0123456789"

var envSeq atomic.Int64

func newEnv(t *testing.T) *testEnv { return newEnvOn(t, nil) }

// newEnvOn is newEnv with the engine and the store on clock (nil: the system
// clock): months, invoices and renewals need time to pass.
func newEnvOn(t *testing.T, clock charging.Clock) *testEnv {
	t.Helper()
	opts := store.Options{FS: vfs.NewMem(), Logf: func(string, ...any) {}}
	if clock != nil {
		opts.Now = clock.Now
	}
	st, err := store.Open("/db", opts)
	require.NoError(t, err)
	eng, err := charging.New(charging.Config{Sink: st, Reader: st, IDEpoch: st.BootEpoch(), Shards: 4, Clock: clock})
	require.NoError(t, err)
	require.NoError(t, st.Recover(eng.Restorer()))
	_, err = eng.PutTariff(tariff.Standard().Doc)
	require.NoError(t, err)
	eng.Start()
	_, err = BootstrapAdminKey(eng, testAdminKey, filepath.Join(t.TempDir(), "admin.key"))
	require.NoError(t, err)
	reg := prometheus.NewRegistry()
	srv := New(Config{Engine: eng, Registry: reg, ShutdownTimeout: 5 * time.Second})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	e := &testEnv{t: t, eng: eng, st: st, srv: srv, reg: reg, base: "http://" + ln.Addr().String(),
		admin: testAdminKey, client: &http.Client{Timeout: 10 * time.Second}}
	t.Cleanup(func() {
		require.NoError(t, srv.Shutdown())
		require.NoError(t, <-done)
		eng.Close()
		st.Close()
	})
	e.waitReady()
	return e
}

// waitReady polls /readyz instead of sleeping.
func (e *testEnv) waitReady() {
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if r := e.do("GET", "/readyz", "", ""); r.status == 200 {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	e.t.Fatal("server not ready")
}

// resp is one answer.
type resp struct {
	status int
	raw    []byte
	body   map[string]any
	header http.Header
}

func (r resp) String() string { return fmt.Sprintf("%d %s", r.status, r.raw) }

// str returns a string at a dotted path ("error.field", "wallet.balance").
func (r resp) str(path string) string {
	v := r.get(path)
	s, _ := v.(string)
	return s
}

func (r resp) get(path string) any {
	var cur any = r.body
	for _, p := range strings.Split(path, ".") {
		m, ok := cur.(map[string]any)
		if !ok {
			return nil
		}
		cur = m[p]
	}
	return cur
}

func (r resp) items() []any {
	v, _ := r.get("items").([]any)
	return v
}

// do sends a request; key "" sends no Authorization header.
func (e *testEnv) do(method, path, key, body string) resp {
	e.t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, e.base+path, rd)
	require.NoError(e.t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	hr, err := e.client.Do(req)
	require.NoError(e.t, err)
	defer hr.Body.Close()
	raw, err := io.ReadAll(hr.Body)
	require.NoError(e.t, err)
	r := resp{status: hr.StatusCode, raw: raw, header: hr.Header}
	if len(bytes.TrimSpace(raw)) > 0 && strings.HasPrefix(hr.Header.Get("Content-Type"), "application/json") {
		d := json.NewDecoder(bytes.NewReader(raw))
		d.UseNumber()
		require.NoError(e.t, d.Decode(&r.body), "answer is not JSON: %s", raw)
	}
	return r
}

// must sends a request and requires the status.
func (e *testEnv) must(status int, method, path, key, body string) resp {
	e.t.Helper()
	r := e.do(method, path, key, body)
	require.Equal(e.t, status, r.status, "%s %s: %s", method, path, r.raw)
	return r
}

// tenant creates a tenant on the standard tariff.
func (e *testEnv) tenant(id string, extra string) {
	e.t.Helper()
	body := `{"id":"` + id + `","tariff":"standard"` + extra + `}`
	e.must(201, "POST", "/v1/tenants", e.admin, body)
}

// topUp credits a tenant.
func (e *testEnv) topUp(tenant, amount string) {
	e.t.Helper()
	ref := fmt.Sprintf("ref-%d", envSeq.Add(1))
	e.must(201, "POST", "/v1/tenants/"+tenant+"/topups", e.admin,
		`{"amount":"`+amount+`","method":"manual","reference":"`+ref+`"}`)
}

// key makes a key of role for tenant and returns its secret.
func (e *testEnv) key(role, tenant string) string {
	e.t.Helper()
	r := e.must(201, "POST", "/v1/keys", e.admin, `{"name":"k","role":"`+role+`","tenant":"`+tenant+`"}`)
	return r.str("key")
}

// balance returns a tenant's wallet balance string.
func (e *testEnv) balance(tenant string) string {
	e.t.Helper()
	return e.must(200, "GET", "/v1/tenants/"+tenant+"/wallet", e.admin, "").str("balance")
}

// requireError checks an error answer's status, code and field.
func requireError(t *testing.T, r resp, status int, code, field string) {
	t.Helper()
	require.Equal(t, status, r.status, "%s", r.raw)
	require.Equal(t, code, r.str("error.code"), "%s", r.raw)
	require.NotEmpty(t, r.str("error.message"), "%s", r.raw)
	if field != "" {
		require.Equal(t, field, r.str("error.field"), "%s", r.raw)
	}
}

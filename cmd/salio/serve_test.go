package main

import (
	"bytes"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// buildSalio builds the binary once per test run.
func buildSalio(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "salio")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	require.NoError(t, err, "%s", out)
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer ln.Close()
	return ln.Addr().String()
}

// cleanEnv is the test's environment without any SALIO_* variable.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, envPrefix) {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// lockedBuffer collects a child's output: exec copies into it from its own
// goroutine while the test reads it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// running is a salio serve process.
type running struct {
	cmd    *exec.Cmd
	out    *lockedBuffer
	base   string
	waited chan error
}

func startServe(t *testing.T, bin, dir, addr string) *running {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Dir = dir
	cmd.Env = cleanEnv("SALIO_ADDR=" + addr)
	out := &lockedBuffer{}
	cmd.Stdout, cmd.Stderr = out, out
	require.NoError(t, cmd.Start())
	r := &running{cmd: cmd, out: out, base: "http://" + addr, waited: make(chan error, 1)}
	go func() { r.waited <- cmd.Wait() }()
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(r.base + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return r
			}
		}
		select {
		case err := <-r.waited:
			t.Fatalf("salio exited: %v\n%s", err, out)
		default:
		}
		require.True(t, time.Now().Before(deadline), "not ready: %s", out)
		time.Sleep(20 * time.Millisecond)
	}
}

// stop sends SIGTERM and requires exit 0.
func (r *running) stop(t *testing.T) {
	t.Helper()
	require.NoError(t, r.cmd.Process.Signal(syscall.SIGTERM))
	select {
	case err := <-r.waited:
		require.NoError(t, err, "exit status: %s", r.out)
	case <-time.After(20 * time.Second):
		t.Fatalf("no exit after SIGTERM: %s", r.out)
	}
}

func get(t *testing.T, url, key string) (int, string) {
	t.Helper()
	resp := send(t, "GET", url, key, "")
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// send makes one request with a key (none if "") and a body (none if "").
func send(t *testing.T, method, url, key, body string) *http.Response {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, url, rd)
	require.NoError(t, err)
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	return resp
}

// fixture is a built salio and an empty directory to run `salio serve` in
// on its defaults, as often as a test restarts it.
type fixture struct{ bin, dir, addr string }

func newFixture(t *testing.T) fixture {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs the binary")
	}
	return fixture{bin: buildSalio(t), dir: t.TempDir(), addr: freeAddr(t)}
}

func (f fixture) start(t *testing.T) *running { return startServe(t, f.bin, f.dir, f.addr) }

func (f fixture) keyFile() string { return filepath.Join(f.dir, "salio-data", "admin.key") }

// adminKey reads the admin key the defaults wrote.
func (f fixture) adminKey(t *testing.T) string {
	t.Helper()
	raw, err := os.ReadFile(f.keyFile())
	require.NoError(t, err)
	return strings.TrimSpace(string(raw))
}

// TestServeDefaults runs `salio serve` with no flags in an empty directory:
// the defaults make ./salio-data with a 0600 admin key, the demo tariff is
// loaded, /readyz is 200, and SIGTERM exits 0. A second start keeps the key.
func TestServeDefaults(t *testing.T) {
	f := newFixture(t)
	r := f.start(t)

	keyFile := f.keyFile()
	fi, err := os.Stat(keyFile)
	require.NoError(t, err, "%s", r.out)
	require.Equal(t, os.FileMode(0o600), fi.Mode().Perm())
	raw, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	key := strings.TrimSpace(string(raw))
	require.True(t, strings.HasPrefix(key, "sk_"))

	code, body := get(t, r.base+"/v1/tariffs/standard", key)
	require.Equal(t, 200, code, body)
	require.Contains(t, body, `"id":"standard"`)
	code, _ = get(t, r.base+"/v1/tariffs/standard", "")
	require.Equal(t, 401, code)
	code, _ = get(t, r.base+"/healthz", "")
	require.Equal(t, 200, code)
	code, body = get(t, r.base+"/metrics", "")
	require.Equal(t, 200, code)
	require.Contains(t, body, "salio_http_requests_total")
	r.stop(t)
	// The banner is printed after the listener is up, so /readyz can answer
	// before it is out: read the output once the process has exited.
	require.Contains(t, r.out.String(), keyFile)

	// Restart on the same data: the key stays valid, the file unchanged.
	r = f.start(t)
	raw2, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	require.Equal(t, raw, raw2)
	code, _ = get(t, r.base+"/v1/tariffs/standard", key)
	require.Equal(t, 200, code)
	r.stop(t)
	require.Contains(t, r.out.String(), "unchanged")
}

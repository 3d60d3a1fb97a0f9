package crashtest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/shopspring/decimal"
)

var (
	kills   = flag.Int("crash.kills", 20, "SIGKILLs in TestCrashRecovery")
	workers = flag.Int("crash.workers", 16, "concurrent clients in TestCrashRecovery")
)

const adminKey = "sk_crash_test_admin_key_0123456789"

// request is one mutating call with its idempotency key inside the body. acked
// means the server answered 2xx, so the effect must survive any crash.
type request struct {
	method, path string
	body         []byte
	acked        bool
	status       int
	answer       map[string]any
}

type server struct {
	bin, dir, addr string
	args           []string
	cmd            *exec.Cmd
	client         *http.Client
}

func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "salio")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/salio/salio/cmd/salio")
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("build salio: %v", err)
	}
	return bin
}

func freeAddr(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

func (s *server) start(t *testing.T) {
	t.Helper()
	s.cmd = exec.Command(s.bin, append([]string{"serve", "--addr", s.addr, "--data-dir", s.dir}, s.args...)...)
	s.cmd.Env = append(os.Environ(), "SALIO_ADMIN_KEY="+adminKey)
	logf, _ := os.OpenFile(filepath.Join(s.dir, "..", "server.log"), os.O_CREATE|os.O_APPEND|os.O_WRONLY, 0o644)
	s.cmd.Stdout, s.cmd.Stderr = logf, logf
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := s.client.Get("http://" + s.addr + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatal("server did not become ready")
}

func (s *server) kill() {
	_ = s.cmd.Process.Signal(syscall.SIGKILL)
	_ = s.cmd.Wait()
}

func (s *server) do(ctx context.Context, method, path string, body []byte) (int, map[string]any, error) {
	req, err := http.NewRequestWithContext(ctx, method, "http://"+s.addr+path, bytes.NewReader(body))
	if err != nil {
		return 0, nil, err
	}
	req.Header.Set("Authorization", "Bearer "+adminKey)
	req.Header.Set("Content-Type", "application/json")
	resp, err := s.client.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	if err != nil {
		return 0, nil, err
	}
	var m map[string]any
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &m); err != nil {
			return resp.StatusCode, nil, fmt.Errorf("decode %s: %w", raw, err)
		}
	}
	return resp.StatusCode, m, nil
}

func (s *server) must(t *testing.T, method, path string, body any) map[string]any {
	t.Helper()
	raw, _ := json.Marshal(body)
	if body == nil {
		raw = nil
	}
	code, m, err := s.do(context.Background(), method, path, raw)
	if err != nil || code/100 != 2 {
		t.Fatalf("%s %s: %d %v %v", method, path, code, m, err)
	}
	return m
}

// session is one call as the driver knows it: the last acked request number.
type session struct {
	id, tenant string
	next       int64 // next request number
	granted    int64 // seconds of the last grant: usage never goes beyond it
	open       bool
	pending    *request // last request sent, not known to be answered
}

func TestCrashRecovery(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and kills the server")
	}
	s := newServer(t)
	crashRounds(t, s, *kills)
	s.kill()
}

func newServer(t *testing.T, args ...string) *server {
	dir := t.TempDir()
	return &server{bin: buildBinary(t), dir: filepath.Join(dir, "data"), addr: freeAddr(t), args: args, client: &http.Client{Timeout: 10 * time.Second}}
}

// crashRounds creates tenants, then kills and restarts the server rounds
// times under load, retrying and auditing after each restart. It returns
// every request with its final outcome.
func crashRounds(t *testing.T, s *server, rounds int) []*request {
	s.start(t)
	tenants := []string{"acme", "bongo", "chui", "duma", "eagle", "faru"}
	for _, id := range tenants {
		s.must(t, "POST", "/v1/tenants", map[string]any{"id": id, "tariff": "standard"})
		s.must(t, "POST", "/v1/tenants/"+id+"/topups", map[string]any{"amount": "5.000000", "method": "manual", "reference": "seed"})
	}
	var all []*request
	var sessions []*session
	var acked, unknown int
	var retryTime time.Duration
	rng := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < rounds; round++ {
		reqs, sess := drive(s, tenants, round, time.Duration(100+rng.IntN(400))*time.Millisecond, sessions)
		sessions = sess
		s.kill()
		s.start(t)
		for _, r := range reqs {
			if r.acked {
				acked++
			} else if r.status == 0 {
				unknown++
			}
		}
		all = append(all, reqs...)
		start := time.Now()
		retryUnacked(t, s, reqs)
		retryTime += time.Since(start)
		for _, sess := range sessions { // requests in flight at the kill are resolved now
			if p := sess.pending; p != nil {
				if p.acked {
					settle(sess, p)
				} else {
					sess.pending = nil
					sess.open = sess.open && p.status != 0
				}
			}
		}
		auditMoney(t, s, tenants, sessions)
		if t.Failed() {
			t.Fatalf("round %d failed; server log in %s", round, filepath.Join(s.dir, "..", "server.log"))
		}
	}
	t.Logf("%d kills, %d requests: %d acknowledged before their kill, %d without an answer (retried: at most once); retries took %s",
		rounds, len(all), acked, unknown, retryTime)
	return all
}

// drive runs concurrent clients for d and returns every request sent. The
// server is killed right after, so the last requests of each client are in flight.
func drive(s *server, tenants []string, round int, d time.Duration, prev []*session) ([]*request, []*session) {
	ctx, cancel := context.WithCancel(context.Background())
	var mu sync.Mutex
	var reqs []*request
	sessions := prev
	var wg sync.WaitGroup
	for w := 0; w < *workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			rng := rand.New(rand.NewPCG(uint64(round), uint64(w)))
			for i := 0; ctx.Err() == nil; i++ {
				key := fmt.Sprintf("r%d-w%d-%d", round, w, i)
				tenant := tenants[rng.IntN(len(tenants))]
				var r *request
				var sess *session
				switch op := rng.IntN(11); {
				case op < 2:
					r = post("/v1/tenants/"+tenant+"/topups", map[string]any{"amount": "0.500000", "method": "mpesa", "reference": key})
				case op < 5:
					r = post("/v1/events", map[string]any{"event_id": key, "tenant": tenant, "service": "sms", "destination": "255712345678", "segments": 1 + rng.IntN(3)})
				case op == 10:
					r = batchOf(key, tenants, rng)
				case op < 7:
					sess = &session{id: "call-" + key, tenant: tenant, next: 1}
					r = post("/v1/sessions", map[string]any{"session_id": sess.id, "tenant": tenant, "service": "voice", "direction": "outbound", "destination": "447700900123", "requested_seconds": 60})
				default:
					mu.Lock()
					sess = pickOpen(sessions, rng)
					if sess != nil {
						sess.pending = &request{} // claimed by this worker
					}
					mu.Unlock()
					if sess == nil {
						continue
					}
					body := map[string]any{"request_number": sess.next, "used_seconds": rng.Int64N(sess.granted + 1)}
					path := "/v1/sessions/" + sess.id + "/update"
					if rng.IntN(3) == 0 {
						path = "/v1/sessions/" + sess.id + "/stop"
					} else {
						body["requested_seconds"] = 60
					}
					r = post(path, body)
				}
				mu.Lock()
				reqs = append(reqs, r)
				if sess != nil {
					sess.pending = r
					if strings.HasSuffix(r.path, "/v1/sessions") {
						sessions = append(sessions, sess)
					}
				}
				mu.Unlock()
				send(ctx, s, r)
				mu.Lock()
				if sess != nil && r.acked {
					settle(sess, r)
				}
				mu.Unlock()
			}
		}(w)
	}
	time.Sleep(d)
	go func() { time.Sleep(5 * time.Millisecond); cancel() }()
	s.kill() // mid-flight: some requests are answered, some not
	wg.Wait()
	return reqs, sessions
}

// batchOf is a batch of 2-6 SMS of random tenants: it is made durable with
// one commit, so a kill leaves all of its items or none.
func batchOf(key string, tenants []string, rng *rand.Rand) *request {
	events := make([]map[string]any, 2+rng.IntN(5))
	for i := range events {
		events[i] = map[string]any{"event_id": fmt.Sprintf("%s-%d", key, i), "tenant": tenants[rng.IntN(len(tenants))],
			"service": "sms", "destination": "255712345678", "segments": 1 + rng.IntN(3)}
	}
	return post("/v1/events/batch", map[string]any{"events": events})
}

func pickOpen(sessions []*session, rng *rand.Rand) *session {
	var open []*session
	for _, s := range sessions {
		if s.open && s.pending == nil {
			open = append(open, s)
		}
	}
	if len(open) == 0 {
		return nil
	}
	return open[rng.IntN(len(open))]
}

// settle moves a session's state after an answered request.
func settle(sess *session, r *request) {
	sess.pending = nil
	g, _ := r.answer["granted_seconds"].(float64)
	sess.granted = int64(g)
	switch {
	case strings.HasSuffix(r.path, "/v1/sessions"):
		sess.open = r.status/100 == 2
	case strings.HasSuffix(r.path, "/stop"):
		sess.open = false
		sess.next++
	case strings.HasSuffix(r.path, "/update"):
		sess.next++
	}
}

func post(path string, body map[string]any) *request {
	raw, _ := json.Marshal(body)
	return &request{method: "POST", path: path, body: raw}
}

func send(ctx context.Context, s *server, r *request) {
	code, m, err := s.do(ctx, r.method, r.path, r.body)
	if err != nil {
		return // no answer: unknown outcome
	}
	r.status, r.answer = code, m
	r.acked = code/100 == 2
}

// retryUnacked retries every request whose outcome is unknown (no answer), and
// re-sends every acknowledged one: the first must apply at most once, the
// second must replay the original answer and change nothing.
func retryUnacked(t *testing.T, s *server, reqs []*request) {
	t.Helper()
	latest := map[string]*request{} // session path → its last update or stop
	for _, r := range reqs {
		if sid := sessionOf(r); sid != "" {
			latest[sid] = r
		}
	}
	for _, r := range reqs {
		if r.status != 0 && !r.acked {
			continue // answered with an error: nothing to check
		}
		if sid := sessionOf(r); sid != "" && latest[sid] != r {
			continue // only a session's latest request number may be repeated (SPEC 7)
		}
		code, m, err := s.do(context.Background(), r.method, r.path, r.body)
		if err != nil {
			t.Fatalf("retry %s: %v", r.path, err)
		}
		if r.acked {
			if code != 200 {
				t.Errorf("retry of acknowledged %s %s: status %d %v (want 200 replay)", r.path, r.body, code, m)
				continue
			}
			if !sameAnswer(r.answer, m) {
				t.Errorf("retry of acknowledged %s %s answered %v, originally %v", r.path, r.body, m, r.answer)
			}
			continue
		}
		r.status, r.answer, r.acked = code, m, code/100 == 2
		if r.acked { // a second retry must now replay
			if code2, m2, err := s.do(context.Background(), r.method, r.path, r.body); err != nil || code2 != 200 || !sameAnswer(m, m2) {
				t.Errorf("second retry of %s %s: %d %v %v", r.path, r.body, code2, m2, err)
			}
		}
	}
}

// sessionOf returns the session id of an update or stop, else "".
func sessionOf(r *request) string {
	if !strings.HasPrefix(r.path, "/v1/sessions/") {
		return ""
	}
	return strings.Split(r.path, "/")[3]
}

// sameAnswer compares the fields of an answer that a replay must repeat.
func sameAnswer(a, b map[string]any) bool {
	for _, k := range []string{"transaction_id", "amount", "granted_seconds", "reserved_amount", "charged_amount", "cdr_id", "session_id",
		"transaction", "wallet"} { // the last two: a top-up's answer, the wallet as that top-up left it
		if fmt.Sprint(a[k]) != fmt.Sprint(b[k]) {
			return false
		}
	}
	return sameItems(a["results"], b["results"])
}

// sameItems compares a batch's results: every item charged the first time
// replays its answer (a refused item is no effect, and may be charged now).
func sameItems(a, b any) bool {
	ra, _ := a.([]any)
	rb, _ := b.([]any)
	if len(ra) != len(rb) {
		return false
	}
	for i := range ra {
		item, _ := ra[i].(map[string]any)
		if _, refused := item["error"]; !refused && fmt.Sprint(ra[i]) != fmt.Sprint(rb[i]) {
			return false
		}
	}
	return true
}

// auditMoney checks SPEC 9's invariant for every wallet through the API.
func auditMoney(t *testing.T, s *server, tenants []string, sessions []*session) {
	t.Helper()
	// The server expires a session whose deadline passed (30 s after its
	// grant) on its own, between any two of the audit's reads: a run of
	// more than ~25 rounds reaches the first, and then they expire in
	// bursts, a round's sessions together. So each tenant's open sessions
	// are read before and after its wallet, and the tenant is audited again
	// when they changed in between.
	for _, tenant := range tenants {
		for attempt := 1; ; attempt++ {
			before := openSessions(t, s, tenant, sessions)
			problems := auditWallet(t, s, tenant, before)
			if maps.Equal(before, openSessions(t, s, tenant, sessions)) {
				for _, p := range problems {
					t.Error(p)
				}
				break
			}
			if attempt == 50 {
				t.Fatalf("%s: sessions kept changing during 50 audits", tenant)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
}

// openSession is what the server says of a session the driver thinks open.
type openSession struct {
	tenant            string
	charged, reserved string
}

// openSessions reads every session of tenant the driver thinks open and
// returns those the server says are open, by id.
func openSessions(t *testing.T, s *server, tenant string, sessions []*session) map[string]openSession {
	out := map[string]openSession{}
	for _, sess := range sessions {
		if !sess.open || sess.tenant != tenant {
			continue // the driver's view; a session it wrongly thinks closed breaks the sums below
		}
		code, m, err := s.do(context.Background(), "GET", "/v1/sessions/"+sess.id, nil)
		if err != nil || code == 404 {
			continue // never started
		}
		if m["status"] != "open" {
			continue
		}
		charged, _ := m["charged_amount"].(string)
		reserved, _ := m["reserved_amount"].(string)
		out[sess.id] = openSession{tenant: sess.tenant, charged: charged, reserved: reserved}
	}
	return out
}

// auditWallet checks tenant's wallet against its transactions and open
// sessions; it returns what does not add up.
func auditWallet(t *testing.T, s *server, tenant string, open map[string]openSession) []string {
	var committed, reserved decimal.Decimal
	for _, o := range open {
		committed = committed.Add(dec(t, o.charged))
		reserved = reserved.Add(dec(t, o.reserved))
	}
	w := s.must(t, "GET", "/v1/tenants/"+tenant+"/wallet", nil)
	var sum, charges decimal.Decimal
	cursor := ""
	for {
		page := s.must(t, "GET", "/v1/tenants/"+tenant+"/transactions?limit=1000&cursor="+cursor, nil)
		items, _ := page["items"].([]any)
		for _, it := range items {
			tx := it.(map[string]any)
			amt := dec(t, tx["amount"])
			sum = sum.Add(amt)
			if tx["type"] == "charge" {
				charges = charges.Sub(amt)
			}
		}
		cursor, _ = page["next_cursor"].(string)
		if cursor == "" {
			break
		}
	}
	var problems []string
	balance, lifetime := dec(t, w["balance"]), dec(t, w["lifetime_spend"])
	if !balance.Equal(sum.Sub(committed)) {
		problems = append(problems, fmt.Sprintf("%s: balance %s != Σ transactions %s − open sessions' committed %s", tenant, balance, sum, committed))
	}
	if !lifetime.Equal(charges.Add(committed)) {
		problems = append(problems, fmt.Sprintf("%s: lifetime %s != Σ charges %s + committed %s", tenant, lifetime, charges, committed))
	}
	if r := dec(t, w["reserved"]); !r.Equal(reserved) {
		problems = append(problems, fmt.Sprintf("%s: reserved %s != Σ open reservations %s", tenant, r, reserved))
	}
	if balance.IsNegative() {
		problems = append(problems, fmt.Sprintf("%s: balance %s below zero (outbound only, never beyond grants)", tenant, balance))
	}
	return problems
}

func dec(t *testing.T, v any) decimal.Decimal {
	s, ok := v.(string)
	if !ok {
		t.Fatalf("amount %v is not a string", v)
	}
	d, err := decimal.NewFromString(s)
	if err != nil {
		t.Fatal(err)
	}
	return d
}

var _ = errors.New
var _ = strconv.Itoa

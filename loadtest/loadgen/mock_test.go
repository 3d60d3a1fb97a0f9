package loadgen

import (
	"context"
	"encoding/json"
	"fmt"
	"net"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/valyala/fasthttp"
)

// mockSalio is a tiny in-memory stand-in for the server, with the API's
// shapes and simplified prices, so the generator and the audit are tested
// end to end without the real server. bug injects a lost debit.
type mockSalio struct {
	mu       sync.Mutex
	tenants  map[string]*mockTenant
	sessions map[string]*mockSession
	events   map[string][]byte
	topUps   map[string]bool
	nextTx   int
	bug      bool
	nEvents  int
}

type mockTenant struct {
	balance, reserved, lifetime int64
	open, maxSessions           int
	txs                         []map[string]any
}

type mockSession struct {
	tenant                   string
	reqNum                   int64
	charged, reserved, grant int64
	last                     []byte
}

const mockPerSecond = 1_000 // 0.001 per second of voice

func newMockSalio() *mockSalio {
	return &mockSalio{tenants: map[string]*mockTenant{}, sessions: map[string]*mockSession{},
		events: map[string][]byte{}, topUps: map[string]bool{}}
}

func (m *mockSalio) serve(t *testing.T) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &fasthttp.Server{Handler: m.handle}
	go func() { _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Shutdown() })
	return "http://" + ln.Addr().String()
}

func mockErr(ctx *fasthttp.RequestCtx, status int, code string) {
	ctx.SetStatusCode(status)
	fmt.Fprintf(ctx, `{"error":{"code":%q,"message":"mock","field":""}}`, code)
}

func (m *mockSalio) tx(t *mockTenant, typ string, amount int64, ref string) string {
	m.nextTx++
	id := "tx" + strconv.Itoa(m.nextTx)
	t.txs = append(t.txs, map[string]any{"id": id, "type": typ, "amount": formatMicros(amount), "reference": ref})
	return id
}

func (m *mockSalio) handle(ctx *fasthttp.RequestCtx) {
	m.mu.Lock()
	defer m.mu.Unlock()
	path := string(ctx.Path())
	parts := strings.Split(strings.Trim(path, "/"), "/")
	var body map[string]any
	if ctx.IsPost() {
		if err := json.Unmarshal(ctx.PostBody(), &body); err != nil {
			mockErr(ctx, 400, "invalid_request")
			return
		}
	}
	switch {
	case path == "/readyz" || path == "/metrics":
		ctx.SetBodyString("process_cpu_seconds_total 1\nprocess_resident_memory_bytes 1000\n")
	case path == "/v1/keys":
		ctx.SetStatusCode(201)
		ctx.SetBodyString(`{"id":"k1","key":"switchkey","role":"switch","tenant":"*"}`)
	case path == "/v1/tenants":
		id := body["id"].(string)
		if m.tenants[id] != nil {
			mockErr(ctx, 409, "conflict")
			return
		}
		mt := &mockTenant{}
		if v, ok := body["max_concurrent_sessions"].(float64); ok {
			mt.maxSessions = int(v)
		}
		m.tenants[id] = mt
		ctx.SetStatusCode(201)
		fmt.Fprintf(ctx, `{"id":%q}`, id)
	case len(parts) == 4 && parts[3] == "topups":
		t := m.tenants[parts[2]]
		if t == nil {
			mockErr(ctx, 404, "not_found")
			return
		}
		ref := parts[2] + "/" + body["reference"].(string)
		amt, _ := parseMicros([]byte(body["amount"].(string)))
		if m.topUps[ref] {
			ctx.SetStatusCode(200)
			return
		}
		m.topUps[ref] = true
		t.balance += amt
		m.tx(t, "topup", amt, body["reference"].(string))
		ctx.SetStatusCode(201)
		ctx.SetBodyString(`{"transaction":{},"wallet":{}}`)
	case len(parts) == 4 && parts[3] == "wallet":
		t := m.tenants[parts[2]]
		fmt.Fprintf(ctx, `{"balance":%q,"reserved":%q,"available":%q,"lifetime_spend":%q,"open_sessions":%d,"status":"ok"}`,
			formatMicros(t.balance), formatMicros(t.reserved), formatMicros(t.balance-t.reserved), formatMicros(t.lifetime), t.open)
	case len(parts) == 4 && parts[3] == "transactions":
		t := m.tenants[parts[2]]
		limit, _ := strconv.Atoi(string(ctx.QueryArgs().Peek("limit")))
		limit = min(limit, 7) // small pages, so paging is exercised
		end := len(t.txs)
		if c := string(ctx.QueryArgs().Peek("cursor")); c != "" {
			end, _ = strconv.Atoi(c)
		}
		var items []map[string]any
		for i := end - 1; i >= 0 && len(items) < limit; i-- {
			items = append(items, t.txs[i])
		}
		next := ""
		if start := end - len(items); start > 0 {
			next = strconv.Itoa(start)
		}
		b, _ := json.Marshal(map[string]any{"items": items, "next_cursor": next})
		ctx.SetBody(b)
	case path == "/v1/events":
		status, b := m.event(body)
		ctx.SetStatusCode(status)
		ctx.SetBody(b)
	case path == "/v1/events/batch":
		var out []json.RawMessage
		for _, e := range body["events"].([]any) {
			_, b := m.event(e.(map[string]any))
			out = append(out, b)
		}
		b, _ := json.Marshal(map[string]any{"results": out})
		ctx.SetBody(b)
	case path == "/v1/sessions":
		m.start(ctx, body)
	case len(parts) == 4 && parts[1] == "sessions":
		m.report(ctx, parts[2], parts[3] == "stop", body)
	default:
		mockErr(ctx, 404, "not_found")
	}
}

func (m *mockSalio) event(e map[string]any) (int, []byte) {
	id := e["event_id"].(string)
	if b, ok := m.events[id]; ok {
		return 200, b
	}
	t := m.tenants[e["tenant"].(string)]
	if t == nil {
		return 404, []byte(`{"error":{"code":"not_found","message":"x"}}`)
	}
	var cost, seg int64
	switch e["service"] {
	case "sms":
		if s, ok := e["segments"].(float64); ok {
			seg = int64(s)
		} else {
			n, _ := countSegments(e["text"].(string))
			seg = int64(n)
		}
		cost = 20_000 * seg
	case "whatsapp":
		cost = 10_000
	default:
		cost = 1_000
	}
	if t.balance-t.reserved < cost {
		return 402, []byte(`{"error":{"code":"insufficient_funds","message":"x"}}`)
	}
	m.nEvents++
	t.balance -= cost
	t.lifetime += cost
	if m.bug && m.nEvents%50 == 0 {
		t.balance -= cost // a debit the history never shows
	}
	txID := m.tx(t, "charge", -cost, id)
	b := []byte(fmt.Sprintf(`{"event_id":%q,"amount":%q,"segments":%d,"balance":%q,"transaction_id":%q}`,
		id, formatMicros(cost), seg, formatMicros(t.balance), txID))
	m.events[id] = b
	return 201, b
}

func (m *mockSalio) grant(t *mockTenant, s *mockSession) {
	s.grant = min(300, (t.balance-t.reserved)/mockPerSecond)
	s.reserved = s.grant * mockPerSecond
	t.reserved += s.reserved
}

func (m *mockSalio) start(ctx *fasthttp.RequestCtx, body map[string]any) {
	id := body["session_id"].(string)
	if s := m.sessions[id]; s != nil {
		ctx.SetBody(s.last)
		return
	}
	t := m.tenants[body["tenant"].(string)]
	if t.maxSessions > 0 && t.open >= t.maxSessions {
		mockErr(ctx, 429, "too_many_sessions")
		return
	}
	s := &mockSession{tenant: body["tenant"].(string)}
	m.grant(t, s)
	if s.grant == 0 {
		t.reserved -= s.reserved
		mockErr(ctx, 402, "insufficient_funds")
		return
	}
	t.open++
	m.sessions[id] = s
	s.last = []byte(fmt.Sprintf(`{"session_id":%q,"granted_seconds":%d,"final_unit":%v,"reserved_amount":%q}`,
		id, s.grant, s.grant < 300, formatMicros(s.reserved)))
	ctx.SetStatusCode(201)
	ctx.SetBody(s.last)
}

func (m *mockSalio) report(ctx *fasthttp.RequestCtx, id string, stop bool, body map[string]any) {
	s := m.sessions[id]
	if s == nil {
		mockErr(ctx, 404, "not_found")
		return
	}
	n := int64(body["request_number"].(float64))
	if n == s.reqNum {
		ctx.SetBody(s.last)
		return
	}
	if n != s.reqNum+1 {
		mockErr(ctx, 409, "conflict")
		return
	}
	s.reqNum = n
	t := m.tenants[s.tenant]
	cost := int64(body["used_seconds"].(float64)) * mockPerSecond
	t.reserved -= s.reserved
	t.balance -= cost
	t.lifetime += cost
	s.charged += cost
	if stop {
		t.open--
		m.tx(t, "charge", -s.charged, id)
		s.last = []byte(fmt.Sprintf(`{"session_id":%q,"charged_amount":%q,"termination":"normal"}`, id, formatMicros(s.charged)))
	} else {
		m.grant(t, s)
		s.last = []byte(fmt.Sprintf(`{"session_id":%q,"granted_seconds":%d,"final_unit":%v,"charged_amount":%q}`,
			id, s.grant, s.grant < 300, formatMicros(s.charged)))
	}
	ctx.SetBody(s.last)
}

func mockConfig(target string) Config {
	cfg := Defaults()
	cfg.Target, cfg.AdminKey = target, "admin"
	cfg.Duration, cfg.Concurrency, cfg.Tenants = 700*time.Millisecond, 8, 60
	cfg.BatchSize, cfg.Seed = 10, 42
	cfg.AutoRechargePct = 0 // the mock has no auto-recharge: TestSpawnAutoRecharge runs it on the real server
	return cfg
}

func TestRunMixedAgainstMockPassesAudit(t *testing.T) {
	m := newMockSalio()
	cfg := mockConfig(m.serve(t))
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if testing.Verbose() {
		rep.WriteTable(os.Stdout)
	}
	if !rep.OK() {
		t.Fatalf("failures: %v\naudit: %+v\nerrors: %+v", rep.Failures, rep.Audit, rep.ErrorsBy)
	}
	for _, typ := range []string{"sms", "batch", "whatsapp", "ai", "topup", "call_start", "call_update", "call_stop"} {
		if rep.Type(typ).Count == 0 {
			t.Errorf("no %s requests", typ)
		}
	}
	if rep.Audit.Tenants == 0 || rep.Audit.Transactions == 0 || rep.Derived.SegmentMismatch != 0 {
		t.Errorf("audit %+v, derived %+v", rep.Audit, rep.Derived)
	}
	if rep.Refusals == 0 {
		t.Error("low-funded tenants never met 402/429")
	}
	if !rep.Setup.SwitchKey || rep.Setup.Failed != 0 {
		t.Errorf("setup %+v", rep.Setup)
	}
}

func TestRunScenariosAndOpenLoop(t *testing.T) {
	m := newMockSalio()
	target := m.serve(t)
	for _, sc := range []string{"sms", "call-start", "call-cycle", "batch"} {
		cfg := mockConfig(target)
		cfg.Scenario, cfg.Duration = sc, 300*time.Millisecond
		if sc == "sms" {
			cfg.Rate = 2000 // open loop
		}
		rep, err := Run(context.Background(), cfg)
		if err != nil {
			t.Fatal(sc, err)
		}
		if !rep.OK() {
			t.Errorf("%s: %v %+v", sc, rep.Failures, rep.Audit.Problems)
		}
		switch sc {
		case "sms":
			if n := rep.Type("sms").Count; n < 300 || n > 700 {
				t.Errorf("open loop at 2000/s for 0.3 s sent %d", n)
			}
		case "call-cycle":
			st := rep.Type("call_stop").Count
			if up := rep.Type("call_update").Count; st == 0 || up < st {
				t.Errorf("call-cycle: %d updates for %d stops", up, st)
			}
		case "call-start":
			if rep.Type("call_update").Count != 0 || rep.Type("call_stop").Count == 0 {
				t.Errorf("call-start: %+v", rep.Types)
			}
		case "batch":
			if rep.Derived.BatchItemsPerSec == 0 || rep.Derived.SegmentsPerSec == 0 {
				t.Errorf("batch: %+v", rep.Derived)
			}
		}
	}
}

func TestAuditCatchesLostDebitEndToEnd(t *testing.T) {
	m := newMockSalio()
	m.bug = true
	cfg := mockConfig(m.serve(t))
	cfg.Scenario, cfg.Duration = "sms", 300*time.Millisecond
	rep, err := Run(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if rep.OK() || rep.Audit.Failed == 0 {
		t.Fatalf("the audit missed debits absent from the history: %+v", rep.Audit)
	}
	if !strings.Contains(strings.Join(rep.Audit.Problems, "\n"), "balance") {
		t.Errorf("problems: %v", rep.Audit.Problems)
	}
}

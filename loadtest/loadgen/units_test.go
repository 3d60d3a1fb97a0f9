package loadgen

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestHistogramQuantilesMatchSortedSamples(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	var h Histogram
	samples := make([]time.Duration, 200_000)
	for i := range samples {
		// Lognormal around 300 µs with a tail into tens of ms.
		d := time.Duration(300_000 * math.Exp(r.NormFloat64()*1.2))
		samples[i] = d
		h.Record(d)
	}
	sort.Slice(samples, func(i, j int) bool { return samples[i] < samples[j] })
	for _, q := range []float64{0.5, 0.9, 0.99, 0.999} {
		exact := samples[int(q*float64(len(samples)))-1]
		got := h.Quantile(q)
		if rel := float64(got-exact) / float64(exact); rel > 0.02 || rel < -0.02 {
			t.Errorf("q%.3f: got %v, exact %v (%.2f%% off)", q, got, exact, 100*rel)
		}
	}
	if h.Max() != samples[len(samples)-1] {
		t.Errorf("max %v, want %v", h.Max(), samples[len(samples)-1])
	}
	if h.Count() != uint64(len(samples)) {
		t.Errorf("count %d", h.Count())
	}
}

func TestHistogramSmallAndEdgeValues(t *testing.T) {
	var h Histogram
	if h.Quantile(0.99) != 0 {
		t.Fatal("empty histogram must report 0")
	}
	for i := range 100 {
		h.Record(time.Duration(i + 1)) // 1..100 ns: exact buckets
	}
	if got := h.Quantile(0.5); got != 50 {
		t.Errorf("p50 = %v, want 50ns", got)
	}
	if got := h.Quantile(1); got != 100 {
		t.Errorf("p100 = %v, want 100ns", got)
	}
	h.Record(-5)        // clamps to 0
	h.Record(time.Hour) // beyond the range: last bucket, exact max
	if h.Max() != time.Hour {
		t.Errorf("max %v", h.Max())
	}
	for v := uint64(0); v < 1<<41; v = v*3/2 + 1 {
		i := bucketOf(v)
		lo, w := bucketRange(i)
		if i < histBuckets-1 && (v < lo || v >= lo+w) {
			t.Fatalf("value %d in bucket %d [%d, %d)", v, i, lo, lo+w)
		}
	}
	var m Histogram
	m.Merge(&h)
	if m.Count() != h.Count() || m.Max() != h.Max() || m.Quantile(0.5) != h.Quantile(0.5) {
		t.Error("merge differs")
	}
}

func TestZipfPickerIsSkewedAndInRange(t *testing.T) {
	const n = 1000
	p := newZipfPicker(rand.New(rand.NewPCG(7, 7)), 1.1, n)
	counts := make([]int, n)
	const draws = 500_000
	for range draws {
		i := p.pick()
		if i < 0 || i >= n {
			t.Fatalf("pick %d out of range", i)
		}
		counts[i]++
	}
	// P(k) ∝ (1+k)^-s: rank 0 vs rank 9 is 10^1.1 ≈ 12.6.
	ratio := float64(counts[0]) / float64(counts[9])
	if ratio < 10 || ratio > 16 {
		t.Errorf("count[0]/count[9] = %.1f, want ≈ 12.6", ratio)
	}
	if share := float64(counts[0]) / draws; share < 0.12 || share > 0.25 {
		t.Errorf("hottest tenant has %.1f%% of draws", 100*share)
	}
	if counts[n-1] == 0 && counts[n-2] == 0 && counts[n-3] == 0 {
		t.Error("the tail is never drawn")
	}
	if one := newZipfPicker(rand.New(rand.NewPCG(1, 1)), 1.1, 1); one.pick() != 0 {
		t.Error("one tenant: pick must be 0")
	}
}

func TestParseMix(t *testing.T) {
	mix, err := parseMix("call=40,sms=40,batch=5,whatsapp=5,ai=5,topup=5")
	if err != nil {
		t.Fatal(err)
	}
	r := rand.New(rand.NewPCG(3, 3))
	got := map[opKind]int{}
	for range 100_000 {
		got[pickKind(mix, r.Uint32())]++
	}
	for k, want := range map[opKind]int{opCall: 40_000, opSMS: 40_000, opBatch: 5_000, opTopUp: 5_000} {
		if d := got[k] - want; d > want/10 || d < -want/10 {
			t.Errorf("%s: %d draws, want ≈ %d", opNames[k], got[k], want)
		}
	}
	for _, bad := range []string{"", "fax=1", "sms", "sms=-1", "sms=0"} {
		if _, err := parseMix(bad); err == nil {
			t.Errorf("parseMix(%q) accepted", bad)
		}
	}
	if m, _ := parseMix("sms=1"); pickKind(m, 1<<32-1) != opSMS || pickKind(m, 0) != opSMS {
		t.Error("single-kind mix")
	}
}

func TestSegmentCountsFollowSpecExamples(t *testing.T) {
	cases := []struct {
		text string
		seg  int
		ucs2 bool
	}{
		{"Hello", 1, false},
		{strings.Repeat("a", 160), 1, false},
		{strings.Repeat("a", 161), 2, false},
		{strings.Repeat("a", 159) + "€", 2, false},
		{strings.Repeat("é", 70), 1, false},
		{strings.Repeat("ç", 70), 1, true},
		{strings.Repeat("ç", 71), 2, true},
		{strings.Repeat("a", 152) + "€" + strings.Repeat("a", 152), 3, false},
		{strings.Repeat("a", 66) + "😀" + strings.Repeat("a", 66), 3, true},
		{"", 1, false},
	}
	for _, c := range cases {
		seg, ucs2 := countSegments(c.text)
		if seg != c.seg || ucs2 != c.ucs2 {
			t.Errorf("%.20q…: got %d ucs2=%v, want %d ucs2=%v", c.text, seg, ucs2, c.seg, c.ucs2)
		}
	}
}

func TestMoney(t *testing.T) {
	for s, want := range map[string]int64{"12.500000": 12_500_000, "-0.02": -20_000, "+3": 3_000_000,
		"0.000001": 1, "0": 0, "-5.000000": -5_000_000} {
		if got, err := parseMicros([]byte(s)); err != nil || got != want {
			t.Errorf("parseMicros(%q) = %d, %v; want %d", s, got, err, want)
		}
	}
	for _, s := range []string{"", "-", "1.0000001", "1e3", "abc", ".5x", "1.2.3"} {
		if _, err := parseMicros([]byte(s)); err == nil {
			t.Errorf("parseMicros(%q) accepted", s)
		}
	}
	for v, want := range map[int64]string{0: "0.000000", 1: "0.000001", -20_000: "-0.020000", 12_500_000: "12.500000"} {
		if got := formatMicros(v); got != want {
			t.Errorf("formatMicros(%d) = %s, want %s", v, got, want)
		}
	}
	if roundUpCents(1) != 10_000 || roundUpCents(10_000) != 10_000 || roundUpCents(0) != 0 {
		t.Error("roundUpCents")
	}
}

func TestFieldScan(t *testing.T) {
	b := []byte(`{"session_id":"x","granted_seconds":300,"final_unit":false,"reserved_amount":"0.250000","charged_amount":"1.020000","rate":{"prefix":"2557"}}`)
	if v, ok := fieldInt(b, "granted_seconds"); !ok || v != 300 {
		t.Errorf("granted_seconds = %d %v", v, ok)
	}
	if v, ok := fieldBool(b, "final_unit"); !ok || v {
		t.Errorf("final_unit = %v %v", v, ok)
	}
	if v, ok := fieldMicros(b, "charged_amount"); !ok || v != 1_020_000 {
		t.Errorf("charged_amount = %d %v", v, ok)
	}
	// "amount" must not match inside "reserved_amount" or "charged_amount".
	if _, ok := fieldMicros(b, "amount"); ok {
		t.Error(`"amount" matched a longer key`)
	}
	e := []byte(`{"error":{"code":"insufficient_funds","message":"no","field":""}}`)
	if errorCode(e) != "insufficient_funds" {
		t.Errorf("errorCode = %q", errorCode(e))
	}
	batch := []byte(`{"results":[{"event_id":"a","amount":"0.020000","segments":1},{"error":{"code":"insufficient_funds","message":"x [y], {z}"}},{"event_id":"c","amount":"0.040000"}]}`)
	var items []string
	n := splitArrayItems(batch, "results", func(i int, item []byte) { items = append(items, string(item)) })
	if n != 3 || len(items) != 3 {
		t.Fatalf("split %d items: %q", n, items)
	}
	for _, it := range items {
		if !json.Valid([]byte(it)) {
			t.Errorf("item not valid JSON: %s", it)
		}
	}
	if v, _ := fieldMicros([]byte(items[2]), "amount"); v != 40_000 {
		t.Errorf("third item amount %d", v)
	}
	if splitArrayItems([]byte(`{"results":[]}`), "results", func(int, []byte) {}) != 0 {
		t.Error("empty array")
	}
}

func TestBodiesAreValidJSON(t *testing.T) {
	rs := testRunState(t, 50)
	w := newWorker(rs, 3)
	check := func(name string, b []byte, want map[string]any) {
		t.Helper()
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("%s: %v\n%s", name, err, b)
		}
		for k, v := range want {
			if m[k] != v {
				t.Errorf("%s: %s = %v, want %v", name, k, m[k], v)
			}
		}
	}
	tid := []byte("lt-abc-7")
	for i, txt := range rs.texts {
		b := appendSMSEvent(nil, []byte("e-1"), tid, []byte("255712345678"), &txt, 0, false)
		var m map[string]any
		check("sms text", b, map[string]any{"service": "sms", "tenant": "lt-abc-7"})
		_ = json.Unmarshal(b, &m)
		if seg, _ := countSegments(m["text"].(string)); seg != txt.segments {
			t.Errorf("text %d: decoded text has %d segments, pool says %d", i, seg, txt.segments)
		}
	}
	check("sms segments", appendSMSEvent(nil, []byte("e-2"), tid, []byte("+447700900123"), nil, 3, true),
		map[string]any{"segments": 3.0, "encoding": "ucs2", "destination": "+447700900123"})
	check("whatsapp", appendWhatsAppEvent(nil, []byte("e-3"), tid, []byte("15551234567"), "utility"),
		map[string]any{"service": "whatsapp", "category": "utility"})
	check("ai", appendAIEvent(nil, []byte("e-4"), tid, "gpt-4o-mini", 1200, 350),
		map[string]any{"service": "ai", "model": "gpt-4o-mini", "input_tokens": 1200.0, "output_tokens": 350.0})
	check("topup", appendTopUp(nil, 20_500_000, "mpesa", []byte("r-1")),
		map[string]any{"amount": "20.500000", "method": "mpesa", "reference": "r-1"})
	check("tenant", appendTenant(nil, tid, 2), map[string]any{"id": "lt-abc-7", "tariff": "standard", "max_concurrent_sessions": 2.0})
	check("tenant", appendTenant(nil, tid, 0), map[string]any{"id": "lt-abc-7", "tariff": "standard"})
	check("start", appendSessionStart(nil, []byte("c-1@lt.salio.test"), tid, []byte("255712345678"), true, 120),
		map[string]any{"session_id": "c-1@lt.salio.test", "direction": "inbound", "service": "voice", "requested_seconds": 120.0})
	check("stop", appendSessionReport(nil, 3, 42), map[string]any{"request_number": 3.0, "used_seconds": 42.0})
	if p := string(appendSessionPath(nil, []byte("c-1@x"), "update")); p != "/v1/sessions/c-1@x/update" {
		t.Errorf("path %s", p)
	}
	// A whole batch as a worker builds it.
	w.body = append(w.body[:0], `{"events":[`...)
	for i := range 5 {
		if i > 0 {
			w.body = append(w.body, ',')
		}
		w.body, _ = w.smsBody(w.body, i)
	}
	w.body = append(w.body, "]}"...)
	var batch struct{ Events []map[string]any }
	if err := json.Unmarshal(w.body, &batch); err != nil || len(batch.Events) != 5 {
		t.Fatalf("batch: %v, %d events\n%s", err, len(batch.Events), w.body)
	}
	ids := map[any]bool{}
	for _, e := range batch.Events {
		if ids[e["event_id"]] {
			t.Errorf("event id %v repeated", e["event_id"])
		}
		ids[e["event_id"]] = true
	}
	for _, d := range rs.dests {
		s := strings.TrimPrefix(string(d), "+")
		if len(s) < 8 || len(s) > 32 || strings.Trim(s, "0123456789") != "" {
			t.Fatalf("bad destination %q", d)
		}
	}
}

// testRunState is a runState with no server, for the pure parts.
func testRunState(t *testing.T, tenants int) *runState {
	t.Helper()
	cfg := Defaults()
	cfg.Tenants, cfg.Seed = tenants, 1
	cfg.fillDefaults()
	mix, err := parseMix(cfg.Mix)
	if err != nil {
		t.Fatal(err)
	}
	hc, host, err := newHostClient("http://127.0.0.1:1", 1)
	if err != nil {
		t.Fatal(err)
	}
	return &runState{cfg: cfg, runID: "abc", stats: newStats(), ts: newTenantSet("abc", tenants, 5), mix: mix,
		texts: smsPool(), dests: destinations(rand.New(rand.NewPCG(1, 1)), 256), hc: hc, host: host}
}

func TestTenantSet(t *testing.T) {
	ts := newTenantSet("r1", 100, 5)
	if ts.id(42) != "lt-r1-42" {
		t.Errorf("id %s", ts.id(42))
	}
	low := 0
	for i := range 100 {
		if ts.lowFunded(i) {
			low++
		}
	}
	if low != 5 || ts.lowFunded(0) {
		t.Errorf("%d low-funded, rank 0 low: %v", low, ts.lowFunded(0))
	}
	if newTenantSet("r", 10, 0).lowFunded(19) {
		t.Error("0% must make no tenant low-funded")
	}
}

func TestMetricsParse(t *testing.T) {
	m := parseMetrics([]byte(`# HELP process_cpu_seconds_total x
# TYPE process_cpu_seconds_total counter
process_cpu_seconds_total 12.5
process_resident_memory_bytes 1.048576e+08
salio_cdr_backlog{log="cdrs"} 42
salio_cdr_backlog{log="events"} 0
go_goroutines 17
salio_store_wal_bytes_total 1e+06
salio_store_lsm_flushed_bytes_total 2000
salio_store_lsm_compacted_bytes_total 3000
salio_store_commits_total 100
salio_store_effects_total 1500
salio_store_commit_seconds_bucket{le="0.001"} 90
salio_store_commit_seconds_sum 0.05
salio_store_commit_seconds_count 100
salio_store_lsm_compactions_running 2
`))
	if !m.OK || m.CPUSeconds != 12.5 || m.RSSBytes != 104857600 || m.Backlog[`salio_cdr_backlog{log="cdrs"}`] != 42 || len(m.Backlog) != 2 ||
		m.WALBytes != 1e6 || m.FlushedBytes != 2000 || m.CompactedBytes != 3000 ||
		m.Commits != 100 || m.Effects != 1500 || m.CommitSeconds != 0.05 || m.CompactionsRunning != 2 {
		t.Errorf("%+v", m)
	}
}

func TestServerPhase(t *testing.T) {
	before := ServerMetrics{OK: true, CPUSeconds: 10, WALBytes: 1000, Commits: 100, Effects: 1000, CommitSeconds: 0.1}
	after := ServerMetrics{OK: true, CPUSeconds: 13, RSSBytes: 5, WALBytes: 7000, Commits: 400, Effects: 7000, CommitSeconds: 0.4}
	sp := serverPhase(before, after, 2)
	want := ServerPhase{MetricsOK: true, CPUSeconds: 3, CPUCores: 1.5, RSSBytes: 5, WALBytesPerSec: 3000,
		CommitsPerSec: 150, EffectsPerCommit: 20, CommitMeanMs: 1}
	if sp.CPUCores != want.CPUCores || sp.WALBytesPerSec != want.WALBytesPerSec || sp.CommitsPerSec != want.CommitsPerSec ||
		sp.EffectsPerCommit != want.EffectsPerCommit || math.Abs(sp.CommitMeanMs-want.CommitMeanMs) > 1e-9 {
		t.Errorf("got %+v, want %+v", sp, want)
	}
	// No commits in the phase (a read-only run): no division by zero.
	if sp := serverPhase(before, before, 2); sp.CommitsPerSec != 0 || sp.EffectsPerCommit != 0 || sp.CommitMeanMs != 0 {
		t.Errorf("idle phase: %+v", sp)
	}
}

func TestMachinePhase(t *testing.T) {
	a := parseCPUTicks("cpu  1000 0 200 5000 100 0 50 10 0 0")
	b := parseCPUTicks("cpu  1600 100 500 5200 200 20 80 60 0 0")
	if !a.ok || !b.ok {
		t.Fatal("parse failed")
	}
	// Deltas: user 700, system 300, irq 50, idle 200, iowait 100, steal 50: 1400 in all.
	m := machinePhase(a, b)
	near := func(got, want float64) bool { return math.Abs(got-want) < 1e-9 }
	if !m.OK || !near(m.BusyPct, 75) || !near(m.UserPct, 50) || !near(m.SystemPct, 300.0/14) || !near(m.IRQPct, 50.0/14) ||
		!near(m.IdlePct, 200.0/14) || !near(m.IOWaitPct, 100.0/14) || !near(m.StealPct, 50.0/14) {
		t.Errorf("%+v", m)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3", "cpu 1 2 x 4 5 6 7 8"} {
		if parseCPUTicks(bad).ok {
			t.Errorf("%q parsed", bad)
		}
	}
	if machinePhase(a, cpuTicks{}).OK || machinePhase(a, a).OK {
		t.Error("a phase without two readings or without ticks is not OK")
	}
	if live := readCPUTicks(); runtime.GOOS == "linux" && !live.ok {
		t.Error("/proc/stat not read on Linux")
	}
}

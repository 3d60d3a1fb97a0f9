package api

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/valyala/fasthttp"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// Benchmarks of the hot handlers, driving Handler() on a RequestCtx: the
// API's cost (routing, auth, decoding, encoding) plus the engine's, with a
// DiscardSink (no disk: the store's group commit is measured elsewhere).

func benchServer(b *testing.B) (*Server, string) {
	b.Helper()
	eng, err := charging.New(charging.Config{Sink: charging.DiscardSink{}})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := eng.PutTariff(tariff.Standard().Doc); err != nil {
		b.Fatal(err)
	}
	eng.Start()
	b.Cleanup(eng.Close)
	if _, err := BootstrapAdminKey(eng, testAdminKey, b.TempDir()+"/admin.key"); err != nil {
		b.Fatal(err)
	}
	if _, err := eng.CreateTenant(charging.TenantParams{ID: "acme", Tariff: "standard"}); err != nil {
		b.Fatal(err)
	}
	for i := 0; i < 20; i++ {
		if _, _, err := eng.TopUp("acme", charging.TopUpRequest{AmountMicros: 1_000_000 * 1_000_000,
			Method: "manual", Reference: "bench-" + strconv.Itoa(i)}); err != nil {
			b.Fatal(err)
		}
	}
	return New(Config{Engine: eng}), "Bearer " + testAdminKey
}

// benchRequest prepares ctx for method and uri with the key.
func benchRequest(ctx *fasthttp.RequestCtx, method, uri, auth string) {
	ctx.Request.Header.SetMethod(method)
	ctx.Request.SetRequestURI(uri)
	ctx.Request.Header.Set("Authorization", auth)
	ctx.Request.Header.SetContentType("application/json")
}

// setID writes n as 12 digits at body[at:].
func setID(body []byte, at int, n int) {
	for i := at + 11; i >= at; i-- {
		body[i] = byte('0' + n%10)
		n /= 10
	}
}

func BenchmarkEventDebit(b *testing.B) {
	s, auth := benchServer(b)
	h := s.Handler()
	body := []byte(`{"event_id":"e000000000000","tenant":"acme","service":"sms","destination":"255712345678","text":"Hello there"}`)
	at := len(`{"event_id":"e`)
	var ctx fasthttp.RequestCtx
	benchRequest(&ctx, "POST", "/v1/events", auth)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		setID(body, at, i)
		ctx.Request.SetBody(body)
		ctx.Response.Reset()
		h(&ctx)
		if ctx.Response.StatusCode() != 201 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

func BenchmarkSessionStart(b *testing.B) {
	s, auth := benchServer(b)
	h := s.Handler()
	body := []byte(`{"session_id":"s000000000000@pc33.example.com","tenant":"acme","service":"voice","direction":"outbound","destination":"255712345678","requested_seconds":60}`)
	at := len(`{"session_id":"s`)
	var ctx fasthttp.RequestCtx
	benchRequest(&ctx, "POST", "/v1/sessions", auth)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		setID(body, at, i)
		ctx.Request.SetBody(body)
		ctx.Response.Reset()
		h(&ctx)
		if ctx.Response.StatusCode() != 201 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkSessionStartStop is one whole short call: start and stop.
func BenchmarkSessionStartStop(b *testing.B) {
	s, auth := benchServer(b)
	h := s.Handler()
	start := []byte(`{"session_id":"s000000000000","tenant":"acme","service":"voice","direction":"outbound","destination":"255712345678","requested_seconds":60}`)
	at := len(`{"session_id":"s`)
	uri := []byte("/v1/sessions/s000000000000/stop")
	uriAt := len("/v1/sessions/s")
	stop := []byte(`{"request_number":1,"used_seconds":42}`)
	var ctx fasthttp.RequestCtx
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		setID(start, at, i)
		benchRequest(&ctx, "POST", "/v1/sessions", auth)
		ctx.Request.SetBody(start)
		ctx.Response.Reset()
		h(&ctx)
		if ctx.Response.StatusCode() != 201 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
		setID(uri, uriAt, i)
		ctx.Request.SetRequestURIBytes(uri)
		ctx.Request.SetBody(stop)
		ctx.Response.Reset()
		h(&ctx)
		if ctx.Response.StatusCode() != 200 {
			b.Fatalf("%d %s", ctx.Response.StatusCode(), ctx.Response.Body())
		}
	}
}

// BenchmarkDecodeEvent is the decoder alone.
func BenchmarkDecodeEvent(b *testing.B) {
	body := []byte(`{"event_id":"e000000000000","tenant":"acme","service":"sms","destination":"255712345678","text":"Hello there"}`)
	var d decoder
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		d.reset(body, defaultMaxTopUpMicros)
		var r charging.EventRequest
		if err := d.decodeEvent(&r); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkDecodeBatch decodes a batch of 100 SMS events with texts of 60 to
// 300 characters, as the load test's batch scenario sends them.
func BenchmarkDecodeBatch(b *testing.B) {
	var body strings.Builder
	body.WriteString(`{"events":[`)
	for i := range 100 {
		if i > 0 {
			body.WriteByte(',')
		}
		text := strings.Repeat("Your code is 4821. Reply STOP to opt out. ", 1+i%7)
		fmt.Fprintf(&body, `{"event_id":"batch-e%08d","tenant":"tenant-00042","service":"sms","destination":"255712345678","text":%q}`, i, text)
	}
	body.WriteString(`]}`)
	raw := []byte(body.String())
	var d decoder
	var items []batchItem
	b.ReportAllocs()
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		d.reset(raw, defaultMaxTopUpMicros)
		var err *apiError
		if items, err = d.decodeBatch(items); err != nil {
			b.Fatal(err)
		}
	}
}

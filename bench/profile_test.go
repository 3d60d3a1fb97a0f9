package main

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/salio/salio/loadtest/loadgen"
)

const pprofTop = `File: salio
Type: cpu
Time: 2026-12-03 05:53:46 UTC
Duration: 10.02s, Total samples = 16.52s (164.84%)
Showing nodes accounting for 12.16s, 73.61% of 16.52s total
      flat  flat%   sum%        cum   cum%
     0.05s   0.3%   0.3%      7.31s 46.38%  github.com/valyala/fasthttp.(*Server).serveConn
     0.01s  0.06%  0.36%      6.81s 43.21%  github.com/salio/salio/charging/api.(*Server).handle
     0.01s  0.06%  0.42%      3.91s 24.81%  github.com/cockroachdb/pebble/v2.(*DB).compact
     0.01s  0.06%  0.48%      1.44s  9.14%  github.com/cockroachdb/pebble/v2.(*DB).flush
         0     0%  0.48%      0.09s  0.57%  runtime.gcBgMarkWorker
`

func TestParsePprofTop(t *testing.T) {
	p, err := parsePprofTop([]byte(pprofTop))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]float64{
		profileBuckets[0].name:                 43.21,
		profileBuckets[1].name:                 46.38 - 43.21,
		"Pebble compactions":                   24.81,
		"Pebble WAL writer (write, fdatasync)": 0,
	}
	for k, v := range want {
		if d := p.Shares[k] - v; d > 1e-9 || d < -1e-9 {
			t.Errorf("%s: %.2f, want %.2f", k, p.Shares[k], v)
		}
	}
	if p.Cores != 1.6484 || p.Other < 19.05 || p.Other > 19.15 {
		t.Errorf("cores %v, other %v", p.Cores, p.Other)
	}
	if _, err := parsePprofTop([]byte("no profile here")); err == nil {
		t.Error("an empty profile parsed")
	}
}

// TestHTTPLayers runs the no-op and server layers for one short scenario and
// requires both rows and the report's CPU breakdown, from a real profile of
// the real server.
func TestHTTPLayers(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and loads the real server")
	}
	module, err := loadgen.FindModule()
	if err != nil {
		t.Skip(err)
	}
	bin, err := loadgen.BuildSalio(module, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	o := options{duration: 2 * time.Second, concurrency: 8, tenants: 50, batchSize: 10,
		scenarios: []string{"sms"}, salioBin: bin, profile: true, profileDir: t.TempDir(),
		layers: map[string]bool{"noop": true, "server": true}}
	res := newResults(o)
	runHTTPLayers(context.Background(), o, res)
	if res.Noop["sms"] == nil || res.Server["sms"] == nil {
		t.Fatalf("rows missing: no-op %v, server %v; notes: %v", res.Noop["sms"], res.Server["sms"], res.Notes)
	}
	p := res.Profiles["sms"]
	if p == nil {
		t.Fatalf("no profile; notes: %v", res.Notes)
	}
	if p.Shares[profileBuckets[0].name] <= 0 || p.Cores <= 0 {
		t.Errorf("the handler took no CPU: %+v", p)
	}
	if md := res.markdown(); !strings.Contains(md, "### Where the server's CPU went") {
		t.Errorf("markdown lacks the profile table:\n%s", md)
	}
}

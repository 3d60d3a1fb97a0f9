package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The server layer takes a CPU profile of the server during each scenario's
// load phase and sums it into the places an engineer asks about first: the
// handler, the connection, Pebble's background work, the store's goroutines
// and the garbage collector. So the report says why a goal is missed, run
// after run, without anyone opening pprof.

// profileBucket is where the CPU went: the cumulative share of the root
// functions (which do not call one another), less that of sub.
type profileBucket struct {
	name  string
	roots []string
	sub   string
}

var profileBuckets = []profileBucket{
	{name: "HTTP handler (JSON, engine, submit to the store, wait)", roots: []string{"github.com/salio/salio/charging/api.(*Server).handle"}},
	{name: "fasthttp around the handler (socket reads, writes)", roots: []string{"github.com/valyala/fasthttp.(*Server).serveConn"},
		sub: "github.com/salio/salio/charging/api.(*Server).handle"},
	{name: "store committer (seal a group, Pebble commit)", roots: []string{"github.com/salio/salio/store.(*Store).committer"}},
	{name: "Pebble WAL writer (write, fdatasync)", roots: []string{"github.com/cockroachdb/pebble/v2/record.(*LogWriter).flushLoop"}},
	{name: "store checkpointer", roots: []string{"github.com/salio/salio/store.(*Store).checkpointer"}},
	{name: "Pebble memtable flushes", roots: []string{"github.com/cockroachdb/pebble/v2.(*DB).flush"}},
	{name: "Pebble compactions", roots: []string{"github.com/cockroachdb/pebble/v2.(*DB).compact"}},
	{name: "garbage collector", roots: []string{"runtime.gcBgMarkWorker"}},
}

// cpuProfile is one scenario's profile, summed.
type cpuProfile struct {
	Cores  float64            `json:"cores"`  // profiled CPU per second
	Shares map[string]float64 `json:"shares"` // bucket → percent of the samples
	Other  float64            `json:"other"`  // scheduler, runtime, relay, the rest
	Path   string             `json:"path,omitempty"`
}

// profileServer fetches a CPU profile of seconds from the pprof server at
// addr into path and sums it; it runs beside the load.
func profileServer(ctx context.Context, addr string, seconds int, path string) (*cpuProfile, error) {
	url := fmt.Sprintf("http://%s/debug/pprof/profile?seconds=%d", addr, seconds)
	req, err := http.NewRequestWithContext(ctx, "GET", url, nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		return nil, fmt.Errorf("pprof: %s", resp.Status)
	}
	f, err := os.Create(path)
	if err != nil {
		return nil, err
	}
	if _, err := io.Copy(f, io.LimitReader(resp.Body, 256<<20)); err != nil {
		f.Close()
		return nil, err
	}
	if err := f.Close(); err != nil {
		return nil, err
	}
	return summarizeProfile(path)
}

// summarizeProfile reads `go tool pprof -top -cum` of the profile at path
// (Go profiles carry their symbols: no binary needed).
func summarizeProfile(path string) (*cpuProfile, error) {
	out, err := exec.Command("go", "tool", "pprof", "-top", "-cum", "-nodecount=2000", path).Output()
	if err != nil {
		return nil, fmt.Errorf("go tool pprof: %w", err)
	}
	p, err := parsePprofTop(out)
	if err == nil {
		p.Path = path
	}
	return p, err
}

// parsePprofTop sums `pprof -top -cum` text into the buckets.
func parsePprofTop(out []byte) (*cpuProfile, error) {
	cum := map[string]float64{}
	p := &cpuProfile{Shares: map[string]float64{}}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if pct, ok := strings.CutPrefix(line, "Duration: "); ok {
			// "Duration: 10.02s, Total samples = 16.52s (164.84%)"
			if i, j := strings.LastIndexByte(pct, '('), strings.LastIndexByte(pct, '%'); i >= 0 && j > i {
				v, _ := strconv.ParseFloat(pct[i+1:j], 64)
				p.Cores = v / 100
			}
			continue
		}
		f := strings.Fields(line)
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		v, err := strconv.ParseFloat(strings.TrimSuffix(f[4], "%"), 64)
		if err != nil {
			continue
		}
		cum[strings.Join(f[5:], " ")] = v
	}
	if len(cum) == 0 {
		return nil, fmt.Errorf("pprof: no samples")
	}
	total := 0.0
	for _, b := range profileBuckets {
		v := -cum[b.sub]
		for _, r := range b.roots {
			v += cum[r]
		}
		v = max(v, 0)
		p.Shares[b.name] = v
		total += v
	}
	p.Other = max(100-total, 0)
	return p, nil
}

// profileDuring returns an OnLoad hook that profiles the server for the
// load phase (its length less a second, so the profile ends inside it), and
// a function that waits for the result.
func profileDuring(ctx context.Context, addr string, load time.Duration, dir, scenario string) (onLoad func(), result func() (*cpuProfile, error)) {
	done := make(chan struct{})
	var prof *cpuProfile
	var err error
	started := false // onLoad runs on Run's goroutine, before Run returns
	onLoad = func() {
		started = true
		go func() {
			defer close(done)
			seconds := max(1, int(load.Seconds())-1)
			prof, err = profileServer(ctx, addr, seconds, filepath.Join(dir, "server-"+scenario+".pprof"))
		}()
	}
	result = func() (*cpuProfile, error) {
		if !started {
			return nil, fmt.Errorf("the load phase did not start")
		}
		select {
		case <-done:
		case <-ctx.Done():
			return nil, ctx.Err()
		}
		return prof, err
	}
	return onLoad, result
}

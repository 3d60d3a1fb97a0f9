package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"time"

	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/salio/salio/loadtest/loadgen"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"
)

// The no-op server answers every route of the load with canned JSON of the
// real answers' size and does nothing else: what is left is HTTP parsing,
// the loopback and the generator, the ceiling any server here can reach.

// Canned answers, shaped like the real ones so that the generator reads the
// same fields and the bytes on the wire are alike.
var (
	noopEvent = []byte(`{"event_id":"e-000000-0-1","amount":"0.020000","quantity":"1.000000","unit":"segment",` +
		`"balance":"99.980000","transaction_id":"1-1234567","encoding":"gsm7"}`)
	noopStart = []byte(`{"session_id":"c-000000-0-1@lt.salio.test","granted_seconds":300,"final_unit":false,` +
		`"validity_seconds":330,"reserved_amount":"0.150000","rate":{"prefix":"2557","per_minute":"0.020000",` +
		`"connection_fee":"0.005000","initial_increment":30,"subsequent_increment":6},"tier":"bronze"}`)
	noopUpdate = []byte(`{"session_id":"c-000000-0-1@lt.salio.test","granted_seconds":300,"final_unit":false,` +
		`"validity_seconds":330,"reserved_amount":"0.150000","charged_amount":"0.025000","tier":"bronze"}`)
	noopStop = []byte(`{"session_id":"c-000000-0-1@lt.salio.test","usage_seconds":120,"billed_seconds":120,` +
		`"charged_amount":"0.045000","cdr_id":"1-7654321","termination":"normal"}`)
	noopOK = []byte(`{"ok":true}`)
)

// noopBatch is a batch answer of n results.
func noopBatch(n int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"results":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		b.Write(noopEvent)
	}
	b.WriteString("]}")
	return b.Bytes()
}

// serveNoop runs the no-op server until killed.
func serveNoop(addr string, batchSize int) error {
	batch := noopBatch(batchSize)
	metrics := fasthttpadaptor.NewFastHTTPHandler(promhttp.Handler())
	h := func(ctx *fasthttp.RequestCtx) {
		p := ctx.Path()
		ctx.SetContentType("application/json")
		switch {
		case string(p) == "/metrics":
			metrics(ctx)
		case string(p) == "/v1/events":
			ctx.SetStatusCode(201)
			ctx.SetBody(noopEvent)
		case string(p) == "/v1/events/batch":
			ctx.SetBody(batch)
		case string(p) == "/v1/sessions":
			ctx.SetStatusCode(201)
			ctx.SetBody(noopStart)
		case bytes.HasSuffix(p, []byte("/update")):
			ctx.SetBody(noopUpdate)
		case bytes.HasSuffix(p, []byte("/stop")):
			ctx.SetBody(noopStop)
		case bytes.HasSuffix(p, []byte("/topups")):
			ctx.SetStatusCode(201)
			ctx.SetBody(noopOK)
		default:
			ctx.SetBody(noopOK)
		}
	}
	srv := &fasthttp.Server{Handler: h, Name: "noop", ReadBufferSize: 16 << 10}
	return srv.ListenAndServe(addr)
}

// noopChild is the no-op server in a child process: like the real server, it
// must not share the generator's process (its scheduler, its GC).
type noopChild struct {
	URL string
	cmd *exec.Cmd
}

func startNoop(batchSize int) (*noopChild, error) {
	exe, err := os.Executable()
	if err != nil {
		return nil, err
	}
	addr, err := loadgen.FreeAddr()
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(exe, "--serve-noop", addr, "--batch-size", strconv.Itoa(batchSize))
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	c := &noopChild{URL: "http://" + addr, cmd: cmd}
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		resp, err := http.Get(c.URL + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			return c, nil
		}
	}
	c.stop()
	return nil, fmt.Errorf("no-op server did not start on %s", addr)
}

func (c *noopChild) stop() {
	_ = c.cmd.Process.Signal(syscall.SIGTERM)
	_ = c.cmd.Wait()
}

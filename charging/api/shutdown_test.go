package api

import (
	"bytes"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/require"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// gateSink holds top-ups' commits until the gate opens: a request that is
// in flight for as long as the test wants.
type gateSink struct {
	once    sync.Once
	gate    *charging.Commit
	entered chan struct{}
}

func (s *gateSink) Submit(e *charging.Effect) *charging.Commit {
	if e.TopUp == nil {
		return charging.DiscardSink{}.Submit(e)
	}
	s.once.Do(func() { close(s.entered) })
	return s.gate
}

// TestShutdownDrains: Shutdown stops accepting, waits for the request in
// flight, which gets its answer, then returns; /readyz says 503 meanwhile.
func TestShutdownDrains(t *testing.T) {
	sink := &gateSink{gate: charging.NewCommit(), entered: make(chan struct{})}
	eng, err := charging.New(charging.Config{Sink: sink})
	require.NoError(t, err)
	_, err = eng.PutTariff(tariff.Standard().Doc)
	require.NoError(t, err)
	eng.Start()
	defer eng.Close()
	_, err = BootstrapAdminKey(eng, testAdminKey, t.TempDir()+"/admin.key")
	require.NoError(t, err)
	_, err = eng.CreateTenant(charging.TenantParams{ID: "acme", Tariff: "standard"})
	require.NoError(t, err)
	var logs bytes.Buffer
	logger := slog.New(slog.NewTextHandler(&logs, nil))
	srv := New(Config{Engine: eng, Registry: prometheus.NewRegistry(), Logger: logger, AccessLog: true})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	base := "http://" + ln.Addr().String()

	got := make(chan int, 1)
	go func() {
		req, _ := http.NewRequest("POST", base+"/v1/tenants/acme/topups",
			strings.NewReader(`{"amount":"5","method":"manual","reference":"r1"}`))
		req.Header.Set("Authorization", "Bearer "+testAdminKey)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			got <- 0
			return
		}
		resp.Body.Close()
		got <- resp.StatusCode
	}()
	<-sink.entered
	down := make(chan error, 1)
	go func() { down <- srv.Shutdown() }()
	// Poll until the listener is closed: new connections are refused.
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 5*time.Millisecond)
	select {
	case <-down:
		t.Fatal("Shutdown returned with a request in flight")
	default:
	}
	sink.gate.Finish(nil)
	require.Equal(t, 201, <-got)
	require.NoError(t, <-down)
	require.NoError(t, <-served)

	// The access log names the route and the key id, never the secret.
	require.Contains(t, logs.String(), "route=/v1/tenants/{t}/topups")
	require.Contains(t, logs.String(), "status=201")
	require.Contains(t, logs.String(), "key="+BootstrapKeyID)
	require.NotContains(t, logs.String(), testAdminKey)
}

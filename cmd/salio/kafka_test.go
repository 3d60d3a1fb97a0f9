package main

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kfake"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestServeWithKafka runs the server in-process with --kafka-brokers on a
// fake cluster: an event's CDR reaches salio.cdrs, keyed by tenant, with
// its cdr-id header; SIGTERM's path (stop) then shuts everything down.
func TestServeWithKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a fake Kafka cluster")
	}
	unsetSalioEnv(t)
	const adminKey = "sk_kafka_test_admin_key_000"
	t.Setenv("SALIO_ADMIN_KEY", adminKey)
	c, err := kfake.NewCluster(kfake.NumBrokers(1), kfake.SeedTopics(1, "salio.cdrs", "salio.events"))
	require.NoError(t, err)
	defer c.Close()
	o, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--kafka-brokers", strings.Join(c.ListenAddrs(), ",")}, io.Discard)
	require.NoError(t, err)
	var out bytes.Buffer
	a, err := start(o, slog.New(slog.NewTextHandler(io.Discard, nil)), &out)
	require.NoError(t, err)
	stopped := false
	defer func() {
		if !stopped {
			a.stop()
		}
	}()
	require.Contains(t, out.String(), "kafka: publishing")
	base := "http://" + a.addr

	post := func(path, body string, want int) {
		req, _ := http.NewRequest("POST", base+path, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+adminKey)
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		require.Equal(t, want, resp.StatusCode, "%s", b)
	}
	post("/v1/tenants", `{"id":"acme","tariff":"standard"}`, 201)
	post("/v1/tenants/acme/topups", `{"amount":"5","method":"manual","reference":"r1"}`, 201)
	post("/v1/events", `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","text":"hi"}`, 201)

	cl, err := kgo.NewClient(kgo.SeedBrokers(c.ListenAddrs()...), kgo.ConsumeTopics("salio.cdrs"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var rec *kgo.Record
	for rec == nil {
		fs := cl.PollFetches(ctx)
		require.NoError(t, ctx.Err(), "no CDR on salio.cdrs")
		fs.EachRecord(func(r *kgo.Record) { rec = r })
	}
	require.Equal(t, "acme", string(rec.Key))
	require.Contains(t, string(rec.Value), `"event_id":"e1"`)
	require.Len(t, rec.Headers, 1)
	require.Equal(t, "cdr-id", rec.Headers[0].Key)

	stopped = true
	require.NoError(t, a.stop())
}

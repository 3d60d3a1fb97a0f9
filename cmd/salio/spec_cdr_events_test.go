package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"github.com/twmb/franz-go/pkg/kgo"
)

// TestSpecCDRWalletEventsToKafka: wallet events go to topic salio.events the
// way CDRs go to salio.cdrs: key = tenant, JSON value, an id header equal
// to the JSON id, in commit order per tenant (SPEC 8, last paragraph).
func TestSpecCDRWalletEventsToKafka(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a fake Kafka cluster")
	}
	unsetSalioEnv(t)
	const adminKey = "sk_spec_events_admin_key_0000"
	t.Setenv("SALIO_ADMIN_KEY", adminKey)
	port := freePort(t)
	c := newCluster(t, port)
	defer c.Close()
	o, err := parseFlags([]string{"--addr", "127.0.0.1:0", "--data-dir", t.TempDir(),
		"--kafka-brokers", "127.0.0.1:" + strconv.Itoa(port)}, io.Discard)
	require.NoError(t, err)
	a, err := start(o, slog.New(slog.NewTextHandler(io.Discard, nil)), io.Discard)
	require.NoError(t, err)
	defer a.stop()
	base := "http://" + a.addr
	post := func(path, body string, want int) {
		t.Helper()
		code, m := call(t, base, adminKey, "POST", path, body)
		require.Equal(t, want, code, "%v", m)
	}
	post("/v1/tenants", `{"id":"acme","tariff":"standard","low_balance_threshold":"1"}`, 201)
	post("/v1/tenants/acme/topups", `{"amount":"1.01","method":"manual","reference":"r1"}`, 201)
	post("/v1/events", `{"event_id":"e1","tenant":"acme","service":"sms","destination":"1555","segments":1}`, 201) // → 0.99: balance_low
	post("/v1/events", `{"event_id":"e2","tenant":"acme","service":"storage","gb":"100"}`, 402)                    // cannot pay: grace_started
	post("/v1/tenants/acme/topups", `{"amount":"10","method":"manual","reference":"r2"}`, 201)                     // balance_restored

	cl, err := kgo.NewClient(kgo.SeedBrokers("127.0.0.1:"+strconv.Itoa(port)), kgo.ConsumeTopics("salio.events"),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()), kgo.FetchMaxWait(50*time.Millisecond))
	require.NoError(t, err)
	defer cl.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	var types []string
	for len(types) < 3 && ctx.Err() == nil {
		cl.PollFetches(ctx).EachRecord(func(r *kgo.Record) {
			require.Equal(t, "acme", string(r.Key))
			var ev struct{ ID, Tenant, Type string }
			require.NoError(t, json.Unmarshal(r.Value, &ev), "%s", r.Value)
			require.Len(t, r.Headers, 1)
			require.Equal(t, "event-id", r.Headers[0].Key)
			require.Equal(t, ev.ID, string(r.Headers[0].Value))
			require.Equal(t, "acme", ev.Tenant)
			types = append(types, ev.Type)
		})
	}
	require.Equal(t, []string{"balance_low", "grace_started", "balance_restored"}, types)
}

package main

import (
	"context"
	"log/slog"
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salio/salio/charging/api"
	"github.com/salio/salio/charging/cdr"
	"github.com/salio/salio/store"
)

// The Kafka relay (package charging/cdr) publishes the store's CDR and
// wallet-event logs when --kafka-brokers is set.

// relay is what stop needs of a running relay.
type relay interface{ Stop() }

// relayHook lets the engine, made before the relay, wake it after commits.
type relayHook struct{ p atomic.Pointer[cdr.Publisher] }

func newRelayHook() *relayHook { return &relayHook{} }

func (h *relayHook) notify() {
	if p := h.p.Load(); p != nil {
		p.Notify()
	}
}

// backlog reports the relays' delivery state for /readyz (nil: Kafka off).
func (h *relayHook) backlog() []api.LogBacklog {
	p := h.p.Load()
	if p == nil {
		return nil
	}
	var out []api.LogBacklog
	for _, st := range p.Stats() {
		out = append(out, api.LogBacklog{Log: st.Log, Records: st.Backlog, OldestAge: st.OldestUnpublishedAge,
			PublishedTotal: st.Published, ParkedTotal: st.Parked})
	}
	return out
}

// startRelay starts the relays when brokers are configured; nil otherwise.
func startRelay(o *options, st *store.Store, log *slog.Logger, reg *prometheus.Registry, h *relayHook) (relay, error) {
	brokers := o.brokers()
	if len(brokers) == 0 {
		return nil, nil
	}
	cfg := cdr.Config{Brokers: brokers, Logger: log}
	if err := o.kafka.apply(&cfg); err != nil {
		return nil, err
	}
	p, err := cdr.NewPublisher(st, cfg)
	if err != nil {
		return nil, err
	}
	reg.MustRegister(p.Collectors()...)
	if err := p.Start(context.Background()); err != nil {
		return nil, err
	}
	h.p.Store(p)
	log.Info("salio: kafka relay started", "brokers", o.kafkaBrokers)
	return p, nil
}

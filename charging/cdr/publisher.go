package cdr

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Publisher runs the two relays of one store: CDRs to Config.CDRTopic and
// wallet events to Config.EventTopic.
type Publisher struct {
	CDRs   *Relay
	Events *Relay
}

// NewPublisher returns the CDR and wallet-event relays of log.
func NewPublisher(log Log, cfg Config) (*Publisher, error) {
	c, err := New(log, CDRs, cfg)
	if err != nil {
		return nil, err
	}
	e, err := New(log, Events, cfg)
	if err != nil {
		return nil, err
	}
	return &Publisher{CDRs: c, Events: e}, nil
}

// Start starts both relays.
func (p *Publisher) Start(ctx context.Context) error {
	if err := p.CDRs.Start(ctx); err != nil {
		return err
	}
	return p.Events.Start(ctx)
}

// Notify wakes both relays; it never blocks. Call it after a commit.
func (p *Publisher) Notify() {
	p.CDRs.Notify()
	p.Events.Notify()
}

// Stop stops both relays gracefully (see Relay.Stop), in parallel.
func (p *Publisher) Stop() {
	done := make(chan struct{})
	go func() { p.Events.Stop(); close(done) }()
	p.CDRs.Stop()
	<-done
}

// Collectors returns both relays' collectors.
func (p *Publisher) Collectors() []prometheus.Collector {
	return append(p.CDRs.Collectors(), p.Events.Collectors()...)
}

// Stats returns both relays' stats (CDRs first).
func (p *Publisher) Stats() []Stats { return []Stats{p.CDRs.Stats(), p.Events.Stats()} }

package charging

import (
	"github.com/salio/salio/tariff"
)

// preparedEvent is what can be worked out of an event before taking a lock.
type preparedEvent struct {
	dest     string
	segments int64
	encoding string
	hash     uint64
}

// eventRating is an event rated at a wallet's current terms.
type eventRating struct {
	costMicros     int64
	ratePicos      int64
	quantityMicros int64
	unit           string
	item           string
	billedUnits    int64
}

// prepareEvent validates an event and counts SMS segments, outside any lock.
func prepareEvent(r *EventRequest) (preparedEvent, error) {
	var p preparedEvent
	h := newHash().str(r.Tenant).str(r.Service)
	switch r.Service {
	case "sms":
		dest, err := tariff.NormalizeDestination(r.Destination)
		if err != nil {
			return p, &InvalidError{Field: "destination", Msg: "must be 1-32 digits, optionally after +"}
		}
		p.dest = dest
		if r.HasText {
			n, enc := tariff.CountSegments(r.Text)
			p.segments, p.encoding = int64(n), encodingName(enc)
		} else {
			if r.Segments < 1 || r.Segments > tariff.MaxSegments {
				return p, &InvalidError{Field: "segments", Msg: "must be in 1..255 (or send text)"}
			}
			enc := r.Encoding
			if enc == "" {
				enc = "gsm7"
			}
			if enc != "gsm7" && enc != "ucs2" {
				return p, &InvalidError{Field: "encoding", Msg: "must be gsm7 or ucs2"}
			}
			p.segments, p.encoding = r.Segments, enc
		}
		h = h.str(dest).int(p.segments).str(p.encoding)
		if r.HasText { // the text is the payload: another text is another event
			h = h.str(r.Text)
		}
	case "whatsapp":
		dest, err := tariff.NormalizeDestination(r.Destination)
		if err != nil {
			return p, &InvalidError{Field: "destination", Msg: "must be 1-32 digits, optionally after +"}
		}
		switch r.Category {
		case "marketing", "utility", "authentication", "service":
		default:
			return p, &InvalidError{Field: "category", Msg: "must be marketing, utility, authentication or service"}
		}
		p.dest = dest
		h = h.str(dest).str(r.Category)
	case "ai":
		if r.Model == "" || len(r.Model) > 128 {
			return p, &InvalidError{Field: "model", Msg: "must be 1-128 characters"}
		}
		if r.InputTokens < 0 || r.InputTokens > tariff.MaxTokens {
			return p, &InvalidError{Field: "input_tokens", Msg: "out of range"}
		}
		if r.OutputTokens < 0 || r.OutputTokens > tariff.MaxTokens {
			return p, &InvalidError{Field: "output_tokens", Msg: "out of range"}
		}
		h = h.str(r.Model).int(r.InputTokens).int(r.OutputTokens)
	case "storage":
		if r.GBMicros <= 0 || r.GBMicros > 1_000_000_000*1_000_000 {
			return p, &InvalidError{Field: "gb", Msg: "must be positive and at most 1,000,000,000"}
		}
		h = h.int(r.GBMicros)
	default:
		return p, &InvalidError{Field: "service", Msg: "must be sms, whatsapp, ai or storage"}
	}
	p.hash = uint64(h)
	return p, nil
}

func encodingName(enc tariff.Encoding) string {
	if enc == tariff.UCS2 {
		return "ucs2"
	}
	return "gsm7"
}

// rateEvent prices an event at a tariff and multiplier. It does not allocate
// except for the usage item names that carry a category or model.
func rateEvent(t *tariff.Tariff, r *EventRequest, p *preparedEvent, multMicros int64) (eventRating, error) {
	var x eventRating
	var err error
	noRate := func(field string) error { return &InvalidError{Field: field, Msg: "no rate for destination"} }
	switch r.Service {
	case "sms":
		if x.ratePicos, _, err = t.SMS(p.dest); err != nil {
			return x, noRate("destination")
		}
		x.costMicros, err = tariff.SMSCost(x.ratePicos, p.segments, multMicros)
		x.quantityMicros, x.unit, x.item, x.billedUnits = p.segments*1_000_000, "segment", "sms", p.segments
	case "whatsapp":
		if x.ratePicos, _, err = t.WhatsApp(r.Category, p.dest); err != nil {
			return x, noRate("destination")
		}
		x.costMicros, err = tariff.MessageCost(x.ratePicos, multMicros)
		x.quantityMicros, x.unit, x.item, x.billedUnits = 1_000_000, "message", "whatsapp."+r.Category, 1
	case "ai":
		in, out, _, rerr := t.AI(r.Model)
		if rerr != nil {
			return x, &InvalidError{Field: "model", Msg: "no rate for model"}
		}
		x.ratePicos = in
		x.costMicros, err = tariff.AICost(in, out, r.InputTokens, r.OutputTokens, multMicros)
		tokens := r.InputTokens + r.OutputTokens
		x.quantityMicros, x.unit, x.item, x.billedUnits = tokens*1_000_000, "token", "ai."+r.Model, tokens
	case "storage":
		perGB, ok := t.Storage()
		if !ok {
			return x, &InvalidError{Field: "service", Msg: "tariff " + t.ID + " has no storage rate"}
		}
		x.ratePicos = perGB
		x.costMicros, err = tariff.StorageCost(perGB, r.GBMicros, multMicros)
		x.quantityMicros, x.unit, x.item = r.GBMicros, "GB", "storage"
	}
	if err != nil {
		return x, &InvalidError{Msg: err.Error()}
	}
	return x, nil
}

// Event debits one SMS, WhatsApp message, AI usage or storage quantity.
func (e *Engine) Event(r EventRequest) (EventAnswer, bool, error) {
	c, ans, replay, err := e.applyEvent(&r)
	if err != nil || c == nil {
		return ans, replay, err
	}
	if err := e.wait(c); err != nil {
		return EventAnswer{}, false, err
	}
	return ans, false, nil
}

// EventBatch applies independent events and waits once. With a sink that
// holds its group (the store) they are made durable in one group commit;
// otherwise commits complete in submission order, and the last one's
// completion covers all.
func (e *Engine) EventBatch(rs []EventRequest) []EventResult {
	out := make([]EventResult, len(rs))
	if last := e.applyBatch(rs, out); last != nil {
		if err := e.wait(last); err != nil {
			for i := range out {
				if out[i].Err == nil && !out[i].Replay {
					out[i] = EventResult{Err: err}
				}
			}
		}
	}
	return out
}

// applyBatch applies the events in order and returns the last commit any of
// them joined. A sink that can hold its group (GroupHolder) keeps them all in
// one group commit.
func (e *Engine) applyBatch(rs []EventRequest, out []EventResult) (last *Commit) {
	if h, ok := e.sink.(GroupHolder); ok {
		h.Hold()
		defer h.Release()
	}
	for i := range rs {
		c, ans, replay, err := e.applyEvent(&rs[i])
		out[i] = EventResult{Answer: ans, Replay: replay, Err: err}
		if c != nil {
			last = c
		}
	}
	return last
}

// applyEvent applies an event in memory and submits its effect; the caller
// waits for the returned commit (nil when nothing needs to be durable).
func (e *Engine) applyEvent(r *EventRequest) (*Commit, EventAnswer, bool, error) {
	if err := e.checkUsable(); err != nil {
		return nil, EventAnswer{}, false, err
	}
	p, err := prepareEvent(r)
	if err != nil {
		return nil, EventAnswer{}, false, err
	}
	sh, h := e.wallets.Locate(r.Tenant)
	sh.Lock()
	memo := &e.shards[sh.ID()].events
	probe := memo.Probe(r.EventID) // in flight while the wallet is found
	w := sh.GetHashed(h, r.Tenant)
	if w == nil {
		sh.Unlock()
		return nil, EventAnswer{}, false, notFound("tenant")
	}
	if prev, atMs, ok := memo.GetProbed(w.memoOwner, r.EventID, probe); ok {
		sh.Unlock()
		if prev.hash != p.hash {
			return nil, EventAnswer{}, false, conflict("event_id " + r.EventID + " was used with another payload")
		}
		e.stats.replays.Add(1)
		return nil, prev.answer(r.Tenant, r.EventID, atMs), true, nil
	}
	o := e.newOp(sh, w)
	ans, err := o.chargeEvent(r, &p)
	if err != nil {
		c, err := o.refuseAsync(err)
		return c, EventAnswer{}, false, err
	}
	return o.submit(), ans, false, nil
}

func (o *op) chargeEvent(r *EventRequest, p *preparedEvent) (EventAnswer, error) {
	w, e := o.w, o.e
	_, tier := o.tier()
	x, err := rateEvent(o.tariff(), r, p, tier.MultiplierMicros)
	if err != nil {
		return EventAnswer{}, err
	}
	if x.costMicros > 0 && (w.blocked(o.now) || x.costMicros > w.available()) {
		o.openGrace()
		return EventAnswer{}, w.fundsError(o.now)
	}
	o.debit(x.costMicros)
	tx := o.nextTx(&o.fx.tx, "charge", r.Service, x.item, -x.costMicros)
	tx.QuantityMicros, tx.Unit, tx.Reference = x.quantityMicros, x.unit, r.EventID
	o.fx.Transaction = tx
	cdr := &o.fx.cdr
	*cdr = CDR{
		ID: tx.ID, Tenant: w.Tenant, Kind: "event", EventID: r.EventID, Service: r.Service, Destination: p.dest,
		StartedAt: o.now, EndedAt: o.now, QuantityMicros: x.quantityMicros, Unit: x.unit, RatePicos: x.ratePicos,
		Tier: tier.Name, MultiplierMicros: tier.MultiplierMicros, AmountMicros: x.costMicros, Currency: w.Currency,
		Requests: 1,
	}
	o.fx.CDR = cdr
	o.usage(x.item, 1, x.quantityMicros, x.costMicros, x.unit)
	ans := &o.fx.event
	*ans = EventAnswer{
		EventID: r.EventID, Tenant: w.Tenant, Hash: p.hash, At: o.now, AmountMicros: x.costMicros,
		QuantityMicros: x.quantityMicros, Unit: x.unit, BalanceMicros: w.BalanceMicros, TransactionID: tx.ID,
		Segments: p.segments, Encoding: p.encoding,
	}
	o.fx.Event = ans
	e.rememberEvent(o.sh, w, ans, o.txNum)
	e.shards[o.sh.ID()].eventsCharged++
	return *ans, nil
}

// refuseAsync is refuse for callers that wait themselves (batches).
func (o *op) refuseAsync(err error) (*Commit, error) {
	if fe, ok := err.(*FundsError); ok {
		fe.WalletStatus = o.w.status(o.now)
		o.e.stats.deny("insufficient_funds")
	}
	if len(o.fx.Events) == 0 {
		o.abort()
		return nil, err
	}
	return o.submit(), err
}

// Rate answers what a session usage or an event would cost now. It charges nothing.
func (e *Engine) Rate(r RateRequest) (Quote, error) {
	switch {
	case r.Session != nil:
		return e.rateSession(r.Session, r.Seconds)
	case r.Event != nil:
		return e.rateEventQuote(r.Event)
	}
	return Quote{}, &InvalidError{Field: "service", Msg: "a session or event body is required"}
}

func (e *Engine) rateSession(s *StartRequest, seconds int64) (Quote, error) {
	dest, err := validateStart(s)
	if err != nil {
		return Quote{}, err
	}
	if seconds < 0 || seconds > MaxSessionSeconds {
		return Quote{}, &InvalidError{Field: "seconds", Msg: "out of range"}
	}
	t, tier, err := e.terms(s.Tenant)
	if err != nil {
		return Quote{}, err
	}
	rate, err := rateSession(t, s.Service, s.Direction, dest)
	if err != nil {
		return Quote{}, err
	}
	amount, err := rate.Cost(seconds, tier.MultiplierMicros)
	if err != nil {
		return Quote{}, &InvalidError{Field: "seconds", Msg: err.Error()}
	}
	var fee int64
	if seconds > 0 {
		fee, _ = tariff.VoiceRate{FeePicos: rate.FeePicos, InitialIncrement: 1, SubsequentIncrement: 1}.Cost(1, tier.MultiplierMicros)
	}
	return Quote{
		Tenant: s.Tenant, Service: s.Service, AmountMicros: amount,
		Rate: RateView{Prefix: rate.Prefix, PerMinutePicos: rate.PerMinutePicos, FeePicos: rate.FeePicos,
			InitialIncrement: rate.InitialIncrement, SubsequentIncrement: rate.SubsequentIncrement, TariffID: t.ID, TariffVersion: t.Version},
		RatePicos: rate.PerMinutePicos, BilledUnits: rate.Billed(seconds), QuantityMicros: seconds * 1_000_000, Unit: "second",
		FeeMicros: fee, Tier: tier.Name, MultiplierMicros: tier.MultiplierMicros,
	}, nil
}

// terms returns the tariff version and tier a tenant's next request is rated at.
func (e *Engine) terms(tenant string) (*tariff.Tariff, tariff.Tier, error) {
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return nil, tariff.Tier{}, err
	}
	defer sh.Unlock()
	t := w.tariff.current()
	return t, t.TierFor(w.LifetimeSpendMicros), nil
}

func (e *Engine) rateEventQuote(r *EventRequest) (Quote, error) {
	p, err := prepareEvent(r)
	if err != nil {
		return Quote{}, err
	}
	t, tier, err := e.terms(r.Tenant)
	if err != nil {
		return Quote{}, err
	}
	x, err := rateEvent(t, r, &p, tier.MultiplierMicros)
	if err != nil {
		return Quote{}, err
	}
	return Quote{
		Tenant: r.Tenant, Service: r.Service, AmountMicros: x.costMicros,
		Rate:      RateView{TariffID: t.ID, TariffVersion: t.Version},
		RatePicos: x.ratePicos, BilledUnits: x.billedUnits, QuantityMicros: x.quantityMicros, Unit: x.unit,
		Tier: tier.Name, MultiplierMicros: tier.MultiplierMicros, Segments: p.segments, Encoding: p.encoding,
	}, nil
}

package charging

import (
	"strconv"

	"github.com/salio/salio/reservation"
	"github.com/salio/salio/tariff"
)

// Session terminations (SPEC section 8).
const (
	TermNormal            = "normal"
	TermInsufficientFunds = "insufficient_funds"
	TermGraceExpired      = "grace_expired"
	TermExpired           = "expired"
)

// StartSession opens a voice or IVR session: it rates the destination, grants
// the largest affordable part of the request and reserves its cost.
func (e *Engine) StartSession(r StartRequest) (SessionReply, bool, error) {
	if err := e.checkUsable(); err != nil {
		return SessionReply{}, false, err
	}
	dest, err := validateStart(&r)
	if err != nil {
		return SessionReply{}, false, err
	}
	hash := uint64(newHash().str(r.Tenant).str(r.Service).str(r.Direction).str(dest).int(r.RequestedSeconds))
	sh, w, err := e.lockWallet(r.Tenant)
	if err != nil {
		return SessionReply{}, false, err
	}
	if s, ok := e.sessions.Get(r.SessionID); ok {
		sh.Unlock()
		return e.replayStart(s, r.Tenant, hash)
	}
	if w.MaxConcurrentSessions > 0 && w.open.len() >= int(w.MaxConcurrentSessions) {
		sh.Unlock()
		e.stats.deny("too_many_sessions")
		return SessionReply{}, false, &MessageError{Err: ErrTooManySessions, Msg: "max_concurrent_sessions reached"}
	}
	o := e.newOp(sh, w)
	s, err := o.newSession(r, dest, hash)
	if err != nil {
		return SessionReply{}, false, o.refuse(err)
	}
	if _, won := e.sessions.PutIfAbsent(s.ID, s); !won {
		o.abort() // another tenant took this id a moment ago
		return SessionReply{}, false, conflict("session " + s.ID + " exists")
	}
	w.open.put(s)
	o.reserve(s.Reserved)
	pushExpiry(sh, s)
	o.fx.Session, o.fx.NewSession = s, true
	rep := s.reply(s.StartAnswer)
	e.shards[sh.ID()].grants++
	if err := e.wait(o.submit()); err != nil {
		return SessionReply{}, false, err
	}
	return rep, false, nil
}

// pushExpiry queues s's expiry deadline on its wallet's shard, whose lock is
// held. An open session has exactly one entry; closing it removes the entry
// (closeSession), so the heap holds open sessions, not every recent call.
func pushExpiry(sh *reservation.Shard[wallet], s *SessionState) {
	sh.Timers.Push(reservation.Timer{AtMs: s.ExpiresAt, Kind: reservation.TimerSessionExpiry, Tenant: s.Tenant, Key: s.ID,
		Slot: &s.expirySlot})
}

func validateStart(r *StartRequest) (string, error) {
	if r.Service != "voice" && r.Service != "ivr" {
		return "", &InvalidError{Field: "service", Msg: "must be voice or ivr"}
	}
	if r.Direction != "outbound" && r.Direction != "inbound" {
		return "", &InvalidError{Field: "direction", Msg: "must be outbound or inbound"}
	}
	if r.RequestedSeconds < 0 || r.RequestedSeconds > MaxRequestedSeconds {
		return "", &InvalidError{Field: "requested_seconds", Msg: "must be in 0..86400"}
	}
	dest, err := tariff.NormalizeDestination(r.Destination)
	if err != nil {
		return "", &InvalidError{Field: "destination", Msg: "must be 1-32 digits, optionally after +"}
	}
	return dest, nil
}

func (e *Engine) replayStart(s *SessionState, tenant string, hash uint64) (SessionReply, bool, error) {
	if s.Tenant != tenant || s.StartHash != hash {
		return SessionReply{}, false, conflict("session " + s.ID + " exists with another payload")
	}
	sh := e.wallets.ShardOf(tenant)
	sh.Lock()
	defer sh.Unlock()
	e.stats.replays.Add(1)
	return s.reply(s.StartAnswer), true, nil
}

// newSession rates and grants a new session. It changes the wallet only by
// opening the grace window when the request cannot be fully funded.
func (o *op) newSession(r StartRequest, dest string, hash uint64) (*SessionState, error) {
	t := o.tariff()
	rate, err := rateSession(t, r.Service, r.Direction, dest)
	if err != nil {
		return nil, err
	}
	requested := r.RequestedSeconds
	if requested == 0 {
		requested = t.DefaultQuotaSeconds
	}
	_, tier := o.tier()
	s := &SessionState{
		ID: r.SessionID, Tenant: o.w.Tenant, Service: r.Service, Direction: r.Direction, Destination: dest,
		TariffID: t.ID, TariffVersion: t.Version, Rate: rate, TierName: tier.Name, MultiplierMicros: tier.MultiplierMicros,
		StartHash: hash, StartedAt: o.now,
	}
	if o.w.blocked(o.now) {
		return nil, o.w.fundsError(o.now)
	}
	g, extra, term, err := o.grant(s, requested)
	if err != nil {
		return nil, err
	}
	if g == 0 {
		return nil, o.w.fundsError(o.now)
	}
	o.setGrant(s, g, extra, requested, term)
	s.StartAnswer = s.LastAnswer
	return s, nil
}

func rateSession(t *tariff.Tariff, service, direction, dest string) (tariff.VoiceRate, error) {
	if service == "ivr" {
		rate, ok := t.IVR()
		if !ok {
			return rate, &InvalidError{Field: "service", Msg: "tariff " + t.ID + " has no ivr rate"}
		}
		return rate, nil
	}
	dir := tariff.Outbound
	if direction == "inbound" {
		dir = tariff.Inbound
	}
	rate, err := t.Voice(dir, dest)
	if err != nil {
		return rate, &InvalidError{Field: "destination", Msg: "no rate for destination"}
	}
	return rate, nil
}

// grant computes the next grant of s (SPEC 7): the largest g <= requested whose
// extra cost fits the available funds; if that falls short the grace window
// opens, and inbound voice may then get the grace grant (SPEC 5).
func (o *op) grant(s *SessionState, requested int64) (g, extraMicros int64, term string, err error) {
	cost := func(d int64) (int64, error) { return s.Rate.Cost(d, s.MultiplierMicros) }
	s.Grace = false
	g, extraMicros, err = reservation.Grant(cost, s.UsedSeconds, requested, o.w.available())
	if err != nil || g == requested {
		return g, extraMicros, "", err
	}
	o.openGrace()
	if s.Service == "voice" && s.Direction == "inbound" && o.w.graceOpen(o.now) {
		left := (o.w.GraceEndsAt - o.now) / 1000
		gg, ge, err := reservation.Grant(cost, s.UsedSeconds, min(requested, left), o.w.available()+o.w.GraceOverdraftMicros)
		if err != nil {
			return 0, 0, "", err
		}
		if gg > g {
			g, extraMicros, s.Grace = gg, ge, true // the grant relies on the grace period
		}
	}
	return g, extraMicros, TermInsufficientFunds, nil
}

// setGrant records a new grant on s (the reservation itself is the caller's).
func (o *op) setGrant(s *SessionState, g, extraMicros, requested int64, term string) {
	s.Granted, s.Reserved, s.Termination = g, extraMicros, term
	s.LastAt = o.now
	s.ExpiresAt = o.now + (g+ValidityGraceSeconds)*1000
	s.LastAnswer = SessionAnswer{
		RequestNumber: s.RequestNum, GrantedSeconds: g, FinalUnit: g < requested,
		ValiditySeconds: g + ValidityGraceSeconds, ReservedMicros: extraMicros, ChargedMicros: s.Charged,
	}
}

// refuse answers a refusal. A refusal that opened the grace window changed the
// wallet, so that change is made durable before the answer.
func (o *op) refuse(err error) error {
	e := o.e
	if fe, ok := err.(*FundsError); ok {
		fe.WalletStatus = o.w.status(o.now)
		if fe.WalletStatus == StatusBlocked {
			e.stats.deny("blocked")
		} else {
			e.stats.deny("insufficient_funds")
		}
	}
	if len(o.fx.Events) == 0 {
		o.abort()
		return err
	}
	if werr := e.wait(o.submit()); werr != nil {
		return werr
	}
	return err
}

func (s *SessionState) reply(a SessionAnswer) SessionReply {
	return SessionReply{
		SessionID: s.ID, Tenant: s.Tenant, Answer: a,
		Rate: RateView{
			Prefix: s.Rate.Prefix, PerMinutePicos: s.Rate.PerMinutePicos, FeePicos: s.Rate.FeePicos,
			InitialIncrement: s.Rate.InitialIncrement, SubsequentIncrement: s.Rate.SubsequentIncrement,
			TariffID: s.TariffID, TariffVersion: s.TariffVersion,
		},
		Tier: s.TierName, MultiplierMicros: s.MultiplierMicros,
	}
}

// lockSession finds a session by id and locks its wallet.
func (e *Engine) lockSession(id string) (*reservation.Shard[wallet], *wallet, *SessionState, error) {
	s, ok := e.sessions.Get(id)
	if !ok {
		return nil, nil, nil, notFound("session")
	}
	sh, w, err := e.lockWallet(s.Tenant)
	if err != nil {
		return nil, nil, nil, err
	}
	return sh, w, s, nil
}

// UpdateSession commits the usage reported since the previous request and
// grants the next part of the call.
func (e *Engine) UpdateSession(id string, r UpdateRequest) (SessionReply, bool, error) {
	if err := e.checkUsable(); err != nil {
		return SessionReply{}, false, err
	}
	if err := validateUsage(r.RequestNumber, r.UsedSeconds); err != nil {
		return SessionReply{}, false, err
	}
	if r.RequestedSeconds < 0 || r.RequestedSeconds > MaxRequestedSeconds {
		return SessionReply{}, false, &InvalidError{Field: "requested_seconds", Msg: "must be in 0..86400"}
	}
	hash := uint64(newHash().str("update").int(r.UsedSeconds).int(r.RequestedSeconds))
	o, s, rep, done, err := e.reportUsage(id, r.RequestNumber, r.UsedSeconds, hash, false)
	if done {
		return rep, err == nil, err
	}
	sh, w := o.sh, o.w
	requested := r.RequestedSeconds
	if requested == 0 {
		requested = o.tariff().DefaultQuotaSeconds
	}
	g, extra, term := int64(0), int64(0), TermGraceExpired
	if !w.blocked(o.now) {
		if g, extra, term, err = o.grant(s, requested); err != nil {
			// Cannot happen after commitUsage rated the same total; fail loudly.
			panic("salio: grant after a successful commit failed: " + err.Error())
		}
	}
	prevExpiry := s.ExpiresAt
	o.setGrant(s, g, extra, requested, term)
	o.reserve(extra)
	if s.ExpiresAt < prevExpiry {
		// Only an earlier deadline moves the queued entry: a later one is
		// found by the entry as it stands, which re-queues itself when it
		// fires early (see fire).
		assert(s.expirySlot != 0, "an open session has its expiry deadline queued")
		sh.Timers.Reschedule(s.expirySlot, s.ExpiresAt)
	}
	o.fx.Session = s
	rep = s.reply(s.LastAnswer)
	if g > 0 {
		e.shards[sh.ID()].grants++
	} else {
		e.stats.deny(term)
	}
	if err := e.wait(o.submit()); err != nil {
		return SessionReply{}, false, err
	}
	return rep, false, nil
}

func validateUsage(requestNumber, usedSeconds int64) error {
	if requestNumber < 1 {
		return &InvalidError{Field: "request_number", Msg: "must be >= 1"}
	}
	if usedSeconds < 0 || usedSeconds > MaxUsedSecondsPerRequest {
		return &InvalidError{Field: "used_seconds", Msg: "must be in 0..86400"}
	}
	return nil
}

// sequence applies the request-number rules (SPEC 7): the same number again
// replays the stored answer, anything but the next number is a conflict. done
// reports that the request is answered by (rep, err).
func (e *Engine) sequence(s *SessionState, number int64, hash uint64, stop bool) (SessionReply, bool, error) {
	if number == s.RequestNum && number > 0 {
		if hash == s.LastHash && s.LastAnswer.Stopped == stop {
			e.stats.replays.Add(1)
			return s.reply(s.LastAnswer), true, nil
		}
		return SessionReply{}, true, conflict("request_number " + strconv.FormatInt(number, 10) + " was used with another payload")
	}
	if s.Closed {
		return SessionReply{}, true, conflict("session " + s.ID + " has ended (" + s.Termination + ")")
	}
	if number != s.RequestNum+1 {
		return SessionReply{}, true, conflict("out-of-order request_number: expected " + strconv.FormatInt(s.RequestNum+1, 10))
	}
	return SessionReply{}, false, nil
}

// reportUsage is the common first half of an update and a stop: it finds and
// locks the session, applies the request-number rules, and commits the usage.
// When done is false the wallet is locked and o holds it for the caller.
func (e *Engine) reportUsage(id string, number, usedSeconds int64, hash uint64, stop bool) (o *op, s *SessionState, rep SessionReply, done bool, err error) {
	sh, w, s, err := e.lockSession(id)
	if err != nil {
		return nil, nil, SessionReply{}, true, err
	}
	if rep, done, err := e.sequence(s, number, hash, stop); done {
		sh.Unlock()
		return nil, nil, rep, true, err
	}
	o = e.newOp(sh, w)
	if err := o.commitUsage(s, usedSeconds); err != nil {
		o.abort()
		return nil, nil, SessionReply{}, true, err
	}
	s.RequestNum, s.LastHash = number, hash
	return o, s, SessionReply{}, false, nil
}

// commitUsage charges cost(total used) − already charged and releases the
// session's reservation. It changes nothing when the usage cannot be rated.
func (o *op) commitUsage(s *SessionState, usedSeconds int64) error {
	total := s.UsedSeconds + usedSeconds
	if total > MaxSessionSeconds {
		return &InvalidError{Field: "used_seconds", Msg: "session total exceeds the maximum session length"}
	}
	charged, err := s.Rate.Cost(total, s.MultiplierMicros)
	if err != nil {
		return &InvalidError{Field: "used_seconds", Msg: err.Error()}
	}
	assert(charged >= s.Charged, "session cost decreased")
	o.unreserve(s.Reserved)
	s.Reserved = 0
	delta := charged - s.Charged
	s.UsedSeconds, s.Charged = total, charged
	o.debit(delta)
	return nil
}

// StopSession commits the last usage, releases the reservation and writes the
// session's transaction and CDR.
func (e *Engine) StopSession(id string, r StopRequest) (SessionReply, bool, error) {
	if err := e.checkUsable(); err != nil {
		return SessionReply{}, false, err
	}
	if err := validateUsage(r.RequestNumber, r.UsedSeconds); err != nil {
		return SessionReply{}, false, err
	}
	hash := uint64(newHash().str("stop").int(r.UsedSeconds))
	o, s, rep, done, err := e.reportUsage(id, r.RequestNumber, r.UsedSeconds, hash, true)
	if done {
		return rep, err == nil, err
	}
	term := s.Termination
	if term == "" {
		term = TermNormal
	}
	o.closeSession(s, term)
	rep = s.reply(s.LastAnswer)
	if err := e.wait(o.submit()); err != nil {
		return SessionReply{}, false, err
	}
	return rep, false, nil
}

// closeSession ends s: it writes its transaction, CDR and usage line and keeps
// it, closed, for the idempotency retention.
func (o *op) closeSession(s *SessionState, termination string) {
	e, w := o.e, o.w
	assert(s.Reserved == 0, "closing a session that still holds a reservation")
	w.open.remove(s)
	o.sh.Timers.Remove(s.expirySlot) // none when its expiry is what closes it
	s.Closed, s.ClosedAt, s.Termination, s.Granted = true, o.now, termination, 0
	item := sessionItem(s)
	billed := s.Rate.Billed(s.UsedSeconds)
	tx := o.nextTx(&o.fx.tx, "charge", s.Service, item, -s.Charged)
	tx.QuantityMicros, tx.Unit, tx.Reference = s.UsedSeconds*1_000_000, "second", s.ID
	o.fx.Transaction = tx
	cdr := &o.fx.cdr
	*cdr = CDR{
		ID: o.id('c'), Tenant: w.Tenant, Kind: "session", SessionID: s.ID, Service: s.Service,
		Direction: s.Direction, Destination: s.Destination, StartedAt: s.StartedAt, EndedAt: o.now,
		UsageSeconds: s.UsedSeconds, BilledSeconds: billed, QuantityMicros: s.UsedSeconds * 1_000_000, Unit: "second",
		RatePicos: s.Rate.PerMinutePicos, Tier: s.TierName, MultiplierMicros: s.MultiplierMicros,
		AmountMicros: s.Charged, Currency: w.Currency, Termination: termination, Requests: s.RequestNum + 1,
	}
	o.fx.CDR = cdr
	o.usage(item, 1, s.UsedSeconds*1_000_000, s.Charged, "second")
	s.LastAnswer = SessionAnswer{
		RequestNumber: s.RequestNum, ChargedMicros: s.Charged, Stopped: true,
		UsageSeconds: s.UsedSeconds, BilledSeconds: billed, CDRID: cdr.ID, Termination: termination,
	}
	o.fx.Session = s
	e.idemCount.Add(1)
	o.sh.Forget.Push(reservation.Timer{AtMs: o.now + e.cfg.Retention.Milliseconds(), Kind: reservation.TimerForgetSession, Tenant: s.Tenant, Key: s.ID})
	o.evictRetained()
}

// sessionItem is the usage item of a session (constant strings: no allocation).
func sessionItem(s *SessionState) string {
	switch {
	case s.Service == "ivr":
		return "ivr"
	case s.Direction == "inbound":
		return "voice.inbound"
	}
	return "voice.outbound"
}

// Session returns a copy of a session's state.
func (e *Engine) Session(id string) (SessionState, error) {
	sh, _, s, err := e.lockSession(id)
	if err != nil {
		return SessionState{}, err
	}
	defer sh.Unlock()
	return *s, nil
}

// SessionTenant returns the tenant a session belongs to.
func (e *Engine) SessionTenant(id string) (string, bool) {
	s, ok := e.sessions.Get(id)
	if !ok {
		return "", false
	}
	return s.Tenant, true
}

package charging

import (
	"testing"
	"time"

	"github.com/salio/salio/tariff"
)

// effectLog wraps memSink and notes, for each Effect submitted, the charge
// transaction and the CDR it carries: what one atomic commit of the store
// would hold.
type effectLog struct {
	*memSink
	seen []effectSeen
}

type effectSeen struct {
	tx  *Transaction
	cdr *CDR
}

func (l *effectLog) Submit(e *Effect) *Commit {
	var s effectSeen
	if e.Transaction != nil {
		tx := *e.Transaction
		s.tx = &tx
	}
	if e.CDR != nil {
		c := *e.CDR
		s.cdr = &c
	}
	l.seen = append(l.seen, s)
	return l.memSink.Submit(e)
}

// TestSpecCDRSameCommitAsCharge: every CDR travels in the very Effect (one
// store commit) that carries its charge's transaction, with the same amount
// and reference; finished sessions (stopped or expired) and events each
// have one; top-ups and number fees none (SPEC 8).
func TestSpecCDRSameCommitAsCharge(t *testing.T) {
	clock := &manualClock{t: scriptEpoch}
	log := &effectLog{memSink: newMemSink()}
	e, err := New(Config{Shards: 2, Clock: clock, Sink: log, Reader: log.memSink, IDEpoch: 1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.PutTariff(tariff.Standard().Doc); err != nil {
		t.Fatal(err)
	}
	e.ready.Store(true)
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err = e.CreateTenant(TenantParams{ID: "t", Tariff: "standard"})
	must(err)
	_, _, err = e.TopUp("t", TopUpRequest{AmountMicros: 10e6, Method: "manual", Reference: "r"})
	must(err)
	_, _, err = e.StartSession(StartRequest{SessionID: "s", Tenant: "t", Service: "voice", Direction: "outbound", Destination: "255712345678", RequestedSeconds: 60})
	must(err)
	_, _, err = e.UpdateSession("s", UpdateRequest{RequestNumber: 1, UsedSeconds: 30, RequestedSeconds: 60})
	must(err)
	_, _, err = e.StopSession("s", StopRequest{RequestNumber: 2, UsedSeconds: 35})
	must(err)
	_, _, err = e.Event(EventRequest{EventID: "e", Tenant: "t", Service: "sms", Destination: "1555", Text: "hi", HasText: true})
	must(err)
	_, err = e.AddNumber("t", NumberRequest{Number: "1800", Type: "normal", MonthlyFeeMicros: 1e6})
	must(err)
	_, _, err = e.StartSession(StartRequest{SessionID: "x", Tenant: "t", Service: "ivr", Direction: "inbound", Destination: "1555", RequestedSeconds: 60})
	must(err)
	_, _, err = e.UpdateSession("x", UpdateRequest{RequestNumber: 1, UsedSeconds: 20, RequestedSeconds: 60})
	must(err)
	clock.Advance(91 * time.Second)
	e.RunTimers()

	cdrs := map[string]bool{}
	for i, s := range log.seen {
		if s.cdr == nil {
			continue
		}
		ref := s.cdr.SessionID + s.cdr.EventID
		if cdrs[ref] {
			t.Errorf("second CDR for %s", ref)
		}
		cdrs[ref] = true
		if s.tx == nil || s.tx.Type != "charge" {
			t.Errorf("effect %d: CDR %s without its charge transaction", i, ref)
			continue
		}
		if s.tx.Reference != ref || -s.tx.AmountMicros != s.cdr.AmountMicros {
			t.Errorf("effect %d: CDR %s %d vs transaction %s %d", i, ref, s.cdr.AmountMicros, s.tx.Reference, s.tx.AmountMicros)
		}
	}
	for _, s := range log.seen {
		if s.tx != nil && s.tx.Type == "charge" && s.tx.Service != "number" && s.cdr == nil {
			t.Errorf("charge %s committed without its CDR", s.tx.Reference)
		}
		if s.tx != nil && (s.tx.Type == "topup" || s.tx.Service == "number") && s.cdr != nil {
			t.Errorf("a %s/%s has a CDR", s.tx.Type, s.tx.Service)
		}
	}
	for _, ref := range []string{"s", "e", "x"} {
		if !cdrs[ref] {
			t.Errorf("no CDR for %s", ref)
		}
	}
	if len(cdrs) != 3 {
		t.Errorf("CDRs: %v", cdrs)
	}
	checkMoney(t, e, log.memSink)
}

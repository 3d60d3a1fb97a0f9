package store

import (
	"fmt"
	"testing"
	"time"

	"github.com/salio/salio/charging"
	"github.com/stretchr/testify/require"
)

// callEffects returns the effects of one call's start and stop as the engine
// submits them: the start creates the session (NewSession), the stop closes
// it with its transaction and CDR.
func callEffects(tenant, id string, txSeq uint64) (start, stop *charging.Effect) {
	wallet := func(reserved int64) *charging.WalletState {
		return &charging.WalletState{Tenant: tenant, Currency: "USD", TariffID: "standard",
			BalanceMicros: 5_000_000, ReservedMicros: reserved, TxSeq: txSeq}
	}
	open := charging.SessionState{ID: id, Tenant: tenant, Service: "voice", Direction: "outbound",
		Destination: "255712345678", TariffID: "standard", TariffVersion: 1, StartedAt: 1_760_000_000_000,
		LastAt: 1_760_000_000_000, ExpiresAt: 1_760_000_060_000, Granted: 60, Reserved: 60_000,
		StartHash: 42, StartAnswer: charging.SessionAnswer{GrantedSeconds: 60, ReservedMicros: 60_000, ValiditySeconds: 60}}
	closed := open
	closed.Closed, closed.ClosedAt, closed.Termination = true, 1_760_000_030_000, "normal"
	closed.Granted, closed.Reserved, closed.UsedSeconds, closed.Charged, closed.RequestNum = 0, 0, 30, 30_000, 1
	closed.LastAnswer = charging.SessionAnswer{RequestNumber: 1, Stopped: true, UsageSeconds: 30, BilledSeconds: 30,
		ChargedMicros: 30_000, CDRID: "cdr-" + id, Termination: "normal"}
	start = &charging.Effect{Wallet: wallet(60_000), Session: &open, NewSession: true}
	stop = &charging.Effect{Wallet: wallet(0), Session: &closed,
		Transaction: &charging.Transaction{ID: "tx-" + id, Tenant: tenant, Seq: txSeq, Type: "charge", Service: "voice",
			Item: "voice.outbound", AmountMicros: -30_000, Reference: id, CreatedAt: closed.ClosedAt},
		CDR: &charging.CDR{ID: "cdr-" + id, Tenant: tenant, Kind: "session", SessionID: id, Service: "voice",
			StartedAt: open.StartedAt, EndedAt: closed.ClosedAt, UsageSeconds: 30, AmountMicros: 30_000, Currency: "USD"}}
	return start, stop
}

// TestClosedSessionsGoWithTheirCDR: a closed session's image is kept in the
// CDR log entry of the CDR that closed it, not under its key. A session that
// opened before the last checkpoint has its key deleted when it closes; one
// that opened and closed between two checkpoints never reaches its key. Both
// come back from the log on recovery, after every open session, as they were
// when they closed.
func TestClosedSessionsGoWithTheirCDR(t *testing.T) {
	dir := t.TempDir()
	o := testOptions()
	o.CheckpointInterval = time.Hour // only Close checkpoints
	s := openStore(t, dir, o)
	earlyStart, earlyStop := callEffects("acme", "early", 1)
	submitWait(t, s, earlyStart)
	require.NoError(t, s.Close()) // checkpoints: "early" is under its key
	s = openStore(t, dir, o)
	require.Equal(t, 1, countKeys(t, s, kindSession))

	quickStart, quickStop := callEffects("acme", "quick", 2)
	openStart, _ := callEffects("beta", "still-open", 1)
	submitWait(t, s, quickStart)
	submitWait(t, s, openStart)
	submitWait(t, s, quickStop)
	submitWait(t, s, earlyStop)
	st := s.Stats()
	require.NoError(t, s.Close())
	s = openStore(t, dir, o)
	require.Equal(t, 1, countKeys(t, s, kindSession), "only the open session has a key")
	t.Logf("%d effects, %d groups", st.Effects, st.Commits)

	r := recoverAll(t, s)
	requireOrder(t, r)
	require.Equal(t, map[string]charging.SessionState{"still-open": *openStart.Session}, r.sessions)
	require.Equal(t, map[string]charging.SessionState{"early": *earlyStop.Session, "quick": *quickStop.Session}, r.closed)
}

// TestClosedSessionsAfterUncleanStop: with no checkpoint since the start,
// the redo records of a call's start and stop are replayed at Open and leave
// its key deleted; the closed session comes back from the CDR log.
func TestClosedSessionsAfterUncleanStop(t *testing.T) {
	dir := t.TempDir()
	o := testOptions()
	o.CheckpointInterval = time.Hour
	s, err := Open(dir, o)
	require.NoError(t, err)
	start, stop := callEffects("acme", "call-1", 1)
	submitWait(t, s, start)
	submitWait(t, s, stop)
	dieWithoutClose(t, s)

	s = openStore(t, dir, testOptions())
	require.Zero(t, countKeys(t, s, kindSession))
	r := recoverAll(t, s)
	require.Empty(t, r.sessions)
	require.Equal(t, map[string]charging.SessionState{"call-1": *stop.Session}, r.closed)
}

// TestRedoOfACallWithinOneGroup: a call that starts and stops within one
// group leaves nothing for its key in the group's redo record; a call that
// started in an earlier group leaves the Delete of its key. Both closed
// images are in the group's CDR log entries.
func TestRedoOfACallWithinOneGroup(t *testing.T) {
	var g group
	s := &Store{}
	start, stop := callEffects("acme", "quick", 1)
	_, earlierStop := callEffects("acme", "earlier", 2)
	s.appendEffect(&g, start)
	s.appendEffect(&g, stop)
	s.appendEffect(&g, earlierStop)
	require.True(t, g.encodeRedo())
	var sessionOps []string
	require.NoError(t, walkRedo(g.redo, func(o op, key, _ []byte) {
		if key[0] == kindSession {
			sessionOps = append(sessionOps, fmt.Sprintf("%d %s", o, key[1:len(key)-2]))
		}
	}))
	require.Equal(t, []string{fmt.Sprintf("%d earlier", opDelete)}, sessionOps)

	lg, err := readLogGroup(1, appendLogGroup(nil, 0, &g.cdrs))
	require.NoError(t, err)
	require.Equal(t, 2, lg.n)
	for _, want := range []*charging.SessionState{stop.Session, earlierStop.Session} {
		_, answer := lg.next(true)
		require.Equal(t, valueClosedSession, answer[0])
		var got charging.SessionState
		require.NoError(t, decodeSession(answer[1:], &got))
		require.Equal(t, *want, got)
	}
}

// TestPendingDropsAFreshSessionChain: in the pending checkpoint a session
// whose start is there is dropped whole at its close, and so is a later
// Delete of the same key; a session whose start is not there leaves the
// Delete of its key.
func TestPendingDropsAFreshSessionChain(t *testing.T) {
	p := pending{ov: newOverlay()}
	key := func(id string) []byte { return appendKey1(nil, kindSession, id) }
	require.NoError(t, p.add(opSet, key("new"), []byte("open"), true))
	require.NoError(t, p.add(opSet, key("new"), []byte("updated"), false))
	require.NoError(t, p.add(opDelete, key("new"), nil, false))
	require.NoError(t, p.add(opDelete, key("new"), nil, false)) // forgotten in the same interval
	require.NoError(t, p.add(opSet, key("old"), []byte("updated"), false))
	require.NoError(t, p.add(opDelete, key("old"), nil, false))
	var live []string
	for i := range p.g.recs {
		if r := &p.g.recs[i]; !r.dead {
			live = append(live, fmt.Sprintf("%d %s", r.op, p.g.key(r)[1:len(p.g.key(r))-2]))
		}
	}
	require.Equal(t, []string{fmt.Sprintf("%d old", opDelete)}, live)
}

package store

import (
	"fmt"
	"math/rand/v2"
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
// started in an earlier group leaves the Delete of its key, and so does an
// id used again after such a Delete in the group. The closed images are all
// in the group's CDR log entries.
func TestRedoOfACallWithinOneGroup(t *testing.T) {
	var g group
	s := &Store{}
	start, stop := callEffects("acme", "quick", 1)
	_, earlierStop := callEffects("acme", "earlier", 2)
	_, olderStop := callEffects("acme", "reused", 3)
	againStart, againStop := callEffects("acme", "reused", 4)
	s.appendEffect(&g, start)
	s.appendEffect(&g, stop)
	s.appendEffect(&g, earlierStop)
	s.appendEffect(&g, olderStop) // "reused" is stopped, then started and stopped again
	s.appendEffect(&g, againStart)
	s.appendEffect(&g, againStop)
	require.True(t, g.encodeRedo())
	var sessionOps []string
	require.NoError(t, walkRedo(g.redo, func(o op, key, _ []byte) {
		if key[0] == kindSession {
			sessionOps = append(sessionOps, fmt.Sprintf("%d %s", o, key[1:len(key)-2]))
		}
	}))
	require.Equal(t, []string{fmt.Sprintf("%d earlier", opDelete), fmt.Sprintf("%d reused", opDelete)}, sessionOps)

	lg, err := readLogGroup(1, appendLogGroup(nil, 0, &g.cdrs))
	require.NoError(t, err)
	require.Equal(t, 4, lg.n)
	for _, want := range []*charging.SessionState{stop.Session, earlierStop.Session, olderStop.Session, againStop.Session} {
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
// Delete of its key, and so does a session whose id is used again before
// that Delete is written. (TestSessionKeysAgainstModel found the last case.)
func TestPendingDropsAFreshSessionChain(t *testing.T) {
	p := pending{ov: newOverlay()}
	key := func(id string) []byte { return appendKey1(nil, kindSession, id) }
	require.NoError(t, p.add(opSet, key("new"), []byte("open"), true))
	require.NoError(t, p.add(opSet, key("new"), []byte("updated"), false))
	require.NoError(t, p.add(opDelete, key("new"), nil, false))
	require.NoError(t, p.add(opDelete, key("new"), nil, false)) // forgotten in the same interval
	require.NoError(t, p.add(opSet, key("old"), []byte("updated"), false))
	require.NoError(t, p.add(opDelete, key("old"), nil, false))
	// An id used again while the Delete of its older session is still to be
	// written: the new session's chain must not drop that Delete.
	require.NoError(t, p.add(opDelete, key("reused"), nil, false))
	require.NoError(t, p.add(opSet, key("reused"), []byte("open again"), true))
	require.NoError(t, p.add(opDelete, key("reused"), nil, false))
	var live []string
	for i := range p.g.recs {
		if r := &p.g.recs[i]; !r.dead {
			live = append(live, fmt.Sprintf("%d %s", r.op, p.g.key(r)[1:len(p.g.key(r))-2]))
		}
	}
	require.Equal(t, []string{fmt.Sprintf("%d old", opDelete), fmt.Sprintf("%d reused", opDelete)}, live)
}

// TestSessionKeysAgainstModel runs random calls (starts, updates, stops,
// forgets, ids used again), submitted in bursts so that groups hold several
// steps of one call, with checkpoints after nearly every group and restarts
// clean and unclean, and checks every recovery against a model: the open
// sessions come back from their keys exactly, each closed one's last image
// from the CDR log, and a clean Close leaves a key for no closed session.
func TestSessionKeysAgainstModel(t *testing.T) {
	dir := t.TempDir()
	o := frequentCheckpoints()
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d (a failure replays with this seed in place of the clock's)", seed)
	rng := rand.New(rand.NewPCG(7, seed))
	s := openStore(t, dir, o)
	submitWait(t, s, &charging.Effect{Wallet: &charging.WalletState{Tenant: "acme", Currency: "USD", TariffID: "standard"}})
	open := map[string]charging.SessionState{}   // the model: sessions open now
	closed := map[string]charging.SessionState{} // each id's last closed image
	var txSeq uint64
	step := func() *charging.Effect {
		id := fmt.Sprintf("call-%d", rng.IntN(12))
		txSeq++
		start, stop := callEffects("acme", id, txSeq)
		cur, isOpen := open[id]
		switch {
		case !isOpen && (rng.IntN(3) > 0 || closed[id].ID == ""):
			start.Session.StartHash = txSeq // tells this use of the id from earlier ones
			open[id] = *start.Session
			return start
		case !isOpen:
			return &charging.Effect{ForgetSessions: []string{id}}
		case rng.IntN(3) > 0:
			cur.RequestNum++
			cur.UsedSeconds += 10
			open[id] = cur
			return &charging.Effect{Wallet: start.Wallet, Session: &cur}
		}
		done := cur
		done.Closed, done.ClosedAt, done.Termination = true, stop.Session.ClosedAt+int64(txSeq), "normal"
		stop.Session = &done
		delete(open, id)
		closed[id] = done
		return stop
	}
	check := func(clean bool) {
		t.Helper()
		if clean {
			require.NoError(t, s.Close())
		} else {
			dieWithoutClose(t, s)
		}
		s = openStore(t, dir, o)
		if clean {
			require.Equal(t, len(open), countKeys(t, s, kindSession), "keys after a clean Close")
		}
		r := recoverAll(t, s)
		require.Equal(t, open, r.sessions)
		require.Equal(t, closed, r.closed)
	}
	for round := 0; round < 8; round++ {
		for i := 0; i < 40; i++ {
			burst := make([]*charging.Commit, 1+rng.IntN(6))
			for j := range burst {
				burst[j] = s.Submit(step())
			}
			for _, c := range burst {
				require.NoError(t, c.Wait())
			}
		}
		check(round%2 == 0)
	}
	require.NoError(t, s.Close())
}

package charging

import "sync/atomic"

// Sink receives every effect the engine applies, in the order it applied them
// to each wallet (Submit is called while the wallet's lock is held).
//
// Submit must not block on I/O and must copy what it needs from e before it
// returns. An Effect's Event (an event's answer) always comes with the CDR
// of that event: the store keeps the two together. The returned Commit completes when the effect is durable; all effects
// submitted before it (to any wallet) are durable no later than it is. Many
// effects share one Commit (group commit).
type Sink interface {
	Submit(e *Effect) *Commit
}

// GroupHolder is a Sink that can keep the effects of one request in one
// group commit: between Hold and Release it seals no group, and Submit does
// not block. EventBatch uses it, so that a batch is made durable with one
// commit (SPEC 7). A holder releases before it waits for any commit.
type GroupHolder interface {
	Hold()
	Release()
}

// Commit is one group commit that many effects wait on.
type Commit struct {
	done     chan struct{}
	err      error
	finished atomic.Bool // set after err, before done closes: Wait's fast path
}

// NewCommit returns an open commit.
func NewCommit() *Commit { return &Commit{done: make(chan struct{})} }

// Finish completes the commit with err (nil = durable). Call it exactly once.
func (c *Commit) Finish(err error) {
	c.err = err
	c.finished.Store(true)
	close(c.done)
}

// Wait blocks until the commit completes and returns its error. A commit
// already finished (DiscardSink's, or one an effect joined late) answers from
// the flag: a receive from even a closed channel takes the channel's lock, a
// cache line every core waiting on that commit then fights over.
func (c *Commit) Wait() error {
	if c.finished.Load() {
		return c.err
	}
	<-c.done
	return c.err
}

// Done is closed when the commit completes.
func (c *Commit) Done() <-chan struct{} { return c.done }

var finishedCommit = func() *Commit { c := NewCommit(); c.Finish(nil); return c }()

// DiscardSink drops every effect: for benchmarks and tests of the engine alone.
type DiscardSink struct{}

func (DiscardSink) Submit(*Effect) *Commit { return finishedCommit }

// Restorer receives the durable state on recovery, before the engine serves.
// The store calls RestoreTariff and RestoreWallet before any session, number,
// event or top-up record of that wallet.
type Restorer interface {
	RestoreTariff(TariffRecord) error
	RestoreWallet(WalletState) error
	RestoreSession(SessionState) error
	RestoreClosedSession(SessionState) error
	RestoreNumber(NumberState) error
	RestoreEvent(EventAnswer) error
	RestoreTopUp(TopUpRecord) error
	RestoreKey(KeyRecord) error
	RestoreRole(RoleRecord) error
}

// Reader answers the queries over durable history. The store implements it.
type Reader interface {
	// Transactions returns up to limit transactions of tenant with Seq < beforeSeq
	// (0 = from the newest), newest first, of type typ ("" = all).
	Transactions(tenant string, beforeSeq uint64, limit int, typ string) ([]Transaction, error)
	// Usage returns the month's usage lines of tenant sorted by item, "payments" included.
	Usage(tenant string, month int32) ([]UsageLine, error)
	// Invoices returns tenant's invoices, oldest first.
	Invoices(tenant string) ([]Invoice, error)
	// CDRs returns up to limit CDRs with log sequence > afterSeq, in commit order.
	CDRs(afterSeq uint64, limit int) ([]LoggedCDR, error)
}

// LoggedCDR is a CDR with its position in the commit-ordered CDR log.
type LoggedCDR struct {
	Seq uint64
	CDR CDR
}

// LoggedEvent is a wallet event with its position in the event log.
type LoggedEvent struct {
	Seq   uint64
	Event WalletEvent
}

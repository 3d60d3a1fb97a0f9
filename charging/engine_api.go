package charging

import (
	"log/slog"
	"time"

	"github.com/salio/salio/tariff"
)

// The Engine's public methods, one per API operation. Every mutating method is
// idempotent by its key and returns only after its effect is durable (or with
// ErrUnavailable). replay reports that the answer is a stored one (HTTP 200).
// TODO(engine): bodies are placeholders with the final signatures.

func (e *Engine) CreateTenant(p TenantParams) (TenantInfo, error)           { panic("TODO") }
func (e *Engine) Tenant(id string) (TenantInfo, error)                      { panic("TODO") }
func (e *Engine) UpdateTenant(id string, p TenantPatch) (TenantInfo, error) { panic("TODO") }
func (e *Engine) Wallet(tenant string) (WalletView, error)                  { panic("TODO") }
func (e *Engine) TopUp(tenant string, r TopUpRequest) (res TopUpResult, replay bool, err error) {
	panic("TODO")
}
func (e *Engine) SetAutoRecharge(tenant string, a AutoRecharge) (WalletView, error) { panic("TODO") }

func (e *Engine) StartSession(r StartRequest) (rep SessionReply, replay bool, err error) {
	panic("TODO")
}
func (e *Engine) UpdateSession(id string, r UpdateRequest) (rep SessionReply, replay bool, err error) {
	panic("TODO")
}
func (e *Engine) StopSession(id string, r StopRequest) (rep SessionReply, replay bool, err error) {
	panic("TODO")
}
func (e *Engine) Session(id string) (SessionState, error) { panic("TODO") }
func (e *Engine) SessionTenant(id string) (string, bool)  { panic("TODO") }

func (e *Engine) Event(r EventRequest) (ans EventAnswer, replay bool, err error) { panic("TODO") }

// EventBatch applies independent events and makes them durable with one commit.
func (e *Engine) EventBatch(rs []EventRequest) []EventResult { panic("TODO") }
func (e *Engine) Rate(r RateRequest) (Quote, error)          { panic("TODO") }

func (e *Engine) AddNumber(tenant string, r NumberRequest) (NumberState, error) { panic("TODO") }
func (e *Engine) Numbers(tenant string) ([]NumberState, error)                  { panic("TODO") }
func (e *Engine) DeleteNumber(tenant, number string) error                      { panic("TODO") }

func (e *Engine) Transactions(tenant, cursor string, limit int, typ string) (TransactionsPage, error) {
	panic("TODO")
}
func (e *Engine) Usage(tenant, month string) (UsageReport, error) { panic("TODO") }
func (e *Engine) CloseInvoice(tenant, month string) (inv Invoice, created bool, err error) {
	panic("TODO")
}
func (e *Engine) Invoices(tenant string) ([]Invoice, error)            { panic("TODO") }
func (e *Engine) Invoice(tenant, number string) (Invoice, error)       { panic("TODO") }
func (e *Engine) CDRs(afterSeq uint64, limit int) ([]LoggedCDR, error) { panic("TODO") }

func (e *Engine) PutTariff(doc []byte) (*tariff.Tariff, error) { panic("TODO") }
func (e *Engine) Tariff(id string) (*tariff.Tariff, error)     { panic("TODO") }

// Keys and roles: the API owns their meaning; the engine makes them durable.
func (e *Engine) PutKey(k KeyRecord) error               { panic("TODO") }
func (e *Engine) DeleteKey(id string) (KeyRecord, error) { panic("TODO") }
func (e *Engine) KeyByHash(h [32]byte) (KeyRecord, bool) { panic("TODO") }
func (e *Engine) Keys(tenant string) []KeyRecord         { panic("TODO") }
func (e *Engine) PutRole(r RoleRecord) error             { panic("TODO") }
func (e *Engine) Roles(tenant string) []RoleRecord       { panic("TODO") }

// Config configures an Engine. Zero values take the defaults in limits.go.
type Config struct {
	Shards         int           // wallet shards, a power of two (default 64)
	Clock          Clock         // default: the system clock
	Sink           Sink          // where effects go (default DiscardSink)
	Reader         Reader        // durable history for queries (nil: queries answer empty)
	IDEpoch        uint64        // unique per process start (store.BootEpoch); ids are epoch-counter
	Retention      time.Duration // idempotency retention (default 24 h)
	MaxTopUpMicros int64         // largest accepted top-up or fee (default 1,000,000 units)
	Logger         *slog.Logger
	OnLogCommitted func() // called after effects with CDRs/events are durable (relay wakeup)
}

// Clock tells the time. Tests inject a manual one.
type Clock interface{ Now() time.Time }

// EngineStats are counters and gauges for metrics. Counters only grow.
type EngineStats struct {
	Wallets         int64
	OpenSessions    int64
	ReservedMicros  int64
	WalletsByStatus map[string]int64 // ok low grace blocked
	Grants          int64            // session grants > 0
	Denials         map[string]int64 // by reason: insufficient_funds blocked too_many_sessions
	Expiries        int64
	Replays         int64
	EventsCharged   int64
	Failed          bool
}

// Engine is the charging engine. See doc.go.
type Engine struct{}

// New returns an engine; call Restorer() to load durable state, then Start.
func New(cfg Config) (*Engine, error) { panic("TODO") }

// Restorer is what the store calls on recovery, before Start.
func (e *Engine) Restorer() Restorer { panic("TODO") }

// Start begins the timers (expiry, grace, renewals, month close) and marks the engine ready.
func (e *Engine) Start() { panic("TODO") }

// Close stops the timers. In-flight calls finish.
func (e *Engine) Close() { panic("TODO") }

// Ready reports that recovery is done and the engine has not failed.
func (e *Engine) Ready() bool { panic("TODO") }

// Err returns the error that made the engine fail closed, or nil.
func (e *Engine) Err() error { panic("TODO") }

// Stats returns counters and gauges; WalletsByStatus walks every wallet.
func (e *Engine) Stats() EngineStats { panic("TODO") }

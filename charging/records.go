package charging

import "github.com/salio/salio/tariff"

// Records are the plain values the engine hands to its Sink for every effect.
// The store persists them; recovery hands them back through Restorer. Times are
// Unix milliseconds (UTC) and money is int64 micro-units throughout.

// WalletState is the durable image of one tenant's wallet and settings: all of
// the wallet but its sessions and idempotency records, which have their own.
type WalletState struct {
	// The fields every charge reads or writes come first: with the wallet's
	// own hot fields and its inline id before them they fill the wallet's
	// first 160 bytes, the lines a million-wallet table misses on (wallet's
	// layout, checked by TestWalletHotFieldsShareLines). The durable format
	// has its own order (store/records.go).
	Tenant              string
	Currency            string
	BalanceMicros       int64
	ReservedMicros      int64 // Σ open sessions' reservations; recomputed and checked on recovery
	LifetimeSpendMicros int64
	MonthSpendMicros    int64
	TxSeq               uint64 // last per-wallet transaction sequence number
	GraceEndsAt         int64  // ms; 0 = no grace window open

	LowBalanceThresholdMicros int64
	TierIndex                 int32 // index into the tariff's tiers at LifetimeSpendMicros
	MonthKey                  int32 // yyyymm of MonthSpendMicros
	MaxConcurrentSessions     int32
	LowBalanceAlerted         bool // balance_low emitted and not yet re-armed
	BlockedNotified           bool // the "blocked" event was emitted for this window
	AutoRechargeEnabled       bool
	AutoRechargeThreshold     int64

	// Settings and state that only some operations read.
	Name                     string
	TariffID                 string
	CreatedAt                int64 // ms
	GracePeriodSeconds       int64
	GraceOverdraftMicros     int64
	AutoRechargeAmount       int64
	AutoRechargeMethod       string
	AutoRechargePendingRef   string
	AutoRechargePendingSince int64   // ms
	AutoRechargeRecent       []int64 // ms of requests in the last 24 h (≤ 10)
}

// SessionAnswer is the stored answer of one session request, replayed on a retry.
type SessionAnswer struct {
	RequestNumber   int64 // 0 = the start
	GrantedSeconds  int64
	FinalUnit       bool
	ValiditySeconds int64
	ReservedMicros  int64
	ChargedMicros   int64 // the session's total so far
	// Stop only.
	Stopped       bool
	UsageSeconds  int64
	BilledSeconds int64
	CDRID         string
	Termination   string
}

// SessionState is the durable image of one voice or IVR session. A closed
// session is kept (Closed = true) until the idempotency retention passes so
// that retries of its start and stop replay their answers. The store keeps
// an open session's image under its key and a closed one's with its CDR
// (Restorer.RestoreClosedSession).
type SessionState struct {
	// ID, Tenant and Closed share the first cache line: forgetting the
	// oldest closed session to make room reads only these.
	ID     string
	Tenant string
	Closed bool
	// keyed is the engine's bookkeeping, not part of the image: this closed
	// session was recovered from its own key (a store written before closed
	// images moved to the CDR log), so forgetting it must delete that key.
	keyed bool
	// expirySlot is the engine's bookkeeping, not part of the image: where
	// the shard's timer heap holds this open session's expiry deadline
	// (reservation.Timer.Slot), so that closing the session removes it.
	expirySlot int32
	ClosedAt   int64 // ms

	Service     string // "voice" | "ivr"
	Direction   string // "outbound" | "inbound"
	Destination string

	TariffID         string
	TariffVersion    int64
	Rate             tariff.VoiceRate
	TierName         string
	MultiplierMicros int64

	StartHash   uint64 // hash of the start payload, for idempotent repeats
	LastHash    uint64 // hash of the last update/stop payload
	StartedAt   int64  // ms
	LastAt      int64  // ms of the last request
	ExpiresAt   int64  // ms: LastAt + validity
	RequestNum  int64  // last accepted request number (0 after the start)
	UsedSeconds int64  // total reported usage
	Charged     int64  // micros committed so far = cost(UsedSeconds)
	Granted     int64  // seconds of the current grant
	Reserved    int64  // micros of the current reservation
	Grace       bool   // the current grant relies on the inbound grace period

	StartAnswer SessionAnswer
	LastAnswer  SessionAnswer

	Termination string
}

// Transaction is one line of a wallet's history.
type Transaction struct {
	ID                 string
	Tenant             string
	Seq                uint64 // per-wallet, increasing: the history cursor
	Type               string // "topup" | "charge"
	Service            string // "voice" | "ivr" | "sms" | "whatsapp" | "ai" | "storage" | "number" | "" for top-ups
	Item               string // usage item, e.g. "voice.outbound", "whatsapp.marketing"
	AmountMicros       int64  // signed: + credit, − debit
	BalanceAfterMicros int64
	QuantityMicros     int64 // quantity in micro-units of Unit
	Unit               string
	Reference          string // session id, event id, top-up reference, number
	Method             string // top-ups: payment method
	CreatedAt          int64  // ms
	Description        string
}

// CDR is a charging data record: one per finished session and per event charge.
type CDR struct {
	ID               string
	Tenant           string
	Kind             string // "session" | "event"
	SessionID        string
	EventID          string
	Service          string
	Direction        string
	Destination      string
	StartedAt        int64 // ms
	EndedAt          int64 // ms
	UsageSeconds     int64
	BilledSeconds    int64
	QuantityMicros   int64
	Unit             string
	RatePicos        int64 // the unit price applied (per minute, segment, message, 1k tokens, GB)
	Tier             string
	MultiplierMicros int64
	AmountMicros     int64
	Currency         string
	Termination      string // "normal" | "insufficient_funds" | "grace_expired" | "expired" | "" for events
	Requests         int64
}

// WalletEvent is a notification about a wallet (topic salio.events).
type WalletEvent struct {
	ID            string
	Tenant        string
	Type          string // balance_low grace_started blocked balance_restored recharge_requested tier_changed number_suspended session_expired
	At            int64  // ms
	BalanceMicros int64
	AmountMicros  int64  // recharge_requested: amount
	Method        string // recharge_requested
	Reference     string // recharge_requested: reference; session_expired: session id; number_suspended: number
	Tier          string // tier_changed: the new tier
}

// UsageDelta adds to one month's usage line of a tenant. The store sums deltas.
// Item "payments" counts top-ups (for invoices) and is not a usage line.
type UsageDelta struct {
	Tenant         string
	Month          int32 // yyyymm
	Item           string
	Count          int64
	QuantityMicros int64
	AmountMicros   int64
	Unit           string
}

// UsageLine is the sum of a month's deltas for one item.
type UsageLine struct {
	Item           string
	Count          int64
	QuantityMicros int64
	Unit           string
	AmountMicros   int64
}

// EventAnswer is the answer to one event debit; kept as its idempotency record.
type EventAnswer struct {
	EventID        string
	Tenant         string
	Hash           uint64 // payload hash
	At             int64  // ms, for retention
	AmountMicros   int64
	QuantityMicros int64
	Unit           string
	BalanceMicros  int64
	TransactionID  string
	Segments       int64  // sms
	Encoding       string // sms: "gsm7" | "ucs2"
}

// TopUpRecord is the idempotency record of one top-up (reference unique per wallet).
type TopUpRecord struct {
	Tenant       string
	Reference    string
	AmountMicros int64
	Method       string
	At           int64 // ms
	Transaction  Transaction
	// Wallet is the wallet as the top-up left it: with Transaction, the
	// original answer that a repeat of the reference gets (SPEC 4). Empty in
	// records written before it was kept; a repeat then sees the wallet now.
	Wallet WalletView
}

// NumberState is one phone number of a tenant and its monthly renewal.
type NumberState struct {
	Tenant           string
	Number           string
	Type             string // toll_free | premium | normal
	Capabilities     []string
	MonthlyFeeMicros int64
	SetupFeeMicros   int64
	AddedAt          int64  // ms
	AnchorDay        int32  // day of month of renewals (1–31; clamped to the month's last day)
	NextRenewalAt    int64  // ms
	Status           string // "active" | "suspended"
	Deleted          bool
}

// TariffRecord is one stored version of a tariff document.
type TariffRecord struct {
	ID      string
	Version int64
	Doc     []byte
	At      int64 // ms
}

// KeyRecord is an API key; only the hash of its secret is kept.
type KeyRecord struct {
	ID        string
	Hash      [32]byte // SHA-256 of the secret
	Name      string
	Role      string
	Tenant    string // "*" for platform keys
	CreatedAt int64  // ms
	Deleted   bool
}

// RoleRecord is a tenant's custom role.
type RoleRecord struct {
	Tenant      string
	Name        string
	Permissions []string
}

// Invoice is a closed month of one tenant.
type Invoice struct {
	Tenant         string
	Number         string // e.g. "INV-acme-2026-10"
	Month          int32  // yyyymm
	IssuedAt       int64  // ms
	Currency       string
	OpeningMicros  int64
	PaymentsMicros int64
	Lines          []UsageLine
	TotalMicros    int64
	ClosingMicros  int64
}

// Effect is everything one operation changes. The engine fills it while it
// holds the wallet's lock and hands it to Sink.Submit, which must copy what it
// needs before returning: the pointers are the engine's live or scratch values.
type Effect struct {
	Wallet      *WalletState
	Session     *SessionState
	Transaction *Transaction
	CDR         *CDR
	Events      []WalletEvent
	Usage       []UsageDelta
	Event       *EventAnswer
	TopUp       *TopUpRecord
	Number      *NumberState
	Tariff      *TariffRecord
	Key         *KeyRecord
	Role        *RoleRecord
	Invoice     *Invoice

	// NewSession says that Session was created by this effect: no earlier
	// effect wrote it, so a store may drop its images altogether if it closes
	// before they reach their key.
	NewSession bool

	// ForgetSessions lists closed sessions past retention whose images have
	// keys of their own to delete (those recovered from an older store).
	// Event records and the closed sessions of this version need no delete:
	// the store keeps them with their CDRs in the CDR log, which its
	// retention prunes.
	ForgetSessions []string
}

// Reset clears e for reuse, keeping slice capacity.
func (e *Effect) Reset() {
	*e = Effect{Events: e.Events[:0], Usage: e.Usage[:0], ForgetSessions: e.ForgetSessions[:0]}
}

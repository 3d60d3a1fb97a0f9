package charging

import "github.com/salio/salio/tariff"

// Requests and answers of the Engine. Money is int64 micros, times are Unix ms;
// the API parses and formats the decimal strings and RFC 3339 times at the edge.

// TenantParams creates a tenant. Zero-valued optional fields take defaults
// unless their Set flag says the caller gave them.
type TenantParams struct {
	ID                        string
	Name                      string
	Currency                  string // default "USD"
	Tariff                    string
	LowBalanceThresholdMicros int64
	GracePeriodSeconds        int64
	GracePeriodSet            bool
	GraceOverdraftMicros      int64
	GraceOverdraftSet         bool
	MaxConcurrentSessions     int64
}

// TenantPatch changes a tenant's settings; nil fields stay as they are.
type TenantPatch struct {
	Name                      *string
	Tariff                    *string
	LowBalanceThresholdMicros *int64
	GracePeriodSeconds        *int64
	GraceOverdraftMicros      *int64
	MaxConcurrentSessions     *int64
}

// TenantInfo is a tenant's settings.
type TenantInfo struct {
	ID                        string
	Name                      string
	Currency                  string
	Tariff                    string
	LowBalanceThresholdMicros int64
	GracePeriodSeconds        int64
	GraceOverdraftMicros      int64
	MaxConcurrentSessions     int64
	CreatedAt                 int64
}

// TierView is a wallet's tier.
type TierView struct {
	Name             string
	MultiplierMicros int64
	NextTierAtMicros int64 // lifetime spend of the next tier; -1 at the top
}

// AutoRecharge is a wallet's auto-recharge setting.
type AutoRecharge struct {
	Enabled          bool
	ThresholdMicros  int64
	AmountMicros     int64
	Method           string
	PendingReference string // output only
}

// WalletView is GET /v1/tenants/{t}/wallet.
type WalletView struct {
	Tenant                    string
	Currency                  string
	BalanceMicros             int64
	ReservedMicros            int64
	AvailableMicros           int64
	LifetimeSpendMicros       int64
	Tier                      TierView
	Status                    string // ok | low | grace | blocked
	GraceEndsAt               int64  // ms, 0 = none
	LowBalanceThresholdMicros int64
	AutoRecharge              AutoRecharge
	OpenSessions              int64
	MonthToDateSpendMicros    int64
}

// TopUpRequest credits a wallet.
type TopUpRequest struct {
	AmountMicros int64
	Method       string // mpesa tigopesa airtel_money visa mastercard bank_transfer manual
	Reference    string
}

// TopUpResult is the answer to a top-up.
type TopUpResult struct {
	Transaction Transaction
	Wallet      WalletView
}

// StartRequest opens a voice or IVR session.
type StartRequest struct {
	SessionID        string
	Tenant           string
	Service          string // "voice" | "ivr"
	Direction        string // "outbound" | "inbound"
	Destination      string
	RequestedSeconds int64 // 0 = the tariff's default_quota_seconds
}

// UpdateRequest reports usage since the previous request and asks for more.
type UpdateRequest struct {
	RequestNumber    int64
	UsedSeconds      int64
	RequestedSeconds int64 // 0 = the tariff's default_quota_seconds
}

// StopRequest ends a session.
type StopRequest struct {
	RequestNumber int64
	UsedSeconds   int64
}

// RateView describes the rate a session or event was rated at.
type RateView struct {
	Prefix              string
	PerMinutePicos      int64
	FeePicos            int64
	InitialIncrement    int64
	SubsequentIncrement int64
	TariffID            string
	TariffVersion       int64
}

// SessionReply answers a start or an update (SessionAnswer plus context).
type SessionReply struct {
	SessionID        string
	Tenant           string
	Answer           SessionAnswer
	Rate             RateView
	Tier             string
	MultiplierMicros int64
}

// SessionView is GET /v1/sessions/{id}.
type SessionView struct {
	State SessionState
}

// EventRequest is one one-shot debit.
type EventRequest struct {
	EventID      string
	Tenant       string
	Service      string // sms | whatsapp | ai | storage
	Destination  string
	Text         string
	HasText      bool
	Segments     int64  // when !HasText: 1–255
	Encoding     string // with Segments: "gsm7" | "ucs2" (default gsm7)
	Category     string // whatsapp
	Model        string // ai
	InputTokens  int64
	OutputTokens int64
	GBMicros     int64 // storage, micro-GB
}

// EventResult is one item of a batch: an answer or an error.
type EventResult struct {
	Answer EventAnswer
	Replay bool
	Err    error
}

// RateRequest asks what something would cost now. Exactly one of Session or
// Event is set; Seconds is the usage to price for a session.
type RateRequest struct {
	Session *StartRequest
	Event   *EventRequest
	Seconds int64
}

// Quote is the answer to POST /v1/rate.
type Quote struct {
	Tenant           string
	Service          string
	AmountMicros     int64
	Rate             RateView
	RatePicos        int64 // unit price for events
	BilledUnits      int64 // billed seconds, segments, messages
	QuantityMicros   int64
	Unit             string
	FeeMicros        int64
	Tier             string
	MultiplierMicros int64
	Segments         int64
	Encoding         string
}

// NumberRequest adds a phone number.
type NumberRequest struct {
	Number           string
	Type             string
	Capabilities     []string
	MonthlyFeeMicros int64
	SetupFeeMicros   int64
}

// TransactionsPage is one page of history, newest first.
type TransactionsPage struct {
	Items      []Transaction
	NextCursor string // "" = no more
}

// UsageReport is a month's usage.
type UsageReport struct {
	Month       string // YYYY-MM
	Currency    string
	Lines       []UsageLine
	TotalMicros int64
}

var _ = tariff.MicrosPerUnit

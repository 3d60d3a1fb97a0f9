package tariff

// This file holds the package's units, limits, sentinel errors and small
// shared types: the surface the rest of Salio codes against.

import "errors"

// Money and rate units.
const (
	MicrosPerUnit = 1_000_000         // engine money unit: 10^-6 of a currency unit
	PicosPerUnit  = 1_000_000_000_000 // rate unit: 10^-12, so rates up to 12 decimals rate exactly
	MultiplierOne = 1_000_000         // multipliers are fixed-point with 6 decimals: 1.00 = 1_000_000
)

// Limits on what a tariff or a rating input may hold. Each keeps every
// intermediate product of a rating inside 128 bits and every result inside int64.
const (
	MaxRatePicos        = 1_000_000 * PicosPerUnit // a rate of at most 1,000,000 units
	MaxMultiplierMicros = 10 * MultiplierOne       // spec: multipliers in (0, 10]
	MaxSeconds          = 10_000_000               // usage seconds per rating call
	MaxTokens           = 1_000_000_000_000        // AI tokens per event
	MaxSegments         = 255                      // spec: 1–255 segments per SMS
	MaxDestinationLen   = 32                       // spec: 1–32 digits
)

// Sentinel errors. Rating errors wrap these; FieldError carries the field.
var (
	ErrNoRate             = errors.New("no rate for destination")
	ErrInvalidDestination = errors.New("invalid destination")
	ErrOverflow           = errors.New("amount out of range")
)

// FieldError is a validation error naming the offending field, e.g.
// Field "voice[1].subsequent_increment", Msg "must be >= 1".
type FieldError struct {
	Field string
	Msg   string
}

func (e *FieldError) Error() string { return e.Field + ": " + e.Msg }

// Direction of a voice call.
type Direction uint8

const (
	Outbound Direction = iota
	Inbound
)

// Encoding of an SMS text.
type Encoding uint8

const (
	GSM7 Encoding = iota
	UCS2
)

// VoiceRate is one resolved voice (or IVR) rate. A session copies it at start
// and keeps it, so later tariff versions never change an open session's terms.
type VoiceRate struct {
	Prefix              string
	PerMinutePicos      int64 // per_minute in 10^-12 units
	FeePicos            int64 // connection_fee (voice) or execution_fee (IVR)
	InitialIncrement    int64 // seconds, >= 1
	SubsequentIncrement int64 // seconds, >= 1
}

// Tier is one entry of a tariff's tiers.
type Tier struct {
	Name             string
	MinSpendMicros   int64
	MultiplierMicros int64
}

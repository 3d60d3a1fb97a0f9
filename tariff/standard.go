package tariff

import "sync"

// standardDoc is the demo tariff of SPEC section 2, verbatim.
const standardDoc = `{
  "id": "standard", "currency": "USD", "default_quota_seconds": 300,
  "voice": [
    {"direction": "outbound", "prefix": "",     "per_minute": "0.0500", "connection_fee": "0.0100", "initial_increment": 60, "subsequent_increment": 60},
    {"direction": "outbound", "prefix": "2557", "per_minute": "0.0200", "connection_fee": "0.0050", "initial_increment": 30, "subsequent_increment": 6},
    {"direction": "outbound", "prefix": "44",   "per_minute": "0.0300", "connection_fee": "0",      "initial_increment": 1,  "subsequent_increment": 1},
    {"direction": "inbound",  "prefix": "",     "per_minute": "0.0100", "connection_fee": "0",      "initial_increment": 60, "subsequent_increment": 60}
  ],
  "ivr": {"execution_fee": "0.0200", "per_minute": "0.0100", "initial_increment": 60, "subsequent_increment": 60},
  "sms": [{"prefix": "", "per_segment": "0.0200"}, {"prefix": "255", "per_segment": "0.0100"}],
  "whatsapp": [
    {"category": "marketing", "prefix": "", "per_message": "0.0250"},
    {"category": "utility", "prefix": "", "per_message": "0.0040"},
    {"category": "authentication", "prefix": "", "per_message": "0.0035"},
    {"category": "service", "prefix": "", "per_message": "0"}
  ],
  "ai": [
    {"model": "*", "per_1k_input": "0.0010", "per_1k_output": "0.0020"},
    {"model": "gpt-4o-mini", "per_1k_input": "0.00015", "per_1k_output": "0.0006"}
  ],
  "storage": {"per_gb": "0.0230"},
  "tiers": [
    {"name": "bronze", "min_spend": "0", "multiplier": "1.00"},
    {"name": "silver", "min_spend": "100", "multiplier": "0.95"},
    {"name": "gold", "min_spend": "1000", "multiplier": "0.90"},
    {"name": "platinum", "min_spend": "10000", "multiplier": "0.85"}
  ]
}`

var standard = sync.OnceValue(func() *Tariff {
	t, err := Parse([]byte(standardDoc))
	if err != nil {
		panic("tariff: built-in standard tariff is invalid: " + err.Error())
	}
	return t
})

// Standard returns the built-in demo tariff "standard" of the spec. Every
// call returns the same immutable *Tariff, Version 0; an engine that stores
// it as a version should parse Standard().Doc into its own copy.
func Standard() *Tariff { return standard() }

package tariff

// TODO(tariff): every body here is a placeholder with the final signature.

// Tariff is one validated, compiled version of a tariff document.
type Tariff struct {
	ID                  string
	Currency            string
	Version             int64 // set by the engine when it stores a version (1, 2, ...)
	DefaultQuotaSeconds int64
	Doc                 []byte // the document as stored (canonical JSON)
}

// Parse decodes and validates a whole tariff document. Errors are *FieldError.
func Parse(data []byte) (*Tariff, error) { panic("TODO") }

// Standard returns the built-in demo tariff "standard" of the spec.
func Standard() *Tariff { panic("TODO") }

// NormalizeDestination strips one leading '+' and checks 1–32 digits.
func NormalizeDestination(s string) (string, error) { panic("TODO") }

func (t *Tariff) Voice(dir Direction, destination string) (VoiceRate, error) { panic("TODO") }
func (t *Tariff) IVR() (VoiceRate, bool)                                     { panic("TODO") }
func (t *Tariff) SMS(destination string) (perSegmentPicos int64, prefix string, err error) {
	panic("TODO")
}
func (t *Tariff) WhatsApp(category, destination string) (perMessagePicos int64, prefix string, err error) {
	panic("TODO")
}
func (t *Tariff) AI(model string) (perKInputPicos, perKOutputPicos int64, matched string, err error) {
	panic("TODO")
}
func (t *Tariff) Storage() (perGBPicos int64, ok bool)    { panic("TODO") }
func (t *Tariff) Tiers() []Tier                           { panic("TODO") }
func (t *Tariff) TierIndex(lifetimeSpendMicros int64) int { panic("TODO") }

func BilledSeconds(d, initial, subsequent int64) int64                         { panic("TODO") }
func (r VoiceRate) Billed(d int64) int64                                       { panic("TODO") }
func (r VoiceRate) Cost(d, multiplierMicros int64) (int64, error)              { panic("TODO") }
func SMSCost(perSegmentPicos, segments, multiplierMicros int64) (int64, error) { panic("TODO") }
func MessageCost(perMessagePicos, multiplierMicros int64) (int64, error)       { panic("TODO") }
func AICost(perKInputPicos, perKOutputPicos, inputTokens, outputTokens, multiplierMicros int64) (int64, error) {
	panic("TODO")
}
func StorageCost(perGBPicos, gbMicros, multiplierMicros int64) (int64, error) { panic("TODO") }

func ParseMicros(s string) (int64, error)                    { panic("TODO") }
func FormatMicros(v int64) string                            { panic("TODO") }
func AppendMicros(dst []byte, v int64) []byte                { panic("TODO") }
func FormatPicos(v int64) string                             { panic("TODO") }
func FormatMultiplier(v int64) string                        { panic("TODO") }
func CountSegments(text string) (segments int, enc Encoding) { panic("TODO") }

// Package tariff is Salio's pure rating core: it parses and validates tariff
// documents, resolves rates by longest destination prefix, counts SMS
// segments and computes charges. It does no I/O, keeps no global mutable
// state and never uses floating point.
//
// # Units
//
//   - Money is int64 micro-units (10^-6 of a currency unit): the engine's unit.
//   - Rates are int64 pico-units (10^-12), so a tariff may state a rate with up
//     to 12 decimals ("0.00015" per 1k tokens) and still rate exactly.
//   - Multipliers are int64 micros: 1.00 is MultiplierOne (1_000_000).
//   - Durations are whole seconds; storage quantities are GB in micro-units.
//
// # Rounding
//
// Every cost is computed exactly with 128-bit intermediates and rounded
// half-up to 6 decimals once, as the last step (SPEC section 1). An input
// outside its documented range, or a result that does not fit int64, yields an
// error wrapping ErrOverflow, never a wrapped-around number. Ranges:
// seconds 0..MaxSeconds, tokens 0..MaxTokens, segments 0..MaxSegments (a
// concatenated SMS has at most 255 parts), rates 0..MaxRatePicos, increments
// 1..MaxIncrementSeconds, multipliers in (0, MaxMultiplierMicros]: a zero
// multiplier can only be an uninitialised tier, and would rate for free. The
// rating functions do not allocate, errors included (they are preallocated).
//
// # Documents
//
// Parse validates a whole document and returns a *FieldError naming the first
// offending field ("voice[1].subsequent_increment: must be >= 1"). Choices the
// spec leaves open, made here:
//
//   - default_quota_seconds may be omitted and then is 300; it must be 1..86400.
//   - tiers may be omitted and then is one tier "standard" at min_spend 0 with
//     multiplier 1.00; an explicit empty list is an error.
//   - voice, ivr, sms, whatsapp, ai and storage are each optional (null counts
//     as absent); a service without rates answers ErrNoRate (or ok=false).
//   - Inside a row every field is required, fees included ("0" for none).
//   - Amounts must be JSON strings; a JSON number is refused so that no
//     amount ever passes through a binary float on its way in.
//   - AI model names are 1–128 printable ASCII characters without spaces;
//     tier names 1–64 characters without control characters.
//   - Duplicates are errors: (direction, prefix) in voice, prefix in sms,
//     (category, prefix) in whatsapp, model in ai, name in tiers, and a key
//     repeated within one object. Keys match exactly (case-sensitively).
//   - A JSON syntax error names the field "document", with the byte offset.
//   - Rows are checked in document order; repeated prefixes are reported
//     after all rows, when the prefix tables are built.
//
// Tariff.Doc holds the canonical re-encoding of the document, with the
// defaults above filled in and amounts exactly as the strings given, so that
// Parse(t.Doc) yields the same tariff.
//
// # Prefixes
//
// Destinations and prefixes are digit strings (a leading '+' on a
// destination is dropped); the longest matching prefix wins and "" is the
// catch-all. Tables are compact digit tries: a 100,000-prefix deck loads in
// a fraction of a second and a lookup costs about a hundred nanoseconds,
// without allocating.
//
// # SMS
//
// CountSegments follows SPEC section 6. Invalid UTF-8 is not an error: each
// bad byte counts as U+FFFD, one UCS-2 unit, which is what a gateway would
// send in its place.
//
// # Sharing
//
// A *Tariff is immutable once Parse returns it (the engine sets Version before
// publishing it), so it may be shared by any number of goroutines without
// locking. Accessors return copies, never internal slices.
package tariff

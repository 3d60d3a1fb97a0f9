package tariff

import "strconv"

// Canonical document shape: Tariff.Doc is this, encoded by appendJSON with
// the field names and order of the spec.
type (
	docJSON struct {
		ID                  string
		Currency            string
		DefaultQuotaSeconds int64
		Voice               []docVoice
		IVR                 *docIVR
		SMS                 []docSMS
		WhatsApp            []docWhatsApp
		AI                  []docAI
		Storage             *docStorage
		Tiers               []docTier
	}
	docVoice struct {
		Direction, Prefix, PerMinute, ConnectionFee string
		InitialIncrement, SubsequentIncrement       int64
	}
	docIVR struct {
		ExecutionFee, PerMinute               string
		InitialIncrement, SubsequentIncrement int64
	}
	docSMS      struct{ Prefix, PerSegment string }
	docWhatsApp struct{ Category, Prefix, PerMessage string }
	docAI       struct{ Model, PerKInput, PerKOutput string }
	docStorage  struct{ PerGB string }
	docTier     struct{ Name, MinSpend, Multiplier string }
)

// appendJSON encodes the document by hand: encoding/json's reflection and
// buffer growth were half the time of loading a 100k-row deck. Optional
// sections are left out when absent; tiers are always written.
func (d *docJSON) appendJSON(b []byte) []byte {
	b = append(b, `{"id":`...)
	b = appendString(b, d.ID)
	b = append(b, `,"currency":`...)
	b = appendString(b, d.Currency)
	b = append(b, `,"default_quota_seconds":`...)
	b = strconv.AppendInt(b, d.DefaultQuotaSeconds, 10)
	if len(d.Voice) > 0 {
		b = append(b, `,"voice":[`...)
		for i, v := range d.Voice {
			b = appendComma(b, i)
			b = appendPairs(b, "direction", v.Direction, "prefix", v.Prefix,
				"per_minute", v.PerMinute, "connection_fee", v.ConnectionFee)
			b = appendIncrements(b, v.InitialIncrement, v.SubsequentIncrement)
		}
		b = append(b, ']')
	}
	if d.IVR != nil {
		b = append(b, `,"ivr":`...)
		b = appendPairs(b, "execution_fee", d.IVR.ExecutionFee, "per_minute", d.IVR.PerMinute)
		b = appendIncrements(b, d.IVR.InitialIncrement, d.IVR.SubsequentIncrement)
	}
	if len(d.SMS) > 0 {
		b = append(b, `,"sms":[`...)
		for i, v := range d.SMS {
			b = appendComma(b, i)
			b = append(appendPairs(b, "prefix", v.Prefix, "per_segment", v.PerSegment), '}')
		}
		b = append(b, ']')
	}
	if len(d.WhatsApp) > 0 {
		b = append(b, `,"whatsapp":[`...)
		for i, v := range d.WhatsApp {
			b = appendComma(b, i)
			b = append(appendPairs(b, "category", v.Category, "prefix", v.Prefix, "per_message", v.PerMessage), '}')
		}
		b = append(b, ']')
	}
	if len(d.AI) > 0 {
		b = append(b, `,"ai":[`...)
		for i, v := range d.AI {
			b = appendComma(b, i)
			b = append(appendPairs(b, "model", v.Model, "per_1k_input", v.PerKInput, "per_1k_output", v.PerKOutput), '}')
		}
		b = append(b, ']')
	}
	if d.Storage != nil {
		b = append(b, `,"storage":`...)
		b = append(appendPairs(b, "per_gb", d.Storage.PerGB), '}')
	}
	b = append(b, `,"tiers":[`...)
	for i, v := range d.Tiers {
		b = appendComma(b, i)
		b = append(appendPairs(b, "name", v.Name, "min_spend", v.MinSpend, "multiplier", v.Multiplier), '}')
	}
	return append(b, "]}"...)
}

func appendComma(b []byte, i int) []byte {
	if i > 0 {
		b = append(b, ',')
	}
	return b
}

// appendPairs opens an object and writes key/value string pairs, leaving the
// object open for more members.
func appendPairs(b []byte, kv ...string) []byte {
	b = append(b, '{')
	for i := 0; i < len(kv); i += 2 {
		b = appendComma(b, i)
		b = appendString(b, kv[i])
		b = append(b, ':')
		b = appendString(b, kv[i+1])
	}
	return b
}

func appendIncrements(b []byte, initial, subsequent int64) []byte {
	b = append(b, `,"initial_increment":`...)
	b = strconv.AppendInt(b, initial, 10)
	b = append(b, `,"subsequent_increment":`...)
	b = strconv.AppendInt(b, subsequent, 10)
	return append(b, '}')
}

// appendString writes s as a JSON string. s is valid UTF-8 (decodeString
// guarantees it), so only quotes, backslashes and control characters need
// escaping.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xF])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}

package loadgen

import (
	"math/rand/v2"
	"strconv"
)

// Request bodies are appended into a worker's reused buffer from pre-encoded
// pieces: no encoding/json and no allocation per request. Every identifier
// the generator writes is made of characters that need no JSON escaping.

// destinations returns numbers across the standard tariff's prefixes: 2557
// (Tanzanian mobile, its own voice rate), other 255 (SMS rate only), 44
// (per-second), 1 and the rest of the world (catch-all), some with '+'.
func destinations(r *rand.Rand, n int) [][]byte {
	type pfx struct {
		prefix string
		digits int
		weight int
	}
	pfxs := []pfx{{"2557", 8, 35}, {"2556", 8, 10}, {"447700900", 3, 20}, {"1555", 7, 20},
		{"4915", 9, 5}, {"9198", 8, 5}, {"23480", 8, 5}}
	total := 0
	for _, p := range pfxs {
		total += p.weight
	}
	out := make([][]byte, n)
	for i := range out {
		w := r.IntN(total)
		p := pfxs[0]
		for _, q := range pfxs {
			if w < q.weight {
				p = q
				break
			}
			w -= q.weight
		}
		var b []byte
		if r.IntN(10) == 0 {
			b = append(b, '+')
		}
		b = append(b, p.prefix...)
		for range p.digits {
			b = append(b, byte('0'+r.IntN(10)))
		}
		out[i] = b
	}
	return out
}

func appendKV(dst []byte, key string, val []byte) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, `":"`...)
	dst = append(dst, val...)
	return append(dst, '"')
}

func appendKInt(dst []byte, key string, v int64) []byte {
	dst = append(dst, '"')
	dst = append(dst, key...)
	dst = append(dst, `":`...)
	return strconv.AppendInt(dst, v, 10)
}

// appendEventHead writes `{"event_id":"…","tenant":"…","service":"…"`.
func appendEventHead(dst, eventID, tenant []byte, service string) []byte {
	dst = append(dst, '{')
	dst = appendKV(dst, "event_id", eventID)
	dst = append(dst, ',')
	dst = appendKV(dst, "tenant", tenant)
	dst = append(dst, `,"service":"`...)
	dst = append(dst, service...)
	return append(dst, '"')
}

// appendSMSEvent writes an SMS event with a text, or with segments and
// encoding when segments > 0 (gateways that count themselves).
func appendSMSEvent(dst, eventID, tenant, dest []byte, t *smsText, segments int, ucs2 bool) []byte {
	dst = appendEventHead(dst, eventID, tenant, "sms")
	dst = append(dst, ',')
	dst = appendKV(dst, "destination", dest)
	if segments > 0 {
		dst = append(dst, ',')
		dst = appendKInt(dst, "segments", int64(segments))
		if ucs2 {
			dst = append(dst, `,"encoding":"ucs2"`...)
		} else {
			dst = append(dst, `,"encoding":"gsm7"`...)
		}
		return append(dst, '}')
	}
	dst = append(dst, `,"text":`...)
	dst = append(dst, t.jsonLit...)
	return append(dst, '}')
}

var waCategories = [...]string{"marketing", "marketing", "marketing", "utility", "utility",
	"utility", "authentication", "authentication", "service", "service"}

func appendWhatsAppEvent(dst, eventID, tenant, dest []byte, category string) []byte {
	dst = appendEventHead(dst, eventID, tenant, "whatsapp")
	dst = append(dst, ',')
	dst = appendKV(dst, "destination", dest)
	dst = append(dst, `,"category":"`...)
	dst = append(dst, category...)
	return append(dst, `"}`...)
}

var aiModels = [...]string{"gpt-4o-mini", "gpt-4o-mini", "gpt-4o-mini", "claude-haiku", "llama-3-70b"}

func appendAIEvent(dst, eventID, tenant []byte, model string, in, out int64) []byte {
	dst = appendEventHead(dst, eventID, tenant, "ai")
	dst = append(dst, `,"model":"`...)
	dst = append(dst, model...)
	dst = append(dst, `",`...)
	dst = appendKInt(dst, "input_tokens", in)
	dst = append(dst, ',')
	dst = appendKInt(dst, "output_tokens", out)
	return append(dst, '}')
}

var topUpMethods = [...]string{"mpesa", "tigopesa", "airtel_money", "visa", "mastercard", "bank_transfer", "manual"}

func appendTopUp(dst []byte, amountMicros int64, method string, reference []byte) []byte {
	dst = append(dst, `{"amount":"`...)
	dst = appendMicros(dst, amountMicros)
	dst = append(dst, `","method":"`...)
	dst = append(dst, method...)
	dst = append(dst, `",`...)
	dst = appendKV(dst, "reference", reference)
	return append(dst, '}')
}

// appendAutoRecharge writes tenant i's auto-recharge setting.
func appendAutoRecharge(dst []byte, p *rechargePlan, i int) []byte {
	dst = append(dst, `{"enabled":true,"threshold":"`...)
	dst = appendMicros(dst, p.thresholdMicros)
	dst = append(dst, `","amount":"`...)
	dst = appendMicros(dst, p.amountMicros)
	dst = append(dst, `","method":"`...)
	dst = append(dst, p.method(i)...)
	return append(dst, `"}`...)
}

// appendTenant writes a tenant on tariff "standard"; maxSessions > 0 caps its
// concurrent sessions (low-funded tenants meet 429 too).
func appendTenant(dst, tenant []byte, maxSessions int) []byte {
	dst = append(dst, '{')
	dst = appendKV(dst, "id", tenant)
	dst = append(dst, `,"name":"Load tenant `...)
	dst = append(dst, tenant...)
	dst = append(dst, `","tariff":"standard"`...)
	if maxSessions > 0 {
		dst = append(dst, ',')
		dst = appendKInt(dst, "max_concurrent_sessions", int64(maxSessions))
	}
	return append(dst, '}')
}

func appendSessionStart(dst, sessionID, tenant, dest []byte, inbound bool, requestedSeconds int64) []byte {
	dst = append(dst, '{')
	dst = appendKV(dst, "session_id", sessionID)
	dst = append(dst, ',')
	dst = appendKV(dst, "tenant", tenant)
	dst = append(dst, `,"service":"voice","direction":"`...)
	if inbound {
		dst = append(dst, "inbound"...)
	} else {
		dst = append(dst, "outbound"...)
	}
	dst = append(dst, `",`...)
	dst = appendKV(dst, "destination", dest)
	if requestedSeconds > 0 {
		dst = append(dst, ',')
		dst = appendKInt(dst, "requested_seconds", requestedSeconds)
	}
	return append(dst, '}')
}

// appendSessionReport is the body of an update and of a stop.
func appendSessionReport(dst []byte, requestNumber, usedSeconds int64) []byte {
	dst = append(dst, '{')
	dst = appendKInt(dst, "request_number", requestNumber)
	dst = append(dst, ',')
	dst = appendKInt(dst, "used_seconds", usedSeconds)
	return append(dst, '}')
}

// appendTenantPath writes /v1/tenants/<t><suffix>.
func appendTenantPath(dst, tenant []byte, suffix string) []byte {
	dst = append(dst, "/v1/tenants/"...)
	dst = append(dst, tenant...)
	return append(dst, suffix...)
}

// appendSessionPath writes /v1/sessions/<id>/<action>.
func appendSessionPath(dst, sessionID []byte, action string) []byte {
	dst = append(dst, "/v1/sessions/"...)
	dst = append(dst, sessionID...)
	dst = append(dst, '/')
	return append(dst, action...)
}

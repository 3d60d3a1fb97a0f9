package charging

import (
	"strings"

	"github.com/salio/salio/tariff"
)

// Describe returns a transaction's human description. Hot paths leave
// Transaction.Description empty and readers derive it here, so an event debit
// builds no strings it does not need.
func Describe(tx *Transaction) string {
	if tx.Description != "" {
		return tx.Description
	}
	qty := FormatQuantity(tx.QuantityMicros)
	switch tx.Service {
	case "sms":
		return "SMS, " + qty + " segment(s)"
	case "whatsapp":
		return "WhatsApp " + strings.TrimPrefix(tx.Item, "whatsapp.") + " message"
	case "ai":
		return "AI " + strings.TrimPrefix(tx.Item, "ai.") + ", " + qty + " tokens"
	case "storage":
		return "Storage, " + qty + " GB"
	case "voice":
		return "Voice " + strings.TrimPrefix(tx.Item, "voice.") + " call, " + qty + " s"
	case "ivr":
		return "IVR session, " + qty + " s"
	case "":
		if tx.Type == "topup" {
			return "Top-up via " + tx.Method
		}
	}
	return tx.Type
}

// FormatQuantity prints micro-units of a quantity with trailing zeros trimmed:
// 65000000 → "65", 1500000 → "1.5".
func FormatQuantity(micros int64) string {
	s := tariff.FormatMicros(micros)
	s = strings.TrimRight(s, "0")
	return strings.TrimSuffix(s, ".")
}

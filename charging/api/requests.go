package api

import (
	"github.com/salio/salio/charging"
)

// Request bodies of the usage routes (sessions, events, batch, rate) share
// their fields; usage decodes the union and then checks which fields the
// route and the service admit, so every route reads the same names the
// same way.

// Usage fields, as bits of usage.has.
const (
	uEventID = 1 << iota
	uSessionID
	uTenant
	uService
	uDirection
	uDestination
	uRequested
	uText
	uSegments
	uEncoding
	uCategory
	uModel
	uInputTokens
	uOutputTokens
	uGB
	uSeconds
	uFieldCount = iota
)

var usageFieldNames = [uFieldCount]string{"event_id", "session_id", "tenant", "service",
	"direction", "destination", "requested_seconds", "text", "segments", "encoding",
	"category", "model", "input_tokens", "output_tokens", "gb", "seconds"}

// Fields each service admits (besides the route's own: ids and seconds).
const (
	uCommon   = uTenant | uService
	uVoice    = uCommon | uDirection | uDestination | uRequested
	uSMS      = uCommon | uDestination | uText | uSegments | uEncoding
	uWhatsApp = uCommon | uDestination | uCategory
	uAI       = uCommon | uModel | uInputTokens | uOutputTokens
	uStorage  = uCommon | uGB
)

// Which fields each route reads at all; anything else is an unknown field.
const (
	routeEvent = uEventID | uSMS | uWhatsApp | uAI | uStorage
	routeStart = uSessionID | uVoice
	routeRate  = routeEvent | routeStart | uSeconds
)

// Service names.
const (
	svcVoice    = "voice"
	svcIVR      = "ivr"
	svcSMS      = "sms"
	svcWhatsApp = "whatsapp"
	svcAI       = "ai"
	svcStorage  = "storage"
)

// usage is the decoded union body.
type usage struct {
	has     uint32
	ev      charging.EventRequest
	st      charging.StartRequest
	seconds int64
}

// usageObject decodes one usage object admitting the fields in allowed; the
// caller has already opened it. Validation errors land in d.verr.
func (d *decoder) usageObject(it *objIter, u *usage, allowed uint32) {
	for d.next(it) {
		bit := usageBit(d.key)
		if bit == 0 || allowed&bit == 0 {
			d.unknown()
			continue
		}
		if d.usageValue(u, bit) {
			u.has |= bit
		}
	}
}

func usageBit(k []byte) uint32 {
	for i, n := range usageFieldNames {
		if string(k) == n {
			return 1 << i
		}
	}
	return 0
}

// usageValue reads the value of one field; false for null or a bad value.
func (d *decoder) usageValue(u *usage, bit uint32) (ok bool) {
	switch bit {
	case uEventID:
		u.ev.EventID, ok = d.id("event_id")
	case uSessionID:
		u.st.SessionID, ok = d.id("session_id")
	case uTenant:
		u.ev.Tenant, ok = d.id("tenant")
	case uService:
		u.ev.Service, ok = d.enum("service", svcVoice, svcIVR, svcSMS, svcWhatsApp, svcAI, svcStorage)
	case uDirection:
		u.st.Direction, ok = d.enum("direction", "outbound", "inbound")
	case uDestination:
		u.ev.Destination, ok = d.destination("destination")
	case uRequested:
		u.st.RequestedSeconds, ok = d.integer("requested_seconds", 0, maxRequestedSeconds, limitRequested)
	case uText:
		u.ev.Text, ok = d.text("text", maxTextBytes, limitText)
		u.ev.HasText = ok
	case uSegments:
		u.ev.Segments, ok = d.integer("segments", minSegments, maxSegments, limitSegments)
	case uEncoding:
		u.ev.Encoding, ok = d.enum("encoding", "gsm7", "ucs2")
	case uCategory:
		u.ev.Category, ok = d.enum("category", "marketing", "utility", "authentication", "service")
	case uModel:
		u.ev.Model, ok = d.model("model")
	case uInputTokens:
		u.ev.InputTokens, ok = d.integer("input_tokens", 0, maxTokens, limitTokens)
	case uOutputTokens:
		u.ev.OutputTokens, ok = d.integer("output_tokens", 0, maxTokens, limitTokens)
	case uGB:
		u.ev.GBMicros, ok = d.quantity("gb", 1, maxGBMicros)
	case uSeconds:
		u.seconds, ok = d.integer("seconds", 0, maxRateSeconds, limitUsed)
	}
	return ok
}

// model reads an AI model name: 1–128 of the id characters plus '/'
// ("meta-llama/llama-3.1-8b").
func (d *decoder) model(field string) (string, bool) {
	b, ok := d.str(field)
	if !ok {
		return "", false
	}
	if len(b) == 0 || len(b) > maxModelLen {
		d.setErr(overLimit(limitName, field, "must be 1-128 characters"))
		return "", false
	}
	for _, c := range b {
		if !idChar[c] && c != '/' {
			d.bad(field, "may hold only A-Z a-z 0-9 . _ : - @ /")
			return "", false
		}
	}
	return string(b), true
}

// checkService validates the fields against the service once the whole
// object is read (service may come last). needID is the route's id field
// bit (0 = none required).
func (d *decoder) checkService(u *usage, needID uint32) {
	if d.verr != nil || d.syntax != nil {
		return
	}
	if u.has&uService == 0 {
		d.bad("service", "required")
		return
	}
	var admitted, required uint32
	switch u.ev.Service {
	case svcVoice, svcIVR:
		admitted, required = uVoice|uSessionID|uSeconds, uTenant|uDirection|uDestination
	case svcSMS:
		admitted, required = uSMS|uEventID|uSeconds, uTenant|uDestination
	case svcWhatsApp:
		admitted, required = uWhatsApp|uEventID|uSeconds, uTenant|uDestination|uCategory
	case svcAI:
		admitted, required = uAI|uEventID|uSeconds, uTenant|uModel
	case svcStorage:
		admitted, required = uStorage|uEventID|uSeconds, uTenant|uGB
	}
	required |= needID
	for i := 0; i < uFieldCount; i++ {
		bit := uint32(1) << i
		switch {
		case u.has&bit != 0 && admitted&bit == 0:
			d.bad(usageFieldNames[i], "not a field of service "+u.ev.Service)
			return
		case required&bit != 0 && u.has&bit == 0:
			d.bad(usageFieldNames[i], "required")
			return
		}
	}
	d.checkSMS(u)
}

// checkSMS: an SMS is priced from its text or from segments, not both; an
// encoding only goes with segments (with a text it is counted).
func (d *decoder) checkSMS(u *usage) {
	if u.ev.Service != svcSMS {
		return
	}
	switch {
	case u.has&uText != 0 && u.has&uSegments != 0:
		d.bad("segments", "give text or segments, not both")
	case u.has&uText == 0 && u.has&uSegments == 0:
		d.bad("text", "required (or segments)")
	case u.has&uEncoding != 0 && u.has&uSegments == 0:
		d.bad("encoding", "only with segments")
	case u.has&uSegments != 0 && u.ev.Encoding == "":
		u.ev.Encoding = "gsm7"
	}
}

// isSession reports whether the decoded service is a session service.
func (u *usage) isSession() bool { return u.ev.Service == svcVoice || u.ev.Service == svcIVR }

// startRequest assembles the engine's StartRequest.
func (u *usage) startRequest() charging.StartRequest {
	s := u.st
	s.Tenant, s.Service, s.Destination = u.ev.Tenant, u.ev.Service, u.ev.Destination
	return s
}

// ---- the usage routes' bodies

// decodeEvent decodes POST /v1/events.
func (d *decoder) decodeEvent(r *charging.EventRequest) *apiError {
	var it objIter
	var u usage
	if d.object(&it, "") {
		d.usageObject(&it, &u, routeEvent)
	}
	if e := d.finish(); e != nil {
		return e
	}
	if u.isSession() {
		d.bad("service", "must be one of: sms, whatsapp, ai, storage")
	}
	d.checkService(&u, uEventID)
	*r = u.ev
	return d.err()
}

// decodeStart decodes POST /v1/sessions.
func (d *decoder) decodeStart(r *charging.StartRequest) *apiError {
	var it objIter
	var u usage
	if d.object(&it, "") {
		d.usageObject(&it, &u, routeStart|uService)
	}
	if e := d.finish(); e != nil {
		return e
	}
	if u.has&uService != 0 && !u.isSession() {
		d.bad("service", "must be one of: voice, ivr")
	}
	d.checkService(&u, uSessionID)
	*r = u.startRequest()
	return d.err()
}

// decodeRate decodes POST /v1/rate: an event or a session start (ids
// optional: nothing is stored) plus seconds for a session.
func (d *decoder) decodeRate(r *charging.RateRequest) *apiError {
	var it objIter
	var u usage
	if d.object(&it, "") {
		d.usageObject(&it, &u, routeRate)
	}
	if e := d.finish(); e != nil {
		return e
	}
	d.checkService(&u, 0)
	if e := d.err(); e != nil {
		return e
	}
	if u.isSession() {
		st := u.startRequest()
		*r = charging.RateRequest{Session: &st, Seconds: u.seconds}
		return nil
	}
	if u.has&uSeconds != 0 {
		return invalid("seconds", "only for voice and ivr")
	}
	ev := u.ev
	*r = charging.RateRequest{Event: &ev}
	return nil
}

// batchItem is one decoded item of a batch: a request or its error.
type batchItem struct {
	req charging.EventRequest
	err *apiError
}

// decodeBatch decodes POST /v1/events/batch into items (reused). An item that
// fails validation gets its error and the others go on; malformed JSON fails
// the whole batch, and so does item 1001 (413, before any work is done).
func (d *decoder) decodeBatch(items []batchItem) ([]batchItem, *apiError) {
	items = items[:0]
	var it objIter
	seen := false
	if d.object(&it, "") {
		for d.next(&it) {
			if string(d.key) != "events" {
				d.unknown()
				continue
			}
			seen = true
			items = d.batchEvents(items)
		}
	}
	if e := d.finish(); e != nil {
		return items, e
	}
	if !seen {
		return items, invalid("events", "required")
	}
	return items, nil
}

func (d *decoder) batchEvents(items []batchItem) []batchItem {
	var ai arrIter
	if !d.array(&ai, "events") {
		return items
	}
	for d.elem(&ai) {
		if ai.n > maxBatchItems {
			d.syntax = tooLarge(limitBatch, "a batch holds at most 1000 events")
			return items
		}
		items = append(items, d.batchItem())
	}
	return items
}

func (d *decoder) batchItem() batchItem {
	outer := d.verr
	d.verr = nil
	var it objIter
	var u usage
	if d.object(&it, "events[]") {
		d.usageObject(&it, &u, routeEvent)
		if u.isSession() {
			d.bad("service", "must be one of: sms, whatsapp, ai, storage")
		}
		d.checkService(&u, uEventID)
	}
	item := batchItem{req: u.ev, err: d.verr}
	d.verr = outer
	return item
}

// ---- session update and stop

// decodeUpdate decodes POST /v1/sessions/{id}/update.
func (d *decoder) decodeUpdate(r *charging.UpdateRequest) *apiError {
	return d.decodeReport(&r.RequestNumber, &r.UsedSeconds, &r.RequestedSeconds)
}

// decodeStop decodes POST /v1/sessions/{id}/stop: an update without
// requested_seconds (which a stop refuses as an unknown field).
func (d *decoder) decodeStop(r *charging.StopRequest) *apiError {
	return d.decodeReport(&r.RequestNumber, &r.UsedSeconds, nil)
}

// decodeReport decodes the usage report of an update (requested != nil) or a stop.
func (d *decoder) decodeReport(number, used, requested *int64) *apiError {
	var it objIter
	var hasNumber, hasUsed bool
	if d.object(&it, "") {
		for d.next(&it) {
			switch key := string(d.key); {
			case key == "request_number":
				*number, hasNumber = d.integer("request_number", 1, maxRequestNumber, limitRequestNum)
			case key == "used_seconds":
				*used, hasUsed = d.integer("used_seconds", 0, maxUsedSeconds, limitUsed)
			case key == "requested_seconds" && requested != nil:
				*requested, _ = d.integer("requested_seconds", 0, maxRequestedSeconds, limitRequested)
			default:
				d.unknown()
			}
		}
	}
	return d.requireCounters(hasNumber, hasUsed)
}

// requireCounters: request_number and used_seconds are the request's
// identity and its usage; neither has a safe default.
func (d *decoder) requireCounters(hasNum, hasUsed bool) *apiError {
	if e := d.finish(); e != nil {
		return e
	}
	if !hasNum {
		d.bad("request_number", "required")
	}
	if !hasUsed {
		d.bad("used_seconds", "required")
	}
	return d.err()
}

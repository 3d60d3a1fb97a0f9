package api

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salio/salio/charging"
	"github.com/salio/salio/tariff"
)

// Every limit the API enforces, in one place, each with the reason it has the
// value it has. A limit is checked before any work is done on the request
// (decoding stops at the first violation; the engine is never called), and
// every hit increments salio_limit_hits_total{limit="<name>"}.

// Limits are the configurable limits; zero fields take the defaults below.
type Limits struct {
	// MaxBodyBytes bounds a request body. The spec fixes 1 MiB: a batch of
	// 1000 ordinary events is ~200 KiB, so 1 MiB leaves room for long SMS
	// texts while bounding the memory one connection can pin. fasthttp
	// rejects a larger body while reading it, before the handler runs.
	MaxBodyBytes int
	// MaxTopUpMicros bounds one top-up, fee or threshold (default 1,000,000
	// units, the engine's default). It keeps every balance far inside int64
	// and catches fat-fingered amounts (an extra zero or two).
	MaxTopUpMicros int64
}

const (
	defaultMaxBodyBytes   = 1 << 20                        // spec section 7: 413 over 1 MiB
	defaultMaxTopUpMicros = charging.DefaultMaxTopUpMicros // 1,000,000 units: the engine's own bound

	// maxBatchItems is the spec's bound on POST /v1/events/batch (413 above).
	// One batch is one group commit; a bound keeps its latency predictable.
	maxBatchItems = charging.MaxBatchEvents

	// maxIDLen is the spec's bound on caller-chosen identifiers (session_id,
	// event_id, reference, tenant and tariff ids): a SIP Call-ID fits.
	maxIDLen = 128

	// maxRequestedSeconds is the spec's bound on requested_seconds: one grant
	// of at most a day keeps a reservation's exposure bounded.
	maxRequestedSeconds = charging.MaxRequestedSeconds

	// maxUsedSeconds bounds used_seconds in one update or stop (the engine's
	// bound): a grant is at most a day and a session expires 30 s after its
	// grant runs out, so more than a day since the previous request cannot be
	// real; it also keeps cost(total) far inside tariff.MaxSeconds.
	maxUsedSeconds = charging.MaxUsedSecondsPerRequest

	// maxRequestNumber bounds request_number: a call updated every second for
	// thirty years stays under it, and it cannot overflow int64 arithmetic.
	maxRequestNumber = 1_000_000_000

	// maxRateSeconds bounds seconds in POST /v1/rate: a session's total
	// usage is at most a week (the engine's bound), so no larger price is real.
	maxRateSeconds = charging.MaxSessionSeconds

	// minSegments, maxSegments: the spec's 1–255 SMS segments (the UDH
	// concatenation counter is one byte).
	minSegments = 1
	maxSegments = 255

	// maxTextBytes bounds an SMS text. 255 segments hold at most 39,015 GSM-7
	// characters or 17,085 UCS-2 units (< 52 KiB of UTF-8); 64 KiB admits any
	// text that can be sent and nothing far beyond it.
	maxTextBytes = 64 << 10

	// maxTokens bounds AI input_tokens and output_tokens (tariff.MaxTokens):
	// the largest count the rating arithmetic handles exactly.
	maxTokens = tariff.MaxTokens

	// maxGBMicros bounds storage gb (1,000,000,000 GB per event, in
	// micro-GB, the engine's bound): far beyond any real report, and the cost
	// stays inside int64.
	maxGBMicros = 1_000_000_000 * 1_000_000

	// maxNameLen bounds free-text names (tenant and key names): they are
	// labels for humans, and they are stored with every record.
	maxNameLen = 256

	// maxModelLen bounds an AI model name; model names are short labels.
	maxModelLen = 128

	// maxCapabilities bounds a number's capabilities list (voice, sms, mms,
	// fax, whatsapp ...): a handful exists.
	maxCapabilities = 16

	// maxPermissions bounds a custom role's permission list: there are 23
	// permissions; duplicates are refused, so more cannot be valid.
	maxPermissions = 32

	// maxGracePeriodSeconds bounds grace_period_seconds to a day (the
	// engine's bound): a grace window is meant to be minutes; a longer one is
	// a credit line, not a grace.
	maxGracePeriodSeconds = charging.MaxGracePeriodSeconds

	// maxConcurrentSessions bounds max_concurrent_sessions; far beyond any
	// switch, it keeps the setting inside the engine's int32.
	maxConcurrentSessions = charging.MaxMaxConcurrentSessions

	// maxPageLimit bounds limit on list routes (transactions, cdrs): one page
	// is one bounded read of the store.
	maxPageLimit     = 1000
	defaultPageLimit = 50

	// maxCursorLen bounds an opaque cursor; cursors are short numbers.
	maxCursorLen = 128

	// maxJSONDepth bounds the nesting of a JSON body. No request nests
	// deeper than 3; the bound stops a body of a million '[' from costing a
	// deep recursion while it is refused.
	maxJSONDepth = 16

	// maxObjectKeys is how many keys of one object the duplicate check
	// remembers: no request object has half as many fields, so an object
	// with more has already drawn an "unknown field" error.
	maxObjectKeys = 24

	// minEnvKeyLen is the shortest SALIO_ADMIN_KEY accepted: an admin key is
	// the whole platform; 16 characters is the least a guess should have to
	// beat.
	minEnvKeyLen = 16

	// maxKeyHeaderLen bounds the bearer secret we hash; our keys are 46 bytes.
	maxKeyHeaderLen = 256
)

// Connection limits of the fasthttp server.
const (
	// readTimeout and writeTimeout bound one request's read and its answer's
	// write: a client that trickles a body or never reads its answer cannot
	// pin a worker (slowloris). 1 MiB takes well under a second on any link
	// a switch uses.
	readTimeout  = 30 * time.Second
	writeTimeout = 30 * time.Second
	// idleTimeout closes idle keep-alive connections; switches reconnect at
	// once, and graceful shutdown waits only for busy connections.
	idleTimeout = 2 * time.Minute
	// defaultShutdownTimeout bounds how long Shutdown waits for in-flight
	// requests: a durable answer takes one group commit (milliseconds), so
	// anything still busy after 30 s is stuck, not draining.
	defaultShutdownTimeout = 30 * time.Second
)

// Limit names, the values of the limit label.
const (
	limitBody       = "body_bytes"
	limitBatch      = "batch_items"
	limitID         = "id_length"
	limitRequested  = "requested_seconds"
	limitUsed       = "used_seconds"
	limitSegments   = "segments"
	limitText       = "text_bytes"
	limitAmount     = "amount"
	limitTokens     = "tokens"
	limitQuantity   = "quantity"
	limitName       = "name_length"
	limitList       = "list_items"
	limitPage       = "page_limit"
	limitSetting    = "setting"
	limitRequestNum = "request_number"
	limitHeader     = "auth_header"
)

var allLimits = []string{limitBody, limitBatch, limitID, limitRequested, limitUsed,
	limitSegments, limitText, limitAmount, limitTokens, limitQuantity, limitName,
	limitList, limitPage, limitSetting, limitRequestNum, limitHeader}

func (l Limits) withDefaults() Limits {
	if l.MaxBodyBytes <= 0 {
		l.MaxBodyBytes = defaultMaxBodyBytes
	}
	if l.MaxTopUpMicros <= 0 {
		l.MaxTopUpMicros = defaultMaxTopUpMicros
	}
	return l
}

// limitCounters holds one pre-resolved counter per limit so that counting a
// hit on the hot path does no label lookup.
type limitCounters map[string]prometheus.Counter

func newLimitCounters(vec *prometheus.CounterVec) limitCounters {
	m := make(limitCounters, len(allLimits))
	for _, l := range allLimits {
		m[l] = vec.WithLabelValues(l)
	}
	return m
}

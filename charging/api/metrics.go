package api

import (
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/salio/salio/charging"
)

// statusCodes are the statuses the API answers with; each route resolves the
// counter of a status once, so counting a request does no label lookup.
var statusCodes = [...]int{200, 201, 204, 400, 401, 402, 403, 404, 405, 409, 413, 429, 500, 503}

func statusIndex(code int) int {
	for i, c := range statusCodes {
		if c == code {
			return i
		}
	}
	return len(statusCodes) - 2 // unexpected: counted as 500
}

// metrics are the API's own metrics; the engine's are read at scrape time by
// engineCollector.
type metrics struct {
	requests  *prometheus.CounterVec
	latency   *prometheus.HistogramVec
	limitHits *prometheus.CounterVec
	limits    limitCounters
	unmatched *route // counts requests that match no route
}

func newMetrics(reg prometheus.Registerer, eng *charging.Engine) *metrics {
	m := &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "salio_http_requests_total",
			Help: "HTTP requests by route pattern and status.",
		}, []string{"route", "status"}),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "salio_http_request_duration_seconds",
			Help: "HTTP request latency by route pattern, from routing to the answer written.",
			// The engine answers in well under a millisecond of its own time;
			// a durable answer waits for one group commit (an fsync).
			Buckets: []float64{.00005, .0001, .00025, .0005, .001, .0025, .005, .01, .025, .05, .1, .25, 1},
		}, []string{"route"}),
		limitHits: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "salio_limit_hits_total",
			Help: "Requests refused by one of the API's limits (see charging/api/limits.go).",
		}, []string{"limit"}),
	}
	m.limits = newLimitCounters(m.limitHits)
	if reg != nil {
		reg.MustRegister(m.requests, m.latency, m.limitHits)
		if eng != nil {
			reg.MustRegister(engineCollector{eng})
		}
	}
	return m
}

// bind resolves a route's latency observer.
func (m *metrics) bind(rt *route) {
	rt.latency = m.latency.WithLabelValues(rt.pattern)
}

// observe counts one answered request.
func (m *metrics) observe(rt *route, status int, start time.Time) {
	rt.latency.Observe(time.Since(start).Seconds())
	slot := &rt.counts[statusIndex(status)]
	c := slot.Load()
	if c == nil {
		cc := m.requests.WithLabelValues(rt.pattern, strconv.Itoa(statusCodes[statusIndex(status)]))
		slot.Store(&cc)
		c = &cc
	}
	(*c).Inc()
}

func (m *metrics) limitHit(limit string) {
	if c, ok := m.limits[limit]; ok {
		c.Inc()
	}
}

// engineCollector reads Engine.Stats at scrape time: gauges that walk every
// wallet cost nothing between scrapes.
type engineCollector struct{ eng *charging.Engine }

var (
	descOpenSessions = prometheus.NewDesc("salio_open_sessions", "Open voice and IVR sessions.", nil, nil)
	descReserved     = prometheus.NewDesc("salio_reserved_micros", "Sum of open reservations, in micro-units (all currencies).", nil, nil)
	descWallets      = prometheus.NewDesc("salio_wallets", "Wallets by status.", []string{"status"}, nil)
	descGrants       = prometheus.NewDesc("salio_session_grants_total", "Session requests granted more than 0 seconds.", nil, nil)
	descDenials      = prometheus.NewDesc("salio_denials_total", "Requests refused by the engine, by reason.", []string{"reason"}, nil)
	descExpiries     = prometheus.NewDesc("salio_session_expiries_total", "Sessions expired without a stop.", nil, nil)
	descReplays      = prometheus.NewDesc("salio_idempotent_replays_total", "Requests answered from a stored answer (idempotent retries).", nil, nil)
	descEvents       = prometheus.NewDesc("salio_events_charged_total", "One-shot events charged.", nil, nil)
	descFailed       = prometheus.NewDesc("salio_engine_failed", "1 when the engine has failed closed (it refuses everything until restarted).", nil, nil)
	descIdempotency  = prometheus.NewDesc("salio_idempotency_records", "Idempotency records held in memory (closed sessions, events, top-ups within retention).", nil, nil)
	descEventWindow  = prometheus.NewDesc("salio_idempotency_event_window_seconds", "How far back a retried event is still recognised: the retention, or less once events were forgotten early (the age of the newest one forgotten); a retry older than this is charged again. Alert when it drops below the gateways' retry window.", nil, nil)
	descEvictions    = prometheus.NewDesc("salio_idempotency_evictions_total", "Idempotency records (events, closed sessions, top-ups in memory) forgotten before their retention ended because the engine held its maximum (a retry of such an event or session would be charged again).", nil, nil)
)

func (engineCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descOpenSessions, descReserved, descWallets, descGrants,
		descDenials, descExpiries, descReplays, descEvents, descFailed, descIdempotency, descEvictions, descEventWindow} {
		ch <- d
	}
}

func (c engineCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.eng.Stats()
	gauge := func(d *prometheus.Desc, v int64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(v), lv...)
	}
	counter := func(d *prometheus.Desc, v int64, lv ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), lv...)
	}
	gauge(descOpenSessions, st.OpenSessions)
	gauge(descReserved, st.ReservedMicros)
	for _, status := range []string{"ok", "low", "grace", "blocked"} {
		gauge(descWallets, st.WalletsByStatus[status], status)
	}
	counter(descGrants, st.Grants)
	for reason, n := range st.Denials {
		counter(descDenials, n, reason)
	}
	counter(descExpiries, st.Expiries)
	counter(descReplays, st.Replays)
	counter(descEvents, st.EventsCharged)
	failed := int64(0)
	if st.Failed {
		failed = 1
	}
	gauge(descFailed, failed)
	gauge(descIdempotency, st.IdempotencyRecords)
	counter(descEvictions, st.IdempotencyEvictions)
	ch <- prometheus.MustNewConstMetric(descEventWindow, prometheus.GaugeValue, float64(st.IdempotencyEventWindowMs)/1000)
}

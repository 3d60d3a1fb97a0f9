package api

import (
	"encoding/json"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/valyala/fasthttp"
	"github.com/valyala/fasthttp/fasthttpadaptor"

	"github.com/salio/salio/charging/cdr"
)

// Tariffs, CDRs and the operational routes.

// putTariff stores a new version of the tariff {id}. The document's own id
// must be {id}: the URL says what is replaced.
func (s *Server) putTariff(r *request) error {
	if err := checkID("id", r.params[0]); err != nil {
		return err
	}
	var head struct {
		ID json.RawMessage `json:"id"`
	}
	if err := json.Unmarshal(r.body(), &head); err != nil {
		return invalid("", "malformed JSON: the body must be a tariff document")
	}
	var docID string
	if err := json.Unmarshal(head.ID, &docID); err != nil || docID == "" {
		return invalid("id", "required: the tariff's id, a string")
	}
	if docID != string(r.params[0]) {
		return invalid("id", "must match the id in the URL")
	}
	t, err := s.eng.PutTariff(append([]byte(nil), r.body()...))
	if err != nil {
		return err
	}
	e := r.begin()
	e.str("id", t.ID)
	e.int("version", t.Version)
	e.str("currency", t.Currency)
	return r.reply(201)
}

// getTariff answers the stored document as it was put (canonical JSON),
// its version in the Salio-Tariff-Version header. A tenant-scoped key reads
// only the tariff its tenant uses.
func (s *Server) getTariff(r *request) error {
	if err := checkID("id", r.params[0]); err != nil {
		return err
	}
	id := r.param(0)
	if !r.key.platform() {
		t, err := s.eng.Tenant(r.key.tenant)
		if err != nil || t.Tariff != id {
			return forbidden("this key reads only its tenant's tariff")
		}
	}
	t, err := s.eng.Tariff(id)
	if err != nil {
		return err
	}
	r.ctx.Response.Header.Set("Salio-Tariff-Version", strconv.FormatInt(t.Version, 10))
	r.enc.reset(r.enc.b)
	r.enc.b = append(r.enc.b, t.Doc...)
	r.send(200)
	return nil
}

// cdrs: ?after=<seq>&limit=1..1000 (default 50), in commit order. Each item
// is the spec's CDR (section 8) plus its "seq"; next_after continues. A
// tenant-scoped key sees its own tenant's CDRs only: the page is scanned
// and filtered, and next_after still advances past what was skipped.
func (s *Server) cdrs(r *request) error {
	q, err := parseQuery(r.ctx.QueryArgs(), "after", "limit")
	if err != nil {
		return err
	}
	var after uint64
	if len(q[0]) > 0 {
		if after, err = strconv.ParseUint(string(q[0]), 10, 64); err != nil {
			return invalid("after", "must be a whole number")
		}
	}
	limit, err := pageLimit(q[1], defaultPageLimit)
	if err != nil {
		return err
	}
	logged, err := s.eng.CDRs(after, limit)
	if err != nil {
		return err
	}
	e := r.begin()
	e.arr("items")
	next := after
	for i := range logged {
		c := &logged[i]
		next = c.Seq
		if !r.key.mayActFor(c.CDR.Tenant) {
			continue
		}
		e.sep()
		e.b = append(e.b, `{"seq":`...)
		e.b = strconv.AppendUint(e.b, c.Seq, 10)
		e.b = append(e.b, ',', '"', 'c', 'd', 'r', '"', ':')
		e.b = cdr.AppendCDRJSON(e.b, &c.CDR)
		e.b = append(e.b, '}')
		e.comma = true
	}
	e.closeArr()
	e.key("next_after")
	e.b = strconv.AppendUint(e.b, next, 10)
	e.comma = true
	return r.reply(200)
}

// healthz: the process is alive.
func (s *Server) healthz(r *request) error {
	e := r.begin()
	e.str("status", "ok")
	return r.reply(200)
}

// readyz: 200 once the engine has recovered and while it has not failed;
// 503 before, after a failure (with the reason) and during shutdown.
func (s *Server) readyz(r *request) error {
	ready := s.eng.Ready() && !s.shuttingDown.Load()
	e := r.begin()
	e.bool("ready", ready)
	e.bool("shutting_down", s.shuttingDown.Load())
	if err := s.eng.Err(); err != nil {
		e.str("error", err.Error())
	}
	s.writeBacklog(e)
	if ready {
		return r.reply(200)
	}
	return r.reply(503)
}

// writeBacklog adds the Kafka outbox's state: {"kafka": {"cdrs": {"backlog":
// N, "oldest_unpublished_seconds": S, ...}, "events": {...}}}, or "kafka": null.
func (s *Server) writeBacklog(e *enc) {
	var logs []LogBacklog
	if s.backlog != nil {
		logs = s.backlog()
	}
	if len(logs) == 0 {
		e.null("kafka")
		return
	}
	e.obj("kafka")
	e.comma = false
	for _, l := range logs {
		e.obj(l.Log)
		e.comma = false
		e.int("backlog", int64(l.Records))
		e.int("oldest_unpublished_seconds", int64(l.OldestAge/time.Second))
		e.int("published_total", int64(l.PublishedTotal))
		e.int("parked_total", int64(l.ParkedTotal))
		e.close()
	}
	e.close()
}

func (s *Server) metricsRoute(r *request) error {
	s.metricsH(r.ctx)
	return nil
}

func newMetricsHandler(reg *prometheus.Registry) fasthttp.RequestHandler {
	h := promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg})
	return fasthttpadaptor.NewFastHTTPHandler(h)
}

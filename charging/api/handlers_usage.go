package api

import "github.com/salio/salio/charging"

// The hot routes: sessions, events, batches and rating. Their tenant is in
// the body (checked as soon as it is decoded, before the engine is asked
// anything) or behind a session id.

func (s *Server) startSession(r *request) error {
	var req charging.StartRequest
	if err := s.decoder(r).decodeStart(&req); err != nil {
		return err
	}
	if !r.key.mayActFor(req.Tenant) {
		return errForbiddenTenant
	}
	rep, replay, err := s.eng.StartSession(req)
	if err != nil {
		return err
	}
	writeSessionGrant(r.begin(), &rep, false)
	return r.reply(created(replay))
}

// sessionID validates the {id} of a session route and, for a tenant-scoped
// key, answers 404 for a session of another tenant: the URL names no
// tenant, so "not found" is the answer that tells nothing about it.
func (s *Server) sessionID(r *request) (string, error) {
	if err := checkID("session_id", r.params[0]); err != nil {
		return "", err
	}
	id := r.param(0)
	if !r.key.platform() {
		if t, ok := s.eng.SessionTenant(id); !ok || t != r.key.tenant {
			return "", notFound("session not found")
		}
	}
	return id, nil
}

func (s *Server) updateSession(r *request) error {
	var req charging.UpdateRequest
	if err := s.decoder(r).decodeUpdate(&req); err != nil {
		return err
	}
	id, err := s.sessionID(r)
	if err != nil {
		return err
	}
	rep, _, err := s.eng.UpdateSession(id, req)
	if err != nil {
		return err
	}
	writeSessionGrant(r.begin(), &rep, true)
	return r.reply(200)
}

func (s *Server) stopSession(r *request) error {
	var req charging.StopRequest
	if err := s.decoder(r).decodeStop(&req); err != nil {
		return err
	}
	id, err := s.sessionID(r)
	if err != nil {
		return err
	}
	rep, _, err := s.eng.StopSession(id, req)
	if err != nil {
		return err
	}
	writeSessionStop(r.begin(), &rep)
	return r.reply(200)
}

func (s *Server) getSession(r *request) error {
	id, err := s.sessionID(r)
	if err != nil {
		return err
	}
	st, err := s.eng.Session(id)
	if err != nil {
		return err
	}
	writeSessionState(r.begin(), &st)
	return r.reply(200)
}

func (s *Server) event(r *request) error {
	var req charging.EventRequest
	if err := s.decoder(r).decodeEvent(&req); err != nil {
		return err
	}
	if !r.key.mayActFor(req.Tenant) {
		return errForbiddenTenant
	}
	ans, replay, err := s.eng.Event(req)
	if err != nil {
		return err
	}
	writeEventAnswer(r.begin(), &ans)
	return r.reply(created(replay))
}

// eventBatch answers 200 with one result per item, in order. Items that
// failed validation or name another tenant get their error and never reach
// the engine; the rest go to the engine as one batch (one commit).
func (s *Server) eventBatch(r *request) error {
	items, err := s.decoder(r).decodeBatch(r.items)
	r.items = items
	if err != nil {
		return err
	}
	r.evs = r.evs[:0]
	for i := range items {
		it := &items[i]
		if it.err == nil && !r.key.mayActFor(it.req.Tenant) {
			it.err = errForbiddenTenant
		}
		if it.err == nil {
			r.evs = append(r.evs, it.req)
		}
	}
	var results []charging.EventResult
	if len(r.evs) > 0 {
		results = s.eng.EventBatch(r.evs)
	}
	e := r.begin()
	e.arr("results")
	next := 0
	for i := range items {
		e.open()
		if items[i].err != nil {
			s.countLimit(items[i].err)
			appendError(e, items[i].err)
		} else {
			res := &results[next]
			next++
			if res.Err != nil {
				appendError(e, toAPIError(res.Err))
			} else {
				writeEventAnswer(e, &res.Answer)
			}
		}
		e.close()
	}
	e.closeArr()
	return r.reply(200)
}

// countLimit counts a limit hit of an error that is not the request's answer.
func (s *Server) countLimit(ae *apiError) {
	if ae.limit != "" {
		s.m.limitHit(ae.limit)
	}
}

func (s *Server) rate(r *request) error {
	var req charging.RateRequest
	if err := s.decoder(r).decodeRate(&req); err != nil {
		return err
	}
	tenant := ""
	if req.Session != nil {
		tenant = req.Session.Tenant
	} else {
		tenant = req.Event.Tenant
	}
	if !r.key.mayActFor(tenant) {
		return errForbiddenTenant
	}
	q, err := s.eng.Rate(req)
	if err != nil {
		return err
	}
	writeQuote(r.begin(), &q)
	return r.reply(200)
}

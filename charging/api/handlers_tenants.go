package api

import "github.com/salio/salio/charging"

// Tenants, wallets, top-ups and auto-recharge. The {t} of these routes has
// been checked against the key's tenant before they run.

func (s *Server) createTenant(r *request) error {
	var b tenantBody
	if err := s.decoder(r).decodeTenant(&b, false); err != nil {
		return err
	}
	t, err := s.eng.CreateTenant(b.create)
	if err != nil {
		return err
	}
	writeTenant(r.begin(), &t)
	return r.reply(201)
}

func (s *Server) getTenant(r *request) error {
	t, err := s.eng.Tenant(r.param(0))
	if err != nil {
		return err
	}
	writeTenant(r.begin(), &t)
	return r.reply(200)
}

func (s *Server) patchTenant(r *request) error {
	var b tenantBody
	if err := s.decoder(r).decodeTenant(&b, true); err != nil {
		return err
	}
	t, err := s.eng.UpdateTenant(r.param(0), b.patch)
	if err != nil {
		return err
	}
	writeTenant(r.begin(), &t)
	return r.reply(200)
}

func (s *Server) getWallet(r *request) error {
	w, err := s.eng.Wallet(r.param(0))
	if err != nil {
		return err
	}
	writeWallet(r.begin(), &w)
	return r.reply(200)
}

// topUp credits the wallet; the reference is the idempotency key: a repeat
// answers 200 with the original answer: its transaction and the wallet as
// that top-up left it.
func (s *Server) topUp(r *request) error {
	var req charging.TopUpRequest
	if err := s.decoder(r).decodeTopUp(&req); err != nil {
		return err
	}
	res, replay, err := s.eng.TopUp(r.param(0), req)
	if err != nil {
		return err
	}
	e := r.begin()
	e.obj("transaction")
	writeTransaction(e, &res.Transaction)
	e.close()
	e.obj("wallet")
	writeWallet(e, &res.Wallet)
	e.close()
	return r.reply(created(replay))
}

// created is 201 for a new effect, 200 for a replayed one.
func created(replay bool) int {
	if replay {
		return 200
	}
	return 201
}

// setAutoRecharge answers the wallet with its new setting.
func (s *Server) setAutoRecharge(r *request) error {
	var a charging.AutoRecharge
	if err := s.decoder(r).decodeAutoRecharge(&a); err != nil {
		return err
	}
	w, err := s.eng.SetAutoRecharge(r.param(0), a)
	if err != nil {
		return err
	}
	writeWallet(r.begin(), &w)
	return r.reply(200)
}

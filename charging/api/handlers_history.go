package api

import (
	"strconv"
	"time"

	"github.com/valyala/fasthttp"

	"github.com/salio/salio/charging"
)

// Numbers, history, usage and invoices of one tenant ({t} already checked).

func (s *Server) addNumber(r *request) error {
	var req charging.NumberRequest
	if err := s.decoder(r).decodeNumber(&req); err != nil {
		return err
	}
	n, err := s.eng.AddNumber(r.param(0), req)
	if err != nil {
		return err
	}
	writeNumber(r.begin(), &n)
	return r.reply(201)
}

func (s *Server) listNumbers(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	ns, err := s.eng.Numbers(r.param(0))
	if err != nil {
		return err
	}
	e := r.begin()
	e.arr("items")
	for i := range ns {
		e.open()
		writeNumber(e, &ns[i])
		e.close()
	}
	e.closeArr()
	return r.reply(200)
}

// deleteNumber accepts the number with or without its '+'.
func (s *Server) deleteNumber(r *request) error {
	if !validDestination(r.params[1]) {
		return invalid("number", "must be 1-32 digits, optionally after a '+'")
	}
	if err := s.eng.DeleteNumber(r.param(0), normalizeNumber(r.param(1))); err != nil {
		return err
	}
	return r.noContent()
}

// transactions: ?limit=1..1000 (default 50) &cursor= &type=topup|charge.
func (s *Server) transactions(r *request) error {
	q, err := parseQuery(r.ctx.QueryArgs(), "limit", "cursor", "type")
	if err != nil {
		return err
	}
	limit, err := pageLimit(q[0], defaultPageLimit)
	if err != nil {
		return err
	}
	if len(q[1]) > maxCursorLen {
		return overLimit(limitID, "cursor", "invalid cursor")
	}
	typ := string(q[2])
	if typ != "" && typ != "topup" && typ != "charge" {
		return invalid("type", "must be one of: topup, charge")
	}
	page, err := s.eng.Transactions(r.param(0), string(q[1]), limit, typ)
	if err != nil {
		return err
	}
	e := r.begin()
	e.arr("items")
	for i := range page.Items {
		e.open()
		writeTransaction(e, &page.Items[i])
		e.close()
	}
	e.closeArr()
	e.strOrNull("next_cursor", page.NextCursor)
	return r.reply(200)
}

// usage: ?month=YYYY-MM, default the current month (UTC).
func (s *Server) usage(r *request) error {
	q, err := parseQuery(r.ctx.QueryArgs(), "month")
	if err != nil {
		return err
	}
	month := string(q[0])
	if month == "" {
		month = time.Now().UTC().Format("2006-01")
	} else if !validMonth(q[0]) {
		return invalid("month", "must be YYYY-MM")
	}
	u, err := s.eng.Usage(r.param(0), month)
	if err != nil {
		return err
	}
	e := r.begin()
	e.str("month", u.Month)
	e.str("currency", u.Currency)
	writeLines(e, u.Lines)
	e.money("total", u.TotalMicros)
	return r.reply(200)
}

// closeInvoice closes a past month: 201 when this call closed it, 200 when
// it was closed already (idempotent).
func (s *Server) closeInvoice(r *request) error {
	month, derr := s.decoder(r).decodeMonth()
	if derr != nil {
		return derr
	}
	inv, made, err := s.eng.CloseInvoice(r.param(0), month)
	if err != nil {
		return err
	}
	writeInvoice(r.begin(), &inv)
	return r.reply(created(!made))
}

func (s *Server) listInvoices(r *request) error {
	if err := noQuery(r); err != nil {
		return err
	}
	invs, err := s.eng.Invoices(r.param(0))
	if err != nil {
		return err
	}
	e := r.begin()
	e.arr("items")
	for i := range invs {
		e.open()
		writeInvoice(e, &invs[i])
		e.close()
	}
	e.closeArr()
	return r.reply(200)
}

func (s *Server) getInvoice(r *request) error {
	if err := checkID("number", r.params[1]); err != nil {
		return err
	}
	inv, err := s.eng.Invoice(r.param(0), r.param(1))
	if err != nil {
		return err
	}
	writeInvoice(r.begin(), &inv)
	return r.reply(200)
}

// parseQuery returns the values of the named query parameters (nil when
// absent) and refuses any other parameter and any repeated one: a typo in
// a parameter name must not silently mean "all".
func parseQuery(args *fasthttp.Args, names ...string) ([][]byte, error) {
	vals := make([][]byte, len(names))
	var bad *apiError
	args.VisitAll(func(k, v []byte) {
		if bad != nil {
			return
		}
		for i, n := range names {
			if string(k) == n {
				if vals[i] != nil {
					bad = invalid(n, "given twice")
				}
				vals[i] = append([]byte{}, v...)
				return
			}
		}
		bad = invalid(string(k), "unknown query parameter")
	})
	if bad != nil {
		return nil, bad
	}
	return vals, nil
}

func noQuery(r *request) error {
	_, err := parseQuery(r.ctx.QueryArgs())
	return err
}

// pageLimit parses ?limit= (1..maxPageLimit).
func pageLimit(b []byte, def int) (int, error) {
	if len(b) == 0 {
		return def, nil
	}
	n, err := strconv.Atoi(string(b))
	if err != nil || n < 1 {
		return 0, invalid("limit", "must be a whole number from 1 to 1000")
	}
	if n > maxPageLimit {
		return 0, overLimit(limitPage, "limit", "must be at most 1000")
	}
	return n, nil
}

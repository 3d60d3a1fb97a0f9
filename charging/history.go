package charging

import (
	"fmt"
	"strconv"
	"sync"
	"time"
)

// MaxPageSize bounds one page of history.
const MaxPageSize = 1000

// Transactions returns a page of a tenant's history, newest first. The cursor
// is the sequence number of the last item of the previous page.
func (e *Engine) Transactions(tenant, cursor string, limit int, typ string) (TransactionsPage, error) {
	if _, err := e.Tenant(tenant); err != nil {
		return TransactionsPage{}, err
	}
	if limit <= 0 {
		limit = 50
	}
	if limit > MaxPageSize {
		return TransactionsPage{}, &InvalidError{Field: "limit", Msg: "must be at most 1000"}
	}
	if typ != "" && typ != "topup" && typ != "charge" {
		return TransactionsPage{}, &InvalidError{Field: "type", Msg: "must be topup or charge"}
	}
	var before uint64
	if cursor != "" {
		n, err := strconv.ParseUint(cursor, 10, 64)
		if err != nil || n == 0 {
			return TransactionsPage{}, &InvalidError{Field: "cursor", Msg: "malformed cursor"}
		}
		before = n
	}
	if e.reader == nil {
		return TransactionsPage{}, nil
	}
	items, err := e.reader.Transactions(tenant, before, limit+1, typ)
	if err != nil {
		return TransactionsPage{}, e.readError(err)
	}
	page := TransactionsPage{Items: items}
	if len(items) > limit {
		page.Items = items[:limit]
		page.NextCursor = strconv.FormatUint(items[limit-1].Seq, 10)
	}
	return page, nil
}

func (e *Engine) readError(err error) error {
	return &MessageError{Err: ErrUnavailable, Msg: "store read: " + err.Error()}
}

// parseMonth parses YYYY-MM into yyyymm.
func parseMonth(s string) (int32, error) {
	t, err := time.Parse("2006-01", s)
	if err != nil {
		return 0, &InvalidError{Field: "month", Msg: "must be YYYY-MM"}
	}
	return int32(t.Year()*100 + int(t.Month())), nil
}

// FormatMonth formats yyyymm as YYYY-MM.
func FormatMonth(m int32) string { return fmt.Sprintf("%04d-%02d", m/100, m%100) }

func nextMonth(m int32) int32 {
	if m%100 == 12 {
		return (m/100+1)*100 + 1
	}
	return m + 1
}

// Usage returns a tenant's usage in a month (sessions count in the month they end).
func (e *Engine) Usage(tenant, month string) (UsageReport, error) {
	info, err := e.Tenant(tenant)
	if err != nil {
		return UsageReport{}, err
	}
	if month == "" {
		month = FormatMonth(monthOf(e.nowMs()))
	}
	m, err := parseMonth(month)
	if err != nil {
		return UsageReport{}, err
	}
	rep := UsageReport{Month: month, Currency: info.Currency, Lines: []UsageLine{}}
	if e.reader == nil {
		return rep, nil
	}
	lines, err := e.reader.Usage(tenant, m)
	if err != nil {
		return UsageReport{}, e.readError(err)
	}
	rep.Lines, rep.TotalMicros, _ = splitUsage(lines)
	return rep, nil
}

// splitUsage separates usage lines from the payments line.
func splitUsage(lines []UsageLine) (usage []UsageLine, totalMicros, paymentsMicros int64) {
	usage = make([]UsageLine, 0, len(lines))
	for _, l := range lines {
		if l.Item == "payments" {
			paymentsMicros += l.AmountMicros
			continue
		}
		usage = append(usage, l)
		totalMicros += l.AmountMicros
	}
	return usage, totalMicros, paymentsMicros
}

var invoiceMu sync.Mutex // serialises invoice closing: rare, and must not race itself

// CloseInvoice closes a past month (and any earlier unclosed one) of a tenant.
// Closing an already closed month returns the existing invoice.
func (e *Engine) CloseInvoice(tenant, month string) (Invoice, bool, error) {
	if err := e.checkUsable(); err != nil {
		return Invoice{}, false, err
	}
	m, err := parseMonth(month)
	if err != nil {
		return Invoice{}, false, err
	}
	info, err := e.Tenant(tenant)
	if err != nil {
		return Invoice{}, false, err
	}
	if m >= monthOf(e.nowMs()) {
		return Invoice{}, false, &InvalidError{Field: "month", Msg: "only a past month can be closed"}
	}
	if m < monthOf(info.CreatedAt) {
		return Invoice{}, false, &InvalidError{Field: "month", Msg: "before the tenant existed"}
	}
	if e.reader == nil {
		return Invoice{}, false, &MessageError{Err: ErrUnavailable, Msg: "no store for invoices"}
	}
	invoiceMu.Lock()
	defer invoiceMu.Unlock()
	return e.closeThrough(info, m)
}

// closeThrough closes every unclosed month of a tenant up to and including m.
func (e *Engine) closeThrough(info TenantInfo, m int32) (Invoice, bool, error) {
	invs, err := e.reader.Invoices(info.ID)
	if err != nil {
		return Invoice{}, false, e.readError(err)
	}
	start, opening := monthOf(info.CreatedAt), int64(0)
	for _, inv := range invs {
		if inv.Month == m {
			return inv, false, nil
		}
		if inv.Month >= start {
			start, opening = nextMonth(inv.Month), inv.ClosingMicros
		}
	}
	var inv Invoice
	var last *Commit
	for mm := start; mm <= m; mm = nextMonth(mm) {
		lines, err := e.reader.Usage(info.ID, mm)
		if err != nil {
			return Invoice{}, false, e.readError(err)
		}
		usage, total, payments := splitUsage(lines)
		inv = Invoice{
			Tenant: info.ID, Number: "INV-" + FormatMonth(mm), Month: mm, IssuedAt: e.nowMs(), Currency: info.Currency,
			OpeningMicros: opening, PaymentsMicros: payments, Lines: usage, TotalMicros: total,
			ClosingMicros: opening + payments - total,
		}
		last = e.sink.Submit(&Effect{Invoice: &inv})
		opening = inv.ClosingMicros
	}
	if last == nil {
		return Invoice{}, false, &InvalidError{Field: "month", Msg: "nothing to close"}
	}
	if err := e.wait(last); err != nil {
		return Invoice{}, false, err
	}
	return inv, true, nil
}

// Invoices lists a tenant's invoices, oldest first.
func (e *Engine) Invoices(tenant string) ([]Invoice, error) {
	if _, err := e.Tenant(tenant); err != nil {
		return nil, err
	}
	if e.reader == nil {
		return []Invoice{}, nil
	}
	invs, err := e.reader.Invoices(tenant)
	if err != nil {
		return nil, e.readError(err)
	}
	return invs, nil
}

// Invoice returns one invoice by number.
func (e *Engine) Invoice(tenant, number string) (Invoice, error) {
	invs, err := e.Invoices(tenant)
	if err != nil {
		return Invoice{}, err
	}
	for _, inv := range invs {
		if inv.Number == number {
			return inv, nil
		}
	}
	return Invoice{}, notFound("invoice")
}

// CDRs reads the CDR log in commit order (the pull API when Kafka is off).
func (e *Engine) CDRs(afterSeq uint64, limit int) ([]LoggedCDR, error) {
	if limit <= 0 {
		limit = 100
	}
	if limit > MaxPageSize {
		return nil, &InvalidError{Field: "limit", Msg: "must be at most 1000"}
	}
	if e.reader == nil {
		return []LoggedCDR{}, nil
	}
	out, err := e.reader.CDRs(afterSeq, limit)
	if err != nil {
		return nil, e.readError(err)
	}
	return out, nil
}

// closeEndedMonths closes the previous month of every tenant, in the
// background of the timer loop (once per month, and at start for catch-up).
func (e *Engine) closeEndedMonths() {
	now := e.nowMs()
	if e.reader == nil {
		return
	}
	prev := monthOf(time.UnixMilli(now).UTC().AddDate(0, 0, -time.UnixMilli(now).UTC().Day()).UnixMilli())
	var tenants []TenantInfo
	for i := 0; i < e.wallets.Len(); i++ {
		sh := e.wallets.Shard(i)
		sh.Lock()
		sh.Range(func(_ string, w *wallet) bool {
			if monthOf(w.CreatedAt) <= prev {
				tenants = append(tenants, w.info())
			}
			return true
		})
		sh.Unlock()
	}
	for _, info := range tenants {
		select {
		case <-e.stop:
			return
		default:
		}
		invoiceMu.Lock()
		_, _, err := e.closeThrough(info, prev)
		invoiceMu.Unlock()
		if err != nil && e.checkUsable() != nil {
			return
		}
	}
}

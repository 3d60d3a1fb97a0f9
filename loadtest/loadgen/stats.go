package loadgen

import (
	"sort"
	"sync"
	"sync/atomic"
)

// reqType is what a request did, for latency and error accounting.
type reqType uint8

const (
	rtSMS reqType = iota
	rtBatch
	rtWhatsApp
	rtAI
	rtTopUp
	rtCallStart
	rtCallUpdate
	rtCallStop
	rtWalletRead // the payment integration's reads, looking for a pending recharge
	rtRecharge   // its top-ups paying one
	rtBatchItem  // errors of single items inside a 200 batch; no latency of its own
	rtSetupTenant
	rtSetupTopUp
	rtSetupRecharge
	rtAuditWallet
	rtAuditTx
	numReqTypes
)

var reqTypeNames = [numReqTypes]string{"sms", "batch", "whatsapp", "ai", "topup",
	"call_start", "call_update", "call_stop", "wallet_read", "recharge_topup", "batch_item",
	"setup_tenant", "setup_topup", "setup_auto_recharge", "audit_wallet", "audit_transactions"}

// isLoad reports whether t is traffic of the measured phase.
func (t reqType) isLoad() bool { return t < rtSetupTenant }

// errKey identifies a class of failed requests.
type errKey struct {
	Type   reqType
	Status int // 0 = transport error
	Code   string
}

// Stats collects what every worker observed. Hot counters are atomic; the
// error map takes a lock, but only failures touch it.
type Stats struct {
	hist      [numReqTypes]Histogram
	all       Histogram // every load request, for the progress line
	errs      [numReqTypes]atomic.Uint64
	refused   [numReqTypes]atomic.Uint64 // 402/429: expected outcomes
	items     atomic.Uint64              // batch items sent
	itemErrs  atomic.Uint64              // batch items answered with an error other than 402
	segments  atomic.Uint64              // SMS segments charged (single and batch)
	segWrong  atomic.Uint64              // answers whose "segments" differ from §6
	cycles    atomic.Uint64              // sessions stopped
	recharges atomic.Uint64              // pending auto-recharges paid
	retries   atomic.Uint64              // transport errors retried

	mu     sync.Mutex
	byCode map[errKey]uint64
}

func newStats() *Stats { return &Stats{byCode: make(map[errKey]uint64)} }

// countErr records one failed (or refused) request.
func (s *Stats) countErr(t reqType, status int, code string) {
	if status == 402 || status == 429 {
		s.refused[t].Add(1)
	} else {
		s.errs[t].Add(1)
	}
	s.mu.Lock()
	s.byCode[errKey{t, status, code}]++
	s.mu.Unlock()
}

// errorCounts returns the error classes sorted by count, largest first.
func (s *Stats) errorCounts() []ErrorCount {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]ErrorCount, 0, len(s.byCode))
	for k, n := range s.byCode {
		out = append(out, ErrorCount{Type: reqTypeNames[k.Type], Status: k.Status, Code: k.Code, Count: n,
			Expected: k.Status == 402 || k.Status == 429})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Count != out[j].Count {
			return out[i].Count > out[j].Count
		}
		return out[i].Type+out[i].Code < out[j].Type+out[j].Code
	})
	return out
}

// loadTotals sums the load phase's requests, errors and refusals.
func (s *Stats) loadTotals() (reqs, errs, refused uint64) {
	for t := reqType(0); t < numReqTypes; t++ {
		if t.isLoad() {
			reqs += s.hist[t].Count()
			errs += s.errs[t].Load()
			refused += s.refused[t].Load()
		}
	}
	return
}

package loadgen

import (
	"strings"
	"testing"
)

func cannedTxs() []txDoc {
	return []txDoc{
		{ID: "t4", Type: "charge", Amount: "-1.030000", Reference: "c-1@x"},
		{ID: "t3", Type: "charge", Amount: "-0.020000", Reference: "e-2"},
		{ID: "t2", Type: "topup", Amount: "20.000000", Reference: "r-1"},
		{ID: "t1", Type: "topup", Amount: "100.000000", Reference: "init-1"},
	}
}

func TestAuditPassesConsistentLedger(t *testing.T) {
	w := walletDoc{Balance: "118.950000", Reserved: "0.000000", Available: "118.950000", LifetimeSpend: "1.050000"}
	cl := clientLedger{TopUpMicros: 120_000_000, ChargedMicros: 1_050_000}
	if p := tenantAudit(w, cannedTxs(), cl, graceOverdraftMicros); len(p) != 0 {
		t.Fatalf("problems: %v", p)
	}
	// A session left open by an unknown outcome: its committed usage is not in
	// the history yet, so the wallet is below the sums, never above.
	open := walletDoc{Balance: "118.900000", Reserved: "0.150000", Available: "118.750000", LifetimeSpend: "1.100000", OpenSessions: 1}
	if p := tenantAudit(open, cannedTxs(), clientLedger{TopUpMicros: 120_000_000, ChargedMicros: 1_050_000, Uncertain: true}, graceOverdraftMicros); len(p) != 0 {
		t.Fatalf("open session of an uncertain tenant: %v", p)
	}
	// Unknown outcomes: the server may hold more than was acknowledged, never less.
	cl = clientLedger{TopUpMicros: 100_000_000, ChargedMicros: 20_000, Uncertain: true}
	if p := tenantAudit(w, cannedTxs(), cl, graceOverdraftMicros); len(p) != 0 {
		t.Fatalf("uncertain ledger problems: %v", p)
	}
}

func TestAuditCatchesEachBrokenRule(t *testing.T) {
	good := walletDoc{Balance: "118.950000", Reserved: "0.000000", Available: "118.950000", LifetimeSpend: "1.050000"}
	cl := clientLedger{TopUpMicros: 120_000_000, ChargedMicros: 1_050_000}
	cases := []struct {
		name string
		w    walletDoc
		txs  []txDoc
		cl   clientLedger
		want string
	}{
		{"balance", walletDoc{Balance: "118.940000", Reserved: "0", Available: "118.940000", LifetimeSpend: "1.050000"}, nil, cl, "balance 118.940000 != Σ top-ups"},
		{"reserved", walletDoc{Balance: "118.950000", Reserved: "0.250000", Available: "118.700000", LifetimeSpend: "1.050000"}, nil, cl, "reserved 0.250000 with no open session"},
		{"open", walletDoc{Balance: "118.950000", Reserved: "0", Available: "118.950000", LifetimeSpend: "1.050000", OpenSessions: 1}, nil, cl, "sessions still open"},
		{"available", walletDoc{Balance: "118.950000", Reserved: "0", Available: "119.000000", LifetimeSpend: "1.050000"}, nil, cl, "available 119.000000 != balance"},
		{"lifetime", walletDoc{Balance: "118.950000", Reserved: "0", Available: "118.950000", LifetimeSpend: "1.000000"}, nil, cl, "lifetime_spend 1.000000 != Σ charges 1.050000"},
		{"lost topup", good, nil, clientLedger{TopUpMicros: 140_000_000, ChargedMicros: 1_050_000}, "acknowledged top-ups 140.000000 != server's 120.000000"},
		{"lost charge", good, nil, clientLedger{TopUpMicros: 120_000_000, ChargedMicros: 1_070_000, Uncertain: true}, "lost debit"},
		{"extra charge", good, nil, clientLedger{TopUpMicros: 120_000_000, ChargedMicros: 1_030_000}, "acknowledged charges 1.030000 != server's 1.050000"},
		{"double", walletDoc{Balance: "98.950000", Reserved: "0", Available: "98.950000", LifetimeSpend: "1.050000"},
			append(cannedTxs()[:3:3], txDoc{ID: "t5", Type: "topup", Amount: "-0.000000", Reference: "r-1"}), cl, "topup reference r-1 booked twice"},
		{"bad amount", good, append(cannedTxs(), txDoc{ID: "t9", Type: "charge", Amount: "0.0000001"}), cl, "not a 6-decimal amount"},
		{"overdraft", walletDoc{Balance: "-5.010000", Reserved: "0", Available: "-5.010000", LifetimeSpend: "5.010000"},
			[]txDoc{{ID: "a", Type: "charge", Amount: "-5.010000", Reference: "c"}}, clientLedger{ChargedMicros: 5_010_000}, "below −grace_overdraft_limit"},
	}
	pending := good
	ref := "re-11th"
	pending.AutoRecharge.PendingReference = &ref
	capped := cl
	capped.RechargesPaid = rechargesPerDay
	cases = append(cases, struct {
		name string
		w    walletDoc
		txs  []txDoc
		cl   clientLedger
		want string
	}{"recharge cap", pending, nil, capped, "recharge re-11th pending after 10 paid"})
	for _, c := range cases {
		txs := c.txs
		if txs == nil {
			txs = cannedTxs()
		}
		p := tenantAudit(c.w, txs, c.cl, graceOverdraftMicros)
		if !strings.Contains(strings.Join(p, "\n"), c.want) {
			t.Errorf("%s: want a problem containing %q, got %q", c.name, c.want, p)
		}
	}
}

package charging

import "github.com/salio/salio/tariff"

// CreateTenant creates a tenant and its wallet (balance 0).
func (e *Engine) CreateTenant(p TenantParams) (TenantInfo, error) {
	if err := e.checkUsable(); err != nil {
		return TenantInfo{}, err
	}
	if p.Currency == "" {
		p.Currency = "USD"
	}
	if !p.GracePeriodSet {
		p.GracePeriodSeconds = DefaultGracePeriodSeconds
	}
	if !p.GraceOverdraftSet {
		p.GraceOverdraftMicros = DefaultGraceOverdraftMicros
	}
	if err := e.validateTenant(p.Currency, p.Tariff, p.LowBalanceThresholdMicros, p.GracePeriodSeconds, p.GraceOverdraftMicros, p.MaxConcurrentSessions); err != nil {
		return TenantInfo{}, err
	}
	ent := e.tariffs.get(p.Tariff)
	w := &wallet{tariff: ent}
	w.WalletState = WalletState{
		Tenant: p.ID, Name: p.Name, Currency: p.Currency, TariffID: p.Tariff, CreatedAt: e.nowMs(),
		LowBalanceThresholdMicros: p.LowBalanceThresholdMicros, GracePeriodSeconds: p.GracePeriodSeconds,
		GraceOverdraftMicros: p.GraceOverdraftMicros, MaxConcurrentSessions: int32(p.MaxConcurrentSessions),
	}
	w.TierIndex = int32(ent.current().TierIndex(0))
	sh := e.wallets.ShardOf(p.ID)
	sh.Lock()
	if sh.Get(p.ID) != nil {
		sh.Unlock()
		return TenantInfo{}, conflict("tenant " + p.ID + " exists")
	}
	e.putWallet(sh, w)
	o := e.newOp(sh, w)
	info := w.info()
	if err := e.wait(o.submit()); err != nil {
		return TenantInfo{}, err
	}
	return info, nil
}

func (e *Engine) validateTenant(currency, tariffID string, lowMicros, graceSeconds, overdraftMicros, maxSessions int64) error {
	ent := e.tariffs.get(tariffID)
	if ent == nil {
		return &InvalidError{Field: "tariff", Msg: "unknown tariff " + tariffID}
	}
	if ent.current().Currency != currency {
		return &InvalidError{Field: "tariff", Msg: "tariff currency " + ent.current().Currency + " differs from wallet currency " + currency}
	}
	if !validCurrency(currency) {
		return &InvalidError{Field: "currency", Msg: "must be an ISO 4217 code"}
	}
	switch {
	case lowMicros < 0 || lowMicros > e.cfg.MaxTopUpMicros:
		return &InvalidError{Field: "low_balance_threshold", Msg: "out of range"}
	case graceSeconds < 0 || graceSeconds > MaxGracePeriodSeconds:
		return &InvalidError{Field: "grace_period_seconds", Msg: "must be in 0..86400"}
	case overdraftMicros < 0 || overdraftMicros > e.cfg.MaxTopUpMicros:
		return &InvalidError{Field: "grace_overdraft_limit", Msg: "out of range"}
	case maxSessions < 0 || maxSessions > MaxMaxConcurrentSessions:
		return &InvalidError{Field: "max_concurrent_sessions", Msg: "must be in 0..1000000"}
	}
	return nil
}

func validCurrency(c string) bool {
	if len(c) != 3 {
		return false
	}
	for i := 0; i < 3; i++ {
		if c[i] < 'A' || c[i] > 'Z' {
			return false
		}
	}
	return true
}

func (w *wallet) info() TenantInfo {
	return TenantInfo{
		ID: w.Tenant, Name: w.Name, Currency: w.Currency, Tariff: w.TariffID,
		LowBalanceThresholdMicros: w.LowBalanceThresholdMicros, GracePeriodSeconds: w.GracePeriodSeconds,
		GraceOverdraftMicros: w.GraceOverdraftMicros, MaxConcurrentSessions: int64(w.MaxConcurrentSessions),
		CreatedAt: w.CreatedAt,
	}
}

// Tenant returns a tenant's settings.
func (e *Engine) Tenant(id string) (TenantInfo, error) {
	sh, w, err := e.lockWallet(id)
	if err != nil {
		return TenantInfo{}, err
	}
	defer sh.Unlock()
	return w.info(), nil
}

// UpdateTenant changes a tenant's settings.
func (e *Engine) UpdateTenant(id string, p TenantPatch) (TenantInfo, error) {
	if err := e.checkUsable(); err != nil {
		return TenantInfo{}, err
	}
	sh, w, err := e.lockWallet(id)
	if err != nil {
		return TenantInfo{}, err
	}
	next := w.WalletState
	pick := func(dst *int64, src *int64) {
		if src != nil {
			*dst = *src
		}
	}
	maxSessions := int64(next.MaxConcurrentSessions)
	pick(&next.LowBalanceThresholdMicros, p.LowBalanceThresholdMicros)
	pick(&next.GracePeriodSeconds, p.GracePeriodSeconds)
	pick(&next.GraceOverdraftMicros, p.GraceOverdraftMicros)
	pick(&maxSessions, p.MaxConcurrentSessions)
	if p.Name != nil {
		next.Name = *p.Name
	}
	if p.Tariff != nil {
		next.TariffID = *p.Tariff
	}
	if err := e.validateTenant(next.Currency, next.TariffID, next.LowBalanceThresholdMicros, next.GracePeriodSeconds, next.GraceOverdraftMicros, maxSessions); err != nil {
		sh.Unlock()
		return TenantInfo{}, err
	}
	next.MaxConcurrentSessions = int32(maxSessions)
	w.WalletState = next
	w.tariff = e.tariffs.get(next.TariffID)
	o := e.newOp(sh, w)
	// Another tariff may put the lifetime spend in another tier, either way:
	// say so now rather than at the next charge.
	if i, t := o.tier(); int32(i) != w.TierIndex {
		w.TierIndex = int32(i)
		o.emit("tier_changed", func(ev *WalletEvent) { ev.Tier = t.Name })
	}
	if w.BalanceMicros > w.LowBalanceThresholdMicros {
		w.LowBalanceAlerted = false
	}
	info := w.info()
	if err := e.wait(o.submit()); err != nil {
		return TenantInfo{}, err
	}
	return info, nil
}

// Wallet returns the wallet view of a tenant.
func (e *Engine) Wallet(tenant string) (WalletView, error) {
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return WalletView{}, err
	}
	defer sh.Unlock()
	return e.view(w), nil
}

func (e *Engine) view(w *wallet) WalletView {
	now := e.nowMs()
	t := w.tariff.current()
	tiers := t.Tiers()
	i := t.TierIndex(w.LifetimeSpendMicros)
	next := int64(-1)
	if i+1 < len(tiers) {
		next = tiers[i+1].MinSpendMicros
	}
	month := w.MonthSpendMicros
	if w.MonthKey != monthOf(now) {
		month = 0
	}
	return WalletView{
		Tenant: w.Tenant, Currency: w.Currency,
		BalanceMicros: w.BalanceMicros, ReservedMicros: w.ReservedMicros, AvailableMicros: w.available(),
		LifetimeSpendMicros: w.LifetimeSpendMicros,
		Tier:                TierView{Name: tiers[i].Name, MultiplierMicros: tiers[i].MultiplierMicros, NextTierAtMicros: next},
		Status:              w.status(now), GraceEndsAt: w.GraceEndsAt,
		LowBalanceThresholdMicros: w.LowBalanceThresholdMicros,
		AutoRecharge: AutoRecharge{
			Enabled: w.AutoRechargeEnabled, ThresholdMicros: w.AutoRechargeThreshold, AmountMicros: w.AutoRechargeAmount,
			Method: w.AutoRechargeMethod, PendingReference: w.pendingRecharge(now),
		},
		OpenSessions: int64(w.open.len()), MonthToDateSpendMicros: month,
	}
}

// SetAutoRecharge sets a wallet's auto-recharge.
func (e *Engine) SetAutoRecharge(tenant string, a AutoRecharge) (WalletView, error) {
	if err := e.checkUsable(); err != nil {
		return WalletView{}, err
	}
	if a.Enabled {
		if !ValidMethod(a.Method) {
			return WalletView{}, &InvalidError{Field: "method", Msg: "unknown payment method"}
		}
		if a.AmountMicros <= 0 || a.AmountMicros > e.cfg.MaxTopUpMicros {
			return WalletView{}, &InvalidError{Field: "amount", Msg: "must be positive and at most the maximum top-up"}
		}
	}
	if a.ThresholdMicros < 0 || a.ThresholdMicros > e.cfg.MaxTopUpMicros {
		return WalletView{}, &InvalidError{Field: "threshold", Msg: "out of range"}
	}
	if a.Method != "" && !ValidMethod(a.Method) {
		return WalletView{}, &InvalidError{Field: "method", Msg: "unknown payment method"}
	}
	sh, w, err := e.lockWallet(tenant)
	if err != nil {
		return WalletView{}, err
	}
	w.AutoRechargeEnabled, w.AutoRechargeThreshold = a.Enabled, a.ThresholdMicros
	w.AutoRechargeAmount, w.AutoRechargeMethod = a.AmountMicros, a.Method
	if !a.Enabled {
		w.AutoRechargePendingRef = ""
	}
	o := e.newOp(sh, w)
	o.maybeAutoRecharge() // a balance already below the new threshold asks at once
	v := e.view(w)
	if err := e.wait(o.submit()); err != nil {
		return WalletView{}, err
	}
	return v, nil
}

// ValidMethod reports whether m is a payment method of SPEC section 4.
func ValidMethod(m string) bool {
	switch m {
	case "mpesa", "tigopesa", "airtel_money", "visa", "mastercard", "bank_transfer", "manual":
		return true
	}
	return false
}

var _ = tariff.MicrosPerUnit

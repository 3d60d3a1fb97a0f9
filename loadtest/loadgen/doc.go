// Package loadgen is Salio's HTTP load generator: the engine of
// `go run ./loadtest` and of the server layers of `go run ./bench`.
//
// It creates tenants on tariff "standard" and funds them, then drives a mix
// of calls (start, interim updates, stop, with time compressed: usage is
// reported at once, never slept), SMS (single and batched), WhatsApp, AI and
// top-ups, and pays the auto-recharges the engine requests as a payment
// integration would (recharge.go). It chooses tenants by Zipf so that hot
// wallets are contended, and runs in a closed loop on keep-alive connections
// or an open loop at a fixed rate. It
// measures latency per request type in log-linear histograms, reads the
// server's CPU, RSS and backlog from /metrics, and finally audits every
// touched wallet through the API against SPEC §9's money invariant and the
// generator's own ledger of acknowledged answers.
//
// FindRate is the capacity search behind `loadtest --slo-p99`: open-loop
// steps on one server, doubling the rate while the worst p99 stays within
// the bound and the run keeps up with its schedule, then bisecting, so an
// engineer gets "how many requests/s this box carries at p99 ≤ X" rather
// than a closed-loop figure at some latency.
//
// The hot path builds bodies by appending pre-encoded pieces into reused
// buffers and reads answers by scanning for the few fields it needs, so that
// the generator takes as little of the shared machine as it can.
package loadgen

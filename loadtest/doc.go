// Command loadtest drives a Salio server over HTTP like a real platform and
// audits the money afterwards.
//
//	go run ./loadtest --spawn --duration 30s
//	go run ./loadtest --target http://127.0.0.1:8080 --key $SALIO_ADMIN_KEY --scenario sms --rate 20000
//	go run ./loadtest --spawn --scenario sms --slo-p99 5ms --duration 10s --concurrency 256
//
// --slo-p99 searches for capacity: the highest open-loop rate whose worst
// p99 stays within the bound (each step a whole run of --duration, from
// --rate or 1,000/s, doubling then bisecting to 5%). Open loop needs
// connections for rate × latency; too few show up as steps that fall
// behind their schedule.
//
// --spawn builds and starts `salio serve` on a temp data dir and a free
// loopback port (with --kafka embedded, an in-process kfake broker too) and
// stops it at the end. Scenarios: mixed (the --mix of calls, SMS, batches,
// WhatsApp, AI and top-ups), sms, call-start, call-cycle, batch. Answered
// calls last a Pareto-distributed time: --call-mean (52.5 s), --call-tail (the
// shape, 1.4), at most --call-max (4h); --unanswered-pct (10) are stopped
// with 0 s and --inbound-pct (30) are inbound, with grace at zero. When the
// mix has top-ups, --auto-recharge-pct (20) of the funded tenants turn
// auto-recharge on, and the load test plays the payment integration: it pays
// each pending recharge with the engine's reference, and traffic top-ups
// fund those tenants only once their day's 10 recharges are spent. The run
// ends with a table on stdout (JSON with --out) and an audit of every touched
// wallet; the exit status is 1 when the audit fails or the error rate
// exceeds --max-error-rate, 2 when the run could not take place. Besides
// latency and errors, the report reads the server's /metrics before and
// after the load (its CPU and memory, the store's writes and group commits,
// the CDR backlog) and this machine's /proc/stat (busy, idle, iowait and
// stolen CPU: meaningful when the server runs here too). The work
// is done by package loadgen, which bench shares.
package main

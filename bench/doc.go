// Command bench measures Salio layer by layer in one run and prints the
// ratios between layers, so that a slow figure can be placed: is it HTTP,
// the engine, the disk, or their composition?
//
//	(a) noop    a fasthttp handler that answers canned JSON, in a child
//	            process, driven by the load generator: the HTTP limit here
//	(b) engine  charging.Engine in-process with charging.DiscardSink
//	    fsync   one writer appending 4 KiB and calling fdatasync: the
//	            disk's own latency, the floor under every answer's p99
//	(c) pebble  raw Pebble commits with pebble.Sync at concurrency 64
//	(d) store   the store's group commit (Submit + Wait) at the same concurrency
//	(e) server  `salio serve`, spawned, under the load generator
//
//	go run ./bench --duration 10s            # all layers, markdown on stdout
//	go test -bench . -benchtime 2s ./bench    # in-process layers, 1k and 1M wallets
//	bench/run.sh                             # regenerates BENCHMARKS.md
//
// The no-op handler and the server are measured scenario by scenario, each
// server scenario right after the no-op one (and the no-op one only once the
// server's compactions are done): their ratio is a goal, and on a shared VM
// whose speed drifts over minutes only measurements made close together
// compare.
//
// The layers also bound the server from below: a durable SMS debit over
// HTTP costs at least the no-op run's CPU per request (generator, fasthttp,
// sockets), plus the store's CPU per commit, plus the engine's per debit; a
// call cycle the no-op run's cycle, four commits and the engine's cycle. The
// report adds the parts up per scenario and divides the machine's cores by
// the sum: a rate that no server built of these parts passes here.
//
// Goals are reported, never asserted: a benchmark run on a shared two-core
// machine is evidence, not a verdict.
package main

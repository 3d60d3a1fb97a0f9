// Package crashtest kills the real salio binary with SIGKILL under load,
// restarts it on the same data directory and audits the money through the
// HTTP API after every restart (SPEC section 9). It has no code of its own
// outside its test: `go test ./store/crashtest -crash.kills=100` runs more kills.
package crashtest

// Command salio is the Salio charging engine's server and tools.
//
//	salio serve [flags]        run the engine and its HTTP API
//	salio version              print the version
//	salio check-tariff FILE    validate a tariff document
//
// salio serve with no flags runs on the embedded defaults (spec section 9):
// data in ./salio-data, the API on 127.0.0.1:8080, the demo tariff
// "standard" loaded, Kafka off. Every flag has a SALIO_* environment
// variable (the flag wins over the variable); SALIO_ADMIN_KEY sets the
// admin key. `salio serve --help` lists them with their defaults.
//
// Startup: open the store, build the engine on it, recover, load the demo
// tariff if there is no tariff "standard", make sure an admin key exists
// (written 0600 to --admin-key-file), start the engine and the Kafka relay
// (when --kafka-brokers is set), then serve. SIGTERM or SIGINT: stop
// accepting, drain in-flight requests, stop the relay, close the engine,
// close the store (flush), exit 0.
//
// This package wires; it holds no logic of its own.
package main

// Package cdr publishes the store's CDR log and wallet-event log to Kafka
// (SPEC §8) and holds the JSON encoding of both records.
//
// # Records
//
// AppendCDRJSON and AppendEventJSON are hand-written, allocation-free
// encoders; GET /v1/cdrs and the Kafka values use the same bytes. A CDR:
//
//	{"id":"cdr_01J9Z","tenant":"acme","kind":"session",
//	 "session_id":"a84b4c76e66710@pc33.example.com","service":"voice",
//	 "direction":"outbound","destination":"+4930123456",
//	 "started_at":"2026-11-24T06:30:00.123Z","ended_at":"2026-11-24T06:31:05.000Z",
//	 "usage_seconds":65,"billed_seconds":66,"quantity":"65","unit":"second",
//	 "rate":"0.0200","tier":"gold","multiplier":"0.95","amount":"12.500000",
//	 "currency":"USD","termination":"normal","requests":3}
//
// An event CDR has "event_id" instead of "session_id" and "termination":"".
// A wallet event:
//
//	{"id":"ev_7","tenant":"acme","type":"recharge_requested",
//	 "at":"2026-11-24T06:30:00.123Z","balance":"4.990000",
//	 "amount":"50.000000","method":"card","reference":"ar-1"}
//
// where amount, method, reference and tier appear only when set. Money,
// rates, multipliers and quantities are decimal strings; times RFC 3339 UTC
// with milliseconds.
//
// # Kafka messages
//
//	topic     salio.cdrs / salio.events (Config.CDRTopic, Config.EventTopic)
//	key       the tenant id
//	value     the JSON above
//	header    cdr-id / event-id = the record's id
//	timestamp the time of publication (not the record's: a record that
//	          waited out an outage must not fall straight out of retention)
//
// # Delivery contract
//
// At least once. Every record committed to the store's log reaches Kafka
// acknowledged by all in-sync replicas (acks=all), unless the broker refuses
// it for good (see Parking).
//
// In commit order per tenant. The key is the tenant and the partition is
// murmur2(key) mod the partition count (Java's default partitioner), so a
// tenant's records share one partition; the relay sends the log in order,
// one synchronous WriteMessages call at a time, with at most one produce
// batch per partition per call, and retries a failed record before anything
// that follows it. Adding partitions to a topic moves tenants to other
// partitions, and with them this guarantee for records in flight at that
// moment: add partitions with the relay stopped and the topic drained.
//
// Duplicates carry the same id. The relay persists its cursor (store cursor
// "kafka.cdrs" / "kafka.events") only after Kafka acknowledged every record
// up to it, so after a crash, a lost acknowledgement or a cursor write that
// failed, records are sent again, byte for byte identical. Consumers dedupe
// by id (the header or the JSON "id"). Within one run a record is re-sent
// only when its own produce request failed.
//
// Kafka being down never blocks charging: records wait in the store, the
// relay retries with capped exponential backoff (Config.BackoffMin to
// BackoffMax) and the backlog is exported as a metric.
//
// # Parking
//
// A record the broker refuses for good — larger than message.max.bytes
// (MESSAGE_TOO_LARGE), RECORD_LIST_TOO_LARGE, INVALID_RECORD, or larger than
// Config.BatchBytes, which kafka-go refuses to send — is handed to
// Log.Park with the reason, counted (salio_kafka_parked_total) and logged at
// error level, and the relay goes on with the records after it. When a
// batch of several records is refused, its records are sent again one at a
// time so that only the culprit is parked. Other errors (network, timeouts,
// leader changes, unknown topic, authorization) are retried, never parked:
// they say nothing about the record.
//
// # Running
//
//	pub, err := cdr.NewPublisher(store, cdr.Config{Brokers: brokers})
//	reg.MustRegister(pub.Collectors()...)
//	pub.Start(ctx)
//	... engine commits; after each group commit: pub.Notify()
//	pub.Stop() // finishes the batch in flight, persists the cursors
//
// A Relay polls Log.LogHead every Config.PollInterval when idle; Notify
// wakes it at once. Stop reads no further records, lets the batch in flight
// finish while Kafka accepts it (no retry after a failure), persists the
// cursor and closes the connections; cancelling Start's context aborts at
// once. Either way nothing acknowledged is lost and nothing unacknowledged
// is skipped.
//
// # Metrics
//
// Relay.Stats returns a snapshot; Relay.Collectors exports it to Prometheus
// with the label log="cdrs"|"events": salio_kafka_published_total,
// _batches_total, _errors_total, _parked_total, _cursor, _backlog
// (LogHead − cursor), _oldest_unpublished_age_seconds (from the oldest
// record in flight's EndedAt/At), _last_publish_latency_seconds and the
// histogram _publish_latency_seconds.
//
// # Throughput
//
// BenchmarkRelay (relay_bench_test.go) publishes pre-built CDRs (~560-byte
// messages, 8 tenants, 4 partitions, acks=all) from memory to a kfake
// broker on loopback. On the 2-core development machine, shared with other
// work, the defaults (BatchSize 5000, BatchTimeout 2 ms, lz4) reach about
// 270,000 CDRs/s with the broker in another process and about 200,000 with
// it in the test process; uncompressed, 80,000–130,000 (the broker's
// per-byte work dominates). What matters: records per call (every call
// waits out BatchTimeout for its partial batches, and calls are serial to
// keep per-tenant order), reading and encoding the next batch while the
// current one is on the wire, and compression.
package cdr

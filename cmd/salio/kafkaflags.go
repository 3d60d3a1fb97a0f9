package main

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/salio/salio/charging/cdr"
)

// kafkaOptions are the relay's settings beyond --kafka-brokers: topics,
// client id, TLS and SASL, each a flag with its SALIO_* variable.
type kafkaOptions struct {
	cdrTopic, eventTopic, clientID string
	tls                            bool
	tlsCAFile                      string
	saslMechanism                  string
	saslUser, saslPassword         string
}

func (k *kafkaOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&k.cdrTopic, "kafka-cdr-topic", "salio.cdrs", "Kafka topic of CDRs")
	fs.StringVar(&k.eventTopic, "kafka-event-topic", "salio.events", "Kafka topic of wallet events")
	fs.StringVar(&k.clientID, "kafka-client-id", "salio", "Kafka client id")
	fs.BoolVar(&k.tls, "kafka-tls", false, "connect to Kafka over TLS")
	fs.StringVar(&k.tlsCAFile, "kafka-tls-ca-file", "", "PEM file of CAs to trust for Kafka TLS (empty: the system's)")
	fs.StringVar(&k.saslMechanism, "kafka-sasl-mechanism", "", "PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (empty: no SASL)")
	fs.StringVar(&k.saslUser, "kafka-sasl-user", "", "Kafka SASL user")
	fs.StringVar(&k.saslPassword, "kafka-sasl-password", "", "Kafka SASL password (prefer SALIO_KAFKA_SASL_PASSWORD)")
}

// apply fills the relay config from the flags.
func (k *kafkaOptions) apply(cfg *cdr.Config) error {
	cfg.CDRTopic, cfg.EventTopic, cfg.ClientID = k.cdrTopic, k.eventTopic, k.clientID
	if k.saslMechanism != "" {
		if k.saslUser == "" {
			return errors.New("--kafka-sasl-user is required with --kafka-sasl-mechanism")
		}
		cfg.SASL = cdr.SASLConfig{Mechanism: k.saslMechanism, Username: k.saslUser, Password: k.saslPassword}
	}
	if !k.tls {
		return nil
	}
	cfg.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
	if k.tlsCAFile != "" {
		pem, err := os.ReadFile(k.tlsCAFile)
		if err != nil {
			return fmt.Errorf("--kafka-tls-ca-file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return fmt.Errorf("--kafka-tls-ca-file: no certificate in %s", k.tlsCAFile)
		}
		cfg.TLS.RootCAs = pool
	}
	return nil
}

package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/salio/salio/charging/cdr"
)

func TestKafkaFlags(t *testing.T) {
	unsetSalioEnv(t)
	t.Setenv("SALIO_KAFKA_CDR_TOPIC", "billing.cdrs")
	t.Setenv("SALIO_KAFKA_SASL_PASSWORD", "s3cret")
	o, err := parseFlags([]string{"--kafka-sasl-mechanism", "SCRAM-SHA-512", "--kafka-sasl-user", "salio", "--kafka-tls"}, &bytes.Buffer{})
	require.NoError(t, err)
	var cfg cdr.Config
	require.NoError(t, o.kafka.apply(&cfg))
	require.Equal(t, "billing.cdrs", cfg.CDRTopic)
	require.Equal(t, "salio.events", cfg.EventTopic)
	require.Equal(t, "salio", cfg.ClientID)
	require.Equal(t, cdr.SASLConfig{Mechanism: "SCRAM-SHA-512", Username: "salio", Password: "s3cret"}, cfg.SASL)
	require.NotNil(t, cfg.TLS)

	o, err = parseFlags([]string{"--kafka-sasl-mechanism", "PLAIN"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Error(t, o.kafka.apply(&cdr.Config{}), "SASL without a user")
	o, err = parseFlags([]string{"--kafka-tls", "--kafka-tls-ca-file", "/nonexistent"}, &bytes.Buffer{})
	require.NoError(t, err)
	require.Error(t, o.kafka.apply(&cdr.Config{}))
}

package cdr

import (
	"context"
	"crypto/hmac"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"strings"

	"github.com/segmentio/kafka-go/sasl"
	"github.com/segmentio/kafka-go/sasl/plain"
)

// SASL mechanisms accepted in SASLConfig.Mechanism.
const (
	SASLPlain       = "PLAIN"
	SASLScramSHA256 = "SCRAM-SHA-256"
	SASLScramSHA512 = "SCRAM-SHA-512"
)

// SASLConfig selects SASL authentication with the brokers. A zero Mechanism
// means no SASL. Use it together with Config.TLS outside a trusted network:
// PLAIN sends the password in the clear.
type SASLConfig struct {
	Mechanism string // "PLAIN", "SCRAM-SHA-256" or "SCRAM-SHA-512"
	Username  string
	Password  string
}

func (c SASLConfig) mechanism() (sasl.Mechanism, error) {
	switch strings.ToUpper(c.Mechanism) {
	case "":
		return nil, nil
	case SASLPlain:
		return plain.Mechanism{Username: c.Username, Password: c.Password}, nil
	case SASLScramSHA256:
		return &scramMechanism{name: SASLScramSHA256, h: sha256.New, user: c.Username, pass: c.Password}, nil
	case SASLScramSHA512:
		return &scramMechanism{name: SASLScramSHA512, h: sha512.New, user: c.Username, pass: c.Password}, nil
	default:
		return nil, fmt.Errorf("cdr: unknown SASL mechanism %q", c.Mechanism)
	}
}

// scramMechanism is a SCRAM client (RFC 5802, RFC 7677) for kafka-go.
//
// kafka-go's own sasl/scram package needs github.com/xdg-go/scram, which is
// not a requirement of this module, so this small client is used instead.
// Credentials are used as given (no SASLprep normalisation): identical for
// the ASCII user names and passwords brokers are normally configured with.
type scramMechanism struct {
	name       string
	h          func() hash.Hash
	user, pass string
}

func (m *scramMechanism) Name() string { return m.name }

func (m *scramMechanism) Start(context.Context) (sasl.StateMachine, []byte, error) {
	var nonce [24]byte
	if _, err := rand.Read(nonce[:]); err != nil {
		return nil, nil, err
	}
	s := &scramSession{m: m, cnonce: base64.RawStdEncoding.EncodeToString(nonce[:])}
	user := strings.NewReplacer("=", "=3D", ",", "=2C").Replace(m.user)
	s.clientFirstBare = "n=" + user + ",r=" + s.cnonce
	return s, []byte("n,," + s.clientFirstBare), nil
}

type scramSession struct {
	m               *scramMechanism
	cnonce          string
	clientFirstBare string
	serverSig       []byte
	step            int
}

func (s *scramSession) Next(_ context.Context, challenge []byte) (bool, []byte, error) {
	s.step++
	switch s.step {
	case 1:
		return s.clientFinal(string(challenge))
	case 2:
		attrs := scramAttrs(string(challenge))
		if e, ok := attrs["e"]; ok {
			return false, nil, fmt.Errorf("cdr: SCRAM server error: %s", e)
		}
		v, err := base64.StdEncoding.DecodeString(attrs["v"])
		if err != nil || !hmac.Equal(v, s.serverSig) {
			return false, nil, errors.New("cdr: SCRAM server signature mismatch")
		}
		return true, nil, nil
	default:
		return false, nil, errors.New("cdr: unexpected SCRAM challenge")
	}
}

func (s *scramSession) clientFinal(serverFirst string) (bool, []byte, error) {
	attrs := scramAttrs(serverFirst)
	if e, ok := attrs["e"]; ok {
		return false, nil, fmt.Errorf("cdr: SCRAM server error: %s", e)
	}
	nonce := attrs["r"]
	if !strings.HasPrefix(nonce, s.cnonce) || len(nonce) == len(s.cnonce) {
		return false, nil, errors.New("cdr: SCRAM server nonce does not extend ours")
	}
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	if err != nil || len(salt) == 0 {
		return false, nil, errors.New("cdr: SCRAM bad salt")
	}
	iter, err := strconv.Atoi(attrs["i"])
	if err != nil || iter < 1 {
		return false, nil, errors.New("cdr: SCRAM bad iteration count")
	}
	salted, err := pbkdf2.Key(s.m.h, s.m.pass, salt, iter, s.m.h().Size())
	if err != nil {
		return false, nil, err
	}
	mac := func(key []byte, msg string) []byte {
		h := hmac.New(s.m.h, key)
		h.Write([]byte(msg))
		return h.Sum(nil)
	}
	clientKey := mac(salted, "Client Key")
	h := s.m.h()
	h.Write(clientKey)
	storedKey := h.Sum(nil)
	withoutProof := "c=biws,r=" + nonce // biws = base64("n,,")
	authMsg := s.clientFirstBare + "," + serverFirst + "," + withoutProof
	proof := mac(storedKey, authMsg)
	for i := range proof {
		proof[i] ^= clientKey[i]
	}
	s.serverSig = mac(mac(salted, "Server Key"), authMsg)
	return false, []byte(withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof)), nil
}

func scramAttrs(msg string) map[string]string {
	m := make(map[string]string)
	for _, kv := range strings.Split(msg, ",") {
		if len(kv) >= 2 && kv[1] == '=' {
			m[kv[:1]] = kv[2:]
		}
	}
	return m
}

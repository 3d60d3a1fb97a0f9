package api

import (
	"bytes"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
)

// keyInfo is the authenticated caller of one request.
type keyInfo struct {
	id     string
	role   string
	tenant string // allTenants for platform keys
	perms  permSet
}

func (k *keyInfo) platform() bool { return k.tenant == allTenants }

// mayActFor reports whether the key may act for tenant.
func (k *keyInfo) mayActFor(tenant string) bool { return k.platform() || k.tenant == tenant }

// authorize authenticates the bearer key (401), checks the route's
// permission (403) and, for routes with {t}, that the key may act for that
// tenant (403) — before anything about the tenant is looked up.
func (s *Server) authorize(rt *route, r *request) error {
	if err := s.authenticate(r); err != nil {
		return err
	}
	if !r.key.perms.has(rt.perm) {
		return forbidden("this key's role lacks the permission " + rt.perm.String())
	}
	if rt.tenantAt < 0 {
		return nil
	}
	t := r.params[rt.tenantAt]
	if !r.key.platform() && string(t) != r.key.tenant {
		return errForbiddenTenant
	}
	if err := checkID("tenant", t); err != nil {
		return err
	}
	return nil
}

var bearer = []byte("bearer ")

// authenticate finds the key by the SHA-256 of the presented secret. The
// lookup is by hash, so the secret itself is never compared; the stored hash
// is still compared in constant time so that no timing of ours depends on
// how much of a hash matched.
func (s *Server) authenticate(r *request) error {
	h := r.ctx.Request.Header.Peek("Authorization")
	if len(h) == 0 {
		return unauthenticated("missing Authorization: Bearer <key>")
	}
	if len(h) > maxKeyHeaderLen {
		s.m.limitHit(limitHeader)
		return unauthenticated("unknown key")
	}
	if len(h) < len(bearer) || !bytes.EqualFold(h[:len(bearer)], bearer) {
		return unauthenticated("the Authorization header must be Bearer <key>")
	}
	secret := bytes.TrimSpace(h[len(bearer):])
	if len(secret) == 0 {
		return unauthenticated("missing key")
	}
	sum := sha256.Sum256(secret)
	rec, ok := s.eng.KeyByHash(sum)
	if !ok || rec.Deleted || subtle.ConstantTimeCompare(rec.Hash[:], sum[:]) != 1 {
		return unauthenticated("unknown key")
	}
	r.key = keyInfo{id: rec.ID, role: rec.Role, tenant: rec.Tenant, perms: s.rolePerms(rec.Tenant, rec.Role)}
	return nil
}

// keyPrefix marks Salio secrets so that scanners and humans recognise one.
const keyPrefix = "sk_"

// newSecret returns a new key secret: 32 random bytes, base64url.
func newSecret() (string, error) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return keyPrefix + base64.RawURLEncoding.EncodeToString(b[:]), nil
}

// newKeyID returns a public key id: "key_" and 16 hex digits.
func newKeyID() (string, error) {
	var b [8]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", err
	}
	return "key_" + hex.EncodeToString(b[:]), nil
}

// hashSecret is what is stored of a secret.
func hashSecret(secret string) [32]byte { return sha256.Sum256([]byte(secret)) }

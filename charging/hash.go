package charging

// payloadHash is FNV-1a over a request's fields, used to tell a retry (same
// payload) from a reuse of an idempotency key with another payload. It does
// not allocate.
type payloadHash uint64

const (
	fnvOffset = 14695981039346656037
	fnvPrime  = 1099511628211
)

func newHash() payloadHash { return fnvOffset }

func (h payloadHash) str(s string) payloadHash {
	for i := 0; i < len(s); i++ {
		h ^= payloadHash(s[i])
		h *= fnvPrime
	}
	return h.sep()
}

func (h payloadHash) int(v int64) payloadHash {
	for i := 0; i < 8; i++ {
		h ^= payloadHash(byte(v >> (8 * i)))
		h *= fnvPrime
	}
	return h
}

// sep ends a string so that ("ab","c") and ("a","bc") differ.
func (h payloadHash) sep() payloadHash {
	h ^= 0xff
	h *= fnvPrime
	return h
}

package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
)

// NewToken returns a fresh API token (32 random bytes, hex) and the SHA-256
// digest that is the only form stored. A stolen database yields no tokens.
func NewToken() (plain string, digest []byte) {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic("crypto/rand failed: " + err.Error())
	}
	plain = hex.EncodeToString(b[:])
	return plain, TokenDigest(plain)
}

// TokenDigest is the stored form of a token.
func TokenDigest(plain string) []byte {
	d := sha256.Sum256([]byte(plain))
	return d[:]
}

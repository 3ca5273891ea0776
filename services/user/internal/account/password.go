package account

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/alexedwards/argon2id"
)

// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes): no bcrypt
// 72-byte truncation, and memory-hard against GPU guessing.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// HashPassword returns a salted, encoded argon2id hash.
func HashPassword(plain string) (string, error) {
	return argon2id.CreateHash(plain, passwordParams)
}

// dummyHash is compared against when the username does not exist, so a
// failed login takes as long either way and does not reveal which usernames
// are registered.
var dummyHash, _ = HashPassword("seminarhub timing equaliser")

// PasswordMatches checks plain against hash; an empty hash (unknown user)
// still costs one hash computation.
func PasswordMatches(plain, hash string) bool {
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(plain, dummyHash)
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(plain, hash)
	return err == nil && ok
}

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

// LoginThrottleKey names the login attempts on one account: usernames
// compared case-insensitively (so "Kim" and "kim" share a count) and
// hashed (no username in Redis).
func LoginThrottleKey(username string) string {
	d := sha256.Sum256([]byte(strings.ToLower(username)))
	return "login:" + hex.EncodeToString(d[:])
}

// Package password hashes and checks passwords. It is apart from the account
// rules because it is a choice of algorithm and library, not a rule: the
// domain stays standard-library only.
package password

import "github.com/alexedwards/argon2id"

// Argon2id with OWASP's recommended minimum (19 MiB, 2 passes): no bcrypt
// 72-byte truncation, and memory-hard against GPU guessing.
var passwordParams = &argon2id.Params{Memory: 19 * 1024, Iterations: 2, Parallelism: 1, SaltLength: 16, KeyLength: 32}

// Hash returns a salted, encoded argon2id hash.
func Hash(plain string) (string, error) {
	return argon2id.CreateHash(plain, passwordParams)
}

// dummyHash is compared against when the username does not exist, so a
// failed login takes as long either way and does not reveal which usernames
// are registered.
var dummyHash, _ = Hash("seminarhub timing equaliser")

// Matches checks plain against hash; an empty hash (unknown user)
// still costs one hash computation.
func Matches(plain, hash string) bool {
	if hash == "" {
		_, _ = argon2id.ComparePasswordAndHash(plain, dummyHash)
		return false
	}
	ok, err := argon2id.ComparePasswordAndHash(plain, hash)
	return err == nil && ok
}

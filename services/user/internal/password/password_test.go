package password_test

import (
	"strings"
	"testing"

	"github.com/seminarhub/seminarhub/services/user/internal/password"
)

func TestPasswordsAreHashedAndVerified(t *testing.T) {
	t.Parallel()
	h, err := password.Hash("correct horse")
	if err != nil || strings.Contains(h, "correct horse") || !strings.HasPrefix(h, "$argon2id$") {
		t.Fatalf("hash %q err %v", h, err)
	}
	if !password.Matches("correct horse", h) || password.Matches("wrong", h) || password.Matches("x", "") {
		t.Fatal("verification is wrong")
	}
}

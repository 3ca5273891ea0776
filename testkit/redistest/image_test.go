package redistest

import (
	"testing"

	"github.com/seminarhub/seminarhub/testkit/pgtest"
)

// Tests run the Redis that `docker compose up` runs.
func TestTheTestImageIsComposesRedis(t *testing.T) {
	if got := pgtest.ComposeImage(t, "redis"); got != Image {
		t.Fatalf("compose.yaml runs %s, the tests %s", got, Image)
	}
}

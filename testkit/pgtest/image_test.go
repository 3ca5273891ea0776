package pgtest

import "testing"

// Tests run the PostgreSQL that `docker compose up` runs.
func TestTheTestImageIsComposesPostgres(t *testing.T) {
	if got := ComposeImage(t, "postgres"); got != Image {
		t.Fatalf("compose.yaml runs %s, the tests %s", got, Image)
	}
}

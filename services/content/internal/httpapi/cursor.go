package httpapi

import (
	"encoding/base64"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/seminarhub/seminarhub/platform/problem"
	"github.com/seminarhub/seminarhub/services/content/internal/store"
)

// A cursor is opaque to clients: the order it belongs to and the keyset
// position of the last seminar of the page before (created_at to the
// microsecond, id), base64url-encoded.
func encodeCursor(order string, p store.Position) string {
	raw := fmt.Sprintf("%s|%d|%d", order, p.CreatedAt.UnixMicro(), p.ID)
	return base64.RawURLEncoding.EncodeToString([]byte(raw))
}

var errBadCursor = problem.Field("cursor", "is not a cursor this list gave out (start again without it)")

func decodeCursor(order, cursor string) (*store.Position, error) {
	raw, err := base64.RawURLEncoding.DecodeString(cursor)
	if err != nil {
		return nil, errBadCursor
	}
	parts := strings.Split(string(raw), "|")
	if len(parts) != 3 || parts[0] != order {
		return nil, errBadCursor
	}
	micros, err1 := strconv.ParseInt(parts[1], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil || id <= 0 {
		return nil, errBadCursor
	}
	return &store.Position{CreatedAt: time.UnixMicro(micros).UTC(), ID: id}, nil
}

// maxPage bounds a page: big enough for any screen, small enough that a
// page stays cheap.
const maxPage = 100

func pageSize(raw string) (int, error) {
	n, err := strconv.Atoi(raw)
	if err != nil || n < 1 || n > maxPage {
		return 0, problem.Field("limit", fmt.Sprintf("must be a whole number from 1 to %d", maxPage))
	}
	return n, nil
}

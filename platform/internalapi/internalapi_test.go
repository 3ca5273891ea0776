package internalapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/httpx"
	"github.com/seminarhub/seminarhub/platform/internalapi"
)

// A backend that works until the deadline it is told must still be heard:
// it is told less than the caller will wait, by a tenth.
func TestABackendIsToldToFinishBeforeItsCallerStopsWaiting(t *testing.T) {
	told := make(chan string, 1)
	backend := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		told <- r.Header.Get(httpx.TimeoutHeader)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer backend.Close()

	client := internalapi.NewClient(backend.URL, "secret", 2*time.Second)
	if err := client.Do(context.Background(), http.MethodPost, "/internal/v1/x", internalapi.Caller{}, nil, nil); err != nil {
		t.Fatal(err)
	}
	ms, err := strconv.Atoi(<-told)
	if err != nil || ms > 1800 || ms < 1700 {
		t.Fatalf("%s: %d ms with a 2 s caller; want 1700–1800 (ms): 2 s less a tenth, less the time to send", httpx.TimeoutHeader, ms)
	}
}

package answers

import (
	"bytes"
	"compress/gzip"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/seminarhub/seminarhub/platform/cache"
)

func TestAcceptsGzipReadsTheHeaderAsRFC9110Says(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		"":                        false,
		"gzip":                    true,
		"GZIP":                    true,
		"deflate, gzip;q=0.5":     true,
		"gzip;q=0":                false,
		"gzip; q=0.000":           false,
		"br, *":                   true,
		"identity":                false,
		"x-gzip":                  true,
		"gzip;q=nonsense":         false,
		"deflate, br;q=1, gzip;q": true,
	} {
		if got := acceptsGzip(header); got != want {
			t.Errorf("acceptsGzip(%q) = %v, want %v", header, got, want)
		}
	}
}

func TestIfNoneMatchComparesWeaklyAndAcceptsAnyListedTag(t *testing.T) {
	t.Parallel()
	for header, want := range map[string]bool{
		`"a"`:         true,
		`W/"a"`:       true,
		`"b", "a"`:    true,
		`*`:           true,
		`"b"`:         false,
		``:            false,
		`"a-gz"`:      true,
		`W/"a-gz", x`: true,
	} {
		if got := matches(header, `"a"`, `"a-gz"`); got != want {
			t.Errorf("matches(%q) = %v, want %v", header, got, want)
		}
	}
}

func serve(a *Answer, header http.Header) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	r := httptest.NewRequest("GET", "/", nil)
	r.Header = header
	a.Write(w, r, cache.Hit)
	return w
}

func TestAnAnswerIsSentPlainGzippedOrNotModified(t *testing.T) {
	t.Parallel()
	body := []byte(`[` + strings.Repeat(`{"id":1,"name":"세미나 🎓"},`, 40) + `{"id":2}]`)
	a := New(body, cache.Deps{"k": "t"})

	plain := serve(a, http.Header{})
	if plain.Code != 200 || !bytes.Equal(plain.Body.Bytes(), body) || plain.Header().Get("ETag") != a.ETag || plain.Header().Get("Content-Encoding") != "" {
		t.Fatalf("plain: %d %q %q", plain.Code, plain.Header().Get("ETag"), plain.Header().Get("Content-Encoding"))
	}
	zipped := serve(a, http.Header{"Accept-Encoding": {"gzip"}})
	zr, err := gzip.NewReader(zipped.Body)
	if err != nil {
		t.Fatal(err)
	}
	inflated, _ := io.ReadAll(zr)
	if zipped.Header().Get("Content-Encoding") != "gzip" || !bytes.Equal(inflated, body) || zipped.Header().Get("ETag") == a.ETag {
		t.Fatalf("gzipped: %q, ETag %q, inflates to the body: %v", zipped.Header().Get("Content-Encoding"), zipped.Header().Get("ETag"), bytes.Equal(inflated, body))
	}
	for _, tag := range []string{a.ETag, zipped.Header().Get("ETag")} {
		if nm := serve(a, http.Header{"If-None-Match": {tag}}); nm.Code != 304 || nm.Body.Len() != 0 {
			t.Fatalf("If-None-Match %s: %d with %d bytes", tag, nm.Code, nm.Body.Len())
		}
	}
}

func TestAnAnswerWithUnknownDepsIsNeitherKeptNorCompressed(t *testing.T) {
	t.Parallel()
	s := NewStore(10, time.Minute)
	a := New(bytes.Repeat([]byte("x"), 4096), nil)
	s.Put("k", a)
	if a.Gzip != nil || s.Get("k") != nil {
		t.Fatal("an answer that can never be validated was kept")
	}
}

func TestAKeptAnswerExpiresAfterMaxAge(t *testing.T) {
	t.Parallel()
	s := NewStore(10, 20*time.Millisecond)
	s.Put("k", New([]byte(`{}`), cache.Deps{}))
	if s.Get("k") == nil {
		t.Fatal("a fresh answer is missing")
	}
	for deadline := time.Now().Add(time.Second); s.Get("k") != nil; time.Sleep(5 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("an answer far older than maxAge is still returned")
		}
	}
}

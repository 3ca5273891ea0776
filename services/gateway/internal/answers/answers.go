// Package answers keeps finished public answers — the exact bytes of a
// composed seminar list, seminar or user, and a gzipped copy — in this
// gateway's memory, so a repeated read costs neither a backend call nor a
// decode and re-encode.
//
// Memory is per replica, so an answer is never trusted by itself: it is
// kept with the generations it was composed from (cache.Deps, reported by
// the backends), and served only after one Redis round trip shows that
// every one of them is still current — the same check that authenticates
// the caller (see auth.Cached.Authenticate). A write answered by any
// replica replaces a generation before it is answered, so the very next
// read on any other replica recomposes.
package answers

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/base64"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	lru "github.com/hashicorp/golang-lru/v2"

	"github.com/seminarhub/seminarhub/platform/cache"
)

// Answer is one finished 200 answer.
type Answer struct {
	Body []byte
	// Gzip is Body compressed once, for clients that accept it (browsers
	// do), so the edge does not compress the same bytes per request.
	Gzip []byte
	// ETag identifies Body (and, with a suffix, Gzip) for If-None-Match.
	ETag string
	// Deps are the generations Body was composed from; nil if unknown.
	Deps   cache.Deps
	stored time.Time
}

// New finishes an answer. Only an answer with known Deps can be kept, so
// only those are compressed.
func New(body []byte, deps cache.Deps) *Answer {
	sum := sha256.Sum256(body)
	a := &Answer{Body: body, Deps: deps, ETag: `"` + base64.RawURLEncoding.EncodeToString(sum[:16]) + `"`}
	if deps != nil && len(body) >= gzipMin {
		a.Gzip = compress(body)
	}
	return a
}

// Below this, gzip saves too little to be worth a header (the edge uses
// the same threshold).
const gzipMin = 512

var gzippers = sync.Pool{New: func() any { w, _ := gzip.NewWriterLevel(nil, gzip.DefaultCompression); return w }}

func compress(body []byte) []byte {
	var buf bytes.Buffer
	w := gzippers.Get().(*gzip.Writer)
	defer gzippers.Put(w)
	w.Reset(&buf)
	_, _ = w.Write(body) // writes to a bytes.Buffer do not fail
	_ = w.Close()
	return buf.Bytes()
}

// gzipETag is the tag of the compressed representation: a strong ETag must
// differ between encodings of the same resource.
func (a *Answer) gzipETag() string { return strings.TrimSuffix(a.ETag, `"`) + `-gz"` }

// Write sends the answer: 304 when the client already has it
// (If-None-Match), the gzipped copy when the client accepts gzip, the plain
// bytes otherwise. X-Cache tells where it came from.
func (a *Answer) Write(w http.ResponseWriter, r *http.Request, status cache.Status) {
	h := w.Header()
	h.Set(cache.Header, string(status))
	h.Set("Content-Type", "application/json; charset=utf-8")
	h.Set("Vary", "Accept-Encoding")
	body, etag := a.Body, a.ETag
	if a.Gzip != nil && acceptsGzip(r.Header.Get("Accept-Encoding")) {
		body, etag = a.Gzip, a.gzipETag()
		h.Set("Content-Encoding", "gzip")
	}
	h.Set("ETag", etag)
	if matches(r.Header.Get("If-None-Match"), a.ETag, a.gzipETag()) {
		h.Del("Content-Type")
		h.Del("Content-Encoding")
		w.WriteHeader(http.StatusNotModified)
		return
	}
	// A known length spares the edge a chunked answer.
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// acceptsGzip reads Accept-Encoding as RFC 9110 says: gzip (or *) listed
// without q=0.
func acceptsGzip(header string) bool {
	for _, part := range strings.Split(header, ",") {
		coding, params, _ := strings.Cut(strings.TrimSpace(part), ";")
		coding = strings.ToLower(strings.TrimSpace(coding))
		if coding != "gzip" && coding != "x-gzip" && coding != "*" {
			continue
		}
		if q, ok := strings.CutPrefix(strings.ReplaceAll(strings.ToLower(params), " ", ""), "q="); ok {
			v, err := strconv.ParseFloat(q, 64)
			return err == nil && v > 0
		}
		return true
	}
	return false
}

// matches is If-None-Match's weak comparison: any listed tag, W/ or not,
// equal to one of ours, or "*".
func matches(header string, etags ...string) bool {
	if header == "" {
		return false
	}
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == "*" {
			return true
		}
		for _, e := range etags {
			if t == e {
				return true
			}
		}
	}
	return false
}

// Store is this replica's memory of answers: at most size of them, each
// for at most maxAge.
type Store struct {
	lru    *lru.Cache[string, *Answer]
	maxAge time.Duration
}

// NewStore returns an empty store.
func NewStore(size int, maxAge time.Duration) *Store {
	l, err := lru.New[string, *Answer](size)
	if err != nil {
		panic(err) // only for size <= 0, which config validation rules out
	}
	return &Store{lru: l, maxAge: maxAge}
}

// Get returns the answer kept under key, not yet checked for currency:
// nil when there is none or it is older than maxAge.
func (s *Store) Get(key string) *Answer {
	a, ok := s.lru.Get(key)
	if !ok || time.Since(a.stored) > s.maxAge {
		return nil
	}
	return a
}

// Put keeps a under key if it can ever be validated (known Deps).
func (s *Store) Put(key string, a *Answer) {
	if a.Deps == nil {
		return
	}
	a.stored = time.Now()
	s.lru.Add(key, a)
}

// DepsOf is a's Deps, nil for no answer.
func DepsOf(a *Answer) cache.Deps {
	if a == nil {
		return nil
	}
	return a.Deps
}

package blackbox

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"time"
)

// RestoreProbe is what a restore test writes on either side of a moment
// and checks after restoring a deployment to it: a seminar opened before
// (kept), an account made and a seminar opened after (lost) — read twice,
// so that the cache holds it.
type RestoreProbe struct {
	client      *http.Client
	base        string
	early, late string // the instructors' tokens
	kept, lost  int64
	Moment      time.Time
	Target      string // Moment as pgBackRest's --target takes it
}

// NewRestoreProbe opens the kept seminar, runs backup (the deployment's
// way of taking one), marks the moment, then writes what the restore must
// take away.
func NewRestoreProbe(client *http.Client, base string, backup func() error) (*RestoreProbe, error) {
	p := &RestoreProbe{client: client, base: base}
	var err error
	if p.early, err = Signup(client, base, "instructor"); err != nil {
		return nil, err
	}
	if p.kept, err = OpenSeminar(client, base, p.early, "Kept 세미나 🎓"); err != nil {
		return nil, err
	}
	if err := backup(); err != nil {
		return nil, err
	}
	time.Sleep(time.Second)
	p.Moment = time.Now().UTC()
	p.Target = p.Moment.Format("2006-01-02 15:04:05.000000") + "+00"
	time.Sleep(time.Second)
	if p.late, err = Signup(client, base, "instructor"); err != nil {
		return nil, err
	}
	if p.lost, err = OpenSeminar(client, base, p.late, "Opened after the moment"); err != nil {
		return nil, err
	}
	for range 2 { // the second answer comes from the cache
		if err := p.expect(p.lost, p.early, http.StatusOK, "reading the late seminar"); err != nil {
			return nil, err
		}
	}
	return p, nil
}

// get reads a seminar, or with seminar 0 the token's own account.
func (p *RestoreProbe) get(seminar int64, token string) (Answer, error) {
	path := fmt.Sprintf("/api/v1/seminar/%d/", seminar)
	if seminar == 0 {
		path = "/api/v1/user/me/"
	}
	return Exchange(p.client, p.base, "GET", path, token, nil, nil)
}

func (p *RestoreProbe) expect(seminar int64, token string, status int, what string) error {
	a, err := p.get(seminar, token)
	if err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	if a.StatusCode != status {
		return fmt.Errorf("%s: %d %s; want %d", what, a.StatusCode, a.Body, status)
	}
	return nil
}

// Check waits (up to 3 minutes) until the kept seminar is served again,
// then checks that what came after the moment is gone: the late seminar
// (404, although the cache held it) and the late account (its token 401).
func (p *RestoreProbe) Check() error {
	for deadline := time.Now().Add(3 * time.Minute); ; time.Sleep(500 * time.Millisecond) {
		if a, err := p.get(p.kept, p.early); err == nil && a.StatusCode == http.StatusOK {
			break
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the seminar opened before %s is not served 3 minutes after the restore", p.Target)
		}
	}
	if err := p.expect(p.lost, p.early, http.StatusNotFound, "the seminar opened after "+p.Target+" (cached before the restore)"); err != nil {
		return err
	}
	return p.expect(0, p.late, http.StatusUnauthorized, "the token of an account made after "+p.Target)
}

// Signup makes an account of the role with a random name and returns its
// token.
func Signup(client *http.Client, base, role string) (string, error) {
	var b [6]byte
	_, _ = rand.Read(b[:])
	a, err := Exchange(client, base, "POST", "/api/v1/user/", "",
		map[string]any{"username": role[:4] + hex.EncodeToString(b[:]), "password": "pw", "email": "b@example.com", "role": role}, nil)
	if err != nil {
		return "", err
	}
	var u struct{ Token string }
	if a.StatusCode != http.StatusCreated || json.Unmarshal(a.Body, &u) != nil || u.Token == "" {
		return "", fmt.Errorf("signup: %d %s", a.StatusCode, a.Body)
	}
	return u.Token, nil
}

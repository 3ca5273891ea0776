package account_test

import (
	"strings"
	"testing"

	"github.com/seminarhub/seminarhub/services/user/internal/account"
	"github.com/seminarhub/seminarhub/testkit/domaintest"
)

var (
	body       = domaintest.Body
	fieldError = domaintest.WantFieldError
)

const participantBase = `"username":"davin111","password":"pw","email":"bdv111@snu.ac.kr","role":"participant"`

func TestSignupParticipantDefaultsUniversityEmptyAndAcceptedTrue(t *testing.T) {
	t.Parallel()
	s, err := account.ParseSignup(body(t, `{`+participantBase+`}`))
	if err != nil {
		t.Fatal(err)
	}
	if s.Role != account.RoleParticipant || s.University != "" || !s.Accepted || s.FirstName != "" || s.LastName != "" {
		t.Fatalf("got %+v", s)
	}
}

func TestSignupCoercesStringBooleanAndIntegerFields(t *testing.T) {
	t.Parallel()
	p, err := account.ParseSignup(body(t, `{`+participantBase+`,"accepted":"False"}`))
	if err != nil || p.Accepted {
		t.Fatalf("accepted: %+v %v", p, err)
	}
	i, err := account.ParseSignup(body(t, `{"username":"i","password":"pw","email":"i@x.io","role":"instructor","year":"3","company":"매스프레소"}`))
	if err != nil || i.Year == nil || *i.Year != 3 || i.Company != "매스프레소" {
		t.Fatalf("instructor: %+v %v", i, err)
	}
}

func TestSignupYearNullOrEmptyMeansNoYear(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`null`, `""`} {
		s, err := account.ParseSignup(body(t, `{"username":"i","password":"pw","email":"i@x.io","role":"instructor","year":`+v+`}`))
		if err != nil || s.Year != nil {
			t.Fatalf("year %s: %+v %v", v, s.Year, err)
		}
	}
}

func TestSignupRejectsNegativeOrNonIntegerYear(t *testing.T) {
	t.Parallel()
	for _, v := range []string{`-1`, `"-1"`, `1.5`, `"three"`, `true`} {
		_, err := account.ParseSignup(body(t, `{"username":"i","password":"pw","email":"i@x.io","role":"instructor","year":`+v+`}`))
		fieldError(t, err, "year")
	}
}

func TestSignupIgnoresTheOtherRolesFields(t *testing.T) {
	t.Parallel()
	_, err := account.ParseSignup(body(t, `{`+participantBase+`,"year":-5,"company":123}`))
	if err != nil {
		t.Fatalf("instructor fields were validated for a participant: %v", err)
	}
	_, err = account.ParseSignup(body(t, `{"username":"i","password":"pw","email":"i@x.io","role":"instructor","accepted":"maybe"}`))
	if err != nil {
		t.Fatalf("participant fields were validated for an instructor: %v", err)
	}
}

func TestSignupRequiresUsernamePasswordEmailAndRole(t *testing.T) {
	t.Parallel()
	_, err := account.ParseSignup(body(t, `{}`))
	for _, f := range []string{"username", "password", "email", "role"} {
		fieldError(t, err, f)
	}
}

func TestSignupRejectsAnUnknownRole(t *testing.T) {
	t.Parallel()
	_, err := account.ParseSignup(body(t, `{"username":"a","password":"pw","email":"a@b.co","role":"admin"}`))
	fieldError(t, err, "role")
}

func TestUsernameRules(t *testing.T) {
	t.Parallel()
	for _, ok := range []string{"a", "davin.111@x+y-z_", "다빈", strings.Repeat("a", 150)} {
		if _, err := account.ParseSignup(body(t, `{"username":"`+ok+`","password":"pw","email":"a@b.co","role":"participant"}`)); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"with space", "semi;colon", "a/b", strings.Repeat("a", 151)} {
		_, err := account.ParseSignup(body(t, `{"username":"`+bad+`","password":"pw","email":"a@b.co","role":"participant"}`))
		fieldError(t, err, "username")
	}
}

func TestEmailMustBeAnAddress(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{"plain", "a@", "@b.co", "a@b", "a b@c.de", "Name <a@b.co>", "a@.co"} {
		_, err := account.ParseSignup(body(t, `{"username":"u","password":"pw","email":"`+bad+`","role":"participant"}`))
		fieldError(t, err, "email")
	}
}

func TestNamesAreLettersOnlyAndComeInPairs(t *testing.T) {
	t.Parallel()
	ok, err := account.ParseSignup(body(t, `{`+participantBase+`,"first_name":"다빈","last_name":"Byeon"}`))
	if err != nil || ok.FirstName != "다빈" || ok.LastName != "Byeon" {
		t.Fatalf("%+v %v", ok, err)
	}
	_, err = account.ParseSignup(body(t, `{`+participantBase+`,"first_name":"Davin1","last_name":"Byeon"}`))
	fieldError(t, err, "first_name")
	_, err = account.ParseSignup(body(t, `{`+participantBase+`,"first_name":"Davin"}`))
	fieldError(t, err, "last_name")
	_, err = account.ParseSignup(body(t, `{`+participantBase+`,"last_name":"Byeon","first_name":""}`))
	fieldError(t, err, "first_name")
}

func existing() account.User {
	y := 3
	return account.User{ID: 1, Username: "old", Email: "old@x.io", FirstName: "Old", LastName: "Name",
		Participant: &account.Participant{ID: 1, University: "SNU", Accepted: false},
		Instructor:  &account.Instructor{ID: 1, Company: "C", Year: &y}}
}

func TestUpdateAppliesOnlyTheFieldsSent(t *testing.T) {
	t.Parallel()
	u := existing()
	pw, err := u.Update(body(t, `{"email":"new@x.io","university":"","year":null}`))
	if err != nil || pw != "" {
		t.Fatalf("%v %q", err, pw)
	}
	if u.Email != "new@x.io" || u.Username != "old" || u.Participant.University != "" || u.Instructor.Year != nil || u.Instructor.Company != "C" {
		t.Fatalf("got %+v %+v %+v", u, u.Participant, u.Instructor)
	}
}

func TestUpdateCannotChangeAccepted(t *testing.T) {
	t.Parallel()
	u := existing()
	if _, err := u.Update(body(t, `{"accepted":true}`)); err != nil || u.Participant.Accepted {
		t.Fatalf("accepted changed or refused: %v %v", u.Participant.Accepted, err)
	}
}

func TestUpdateReturnsANewPassword(t *testing.T) {
	t.Parallel()
	u := existing()
	pw, err := u.Update(body(t, `{"password":"s3cret"}`))
	if err != nil || pw != "s3cret" {
		t.Fatalf("%q %v", pw, err)
	}
}

func TestUpdateWithOnlyAFirstNameIsRefused(t *testing.T) {
	t.Parallel()
	u := existing()
	_, err := u.Update(body(t, `{"first_name":"New"}`))
	fieldError(t, err, "last_name")
}

func TestUpdateIgnoresFieldsOfAMissingProfile(t *testing.T) {
	t.Parallel()
	u := existing()
	u.Instructor = nil
	if _, err := u.Update(body(t, `{"year":-1,"company":5}`)); err != nil {
		t.Fatalf("instructor fields validated for a participant-only user: %v", err)
	}
}

func TestUpdateRejectsAnEmptyUsername(t *testing.T) {
	t.Parallel()
	u := existing()
	_, err := u.Update(body(t, `{"username":""}`))
	fieldError(t, err, "username")
}

func TestTokensAreLongRandomAndStoredOnlyAsDigests(t *testing.T) {
	t.Parallel()
	a, da := account.NewToken()
	b, _ := account.NewToken()
	if len(a) != 64 || a == b || len(da) != 32 || string(da) == a {
		t.Fatalf("token %q digest %x", a, da)
	}
	if string(account.TokenDigest(a)) != string(da) {
		t.Fatal("digest is not deterministic")
	}
}

func TestAcceptedNullIsRefusedOnSignupAndBecomingAParticipant(t *testing.T) {
	t.Parallel()
	_, err := account.ParseSignup(body(t, `{`+participantBase+`,"accepted":null}`))
	fieldError(t, err, "accepted")
	_, err = account.ParseBecomeParticipant(body(t, `{"university":"SNU","accepted":null}`))
	fieldError(t, err, "accepted")
}

func TestAcceptedAbsentMeansAccepted(t *testing.T) {
	t.Parallel()
	p, err := account.ParseBecomeParticipant(body(t, `{"university":"SNU"}`))
	if err != nil || !p.Accepted {
		t.Fatalf("got %+v %v, want accepted", p, err)
	}
}

func signupAs(t *testing.T, username string) error {
	t.Helper()
	_, err := account.ParseSignup(body(t, `{"username":"`+username+`","password":"pw","email":"a@b.io","role":"participant"}`))
	return err
}

// Usernames may not mix scripts whose letters pass for one another (UTS
// #39, moderately restrictive): Cyrillic "і" among Latin letters makes a
// name that reads as another.
func TestAUsernameMixingLatinWithCyrillicOrGreekIsRefused(t *testing.T) {
	t.Parallel()
	for _, name := range []string{"pі_x", "pаypal", "ΑLICE_β", "kim_и"} {
		err := signupAs(t, name)
		fieldError(t, err, "username")
		if !strings.Contains(err.Error(), "may not mix") {
			t.Errorf("%q: %v; want the mixing named", name, err)
		}
	}
}

func TestUsernamesInOneScriptOrAnAllowedMixAreAccepted(t *testing.T) {
	t.Parallel()
	for _, name := range []string{
		"davin111", "다빈", "다빈_kim", "иван", "Ελένη", "田中_たなか_タナカ_tanaka", "王_ㄅ_wang", "kim@snu.ac.kr", "محمد_1", "ａｂ_full_width",
	} {
		if err := signupAs(t, name); err != nil {
			t.Errorf("%q refused: %v", name, err)
		}
	}
}

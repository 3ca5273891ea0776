package lookalike_test

import (
	"testing"

	"github.com/seminarhub/seminarhub/services/user/internal/lookalike"
)

func alike(a, b string) bool {
	af, as := lookalike.Keys(a)
	bf, bs := lookalike.Keys(b)
	return af == bf || as == bs
}

func TestNamesThatPassForOneAnotherLookAlike(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{"UQ_2959F2DF3E", "uq_2959f2df3e"}, // case
		{"ab_1", "ａb_1"},                   // full width
		{"kim", "ＫＩＭ"},                     // both
		{"pay", "рау"},                     // all Cyrillic
		{"Ian", "lan"},                     // capital i, small L
		{"user1", "userl"},                 // digit one, small L
		{"davin", "Davin"},
		{"다빈", "다빈"},
	} {
		if !alike(pair[0], pair[1]) {
			t.Errorf("%q and %q do not look alike", pair[0], pair[1])
		}
	}
}

func TestDifferentNamesDoNotLookAlike(t *testing.T) {
	t.Parallel()
	for _, pair := range [][2]string{
		{"kim", "kin"}, {"davin111", "davin112"}, {"다빈", "다인"}, {"anna", "hanna"}, {"a.b", "a_b"},
	} {
		if alike(pair[0], pair[1]) {
			t.Errorf("%q and %q look alike", pair[0], pair[1])
		}
	}
}

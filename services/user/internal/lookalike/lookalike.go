// Package lookalike decides when two usernames would look the same to a
// person reading a member list, so that nobody can take a name that
// passes for someone else's. It is apart from the account rules because
// it is Unicode data from libraries, not a rule (as package password is
// a choice of algorithm).
package lookalike

import (
	"go.mau.fi/util/confusable"
	"golang.org/x/text/cases"
	"golang.org/x/text/unicode/norm"
)

var fold = cases.Fold()

// Keys returns the two forms under which usernames must be unique (the
// user database holds a unique index on each):
//
//   - folded: the confusable skeleton (Unicode Technical Standard #39) of
//     the name's compatibility form (NFKC) with case folded away. Equal for
//     "ＫＩＭ", "Kim" and "kim", and for "рау" (Cyrillic) and "pay".
//   - skeleton: the same without case folding, for look-alikes that only
//     case makes: "Ian" (capital i) and "lan".
//
// Skeletons are for comparing, never for showing: "m" becomes "rn".
func Keys(username string) (folded, skeleton string) {
	compat := norm.NFKC.String(username)
	return confusable.Skeleton(norm.NFKC.String(fold.String(compat))), confusable.Skeleton(compat)
}

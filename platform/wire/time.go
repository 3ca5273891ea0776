// Package wire holds the JSON encodings the public contract fixes.
package wire

import (
	"encoding/json"
	"time"
)

// TimeLayout is the contract's timestamp: UTC, microseconds, "Z".
const TimeLayout = "2006-01-02T15:04:05.000000Z"

// Time marshals as TimeLayout and accepts any RFC 3339 time.
type Time struct{ time.Time }

// At wraps t.
func At(t time.Time) Time { return Time{t} }

// MarshalJSON implements json.Marshaler.
func (t Time) MarshalJSON() ([]byte, error) {
	return json.Marshal(t.UTC().Truncate(time.Microsecond).Format(TimeLayout))
}

// UnmarshalJSON implements json.Unmarshaler.
func (t *Time) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	parsed, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return err
	}
	t.Time = parsed
	return nil
}

// Ptr returns nil for nil and a *Time otherwise, for nullable timestamps.
func Ptr(t *time.Time) *Time {
	if t == nil {
		return nil
	}
	return &Time{*t}
}

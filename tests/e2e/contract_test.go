package e2e

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"testing"

	"github.com/getkin/kin-openapi/openapi3filter"
)

// The validator must be able to fail: a response with an undocumented
// field, a wrong timestamp format or an undocumented status is rejected.
func TestTheContractValidatorRejectsDrift(t *testing.T) {
	good := `{"id":1,"username":"u","email":"e","first_name":"","last_name":"","last_login":null,` +
		`"date_joined":"2026-11-25T09:29:59.000001Z","participant":null,"instructor":{"id":1,"company":"","year":null,"charge":null}}`
	cases := map[string]struct {
		status int
		body   string
		ok     bool
	}{
		"documented":        {200, good, true},
		"extra field":       {200, good[:len(good)-1] + `,"password":"x"}`, false},
		"seconds only":      {200, `{"id":1,"username":"u","email":"e","first_name":"","last_name":"","last_login":null,"date_joined":"2026-11-25T09:29:59Z","participant":null,"instructor":null}`, false},
		"undocumented 500":  {500, `{"error":"boom"}`, false},
		"error without msg": {404, `{"detail":"x"}`, false},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			req, _ := http.NewRequest("GET", "/api/v1/user/1/", nil)
			route, params, err := contract(t).FindRoute(req)
			if err != nil {
				t.Fatal(err)
			}
			err = openapi3filter.ValidateResponse(context.Background(), &openapi3filter.ResponseValidationInput{
				RequestValidationInput: &openapi3filter.RequestValidationInput{Request: req, PathParams: params, Route: route},
				Status:                 c.status,
				Header:                 http.Header{"Content-Type": {"application/json"}},
				Body:                   io.NopCloser(bytes.NewReader([]byte(c.body))),
				Options:                &openapi3filter.Options{IncludeResponseStatus: true},
			})
			if (err == nil) != c.ok {
				t.Fatalf("valid=%v, want %v (err %v)", err == nil, c.ok, err)
			}
		})
	}
}

func TestLoginAndUserPathsRouteToTheirOwnOperations(t *testing.T) {
	for path, op := range map[string]string{"/api/v1/user/login/": "login", "/api/v1/user/me/": "updateUser", "/api/v1/user/7/": "updateUser"} {
		req, _ := http.NewRequest("PUT", path, nil)
		route, _, err := contract(t).FindRoute(req)
		if err != nil || route.Operation.OperationID != op {
			t.Fatalf("%s routed to %v (%v), want %s", path, route, err, op)
		}
	}
}

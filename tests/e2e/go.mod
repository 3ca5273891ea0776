module github.com/seminarhub/seminarhub/tests/e2e

go 1.26.8

require github.com/getkin/kin-openapi v0.153.0 // indirect

// Package api is the public contract, api/openapi.yaml, and what is
// generated from it: the gateway's answer objects in Go (oapi-codegen, a
// tool of this module) and the web app's in TypeScript (openapi-typescript,
// web/package.json). The contract is the source because it carries more
// than shapes — paths, statuses, headers — and the end-to-end tests
// validate every answer against it; `make generate` rewrites both, and
// tests here and in web/ fail when either is stale.
package api

//go:generate go tool oapi-codegen -config oapi-codegen.yaml -o ../services/gateway/internal/contract/contract.gen.go openapi.yaml

// The Gateway API's CRDs (standard channel), which `make test-k8s` installs
// to check that a real apiserver accepts components/gateway-api. Only the
// module's YAML is used; nothing is built. v1.6 is maintained by SIG
// Network until v1.8 (the project supports its two newest releases).
module github.com/seminarhub/seminarhub/tools/gateway-api

go 1.26.8

require sigs.k8s.io/gateway-api v1.6.3

// Package validate checks the deployment files without a cluster or a Docker
// engine: the kustomize overlays are rendered and decoded strictly into the
// Kubernetes API types and checked for the properties a reviewer would look
// for; compose.yaml is loaded with the compose-spec library; the Dockerfile's
// build flags are kept equal to scripts/build.sh's. See the tests.
package validate

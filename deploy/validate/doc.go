// Package validate checks the deployment files without a cluster or a Docker
// engine: the kustomize overlays are rendered and decoded strictly into the
// Kubernetes API types and checked for the properties a reviewer would look
// for; compose.yaml is loaded with the compose-spec library. The Dockerfile
// builds with scripts/build.sh itself, so there is nothing to keep equal.
package validate

# seminarhub — the commands a developer needs. See README.md.
.PHONY: run backup restore generate slos test test-fast test-compose test-k8s deploy cluster cluster-down images docker lint bench load build stop clean fmt

## run: start PostgreSQL and the three services locally (Ctrl-C stops them)
run:
	@scripts/run.sh

## test: go vet, unit, integration, end-to-end and (with Docker) compose tests
test:
	@scripts/test.sh

## test-fast: the inner loop — unit, store, component and architecture tests (no Docker, no browser, no e2e)
test-fast:
	@scripts/test.sh fast

## test-compose: only the compose suite (builds the images, docker compose up)
test-compose:
	@scripts/test.sh compose

## cluster: a real single-node Kubernetes under .run/cluster, left running (kubeconfig: .run/cluster/kubeconfig)
cluster:
	@scripts/cluster.sh up

## cluster-down: stop the cluster and remove every trace of it
cluster-down:
	@scripts/cluster.sh down

## test-k8s: only the cluster suite (as root: make cluster, the product on it, make cluster-down)
test-k8s:
	@scripts/test.sh k8s

## deploy: build this commit's images, roll them out on the cluster KUBECONFIG names, roll back if they never get ready
deploy:
	@scripts/deploy.sh

## images: third-party images for compose and the Dockerfiles (stand-ins where no registry answers)
images:
	@scripts/docker.sh ready >/dev/null && scripts/images.sh

## docker: a Docker engine with the Compose and Buildx plugins (installed and started as needed)
docker:
	@scripts/docker.sh ready >/dev/null

## lint: go vet and golangci-lint (installed into .run/tools on first use)
lint:
	@scripts/lint.sh

## bench: the hot reads through Nginx with wrk, beside a static file of the same bytes (req/s, p50, p99, CPU per request)
bench:
	@scripts/test.sh -run '^$$' -bench . -benchtime 1x ./tests/e2e/

## load: a class signing in at once against a running `make run` (tests/load; docs/capacity.md)
load:
	@go run ./tests/load

## backup: a backup of make run's PostgreSQL with pgBackRest (full the first time, then incremental)
backup:
	@scripts/backup.sh backup "$${SEMINARHUB_INSTANCE:-dev}"

## restore: with make run stopped, restore its PostgreSQL to the latest moment, or TARGET="2026-12-05 10:00:00+00"
restore:
	@scripts/backup.sh restore "$${SEMINARHUB_INSTANCE:-dev}" "$(TARGET)"

## generate: the code generated from api/openapi.yaml (Go for the gateway, TypeScript for the web app)
generate:
	@cd api && go generate ./...
	@scripts/web.sh deps && cd web && npm run --silent gen:api

## slos: regenerate deploy/monitoring/rules/slos.yaml from the SLO spec deploy/monitoring/slos.yaml (sloth)
slos:
	@scripts/monitoring.sh slos

## build: the three binaries into .run/bin
build:
	@scripts/build.sh .run/bin

## stop: stop any private PostgreSQL left running under .run/
stop:
	@scripts/stack.sh stop-all

## clean: stop everything and delete .run/ (local data included)
clean: stop
	rm -rf .run

fmt:
	gofmt -w api platform testkit services tests deploy

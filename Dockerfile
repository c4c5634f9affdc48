# syntax=docker/dockerfile:1
# mra-gateway: build with the dev dependencies, then run on a slim image with production dependencies
# only, as a non-root user, with the store on a volume.
ARG NODE_IMAGE=node:20-bookworm-slim

# ---- build: compile TypeScript and the native SQLite addon --------------------------------------
FROM ${NODE_IMAGE} AS build
# better-sqlite3 is a native addon: if no prebuilt binary fits, npm compiles it (python3, make, g++).
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
# No install-time telemetry from dev dependencies.
ENV SCARF_ANALYTICS=false
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY schemas ./schemas
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

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
# Liveness only (the process answers); readiness (/readyz) is for orchestrators and alerts.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 8080) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# main.js stops gracefully on SIGTERM.
CMD ["node", "dist/main.js"]

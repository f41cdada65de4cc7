# syntax=docker/dockerfile:1

# Debian (glibc), not Alpine: the prebuilt binaries of sharp and @tensorflow/tfjs-node target glibc.
ARG NODE_VERSION=20
# tfjs-node ships libtensorflow for linux/amd64 only. On linux/arm64, build with
# --build-arg TFJS_NODE=optional to get an image without it (onnxruntime-node, which auto picks,
# ships linux/arm64 binaries).
ARG TFJS_NODE=required

FROM node:${NODE_VERSION}-bookworm-slim AS build

# better-sqlite3 (and tfjs-node's binding) compile from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

# package.json's allowScripts is enforced by npm 11; the npm 10 bundled with node 20 ignores it
# and would run every dependency's install script.
ARG NPM_VERSION=11.19.1
RUN --mount=type=cache,target=/root/.npm npm install -g npm@${NPM_VERSION}

WORKDIR /app

# Only what `npm ci` and its postinstall (scripts/install-models.mjs) read, so that source edits
# keep the dependency layer cached.
COPY package.json package-lock.json ./
COPY scripts ./scripts
COPY models/SHA256SUMS ./models/

# tfjs-node is an optionalDependency: npm silently drops it when its libtensorflow download fails.
# The image must have it, so a missing or unloadable binding fails the build here.
# install-models.mjs is the postinstall; running it again fails the build on missing or altered
# weights even if npm skipped the postinstall.
ARG TFJS_NODE
RUN --mount=type=cache,target=/root/.npm npm ci \
 && node scripts/install-models.mjs \
 && if [ "$TFJS_NODE" = required ]; then node -e "require('@tensorflow/tfjs-node')"; fi

COPY . .
# The onnx backend's models are built here from the verified weights: the runtime stage's models
# folder is read-only to the service, which would otherwise build them on its first start.
RUN npm run build \
 && node dist/src/cli.js onnx-models \
 && npm prune --omit=dev


FROM node:${NODE_VERSION}-bookworm-slim AS runtime

# MALLOC_ARENA_MAX: glibc gives each thread that allocates its own arena; with libvips and the
# inference threads that held about 60 MB more at peak (docs/performance.md, "Memory").
ENV NODE_ENV=production \
    PORT=5056 \
    HOST=0.0.0.0 \
    DATA_DIR=/app/data \
    MODELS_DIR=/app/models \
    MALLOC_ARENA_MAX=2

WORKDIR /app

# Owned by root, so the service (user node) cannot modify its own code or weights.
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/models ./models
COPY --from=build /app/assets ./assets
COPY --from=build /app/dist ./dist

# Check again in the runtime stage (catches shared libraries the slim image lacks); DATA_DIR holds
# the SQLite file when DATABASE_URL is unset, so it must be writable by node.
ARG TFJS_NODE
RUN if [ "$TFJS_NODE" = required ]; then node -e "require('@tensorflow/tfjs-node')"; fi \
 && mkdir -p /app/data \
 && chown node:node /app/data

USER node
EXPOSE 5056

# No curl in the slim image: node's global fetch. Ready = database reachable and models loaded.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.PORT||5056)+'/health/ready').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

# node directly, not `npm start`, so SIGTERM reaches the app; the same options as `npm start`
# (package.json; a unit test keeps them equal). --max-semi-space-size=4: V8's young generation
# otherwise grows to 16 MB semi-spaces per thread under load, about 80 MB more at peak with two
# workers (docs/performance.md, "Memory").
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]

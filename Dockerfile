# syntax=docker/dockerfile:1
# presage service image: build with the full toolchain, ship only dist/, bin/ and production deps.
#
#   docker build -t presage .
#   docker run --rm -p 8080:8080 presage            # = node bin/presage.js run
#
# Build arg REQUIRE_TFJS_NODE (default 1): fail the build when the native TensorFlow backend
# (@tensorflow/tfjs-node, an optionalDependency) cannot be installed. Set it to 0 for platforms
# without prebuilt libtensorflow (e.g. linux/arm64); the LSTM models then run on the pure-JS backend.

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app

COPY package.json package-lock.json ./
# --ignore-scripts: the root "prepare" script runs tsc, and the sources are not copied yet (keeping
# this layer cacheable on the lockfile alone). tsc needs no package's install script — in particular
# not tfjs-node's libtensorflow download; its type declarations are plain files.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --ignore-scripts --no-audit --no-fund

COPY . .
RUN npm run build

# ---------------------------------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime
ARG REQUIRE_TFJS_NODE=1
ENV NODE_ENV=production
WORKDIR /app

COPY package.json package-lock.json ./
# Two steps instead of a plain `npm ci --omit=dev`: that would also run the root "prepare" script
# (tsc, a devDependency, absent here) and fail. So install without lifecycle scripts, then run the
# install scripts of @tensorflow/tfjs-node alone: they download libtensorflow and the prebuilt
# N-API binding (needs network at build time; no compiler needed for linux/amd64).
# Installed as root on purpose: the app runs as `node` and cannot modify its own code or deps.
RUN --mount=type=cache,target=/root/.npm \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
    && if [ -d node_modules/@tensorflow/tfjs-node ]; then \
         npm rebuild @tensorflow/tfjs-node \
         || { echo "@tensorflow/tfjs-node install scripts failed" >&2; [ "$REQUIRE_TFJS_NODE" = "0" ]; }; \
       elif [ "$REQUIRE_TFJS_NODE" != "0" ]; then \
         echo "@tensorflow/tfjs-node is not in the lockfile (build with REQUIRE_TFJS_NODE=0 to allow)" >&2; \
         exit 1; \
       fi

COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin

USER node
EXPOSE 8080
# Node runs as PID 1 without an init: the service must handle SIGTERM itself (graceful shutdown of
# its loops), as Kubernetes sends SIGTERM and then SIGKILL after the grace period.
ENTRYPOINT ["node", "bin/presage.js"]
CMD ["run"]

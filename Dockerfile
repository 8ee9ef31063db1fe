# Godown service image: one image for the API, the Temporal worker and the
# migration step (docker-compose.yml picks the command).
#
#   docker build -t godown .
#
# Install scripts are skipped in both stages (--ignore-scripts): the Prisma
# client is generated offline by scripts/prisma-generate.mjs, so nothing needs
# the engine downloads, telemetry or embedded-PostgreSQL set-up those scripts do.

# ── build: all dependencies, generate the Prisma client, compile TypeScript ──
FROM node:20-bookworm-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json prisma.config.ts ./
COPY prisma ./prisma
COPY domain ./domain
COPY api ./api
COPY workflows ./workflows
COPY scripts ./scripts
COPY client ./client
# `npm run build` = prisma generate (into prisma/generated) + the typed client's
# OpenAPI document and types (into client/) + tsc; the generated
# client is compiled into dist/prisma/generated, so the runtime needs no Prisma CLI.
RUN npm run build \
 && test -f dist/api/main.js \
 && test -f dist/scripts/migrate.js \
 && test -f dist/prisma/generated/client.js

# ── runtime: production dependencies, compiled JavaScript, migrations ─────────
FROM node:20-bookworm-slim AS runtime
ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    TEMPORAL_DEV_SERVER=off
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force
COPY --from=build /app/dist ./dist
# prisma/migrate.js reads <app>/prisma/migrations when run from dist/.
COPY prisma/migrations ./prisma/migrations
# The node image's unprivileged user (uid 1000); the app writes nothing to disk.
USER node
EXPOSE 3000
# No HEALTHCHECK here: the worker and the migration step run this image too and
# serve no HTTP; docker-compose.yml gives the API its check on /health.
CMD ["node", "dist/api/main.js", "api"]

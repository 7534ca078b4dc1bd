# cnlab lab server. The SQLite database lives in /app/data: mount a volume there
# (docker-compose.yml does) so labs' progress survives a new image.
#
# Two stages: the first installs every dependency and compiles (the server
# with esbuild into build/, the web page with vite into web/dist, both run by
# npm's postinstall), then drops the development dependencies; the second
# holds only what runs: production dependencies, build/, web/dist, the labs and
# the migrations.
FROM node:20-bookworm-slim AS build

# better-sqlite3 compiles itself when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The postinstall step (prisma generate, build:server, build:web) needs the
# schema, the sources and the build scripts, so they come before npm ci; and
# the labs, which build:server parses ahead of time (build/labs-parsed.json).
COPY package.json package-lock.json prisma.config.ts tsconfig.json ./
COPY prisma ./prisma
COPY scripts ./scripts
COPY server ./server
COPY web ./web
COPY labs ./labs
RUN npm ci && npm prune --omit=dev && npm cache clean --force

FROM node:20-bookworm-slim

WORKDIR /app

COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/build ./build
COPY --from=build /app/web/dist ./web/dist
# The migrations run at start through the Prisma CLI, which reads these
# (prisma.config.ts gives it the PostgreSQL adapter of server/db/postgresql-cli-adapter.ts).
COPY package.json prisma.config.ts ./
COPY prisma ./prisma
COPY server/db/postgresql-cli-adapter.ts ./server/db/postgresql-cli-adapter.ts
COPY labs ./labs

ENV NODE_ENV=production \
    HOST=0.0.0.0 \
    PORT=3000 \
    DATABASE_URL=file:/app/data/cnlab.db \
    CNLAB_LABS_DIR=/app/labs

RUN mkdir -p /app/data && chown node:node /app/data
USER node
EXPOSE 3000

# `npm start` runs the same command, but npm and its shell do not pass SIGTERM
# on to the server, so `docker stop` would kill it instead of letting it drain.
CMD ["node", "--max-semi-space-size=32", "build/main.js"]

# cnlab lab server. The SQLite database lives in /app/data: mount a volume there
# (docker-compose.yml does) so labs' progress survives a new image.
FROM node:20-bookworm-slim

# better-sqlite3 compiles itself when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# Dependencies first, so a code change does not reinstall them. The postinstall
# step (prisma generate) needs the schema and prisma.config.ts.
COPY package.json package-lock.json prisma.config.ts ./
COPY prisma ./prisma
RUN npm ci --omit=dev && npm cache clean --force

COPY tsconfig.json ./
COPY server ./server
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
CMD ["node", "--max-semi-space-size=64", "--import", "tsx", "server/main.ts"]

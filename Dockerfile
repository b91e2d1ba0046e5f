# logpipe: every role from one image. Built with the same commands as the README's quick start
# (npm ci, npm run build); the runtime stage holds the bundle and production dependencies only,
# and runs as the unprivileged `node` user. No embedded PostgreSQL in the image: set DATABASE_URL.
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json ./
COPY scripts ./scripts
COPY src ./src
COPY test ./test
RUN npm run build && npm prune --omit=dev --omit=optional

FROM node:20-slim
ENV NODE_ENV=production \
    LOGPIPE_LOG_FORMAT=json \
    LOGPIPE_METRICS_HOST=0.0.0.0
WORKDIR /app
COPY --from=build /app/package.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist/logpipe.mjs /app/dist/parse-worker.mjs ./dist/
COPY config ./config
COPY queries ./queries
USER node
EXPOSE 9478
ENTRYPOINT ["node", "/app/dist/logpipe.mjs"]
CMD ["--help"]

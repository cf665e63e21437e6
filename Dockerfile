# Build: type-check and compile to dist/.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# Run: production dependencies only, as a non-root user.
FROM node:24-slim
ENV NODE_ENV=production HOST=0.0.0.0 PORT=3000 LOG_FORMAT=json
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY app.yml ./
COPY migrations ./migrations
COPY prompts ./prompts
COPY views ./views
USER node
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||3000)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
# Web and workers in one process; run `node dist/main/web.js` / `node dist/main/worker.js` (with
# the same two heap flags) to scale out. The flags bound the worker's heap: see docs/benchmarks.md.
CMD ["node", "--max-semi-space-size=4", "--max-old-space-size=384", "dist/main/all.js"]

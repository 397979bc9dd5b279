# The simulated model server image for the kind cluster (scripts/kind/up.sh); built from the
# repository root: docker build -t model-guardian-sim:dev -f scripts/kind/sim.Dockerfile .
# NOT RUN ON OUR MACHINES: no container engine runs there, so this image has never been built.
# Same base and the same production dependencies as the operator's Dockerfile; it holds sim/
# (the model server and the load generator) and scripts/kind/sim-pod.ts (the pod's entrypoint).
FROM node:24-bookworm-slim AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts

FROM node:24-bookworm-slim
WORKDIR /app
ENV NODE_ENV=production
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY sim ./sim
COPY scripts/kind/sim-pod.ts ./scripts/kind/sim-pod.ts
USER 65532:65532
EXPOSE 8080
# the model server by default; the demo's load generator and retraining Job run other commands
ENTRYPOINT ["node"]
CMD ["scripts/kind/sim-pod.ts"]

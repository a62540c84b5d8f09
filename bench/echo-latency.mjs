#!/usr/bin/env node
// Submit N echo jobs through the gateway with W in flight, each waiting for its result.
// Usage: node bench/echo-latency.mjs [N] [W]   (stack from `cortex up`, CORTEX_GRPC_PORT honoured)
import { createGatewayClient } from "../dist/client/gateway-client.js";
import { waitForJob } from "../dist/client/wait-for-job.js";

const N = Number(process.argv[2] ?? 1000);
const W = Number(process.argv[3] ?? 1);
const port = process.env.CORTEX_GRPC_PORT ?? "8080";
const client = createGatewayClient({ address: `127.0.0.1:${port}`, timeoutMs: 10_000 });
const lat = [];
let next = 0;
const t0 = performance.now();
async function lane() {
  while (next < N) {
    next++;
    const s = performance.now();
    const { jobId } = await client.submitJob({ topic: "job.echo", prompt: "bench" });
    const done = await waitForJob(client, jobId, { timeoutMs: 30_000 });
    if (done.job.state !== "SUCCEEDED") throw new Error(`${jobId} ${done.job.state}`);
    lat.push(performance.now() - s);
  }
}
await Promise.all(Array.from({ length: W }, lane));
const secs = (performance.now() - t0) / 1000;
lat.sort((a, b) => a - b);
const q = (p) => lat[Math.min(lat.length - 1, Math.floor(p * lat.length))].toFixed(2);
console.log(
  JSON.stringify({
    N,
    W,
    jobs_per_s: +(N / secs).toFixed(1),
    p50_ms: +q(0.5),
    p90_ms: +q(0.9),
    p99_ms: +q(0.99),
  }),
);
client.close();

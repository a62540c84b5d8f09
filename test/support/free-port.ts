import { createServer } from "node:net";

/**
 * Ports come from below Linux's ephemeral range (32768+), so an outgoing connection's local
 * port never takes a port a test picked for a server it has yet to start, and each vitest
 * worker has a block of its own, so files running side by side never pick the same one.
 */
const FIRST = 20_000;
const BLOCK = 1_500;
const BLOCKS = 8;
const worker = Number(process.env.VITEST_POOL_ID ?? 1) || 1;
const base = FIRST + ((worker - 1) % BLOCKS) * BLOCK;
// A random start: a later file in the same worker skips ports an earlier one may still hold.
let next = Math.floor(Math.random() * BLOCK);

function tryListen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", () => resolve(false));
    srv.listen(port, "127.0.0.1", () => srv.close(() => resolve(true)));
  });
}

/** A TCP port on 127.0.0.1 that was free a moment ago. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK; tries++) {
    const port = base + (next++ % BLOCK);
    if (await tryListen(port)) return port;
  }
  throw new Error(`no free port in ${base}–${base + BLOCK - 1}`);
}

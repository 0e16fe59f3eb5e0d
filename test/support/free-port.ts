import { createServer } from "node:net";

/**
 * Ports are handed out below the OS's ephemeral range (32768–60999 on Linux), so an outgoing
 * connection of some test can never take a port between `freePort` and the server that binds it;
 * and each vitest worker slot (`VITEST_POOL_ID`) gets its own block, so parallel test files never get
 * the same port. Within a block, ports go round from a random start and are checked free by binding.
 */
const FIRST_PORT = 20_000;
const BLOCK_SIZE = 800;
const BLOCKS = 15;

const slot = Number(process.env.VITEST_POOL_ID ?? process.env.VITEST_WORKER_ID ?? 0) % BLOCKS;
const blockStart = FIRST_PORT + (Number.isFinite(slot) ? slot : 0) * BLOCK_SIZE;
let next = Math.floor(Math.random() * BLOCK_SIZE);

/** A TCP port on 127.0.0.1 that is free now and that no other test file of this run is handed. */
export async function freePort(): Promise<number> {
  for (let tries = 0; tries < BLOCK_SIZE; tries++) {
    const port = blockStart + (next++ % BLOCK_SIZE);
    if (await bindable(port)) return port;
  }
  throw new Error(`no free port in ${blockStart}–${blockStart + BLOCK_SIZE - 1}`);
}

function bindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.unref();
    server.once("error", () => {
      resolve(false);
    });
    server.listen(port, "127.0.0.1", () => {
      server.close(() => {
        resolve(true);
      });
    });
  });
}

/**
 * Runs `cortex watch` in the terminal: the alternate screen (so quitting gives the shell its
 * screen back exactly as it was), Ink paced to 10 frames/s, and the controller talking to
 * the gateway.
 *
 * Flicker: a frame is written only when it differs from the last, in one write wrapped in
 * synchronized-output markers (Ink does this on TTYs), and the screen stays one row short of
 * the terminal so Ink never falls back to clearing the whole terminal. Ink's incremental
 * mode is not used: in 6.8 it misplaces the cursor by a row after a frame that ends with a
 * newline, which shifts every later frame.
 */
import { render } from "ink";
import { createGatewayClient } from "../client/gateway-client.js";
import { WatchApp } from "./components/WatchApp.js";
import { WatchController, type WatchControllerOptions } from "./controller.js";

const ENTER_ALT_SCREEN = "\x1b[?1049h\x1b[H";
const LEAVE_ALT_SCREEN = "\x1b[?1049l";
const SHOW_CURSOR = "\x1b[?25h";
export const MAX_FPS = 10;

export interface RunWatchOptions {
  address: string;
  apiKey?: string;
  backfill?: number;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  /** Controller overrides (intervals, backoff). */
  controller?: Partial<WatchControllerOptions>;
}

export async function runWatch(opts: RunWatchOptions): Promise<void> {
  const stdout = opts.stdout ?? process.stdout;
  const stdin = opts.stdin ?? process.stdin;
  const controller = new WatchController({
    connect: () =>
      createGatewayClient({
        address: opts.address,
        ...(opts.apiKey ? { apiKey: opts.apiKey } : {}),
        timeoutMs: 5_000,
      }),
    ...(opts.backfill !== undefined ? { backfill: opts.backfill } : {}),
    ...opts.controller,
  });

  let restored = false;
  const restore = () => {
    if (restored) return;
    restored = true;
    stdout.write(LEAVE_ALT_SCREEN + SHOW_CURSOR);
  };
  // Whatever ends the process, the shell gets its screen back.
  process.once("exit", restore);
  const quit = () => controller.dispatch({ type: "key", key: { input: "q" } });
  const signals: NodeJS.Signals[] = ["SIGTERM", "SIGHUP"];
  for (const s of signals) process.on(s, quit);

  stdout.write(ENTER_ALT_SCREEN);
  controller.start();
  const app = render(<WatchApp controller={controller} />, {
    stdout,
    stdin,
    exitOnCtrlC: false,
    patchConsole: true,
    maxFps: MAX_FPS,
  });
  try {
    await app.waitUntilExit();
  } finally {
    controller.stop();
    app.unmount();
    restore();
    process.off("exit", restore);
    for (const s of signals) process.off(s, quit);
  }
}

/**
 * `cortex watch` in a real terminal: tmux runs the BUILT CLI in an 80×24 (and 160×40) pane against a live
 * stack, and the test reads the screen with `capture-pane`. Also `cortex jobs` through the
 * built CLI. Run `npm run build` first (`npm test` does).
 */
import { randomUUID } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { execa } from "execa";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { JobsResult, SubmitResult } from "../../src/client/json-shapes.js";
import { packageRoot } from "../../src/config/package-root.js";
import { CLI_BIN } from "../support/cli.js";
import { findBinary } from "../support/find-binary.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const SESSION = "watch";
const MARKER = "WATCH-EXIT=";
/** The marker as printed after the command, not as typed in it (`$?`). */
const EXITED = /WATCH-EXIT=(\d+)/;

describe("cortex watch in tmux", () => {
  let stack: TestStack;
  let tmuxBin: string;
  const socket = `cortex-watch-${process.pid}-${Date.now()}`;
  let env: NodeJS.ProcessEnv;
  let poolsDir: string | undefined;

  const tmux = async (...args: string[]): Promise<string> =>
    (await execa(tmuxBin, ["-L", socket, ...args], { env, extendEnv: false, stripFinalNewline: false }))
      .stdout;

  const screen = async (): Promise<string[]> => (await tmux("capture-pane", "-p", "-t", SESSION)).split("\n");

  /** Polls the pane until `check` holds; the failure message shows the last screen. */
  async function waitForScreen(
    check: (text: string) => boolean,
    timeoutMs: number,
    what: string,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    let last = "";
    for (;;) {
      last = (await screen()).join("\n");
      if (check(last)) return last;
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; screen:\n${last}`);
      await new Promise((r) => setTimeout(r, 40));
    }
  }

  /** Runs the built CLI in the cleared pane, its exit code echoed after it as MARKER<code>. */
  async function runInPane(...args: string[]): Promise<void> {
    await tmux("send-keys", "-t", SESSION, "clear", "Enter");
    // Typed ahead, the command would be echoed by the terminal before `clear` runs and then
    // be wiped by it, leaving no command line for the exit check to find.
    await waitForScreen((t) => /^[$#] ?\n*$/.test(t), 5_000, "the cleared pane");
    await tmux(
      "send-keys",
      "-t",
      SESSION,
      `'${process.execPath}' '${CLI_BIN}' ${args.join(" ")}; echo "${MARKER}$?"`,
      "Enter",
    );
  }

  async function startWatch(...args: string[]): Promise<void> {
    await runInPane("watch", ...args);
    await waitForScreen((t) => t.includes("● live") && t.includes("components"), 20_000, "the live header");
  }

  beforeAll(async () => {
    const bin = findBinary("tmux");
    if (bin === undefined)
      throw new Error("tmux not found: install it (Debian/Ubuntu: `apt-get install -y tmux`).");
    tmuxBin = bin;
    // The shipped routing plus a topic whose pool has no worker, for the waiting text.
    poolsDir = mkdtempSync(join(tmpdir(), "cortex-watch-pools-"));
    const pools = join(poolsDir, "pools.yaml");
    writeFileSync(
      pools,
      `${readFileSync(join(packageRoot(), "config/pools.yaml"), "utf8")}  job.nowhere: nowhere\n`,
    );
    stack = await startTestStack({ extraEnv: { POOL_CONFIG_PATH: pools } });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    // The pane's shell gets the stack's environment; no CI variables, so Ink draws live.
    env = { ...stack.env, TERM: "xterm-256color", LANG: "C.UTF-8", PS1: "$ " };
    await tmux("-f", "/dev/null", "new-session", "-d", "-s", SESSION, "-x", "80", "-y", "24", "sh");
  });

  afterAll(async () => {
    if (tmuxBin) await tmux("kill-server").catch(() => undefined);
    await stack?.stop();
    if (poolsDir) rmSync(poolsDir, { recursive: true, force: true });
  });

  it("shows a submitted job within a second, Enter shows its result, q exits 0 and restores the pane", async () => {
    await startWatch();
    const first = await screen();
    expect(first[0]).toMatch(/^cortex watch ● live {2}nats ✓ {2}redis ✓ {2}components \d+\/\d+/);
    expect(first.some((l) => l.startsWith("─ POOLS"))).toBe(true);
    for (const line of first) expect(Array.from(line).length).toBeLessThanOrEqual(80);

    const sub = await stack.cli(["submit", "echo", "tmux-hello", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const id = (sub.json as SubmitResult).job_id;
    const submittedAt = Date.now();
    await waitForScreen((t) => t.includes(`>${id.slice(0, 8)} job.echo`), 5_000, "the new job's row");
    const seenAfterMs = Date.now() - submittedAt;
    expect(seenAfterMs, `the job appeared after ${seenAfterMs} ms`).toBeLessThan(1_000);

    await waitForScreen(
      (t) => new RegExp(`>${id.slice(0, 8)} job\\.echo +SUCCEEDED`).test(t),
      10_000,
      "SUCCEEDED",
    );
    await tmux("send-keys", "-t", SESSION, "Enter");
    // The context shows the prompt at once; the result (loaded right after) repeats it.
    const result = /RESULT\n[\s\S]*"received_ctx": \{\n\s+"prompt": "tmux-hello"/;
    const detail = await waitForScreen((t) => result.test(t), 5_000, "the result");
    expect(detail.split("\n")[0]).toContain(`JOB ${id}`);
    expect(detail).toMatch(/TIMELINE[\s\S]*PENDING[\s\S]*SUCCEEDED/);

    await tmux("send-keys", "-t", SESSION, "Escape");
    await waitForScreen((t) => t.includes("↑↓ select"), 5_000, "the list again");
    await tmux("send-keys", "-t", SESSION, "q");
    const after = await waitForScreen((t) => EXITED.test(t), 5_000, "the exit marker");
    expect(after).toContain(`${MARKER}0`);
    // The alternate screen is gone: the shell's own lines are back, nothing of the TUI is left.
    expect(after).toMatch(/^[$#] .*watch; echo/m);
    expect(after).not.toMatch(/cortex watch|─ POOLS|─ EVENTS|↑↓ select/);
  });

  it("reconnects by itself when the daemon restarts", async () => {
    await startWatch();
    const down = await stack.cli(["down", "--timeout", "10"]);
    expect(down.code, down.stderr).toBe(0);
    await waitForScreen((t) => /^cortex watch reconnecting…/m.test(t), 10_000, "reconnecting in the header");
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, up.stderr).toBe(0);
    await waitForScreen((t) => /^cortex watch ● live/m.test(t), 15_000, "live again");
    const sub = await stack.cli(["submit", "echo", "after-restart", "--json"]);
    const id = (sub.json as SubmitResult).job_id;
    await waitForScreen((t) => t.includes(id.slice(0, 8)), 5_000, "a job submitted after the restart");
    await tmux("send-keys", "-t", SESSION, "q");
    expect(await waitForScreen((t) => EXITED.test(t), 5_000, "the exit marker")).toContain(`${MARKER}0`);
  });

  it("at 160 and 80 columns: sized columns, folded workflow children, sort keys, a job's live events with PENDING", async () => {
    await tmux("resize-window", "-t", SESSION, "-x", "160", "-y", "40");
    // No backfill: every event below reaches the TUI on the live stream.
    await startWatch("--backfill", "0");
    const parent = randomUUID();
    const p8 = parent.slice(0, 8);
    const client = stack.client();
    for (const step of ["s-patch-1", "s-explain-1"])
      await client.submitJob({
        topic: "job.echo",
        prompt: step,
        jobId: `${parent}-${step}`,
        parentJobId: parent,
      });
    await client.submitJob({ topic: "job.echo", prompt: "workflow", jobId: parent });

    const folded = new RegExp(`^>${p8} ▸2 +job\\.echo +SUCCEEDED .* echo-\\S+ *$`, "m");
    const wide = await waitForScreen((t) => folded.test(t), 10_000, "the parent row with 2 folded children");
    const lines = wide.split("\n");
    for (const line of lines) expect(Array.from(line).length).toBeLessThanOrEqual(160);
    // TOPIC is as wide as the longest topic, not half the screen; worker names are whole.
    const header = lines.find((l) => l.startsWith(" ID")) ?? "";
    expect(header).toMatch(/^ ID +TOPIC +STATE {6}ATT +AGE↓ DURATION WORKER/);
    expect(header.indexOf("STATE") - header.indexOf("TOPIC")).toBeLessThan(20);
    expect(wide).not.toMatch(new RegExp(`${p8}.*…`));

    await tmux("send-keys", "-t", SESSION, "Space");
    await waitForScreen(
      (t) => /^ └s-explain-1 +job\.echo +SUCCEEDED/m.test(t),
      5_000,
      "the unfolded children",
    );
    // One key per send: keys sent together reach Ink as one input ("jl").
    await tmux("send-keys", "-t", SESSION, "j");
    await waitForScreen((t) => /^>└s-explain-1/m.test(t), 5_000, "the first child selected");
    await tmux("send-keys", "-t", SESSION, "l");
    const pane = await waitForScreen(
      (t) => t.includes(`─ EVENTS of ${p8}/s-explain-1`) && t.includes("RUNNING→SUCCEEDED"),
      5_000,
      "the child's events pane",
    );
    expect(pane).toMatch(new RegExp(`^\\d\\d:\\d\\d:\\d\\d ${p8}/s-explain-1 job\\.echo PENDING$`, "m"));
    expect(pane).not.toMatch(new RegExp(`${p8}/s-patch-1 job\\.echo PENDING`));

    await tmux("send-keys", "-t", SESSION, "s");
    await waitForScreen((t) => t.includes("sort id↓"), 5_000, "sorted by id");
    await tmux("send-keys", "-t", SESSION, "S");
    await waitForScreen((t) => /^ ID↑ /m.test(t) && t.includes("sort id↑"), 5_000, "sorted by id, reversed");

    await tmux("resize-window", "-t", SESSION, "-x", "80", "-y", "24");
    const narrow = await waitForScreen(
      (t) => t.split("\n").every((l) => Array.from(l).length <= 80) && /^ ID↑ +TOPIC +STATE/m.test(t),
      5_000,
      "the table laid out again at 80 columns",
    );
    expect(narrow).toMatch(/^>└s-explain-1 +job\.echo +SUCCEEDED/m);
    await tmux("send-keys", "-t", SESSION, "q");
    expect(await waitForScreen((t) => EXITED.test(t), 5_000, "the exit marker")).toContain(`${MARKER}0`);
  });

  it("cortex logs on a terminal is pretty-printed, and raw JSON lines when piped", async () => {
    await runInPane("logs", "gateway", "-n", "5");
    const pretty = await waitForScreen((t) => EXITED.test(t), 15_000, "the logs command's end");
    expect(pretty).toContain(`${MARKER}0`);
    expect(pretty).toMatch(/\bINFO\b/);
    expect(pretty).not.toContain('"level":');
    const piped = await stack.cli(["logs", "gateway", "-n", "5"]);
    expect(piped.code, piped.stderr).toBe(0);
    expect(piped.stdout.trim().split("\n")[0]).toMatch(/^\{"level":/);
  });

  it("cortex jobs lists newest first, filters, and prints JSON", async () => {
    const ids: string[] = [];
    for (const word of ["one", "two"]) {
      const r = await stack.cli(["submit", "echo", word, "--wait", "--json"]);
      ids.push((r.json as SubmitResult).job_id);
    }
    const json = await stack.cli(["jobs", "--limit", "2", "--json"]);
    expect(json.code, json.stderr).toBe(0);
    const listed = (json.json as JobsResult).jobs;
    expect(listed.map((j) => j.job_id)).toEqual([ids[1], ids[0]]);
    expect((json.json as JobsResult).next_cursor).toBeTruthy();

    const table = await stack.cli(["jobs", "--topic", "job.echo", "--state", "succeeded"]);
    expect(table.code, table.stderr).toBe(0);
    const lines = table.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^ID +TOPIC +STATE +ATTEMPTS +AGE +DURATION +WORKER$/);
    expect(lines[1]).toMatch(
      new RegExp(`^${ids[1]?.slice(0, 8)} +job\\.echo +SUCCEEDED +1 +\\d+s +\\S+ +echo-`),
    );

    const none = await stack.cli(["jobs", "--topic", "job.nothing", "--json"]);
    expect(none.json).toEqual({ jobs: [] });
    const bad = await stack.cli(["jobs", "--state", "SLEEPING"]);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/state/);
  });

  it("a job's detail says why it waits when its pool has no live worker", async () => {
    const sub = await stack.cli(["submit", "job.nowhere", "waiting", "--json"]);
    expect(sub.code, sub.stderr).toBe(0);
    const id = (sub.json as SubmitResult).job_id;
    await startWatch();
    const row = new RegExp(`>${id.slice(0, 8)}\\s+job\\.nowhere\\s+SCHEDULED`);
    await waitForScreen((t) => row.test(t), 5_000, "the waiting job's row");
    await tmux("send-keys", "-t", SESSION, "Enter");
    const detail = await waitForScreen(
      (t) => /waiting no live worker in pool nowhere/.test(t.replace(/\n/g, " ")),
      5_000,
      "the waiting text",
    );
    expect(detail.split("\n")[0]).toContain(`JOB ${id}`);
    await tmux("send-keys", "-t", SESSION, "Escape");
    await tmux("send-keys", "-t", SESSION, "q");
    expect(await waitForScreen((t) => EXITED.test(t), 5_000, "the exit marker")).toContain(`${MARKER}0`);
  });
});

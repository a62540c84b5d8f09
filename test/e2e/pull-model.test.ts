/**
 * `cortex pull-model` through the built CLI (run `npm run build` first) against the
 * Ollama-compatible fixture.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runCli } from "../support/cli.js";
import { freePort } from "../support/free-port.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";

let fixture: OllamaFixture;

beforeAll(async () => {
  fixture = await startOllamaFixture({ models: [] });
});
afterAll(async () => {
  await fixture.stop();
});

const env = (extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv => ({
  PATH: process.env.PATH,
  HOME: process.env.HOME,
  NO_COLOR: "1",
  OLLAMA_URL: fixture.url,
  ...extra,
});

const pulls = () => fixture.requests.filter((r) => r.path === "/api/pull");

describe("cortex pull-model", () => {
  it("shows progress and exits 0; the default model is OLLAMA_MODEL", async () => {
    const res = await runCli(["pull-model"], env({ OLLAMA_MODEL: "qwen2.5-coder:1.5b" }));
    expect(res.code, res.stderr).toBe(0);
    const body = pulls().at(-1)?.body;
    // ollama-js sends the model as `name`, which Ollama still accepts next to `model`
    expect(body?.model ?? body?.name).toBe("qwen2.5-coder:1.5b");
    expect(body?.stream).toBe(true);
    // not a terminal: plain progress lines on stderr, the outcome on stdout
    expect(res.stderr).toContain(`pulling qwen2.5-coder:1.5b from ${fixture.url}`);
    expect(res.stderr).toContain("pulling manifest");
    expect(res.stderr).toMatch(/pulling [0-9a-f]{12} {2}100% {2}4\.0 MB\/4\.0 MB/);
    expect(res.stderr).toContain("writing manifest");
    expect(res.stdout.trim()).toBe("✓ pulled qwen2.5-coder:1.5b");
    expect(fixture.models).toContain("qwen2.5-coder:1.5b");
  });

  it("--json prints one progress object per line, then the result", async () => {
    const res = await runCli(["pull-model", "phi3", "--json"], env());
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines[0]).toEqual({ status: "pulling manifest" });
    const layers = lines.filter((l) => typeof l.digest === "string");
    expect(layers.length).toBeGreaterThan(2);
    expect(layers[0]).toMatchObject({ total: expect.any(Number), completed: expect.any(Number) });
    expect(lines.at(-2)).toEqual({ status: "success" });
    expect(lines.at(-1)).toEqual({ status: "success", model: "phi3" });
    expect(res.stderr).toBe("");
  });

  it("an unknown model exits 1 with Ollama's reason and what to do", async () => {
    const res = await runCli(["pull-model", "no-such-model"], env());
    expect(res.code).toBe(1);
    expect(res.stderr).toContain('could not pull "no-such-model": pull model manifest: file does not exist');
    expect(res.stderr).toContain("https://ollama.com/library");
    expect(res.stderr).not.toContain("cortex pull-model");

    const json = await runCli(["pull-model", "no-such-model", "--json"], env());
    expect(json.code).toBe(1);
    expect(json.json).toMatchObject({ error: { code: "LLM_PULL_FAILED" } });
  });

  it("an unreachable Ollama exits 3 naming the URL, with the hint", async () => {
    const url = `http://127.0.0.1:${await freePort()}`;
    const res = await runCli(["pull-model", "llama3"], env({ OLLAMA_URL: url }));
    expect(res.code).toBe(3);
    expect(res.stderr).toContain(`cannot reach Ollama at ${url}`);
    expect(res.stderr).toContain("Start Ollama (`ollama serve`) or set OLLAMA_URL");
    // the hint does not repeat the command that just failed
    expect(res.stderr).not.toContain("cortex pull-model");
  });
});

/**
 * The Ollama fixture itself, over plain HTTP: the endpoints other suites rely on.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";

let fixture: OllamaFixture;
beforeAll(async () => {
  fixture = await startOllamaFixture();
});
afterAll(async () => {
  await fixture.stop();
});
beforeEach(async () => {
  await fixture.setBehaviour({});
});

const post = (path: string, body: unknown) =>
  fetch(`${fixture.url}${path}`, { method: "POST", body: JSON.stringify(body) });
const ndjson = async (res: Response) =>
  (await res.text())
    .trim()
    .split("\n")
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe("ollama fixture", () => {
  it("/api/version and /api/tags", async () => {
    expect(await (await fetch(`${fixture.url}/api/version`)).json()).toEqual({ version: expect.any(String) });
    const tags = (await (await fetch(`${fixture.url}/api/tags`)).json()) as { models: { name: string }[] };
    expect(tags.models.map((m) => m.name)).toEqual(["llama3:latest"]);
  });

  it("/api/generate streams by default and answers once with stream:false", async () => {
    await fixture.setBehaviour({ answer: (req) => `you said ${req.prompt}` });
    const lines = await ndjson(await post("/api/generate", { model: "llama3", prompt: "hi" }));
    expect(lines.map((l) => l.response).join("")).toBe("you said hi");
    expect(lines.at(-1)).toMatchObject({ done: true, eval_count: 3 });
    const single = (await (
      await post("/api/generate", { model: "llama3", prompt: "yo", stream: false })
    ).json()) as {
      response: string;
    };
    expect(single.response).toBe("you said yo");
  });

  it("answers JSON when `format` is set, shaped by the schema", async () => {
    const schema = { type: "object", properties: { summary: { type: "string" }, score: { type: "number" } } };
    const res = await post("/api/chat", {
      model: "llama3",
      stream: false,
      format: schema,
      messages: [{ role: "user", content: "x" }],
    });
    const body = (await res.json()) as { message: { content: string } };
    expect(JSON.parse(body.message.content)).toEqual({ summary: "Hello from the Ollama fixture.", score: 0 });
    const json = (await (
      await post("/api/generate", { model: "llama3", prompt: "x", stream: false, format: "json" })
    ).json()) as { response: string };
    expect(JSON.parse(json.response)).toEqual({ response: "Hello from the Ollama fixture." });
  });

  it("503 n times, then success; model missing 404; unknown pull 500", async () => {
    await fixture.setBehaviour({ fail503Times: 1 });
    const chat = { model: "llama3", stream: false, messages: [{ role: "user", content: "x" }] };
    expect((await post("/api/chat", chat)).status).toBe(503);
    expect((await post("/api/chat", chat)).status).toBe(200);
    await fixture.setBehaviour({ modelMissing: true });
    expect((await post("/api/chat", chat)).status).toBe(404);
    const pull = await post("/api/pull", { model: "nope" });
    expect(pull.status).toBe(500);
    expect(await pull.json()).toEqual({ error: "pull model manifest: file does not exist" });
  });

  it("refuse stops listening until the behaviour changes back", async () => {
    await fixture.setBehaviour({ refuse: true });
    // a pooled keep-alive socket may fail first ("other side closed"); a new one is refused
    await expect(fetch(`${fixture.url}/api/tags`)).rejects.toThrow(TypeError);
    await expect(fetch(`${fixture.url}/api/tags`)).rejects.toMatchObject({ cause: { code: "ECONNREFUSED" } });
    await fixture.setBehaviour({});
    expect((await fetch(`${fixture.url}/api/tags`)).status).toBe(200);
  });

  it("records requests with their bodies", async () => {
    const before = fixture.requests.length;
    await post("/api/chat", { model: "llama3", stream: false, messages: [] });
    expect(fixture.requests.slice(before)).toEqual([
      { method: "POST", path: "/api/chat", body: { model: "llama3", stream: false, messages: [] } },
    ]);
  });
});

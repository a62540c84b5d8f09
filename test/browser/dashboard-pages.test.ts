/**
 * The dashboard's Workflows, Chat, Approvals and Policy pages in Debian's chromium against a
 * stack started by the built CLI, on both backends, with the Ollama fixture as the model and
 * a safety.yaml that holds echo jobs of the ops tenant: tokens streaming into a chat turn,
 * Ollama down shown as the job's error, a code-review workflow's tree and patch, approving
 * and rejecting held jobs (live on another page; a stale hash refused), the rules and the
 * explain check, and axe-core on each page. One browser and one stack per backend; each test
 * leaves a screenshot in test-output/browser/.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubmitResult } from "../../src/client/json-shapes.js";
import type { TestBackend } from "../support/backend.js";
import { launchBrowser, seriousViolations, type TestBrowser } from "../support/browser.js";
import { runCli } from "../support/cli.js";
import { type OllamaFixture, startOllamaFixture } from "../support/ollama-fixture.js";
import { reviewAnswer, reviewTimeouts } from "../support/review-model.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const BACKENDS: TestBackend[] = ["embedded", "nats"];

const SAFETY = `default_tenant: default
default_effect: deny
rules:
  - id: ops-echo-held
    effect: require_approval
    topics: ["job.echo"]
    tenants: ["ops"]
    expires_after: 30m
    reason: "ops echoes wait for a human"
  - id: review-patch-held
    effect: require_approval
    topics: ["job.code.llm"]
    tenants: ["review"]
    reason: "patches for review wait for a human"
  - id: no-destroy
    effect: deny
    topics: ["sys.destroy"]
    reason: "destructive jobs are forbidden"
  - id: jobs
    effect: allow
    topics: ["job.>"]
`;

const TIMEOUTS = reviewTimeouts({ timeoutSeconds: 20, maxRetries: 0 });

const ORIGINAL = "def add(a, b):\n    return a + b\n";
const REVISED = 'def add(a: int, b: int) -> int:\n    """Add two numbers."""\n    return a + b\n';
const EXPLANATION = "The function now declares int parameters and return type.";
const CHAT_ANSWER = "NATS JetStream keeps messages in streams and replays them to consumers that ask again.";

const answer = reviewAnswer({ revised: REVISED, explanation: EXPLANATION, chat: CHAT_ANSWER });

let browser: TestBrowser;
let fixture: OllamaFixture;

beforeAll(async () => {
  [browser, fixture] = await Promise.all([
    launchBrowser(),
    startOllamaFixture({ models: ["llama3:latest", "phi3:latest"] }),
  ]);
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await fixture?.stop();
});

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(page), `axe on ${what}`).toEqual([]);
}

describe.each(BACKENDS)("the dashboard's pages on the %s backend", (backend) => {
  let stack: TestStack;
  let base: string;
  let page: Page;
  let repo: string;

  const submit = async (args: string[]): Promise<string> => {
    const r = await stack.cli(["submit", ...args, "--json"]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return (r.json as SubmitResult).job_id;
  };
  const shot = (name: string) => browser.screenshot(`${backend}-${name}`, page);
  const jobState = async (id: string): Promise<string | undefined> =>
    ((await stack.cli(["job", id, "--json"])).json as { job?: { state?: string } } | undefined)?.job?.state;

  beforeAll(async () => {
    await fixture.setBehaviour({ answer });
    stack = await startTestStack({
      backend,
      safetyYaml: SAFETY,
      timeoutsYaml: TIMEOUTS,
      extraEnv: { OLLAMA_URL: fixture.url, OLLAMA_MODEL: "llama3" },
    });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    base = `http://127.0.0.1:${stack.env.CORTEX_HTTP_PORT}`;
    repo = mkdtempSync(join(tmpdir(), "cortex-browser-review-"));
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
  }, 120_000);

  afterAll(async () => {
    await page?.close();
    await stack?.stop();
    if (repo) rmSync(repo, { recursive: true, force: true });
  });

  it("streams a chat answer token by token, with the chosen model and the earlier turns", async () => {
    await fixture.setBehaviour({ answer, slowMsPerToken: 120 });
    await page.goto(`${base}/chat`);
    await page.getByTestId("stream-state").getByText("live").waitFor();
    await page
      .getByTestId("model")
      .locator("option", { hasText: "phi3:latest" })
      .waitFor({ state: "attached" });
    await page.getByTestId("model").selectOption("phi3:latest");
    await page.getByRole("textbox", { name: "Message" }).fill("What does JetStream do?");
    await page.getByRole("button", { name: "Send" }).click();
    const turn = page.getByTestId("turn-assistant").last();
    const said = turn.locator(".said");
    // Partial renders: the text grows while the job is still running.
    const seen = new Set<number>();
    const deadline = Date.now() + 20_000;
    while (Date.now() < deadline) {
      const state = await turn.getByTestId("turn-state").textContent();
      if (state === "SUCCEEDED") break;
      const text = (await said.count()) > 0 ? ((await said.textContent()) ?? "") : "";
      if (text !== "" && text !== CHAT_ANSWER) seen.add(text.length);
      await page.waitForTimeout(50);
    }
    expect(seen.size, "partial answers seen before the job ended").toBeGreaterThanOrEqual(3);
    await turn.getByTestId("turn-state").getByText("SUCCEEDED").waitFor();
    expect(await said.textContent()).toBe(CHAT_ANSWER);
    const chats = fixture.requests.filter((r) => r.path === "/api/chat");
    expect(chats.at(-1)?.body?.model).toBe("phi3:latest");

    // The second turn carries the first as history.
    await fixture.setBehaviour({ answer });
    await page.getByRole("textbox", { name: "Message" }).fill("And in one word?");
    await page.getByRole("button", { name: "Send" }).click();
    await page.getByTestId("turn-state").nth(1).getByText("SUCCEEDED").waitFor({ timeout: 20_000 });
    const messages = (fixture.requests.filter((r) => r.path === "/api/chat").at(-1)?.body?.messages ??
      []) as { role: string; content: string }[];
    expect(messages.map((m) => m.role)).toEqual(["user", "assistant", "user"]);
    expect(messages[1]?.content).toBe(CHAT_ANSWER);
    await shot("chat");
    await expectAccessible(page, "Chat");
  });

  it("shows Ollama unreachable as the job's error, and the model list's too", async () => {
    await fixture.setBehaviour({ refuse: true });
    try {
      await page.goto(`${base}/chat`);
      await page.getByTestId("models-error").getByText("cannot reach Ollama").waitFor();
      await page.getByRole("textbox", { name: "Message" }).fill("Anyone there?");
      await page.getByRole("button", { name: "Send" }).click();
      const error = page.getByTestId("chat-error");
      await error.waitFor({ timeout: 30_000 });
      expect(await error.textContent()).toContain(`cannot reach Ollama at ${fixture.url}`);
      expect(await page.getByTestId("turn-state").last().textContent()).toBe("FAILED");
      expect(await page.getByTestId("turn-assistant").last().locator(".said").count()).toBe(0);
      await shot("chat-ollama-down");
    } finally {
      await fixture.setBehaviour({ answer });
    }
  });

  it("shows a code-review workflow's steps live as a tree, the plan's source and the patch as a diff", async () => {
    await fixture.setBehaviour({ answer, slowMsPerToken: 40 });
    writeFileSync(join(repo, "calc.py"), ORIGINAL);
    await page.goto(`${base}/workflows`);
    await page.getByTestId("stream-state").getByText("live").waitFor();
    const cli = runCli(
      ["submit", "code-review", "-file", "calc.py", "-instruction", "add type hints", "--json"],
      stack.env,
      90_000,
      repo,
    );
    const row = page.locator("tr[data-workflow-id]").first();
    await row.waitFor({ timeout: 20_000 });
    const id = String(await row.getAttribute("data-workflow-id"));
    await row.getByRole("link").click();
    await page.waitForURL(`**/workflows/${id}`);
    await page.locator('[data-step-id="explain"]').waitFor({ timeout: 20_000 });
    await page.getByTestId("workflow-state").getByText("SUCCEEDED").waitFor({ timeout: 60_000 });
    const r = await cli;
    expect(r.code, r.stderr).toBe(0);
    expect((r.json as { job_id: string }).job_id).toBe(id);
    await expect
      .poll(() => page.getByTestId("step-state").allTextContents())
      .toEqual(["SUCCEEDED", "SUCCEEDED"]);
    expect(await page.getByTestId("plan-source").textContent()).toContain("model");
    // explain depends on patch: one level deeper in the tree.
    expect(await page.locator('[data-step-id="patch"]').getAttribute("class")).toContain("depth-0");
    expect(await page.locator('[data-step-id="explain"]').getAttribute("class")).toContain("depth-1");
    expect(await page.locator('[data-step-id="explain"]').textContent()).toContain(EXPLANATION);
    const diff = page.getByTestId("diff");
    await diff.waitFor();
    expect(await diff.locator("tr.add").allTextContents()).toContain("+def add(a: int, b: int) -> int:");
    expect(await diff.locator("tr.del").allTextContents()).toContain("-def add(a, b):");
    await shot("workflow");
    await expectAccessible(page, "Workflow");
    await page.goto(`${base}/workflows`);
    await page.locator(`tr[data-workflow-id="${id}"]`).getByText("SUCCEEDED").waitFor();
    await expectAccessible(page, "Workflows");
  });

  it("shows a workflow paused at a held step with a link to decide, and resumes it once approved there", async () => {
    await fixture.setBehaviour({ answer });
    writeFileSync(join(repo, "held.py"), ORIGINAL);
    const r = await runCli(
      ["submit", "code-review", "-f", "held.py", "-i", "add type hints", "--tenant", "review", "--json"],
      stack.env,
      30_000,
      repo,
    );
    expect(r.code, r.stderr).toBe(0);
    const id = (r.json as { job_id: string }).job_id;
    await page.goto(`${base}/workflows/${id}`);
    const patch = page.locator('[data-step-id="patch"]');
    await patch.getByTestId("step-state").getByText("waiting for approval").waitFor({ timeout: 20_000 });
    expect(await patch.textContent()).toContain("review-patch-held");
    expect(await page.locator('[data-step-id="explain"]').getByTestId("step-state").textContent()).toBe(
      "WAITING",
    );
    await shot("workflow-held");
    await patch.getByRole("link", { name: "Decide on Approvals" }).click();
    await page.waitForURL("**/approvals");
    const card = page.locator("[data-approval-id]").filter({ hasText: "job.code.llm" });
    await card.getByRole("button", { name: "Approve" }).click();
    await page.getByTestId("decision-outcome").getByText("Approved").waitFor();
    await page.goBack();
    await page.waitForURL(`**/workflows/${id}`);
    await page.getByTestId("workflow-state").getByText("SUCCEEDED").waitFor({ timeout: 60_000 });
    await expect
      .poll(() => page.getByTestId("step-state").allTextContents())
      .toEqual(["SUCCEEDED", "SUCCEEDED"]);
    await page.getByTestId("diff").waitFor();
  });

  it("approves a held job from the page (live on Jobs and Mission Control too) and rejects another with a reason", async () => {
    const approved = await submit(["echo", "approve me", "--tenant", "ops"]);
    const rejected = await submit(["echo", "reject me", "--tenant", "ops"]);
    const jobsPage = await browser.context.newPage();
    const mcPage = await browser.context.newPage();
    jobsPage.setDefaultTimeout(15_000);
    mcPage.setDefaultTimeout(15_000);
    try {
      await jobsPage.goto(`${base}/jobs`);
      await jobsPage.getByTestId("stream-state").getByText("live").waitFor();
      const jobsRow = jobsPage.locator(`tr[data-job-id="${approved}"]`);
      await jobsRow.getByText("AWAITING_APPROVAL").waitFor();
      await mcPage.goto(`${base}/`);
      await mcPage.getByTestId("stream-state").getByText("live").waitFor();
      // Mission Control lists only the states some job is in.
      const heldCount = mcPage.getByTestId("count-AWAITING_APPROVAL");
      const held = async () => ((await heldCount.count()) === 0 ? "0" : await heldCount.textContent());
      await expect.poll(held).toBe("2");

      await page.goto(`${base}/approvals`);
      await page.getByTestId("stream-state").getByText("live").waitFor();
      const card = page.locator(`[data-approval-id="${approved}"]`);
      await card.waitFor();
      expect(await card.getByTestId("approval-rule").textContent()).toContain("ops-echo-held");
      expect(await card.getByTestId("approval-rule").textContent()).toContain("ops echoes wait for a human");
      expect(await card.getByTestId("content-hash").textContent()).toMatch(/^[0-9a-f]{16,}$/);
      await shot("approvals");
      await expectAccessible(page, "Approvals");

      // A decision on content other than what the page showed is refused with the API's message.
      await page.route("**/approve", async (route) => {
        const body = JSON.parse(route.request().postData() ?? "{}") as Record<string, unknown>;
        await route.continue({ postData: JSON.stringify({ ...body, content_hash: "0".repeat(64) }) });
      });
      await card.getByRole("button", { name: "Approve" }).click();
      await page.getByTestId("decision-outcome").getByText("APPROVAL_STALE").waitFor();
      await page.unroute("**/approve");
      expect(await jobState(approved)).toBe("AWAITING_APPROVAL");

      await card.getByRole("button", { name: "Approve" }).click();
      await page.getByTestId("decision-outcome").getByText("Approved").waitFor();
      await card.waitFor({ state: "detached" });
      // The other open page follows the job's state events without a reload.
      await jobsRow.getByText("SUCCEEDED").waitFor({ timeout: 20_000 });
      await expect.poll(held).toBe("1");
      await expect.poll(() => jobState(approved), { timeout: 20_000 }).toBe("SUCCEEDED");

      const other = page.locator(`[data-approval-id="${rejected}"]`);
      await other.getByRole("button", { name: "Reject…" }).click();
      const dialog = page.getByRole("dialog", { name: `Reject ${rejected}` });
      await dialog.waitFor();
      await expectAccessible(page, "the reject dialog");
      await dialog.getByRole("textbox", { name: /Reason/ }).fill("not during the freeze");
      await shot("reject-dialog");
      await dialog.getByRole("button", { name: "Reject job" }).click();
      await page.getByTestId("decision-outcome").getByText("Rejected").waitFor();
      await other.waitFor({ state: "detached" });
      await jobsPage.locator(`tr[data-job-id="${rejected}"]`).getByText("DENIED").waitFor();
      await expect.poll(held).toBe("0");
      const job = (await stack.cli(["job", rejected, "--json"])).json as {
        job: { state: string; approval?: { decision_reason?: string } };
      };
      expect(job.job.state).toBe("DENIED");
      expect(job.job.approval?.decision_reason).toBe("not during the freeze");
      await page.getByText("No job is waiting for approval.").waitFor();
    } finally {
      await Promise.all([jobsPage.close(), mcPage.close()]);
    }
  });

  it("lists the rules in force and explains require_approval and allow for two topics", async () => {
    await page.goto(`${base}/policy`);
    await page.locator('tr[data-rule-id="ops-echo-held"]').waitFor();
    expect(await page.locator("tr[data-rule-id] td:first-child").allTextContents()).toEqual([
      "ops-echo-held",
      "review-patch-held",
      "no-destroy",
      "jobs",
    ]);
    const held = await page.locator('tr[data-rule-id="ops-echo-held"] td').allTextContents();
    expect(held).toEqual([
      "ops-echo-held",
      "require_approval",
      "job.echo",
      "ops",
      "tenant or admin",
      "30m",
      "ops echoes wait for a human",
    ]);
    expect(await page.getByTestId("default-effect").textContent()).toBe("deny");

    const check = async (topic: string, tenant: string) => {
      await page.getByRole("textbox", { name: "Topic" }).fill(topic);
      await page.getByRole("textbox", { name: "Tenant" }).fill(tenant);
      await page.getByRole("button", { name: "Check" }).click();
      await page.getByTestId("explanation").getByText(topic, { exact: true }).waitFor();
    };
    await check("job.echo", "ops");
    expect(await page.getByTestId("explain-effect").textContent()).toBe("require_approval");
    expect(await page.getByTestId("explain-rule").textContent()).toBe("ops-echo-held");
    await shot("policy");
    await expectAccessible(page, "Policy");

    await check("job.chat.advanced", "default");
    expect(await page.getByTestId("explain-effect").textContent()).toBe("allow");
    expect(await page.getByTestId("explain-rule").textContent()).toBe("jobs");
    // The rules checked before the deciding one, and why they did not match.
    const why = await page.getByTestId("explanation").locator("tbody tr").allTextContents();
    expect(why).toHaveLength(4);
    expect(why[0]).toContain("ops-echo-held");
    expect(why[0]).toContain("tenant default is not in [ops]");
  });
});

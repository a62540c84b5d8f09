/**
 * The web dashboard in a real browser (Debian's chromium through playwright-core) against
 * a stack started by the built CLI, on both backends, with API keys on: the key prompt and
 * a tenant key's view, jobs appearing and finishing live, Cancel from the detail page,
 * Mission Control's charts, the keyboard, and axe-core on every page. One browser for the
 * file; each test leaves a screenshot in test-output/browser/.
 */
import { copyFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { SubmitResult } from "../../src/client/json-shapes.js";
import type { TestBackend } from "../support/backend.js";
import { launchBrowser, SHOTS_DIR, seriousViolations, type TestBrowser } from "../support/browser.js";
import { spawnCli } from "../support/cli.js";
import { startTestStack, type TestStack } from "../support/stack.js";

const ADMIN = "browser-admin-key-7c1e5a9d";
const ACME = "browser-acme-key-2b8f4d6e";
const WRONG = "browser-wrong-key-0f3a9c1b";
const BACKENDS: TestBackend[] = ["embedded", "nats"];
/** Set to refresh the README's screenshots (docs/img/) from this run. */
const README_SHOTS = process.env.CORTEX_README_SHOTS === "1";

let browser: TestBrowser;

beforeAll(async () => {
  browser = await launchBrowser();
}, 60_000);

afterAll(async () => {
  await browser?.close();
});

async function expectAccessible(page: Page, what: string): Promise<void> {
  expect(await seriousViolations(page), `axe on ${what}`).toEqual([]);
}

/** Opens the dashboard in `page` and answers the key prompt with `key`. */
async function signIn(page: Page, base: string, key: string): Promise<void> {
  await page.goto(`${base}/jobs`);
  await page.getByRole("textbox", { name: "API key" }).fill(key);
  await page.getByRole("button", { name: "Use key" }).click();
  await page.getByRole("heading", { name: "API key required" }).waitFor({ state: "detached" });
}

describe.each(BACKENDS)("the dashboard on the %s backend", (backend) => {
  let stack: TestStack;
  let base: string;
  let page: Page;
  const consoleErrors: string[] = [];

  const submit = async (args: string[]): Promise<string> => {
    const r = await stack.cli(["submit", ...args, "--json"]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    return (r.json as SubmitResult).job_id;
  };
  const shot = (name: string) => browser.screenshot(`${backend}-${name}`, page);

  beforeAll(async () => {
    stack = await startTestStack({ backend });
    const keysFile = join(String(stack.env.CORTEX_HOME), "keys.yaml");
    writeFileSync(keysFile, `keys:\n  - key: ${ACME}\n    tenant: acme\n`);
    Object.assign(stack.env, { API_KEY: ADMIN, CORTEX_API_KEYS_FILE: keysFile, CORTEX_API_KEY: ADMIN });
    const up = await stack.cli(["up", "--json"]);
    expect(up.code, `${up.stdout}\n${up.stderr}`).toBe(0);
    base = `http://127.0.0.1:${stack.env.CORTEX_HTTP_PORT}`;
    page = await browser.context.newPage();
    page.setDefaultTimeout(15_000);
    // A refused script, style or connection would show here (the CSP allows only 'self').
    page.on("console", (m) => {
      if (m.type() === "error") consoleErrors.push(m.text());
    });
    page.on("pageerror", (e) => consoleErrors.push(e.message));
    await signIn(page, base, ADMIN);
  }, 120_000);

  afterAll(async () => {
    await page?.close();
    await stack?.stop();
  });

  it("asks for a key, says when it is wrong, and a tenant key sees only its tenant's jobs", async () => {
    const acmeJob = await submit(["echo", "for acme", "--tenant", "acme", "--wait"]);
    const otherJob = await submit(["echo", "for default", "--wait"]);
    const tenantPage = await browser.context.newPage();
    tenantPage.setDefaultTimeout(15_000);
    try {
      await tenantPage.goto(`${base}/jobs`);
      await tenantPage.getByRole("heading", { name: "API key required" }).waitFor();
      await tenantPage.screenshot({ path: join(SHOTS_DIR, `${backend}-key-prompt.png`) });
      await expectAccessible(tenantPage, "the key prompt");
      await tenantPage.getByRole("textbox", { name: "API key" }).fill(WRONG);
      await tenantPage.getByRole("button", { name: "Use key" }).click();
      await tenantPage.getByText("That key was not accepted").waitFor();
      await tenantPage.getByRole("textbox", { name: "API key" }).fill(ACME);
      await tenantPage.getByRole("button", { name: "Use key" }).click();
      await tenantPage.locator(`tr[data-job-id="${acmeJob}"]`).waitFor();
      expect(await tenantPage.locator(`tr[data-job-id="${otherJob}"]`).count()).toBe(0);
      const tenants = await tenantPage.locator("tbody tr td:nth-child(4)").allTextContents();
      expect(new Set(tenants)).toEqual(new Set(["acme"]));
      await tenantPage.screenshot({ path: join(SHOTS_DIR, `${backend}-tenant-jobs.png`) });
    } finally {
      await tenantPage.close();
    }
    await page.goto(`${base}/jobs`);
    await page.locator(`tr[data-job-id="${otherJob}"]`).waitFor();
  });

  it("shows a job submitted from the CLI and turns it SUCCEEDED without a reload", async () => {
    await page.goto(`${base}/jobs`);
    await page.getByTestId("stream-state").getByText("live").waitFor();
    const id = await submit(["echo", "--context", '{"sleep_ms":1500}']);
    const row = page.locator(`tr[data-job-id="${id}"]`);
    await row.waitFor();
    await row.getByTestId("job-state").getByText("SUCCEEDED").waitFor({ timeout: 20_000 });
    await shot("jobs");
    await expectAccessible(page, "Jobs");
  });

  it("moves through the rows with j/k, opens one with Enter and focuses search with /", async () => {
    await page.goto(`${base}/jobs`);
    await page.locator("tbody tr[data-job-id]").nth(1).waitFor();
    const rows = page.locator("tbody tr[data-job-id]");
    const ids = [
      await rows.nth(0).getAttribute("data-job-id"),
      await rows.nth(1).getAttribute("data-job-id"),
    ];
    await page.keyboard.press("j");
    await expect.poll(() => page.locator("tr.selected").getAttribute("data-job-id")).toBe(ids[1]);
    await page.keyboard.press("k");
    await expect.poll(() => page.locator("tr.selected").getAttribute("data-job-id")).toBe(ids[0]);
    await page.keyboard.press("/");
    expect(await page.evaluate("document.activeElement && document.activeElement.type")).toBe("search");
    await page.keyboard.type(String(ids[1]).slice(0, 8));
    await expect.poll(() => page.locator("tbody tr[data-job-id]").count()).toBe(1);
    // Escape leaves the search box, so j/k/Enter reach the rows again.
    await page.keyboard.press("Escape");
    await page.keyboard.press("Enter");
    await page.waitForURL(`**/jobs/${ids[1]}`);
    await page.getByTestId("detail-state").getByText("SUCCEEDED").waitFor();
    await page.getByTestId("result").waitFor();
    await shot("job-detail");
    await expectAccessible(page, "Job detail");
    if (README_SHOTS && backend === "embedded")
      copyFileSync(join(SHOTS_DIR, `${backend}-job-detail.png`), "docs/img/dashboard-job.png");
  });

  it("cancels a slow job from its detail page", async () => {
    const id = await submit(["echo", "--context", '{"sleep_ms":60000}']);
    await page.goto(`${base}/jobs/${id}`);
    await page.getByTestId("detail-state").getByText("RUNNING").waitFor({ timeout: 20_000 });
    await page.getByRole("button", { name: "Cancel job" }).click();
    await page.getByTestId("detail-state").getByText("CANCELLED").waitFor({ timeout: 20_000 });
    await shot("cancelled");
    const job = await stack.cli(["job", id, "--json"]);
    expect((job.json as { job: { state: string } }).job.state).toBe("CANCELLED");
  });

  it("draws Mission Control's charts from live data and lists components, states and pools", async () => {
    await page.goto(`${base}/`);
    await page.getByTestId("stream-state").getByText("live").waitFor();
    await Promise.all(Array.from({ length: 6 }, (_, i) => submit(["echo", `chart ${i}`, "--wait"])));
    await expect
      .poll(async () => Number((await page.getByTestId("finished-count").textContent())?.split(" ")[0]))
      .toBeGreaterThanOrEqual(6);
    for (const chart of ["Jobs per second", "Latency"])
      await page.getByTestId(`chart-${chart}`).locator("canvas").waitFor();
    // Both charts drew a point above zero: jobs/s, and p50/p99 latency of those jobs.
    for (const chart of ["Jobs per second", "Latency"])
      await expect
        .poll(async () => Number(await page.getByTestId(`chart-${chart}`).getAttribute("data-max")))
        .toBeGreaterThan(0);
    expect(await page.getByTestId("component").count()).toBeGreaterThanOrEqual(4);
    expect(Number(await page.getByTestId("count-SUCCEEDED").textContent())).toBeGreaterThanOrEqual(6);
    await page.getByRole("cell", { name: "echo", exact: true }).waitFor();
    await shot("mission-control");
    await expectAccessible(page, "Mission Control");
    if (README_SHOTS && backend === "embedded")
      copyFileSync(
        join(SHOTS_DIR, `${backend}-mission-control.png`),
        "docs/img/dashboard-mission-control.png",
      );
  });

  it("is served with the strict CSP and broke none of it on any page", async () => {
    const res = await page.goto(`${base}/workers`);
    expect(res?.headers()["content-security-policy"]).toContain("script-src 'self'");
    expect(res?.headers()["content-security-policy"]).not.toContain("unsafe");
    // Before the key was entered the API said 401 and the first stream attempt was refused;
    // nothing else may have gone wrong.
    const expected = (e: string) => e.includes("401") || e.includes("/api/v1/stream");
    expect(consoleErrors.filter((e) => !expected(e))).toEqual([]);
    expect(consoleErrors.filter((e) => e.includes("/api/v1/stream")).length).toBeLessThanOrEqual(2);
  });

  it("lists the workers with pool, capabilities and load", async () => {
    await page.goto(`${base}/workers`);
    await page.locator("tr[data-worker-id]").first().waitFor();
    expect(await page.locator("tr[data-worker-id]").count()).toBeGreaterThanOrEqual(5);
    await shot("workers");
    await expectAccessible(page, "Workers");
  });

  // A worker process of its own needs the nats backend (embedded's bus is in-process).
  it.runIf(backend === "nats")("shows a worker joining and leaving without a reload", async () => {
    await page.goto(`${base}/workers`);
    await page.locator("tr[data-worker-id]").first().waitFor();
    const before = await page.locator("tr[data-worker-id]").count();
    const worker = spawnCli(["worker", "start", "echo"], stack.env);
    try {
      await expect
        .poll(() => page.locator("tr[data-worker-id]").count(), { timeout: 20_000 })
        .toBe(before + 1);
      await shot("worker-joined");
    } finally {
      worker.child.kill("SIGTERM");
      await worker.exited;
    }
    await expect.poll(() => page.locator("tr[data-worker-id]").count(), { timeout: 20_000 }).toBe(before);
  });
});

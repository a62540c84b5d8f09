import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadPoolsFile, loadSafetyFile, loadTimeoutsFile } from "../../../src/config/index.js";
import { CortexError, ErrorCode } from "../../../src/core/errors.js";

const fixturesDir = join(import.meta.dirname, "fixtures");
const fixture = (name: string) => join(fixturesDir, name);
/** Files under the working directory are named relative to it in messages. */
const shown = (name: string) => relative(process.cwd(), fixture(name));

const tmp = mkdtempSync(join(tmpdir(), "cortex-config-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
let counter = 0;
function tempYaml(lines: string[]): string {
  const path = join(tmp, `f${counter++}.yaml`);
  writeFileSync(path, `${lines.join("\n")}\n`);
  return path;
}

function errorOf(fn: () => unknown): CortexError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CortexError);
    return err as CortexError;
  }
  throw new Error("expected the load to throw");
}

const reconciler = [
  "reconciler:",
  "  dispatch_timeout_seconds: 120",
  "  running_timeout_seconds: 300",
  "  scan_interval_seconds: 30",
];

describe("config file errors are one line naming file, line, key path and expectation", () => {
  it("an unknown top-level key names the key and the keys allowed there", () => {
    const err = errorOf(() => loadPoolsFile(fixture("pools-unknown-key.yaml")));
    expect(err.code).toBe(ErrorCode.ConfigInvalid);
    expect(err.message).toBe(
      `${shown("pools-unknown-key.yaml")}:4: unknown key "topicz" (expected one of: topics, pools, workers)`,
    );
    expect(err.hint).toBe("Fix the file or point POOL_CONFIG_PATH at another one.");
  });

  it("a misspelt nested key is shown before the 'missing' key it causes", () => {
    const err = errorOf(() => loadTimeoutsFile(fixture("timeouts-nested-unknown-key.yaml")));
    expect(err.message).toBe(
      `${shown("timeouts-nested-unknown-key.yaml")}:5: reconciler: unknown key "scan_intervall_seconds" ` +
        "(expected one of: dispatch_timeout_seconds, running_timeout_seconds, scan_interval_seconds) " +
        "(and 1 more problem)",
    );
    expect(err.details?.problems).toEqual([
      expect.stringContaining(':5: reconciler: unknown key "scan_intervall_seconds"'),
      `${shown("timeouts-nested-unknown-key.yaml")}:2: reconciler.scan_interval_seconds: required key is missing (expected a positive integer)`,
    ]);
  });

  it("a wrong type names the quoted key path, the expectation and the value", () => {
    const err = errorOf(() => loadTimeoutsFile(fixture("timeouts-bad-type.yaml")));
    expect(err.message).toBe(
      `${shown("timeouts-bad-type.yaml")}:7: topics."job.code.llm".timeout_seconds: expected a positive integer, got "abc"`,
    );
    expect(err.hint).toBe("Fix the file or point TIMEOUT_CONFIG_PATH at another one.");
  });

  it("malformed YAML gives file:line and the parser's problem", () => {
    // Written at run time: a malformed fixture in the tree would trip the repo's YAML linter.
    const path = tempYaml([
      "topics:",
      "  job.echo: echo",
      "  job.chat.simple: chat-simple: extra",
      "  job.x: y",
    ]);
    const err = errorOf(() => loadPoolsFile(path));
    expect(err.code).toBe(ErrorCode.ConfigInvalid);
    expect(err.message).toBe(`${path}:3: invalid YAML: Nested mappings are not allowed in compact mappings`);
    expect(err.message).not.toContain("\n");
  });

  it("an unclosed flow list is reported where the parser notices it", () => {
    const path = tempYaml(["topics:", "  job.echo: [echo", "  job.x: y"]);
    expect(errorOf(() => loadPoolsFile(path)).message).toBe(
      `${path}:3: invalid YAML: Flow sequence in block collection must be sufficiently indented and end with a ]`,
    );
  });

  it("a duplicate key is a YAML error on the duplicate's line", () => {
    const err = errorOf(() => loadPoolsFile(fixture("pools-duplicate-key.yaml")));
    expect(err.message).toBe(`${shown("pools-duplicate-key.yaml")}:3: invalid YAML: Map keys must be unique`);
  });

  it("an alias to a missing anchor is reported on its line", () => {
    const path = tempYaml(["topics:", "  job.echo: echo", "  job.chat.simple: *nope"]);
    const err = errorOf(() => loadPoolsFile(path));
    expect(err.message).toMatch(new RegExp(`^${path}:3: invalid YAML: .*nope`));
  });

  it("an empty file reports the first required key on line 1", () => {
    const err = errorOf(() => loadPoolsFile(fixture("empty.yaml")));
    expect(err.message).toBe(
      `${shown("empty.yaml")}:1: topics: required key is missing (expected a map of topic -> pool name)`,
    );
  });

  it("a bad enum value inside a list names the index", () => {
    const err = errorOf(() => loadSafetyFile(fixture("safety-bad-effect.yaml")));
    expect(err.message).toBe(
      `${shown("safety-bad-effect.yaml")}:8: rules[1].effect: expected one of: allow, deny, require_approval, got "maybe"`,
    );
    expect(err.hint).toBe("Fix the file or point SAFETY_CONFIG_PATH at another one.");
  });

  it("a missing explicit file is CONFIG_NOT_FOUND", () => {
    const err = errorOf(() => loadPoolsFile(join(tmp, "nope.yaml")));
    expect(err.code).toBe(ErrorCode.ConfigNotFound);
    expect(err.message).toBe(`${join(tmp, "nope.yaml")}: config file not found`);
    expect(err.hint).toContain("POOL_CONFIG_PATH");
  });

  it("a directory instead of a file is CONFIG_INVALID", () => {
    expect(errorOf(() => loadPoolsFile(tmp)).code).toBe(ErrorCode.ConfigInvalid);
  });
});

describe("wrong types and values", () => {
  const cases: Array<{ name: string; load: (p: string) => unknown; lines: string[]; message: string }> = [
    {
      name: "a topic key that is not a valid topic",
      load: loadPoolsFile,
      lines: ["topics:", "  job.echo: echo", "  job..bad: echo"],
      message:
        ':3: topics: key "job..bad": expected a topic (dot-separated tokens of letters, digits, _ and -, e.g. job.echo)',
    },
    {
      name: "a pool name with a dot",
      load: loadPoolsFile,
      lines: ["topics:", "  job.echo: echo.pool"],
      message: ':2: topics."job.echo": expected a pool name (letters, digits, _ and -), got "echo.pool"',
    },
    {
      name: "a list where the routing map belongs",
      load: loadPoolsFile,
      lines: ["topics:", "  - job.echo"],
      message: ":1: topics: expected a map of topic -> pool name, got a list",
    },
    {
      name: "a pool setting of the wrong type",
      load: loadPoolsFile,
      lines: ["topics:", "  job.echo: echo", "pools:", "  echo:", "    max_parallel_jobs: 0"],
      message: ":5: pools.echo.max_parallel_jobs: expected a positive integer, got 0",
    },
    {
      name: "a fractional timeout",
      load: loadTimeoutsFile,
      lines: ["topics:", "  job.echo:", "    timeout_seconds: 1.5", ...reconciler],
      message: ':3: topics."job.echo".timeout_seconds: expected a positive integer, got 1.5',
    },
    {
      name: "negative retries",
      load: loadTimeoutsFile,
      lines: ["topics:", "  job.echo:", "    timeout_seconds: 5", "    max_retries: -1", ...reconciler],
      message: ':4: topics."job.echo".max_retries: expected a non-negative integer, got -1',
    },
    {
      name: "an empty value",
      load: loadTimeoutsFile,
      lines: ["topics:", "  job.echo:", "    timeout_seconds:", ...reconciler],
      message: ':3: topics."job.echo".timeout_seconds: expected a positive integer, got an empty value',
    },
    {
      name: "a child timeout longer than the whole workflow",
      load: loadTimeoutsFile,
      lines: [
        "workflows:",
        "  demo:",
        "    child_timeout_seconds: 700",
        "    total_timeout_seconds: 600",
        "    max_retries: 0",
        ...reconciler,
      ],
      message:
        ":3: workflows.demo.child_timeout_seconds: expected at most total_timeout_seconds (600), got 700",
    },
    {
      name: "a missing section",
      load: loadTimeoutsFile,
      lines: ["topics: {}"],
      message:
        ":1: reconciler: required key is missing (expected a map with keys: dispatch_timeout_seconds, running_timeout_seconds, scan_interval_seconds)",
    },
    {
      name: "a malformed topic pattern",
      load: loadSafetyFile,
      lines: [
        "default_tenant: t",
        "default_effect: deny",
        "rules:",
        "  - id: a",
        "    effect: allow",
        '    topics: ["job.*", "job.>.x"]',
      ],
      message:
        ':6: rules[0].topics[1]: expected a topic pattern (e.g. sys.destroy, job.*, job.>), got "job.>.x"',
    },
    {
      name: "two rules with the same id",
      load: loadSafetyFile,
      lines: [
        "default_tenant: t",
        "default_effect: deny",
        "rules:",
        "  - id: a",
        "    effect: allow",
        "    topics: [job.echo]",
        "  - id: a",
        "    effect: deny",
        "    topics: [job.>]",
      ],
      message: ':7: rules[1].id: expected a unique rule id, but rules[0] already uses "a"',
    },
    {
      name: "an empty tenant list",
      load: loadSafetyFile,
      lines: [
        "default_tenant: t",
        "default_effect: deny",
        "rules:",
        "  - id: a",
        "    effect: allow",
        "    topics: [job.echo]",
        "    tenants: []",
      ],
      message: ":7: rules[0].tenants: expected a list of at least 1 item(s), got a list",
    },
  ];

  for (const c of cases) {
    it(c.name, () => {
      const path = tempYaml(c.lines);
      const err = errorOf(() => c.load(path));
      expect(err.code).toBe(ErrorCode.ConfigInvalid);
      expect(err.message).toBe(`${path}${c.message}`);
    });
  }

  it("accepts optional pool settings, tenants and wildcard patterns", () => {
    const pools = tempYaml([
      "topics:",
      "  job.echo: echo",
      "pools:",
      "  echo:",
      "    max_parallel_jobs: 4",
      "    description: echoes",
    ]);
    expect(loadPoolsFile(pools).pools).toEqual({ echo: { max_parallel_jobs: 4, description: "echoes" } });
    const safety = tempYaml([
      "default_tenant: t",
      "default_effect: deny",
      "rules:",
      "  - id: a",
      "    effect: allow",
      '    topics: ["job.*", "job.>"]',
      "    tenants: [acme]",
    ]);
    expect(loadSafetyFile(safety).rules[0]?.tenants).toEqual(["acme"]);
  });
});

import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { it } from "vitest";
import { RUN_JS } from "../support/cli.js";
import { startOllamaFixture } from "../support/ollama-fixture.js";
import { startTestStack } from "../support/stack.js";

it("manual tty", async () => {
  const out: string[] = [];
  const fixture = await startOllamaFixture();
  const stack = await startTestStack({ extraEnv: { OLLAMA_URL: fixture.url } });
  await stack.cli(["up"]);
  const env: NodeJS.ProcessEnv = { ...stack.env, TERM: "xterm-256color" };
  delete env.NO_COLOR;
  await fixture.setBehaviour({ answer: "Hello there, this is a streamed answer.", slowMsPerToken: 50 });
  const r = spawnSync("script", ["-qc", `node ${RUN_JS} submit chat-advanced hi --wait`, "/dev/null"], {
    env,
  });
  out.push(JSON.stringify(r.stdout.toString()));
  const repo = mkdtempSync(join(tmpdir(), "m-"));
  writeFileSync(join(repo, "a.py"), "x = 1\ny = 2\n");
  await fixture.setBehaviour({
    answer: JSON.stringify({ revised_code: "x = 1\ny = 3\n", explanation: "y is 3" }),
  });
  const c = spawnSync(
    "script",
    ["-qc", `node ${RUN_JS} submit code --file a.py --instruction 'y=3' --wait`, "/dev/null"],
    { env, cwd: repo },
  );
  out.push(JSON.stringify(c.stdout.toString()));
  await fixture.setBehaviour({ refuse: true });
  const f = spawnSync("script", ["-qc", `node ${RUN_JS} submit chat-advanced hi --wait`, "/dev/null"], {
    env,
  });
  out.push(JSON.stringify(f.stdout.toString()));
  const s = spawnSync("script", ["-qc", `node ${RUN_JS} smoke`, "/dev/null"], { env });
  out.push(s.stdout.toString());
  await stack.stop();
  await fixture.stop();
  writeFileSync("/tmp/manual-tty.txt", out.join("\n\n"));
}, 120_000);

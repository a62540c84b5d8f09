import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import {
  createPullRenderer,
  describeProgress,
  formatBytes,
  layerLabel,
} from "../../../src/cli/pull-progress.js";

const digest = `sha256:${"ab12".repeat(16)}`;
const layer = (completed: number) => ({
  status: "pulling ab12ab12ab12",
  digest,
  total: 4_000_000,
  completed,
});

function capture(tty: boolean) {
  const out = new PassThrough();
  let text = "";
  out.on("data", (d) => {
    text += String(d);
  });
  return { renderer: createPullRenderer(out, tty), text: () => text };
}

describe("pull progress", () => {
  it("formats bytes in SI units like Ollama", () => {
    expect(formatBytes(812)).toBe("812 B");
    expect(formatBytes(1_200)).toBe("1.2 KB");
    expect(formatBytes(4_700_000_000)).toBe("4.7 GB");
  });

  it("labels a layer by its short digest and describes bytes, percent, rate", () => {
    expect(layerLabel(layer(0))).toBe("pulling ab12ab12ab12");
    expect(layerLabel({ status: "pulling manifest" })).toBe("pulling manifest");
    expect(describeProgress(layer(1_000_000), { bytesPerSecond: 2_500_000 })).toBe(
      "pulling ab12ab12ab12   25%  1.0 MB/4.0 MB  2.5 MB/s",
    );
    expect(describeProgress(layer(2_000_000), { bar: true })).toContain(
      `[${"█".repeat(12)}${"░".repeat(12)}]`,
    );
  });

  it("plain output: one line per status, and per quarter of a layer", () => {
    const { renderer, text } = capture(false);
    renderer.update({ status: "pulling manifest" });
    for (let done = 0; done <= 4_000_000; done += 400_000) renderer.update(layer(done));
    renderer.update({ status: "success" });
    renderer.finish();
    const lines = text().trim().split("\n");
    expect(lines[0]).toBe("pulling manifest");
    expect(lines.slice(1, -1).map((l) => l.match(/(\d+)%/)?.[1])).toEqual(["0", "30", "50", "80", "100"]);
    expect(lines.at(-1)).toBe("success");
    expect(text()).not.toContain("\r");
  });

  it("terminal output: redraws the bar in place and ends the line on the next status", () => {
    const { renderer, text } = capture(true);
    renderer.update(layer(0));
    renderer.update(layer(4_000_000));
    renderer.update({ status: "writing manifest" });
    renderer.finish();
    expect(text()).toContain("\r\x1b[2Kpulling ab12ab12ab12  [");
    expect(text()).toMatch(/100% {2}4\.0 MB\/4\.0 MB\nwriting manifest\n$/);
  });
});

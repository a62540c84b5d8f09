/** States in colour: Ink's chalk decides on colour when first imported, so force it first. */
import { describe, expect, it } from "vitest";

process.env.FORCE_COLOR = "1";
const { render } = await import("ink-testing-library");
const { WatchScreen } = await import("../../../src/tui/components/WatchScreen.js");
const { initialState } = await import("../../../src/tui/model/state.js");
const { updateAll } = await import("../../../src/tui/model/update.js");
const { event } = await import("./fake-gateway.js");

const T0 = 1_800_000_000_000;
const ESC = "\u001B";

describe("colours", () => {
  it("job states in colour, the selected row inverted", () => {
    const state = updateAll(initialState(T0), [
      {
        type: "received",
        events: [
          event({ jobId: "aaaaaaaa", to: "SUCCEEDED", atMs: T0 }),
          event({ jobId: "bbbbbbbb", to: "FAILED", atMs: T0 + 1 }),
          event({ jobId: "cccccccc", to: "RUNNING", atMs: T0 + 2 }),
        ],
      },
      { type: "flush", now: T0 + 1000 },
    ]).state;
    const { lastFrame, unmount } = render(<WatchScreen state={state} columns={80} rows={24} />);
    const frame = lastFrame() ?? "";
    expect(frame).toContain(`${ESC}[32mSUCCEEDED`);
    expect(frame).toContain(`${ESC}[31mFAILED`);
    // The top row (RUNNING) is selected: inverse video over the row.
    expect(frame).toMatch(new RegExp(`${ESC}\\[7m[^\\n]*RUNNING`));
    unmount();
  });
});

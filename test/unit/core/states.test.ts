import { describe, expect, it } from "vitest";
import {
  ALL_STATES,
  canTransition,
  isJobState,
  isTerminal,
  JobState,
  REASON_REQUIRED,
  TERMINAL_STATES,
  TRANSITIONS,
} from "../../../src/core/states.js";

/**
 * The allowed moves written out independently of TRANSITIONS, so an edit to the table
 * shows up here as a deliberate change (DESIGN.md "States" plus the retry moves).
 */
const ALLOWED = new Set([
  "PENDING>AWAITING_APPROVAL",
  "PENDING>SCHEDULED",
  "PENDING>DENIED",
  "PENDING>FAILED",
  "PENDING>CANCELLED",
  "PENDING>TIMEOUT",
  // a require_approval hold: approve, reject or expire (DENIED), and the moves of any live job
  "AWAITING_APPROVAL>SCHEDULED",
  "AWAITING_APPROVAL>DENIED",
  "AWAITING_APPROVAL>FAILED",
  "AWAITING_APPROVAL>CANCELLED",
  "SCHEDULED>DISPATCHED",
  "SCHEDULED>RUNNING",
  "SCHEDULED>SCHEDULED",
  "SCHEDULED>DENIED",
  "SCHEDULED>FAILED",
  "SCHEDULED>CANCELLED",
  "SCHEDULED>TIMEOUT",
  "DISPATCHED>RUNNING",
  "DISPATCHED>SCHEDULED",
  "DISPATCHED>SUCCEEDED",
  "DISPATCHED>FAILED",
  "DISPATCHED>CANCELLED",
  "DISPATCHED>TIMEOUT",
  "RUNNING>SUCCEEDED",
  "RUNNING>FAILED",
  "RUNNING>TIMEOUT",
  "RUNNING>CANCELLED",
  "RUNNING>SCHEDULED",
  // redelivery of the same job to another worker after the first one died
  "RUNNING>RUNNING",
]);

const STATES = [
  "PENDING",
  "AWAITING_APPROVAL",
  "SCHEDULED",
  "DISPATCHED",
  "RUNNING",
  "SUCCEEDED",
  "FAILED",
  "TIMEOUT",
  "CANCELLED",
  "DENIED",
] as const;

const allPairs = STATES.flatMap((from) => STATES.map((to) => [from, to] as const));

describe("job states", () => {
  it("ALL_STATES lists exactly the ten states", () => {
    expect([...ALL_STATES].sort()).toEqual([...STATES].sort());
  });

  it.each(allPairs)("%s -> %s", (from, to) => {
    expect(canTransition(from, to)).toBe(ALLOWED.has(`${from}>${to}`));
  });

  it("the table has no move the explicit list lacks", () => {
    const inTable = Object.entries(TRANSITIONS).flatMap(([from, tos]) => tos.map((to) => `${from}>${to}`));
    expect(new Set(inTable)).toEqual(ALLOWED);
  });

  it("terminal states are exactly SUCCEEDED, FAILED, TIMEOUT, CANCELLED, DENIED", () => {
    expect([...TERMINAL_STATES].sort()).toEqual(["CANCELLED", "DENIED", "FAILED", "SUCCEEDED", "TIMEOUT"]);
    for (const s of STATES) expect(isTerminal(s)).toBe(TERMINAL_STATES.has(s));
  });

  it("terminal states are final: no move out of them, not even to themselves", () => {
    for (const from of TERMINAL_STATES) {
      for (const to of STATES) expect(canTransition(from, to)).toBe(false);
    }
  });

  it("every non-terminal state may fail (with a reason) or be cancelled", () => {
    for (const from of STATES.filter((s) => !isTerminal(s))) {
      expect(canTransition(from, JobState.Failed)).toBe(true);
      expect(canTransition(from, JobState.Cancelled)).toBe(true);
    }
  });

  it("PENDING and SCHEDULED may fail or be denied; later states may not be denied", () => {
    expect(canTransition(JobState.Pending, JobState.Failed)).toBe(true);
    expect(canTransition(JobState.Scheduled, JobState.Failed)).toBe(true);
    expect(canTransition(JobState.Pending, JobState.Denied)).toBe(true);
    expect(canTransition(JobState.Scheduled, JobState.Denied)).toBe(true);
    expect(canTransition(JobState.Dispatched, JobState.Denied)).toBe(false);
    expect(canTransition(JobState.Running, JobState.Denied)).toBe(false);
  });

  it("REASON_REQUIRED is FAILED, DENIED and TIMEOUT", () => {
    expect([...REASON_REQUIRED].sort()).toEqual(["DENIED", "FAILED", "TIMEOUT"]);
  });

  it("isJobState accepts the nine names only", () => {
    for (const s of STATES) expect(isJobState(s)).toBe(true);
    for (const s of ["", "pending", "DONE", "COMPLETED"]) expect(isJobState(s)).toBe(false);
  });
});

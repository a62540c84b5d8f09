import { describe, expect, it } from "vitest";
import { CommandTally, countsBetween, roundTripsPerJob } from "../../../bench/store-round-trips.js";

describe("bench store round trips", () => {
  it("counts what clients sent, not what scripts ran or the bench's own INFO/MONITOR", () => {
    const tally = new CommandTally();
    tally.add(["EVALSHA", "abc", "1", "job:1"], "127.0.0.1:50001");
    tally.add(["hset", "job:1", "state", "RUNNING"], "lua");
    tally.add(["xadd", "events", "*"], "lua");
    tally.add(["info", "commandstats"], "127.0.0.1:50002");
    tally.add(["monitor"], "127.0.0.1:50003");
    tally.add(["bzpopmin", "q", "5"], "127.0.0.1:50004");
    expect(tally.snapshot()).toEqual({ evalsha: 1, bzpopmin: 1 });
    expect(tally.total).toBe(2);
  });

  it("subtracts the idle window and gives calls per job", () => {
    const before = { evalsha: 10 };
    const after = { evalsha: 410, hset: 6, expire: 2 };
    const withJobs = countsBetween(after, before);
    expect(withJobs).toEqual({ evalsha: 400, hset: 6, expire: 2 });
    expect(roundTripsPerJob(withJobs, { hset: 6, expire: 1 }, 200)).toEqual({
      total: 2.01,
      by_command: { evalsha: 2, expire: 0.01 },
    });
  });

  it("gives zero for no jobs", () => {
    expect(roundTripsPerJob({ evalsha: 3 }, {}, 0)).toEqual({ total: 0, by_command: {} });
  });
});

/** MemoryBus (the embedded backend's bus) against the same Bus contract as NatsBus. */
import { MemoryBus } from "../../src/bus/memory-bus.js";
import { runBusContract } from "../support/bus-contract.js";

runBusContract("memory", async () => {
  const bus = new MemoryBus();
  return { bus, cleanup: () => bus.close() };
});

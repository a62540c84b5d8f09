import { describe, expect, it } from "vitest";
import { hasModel, withTag } from "../../../src/llm/index.js";

describe("model names", () => {
  it("a name without a tag means :latest; a registry port is not a tag", () => {
    expect(withTag("llama3")).toBe("llama3:latest");
    expect(withTag("qwen2.5-coder:1.5b")).toBe("qwen2.5-coder:1.5b");
    expect(withTag("registry.local:5000/team/model")).toBe("registry.local:5000/team/model:latest");
    expect(withTag("registry.local:5000/team/model:v2")).toBe("registry.local:5000/team/model:v2");
  });

  it("hasModel matches with or without the implied tag", () => {
    expect(hasModel(["llama3:latest"], "llama3")).toBe(true);
    expect(hasModel(["llama3"], "llama3:latest")).toBe(true);
    expect(hasModel(["llama3:8b"], "llama3")).toBe(false);
    expect(hasModel([], "llama3")).toBe(false);
  });
});

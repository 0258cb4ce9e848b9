import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { COMMAND_NAMES } from "../src/api";

function documented(): string[] {
  const doc = readFileSync(resolve(__dirname, "../../docs/API.md"), "utf8");
  return doc
    .split("\n")
    .filter((l) => l.startsWith("### `") && l.endsWith("`"))
    .map((l) => l.slice(5, -1));
}

// The map is generated from the core's command list, which the core's own docs
// test ties to docs/API.md; this catches a generated file left stale beside them.
describe("the generated command map (src/generated/Commands.ts)", () => {
  it("names only commands that docs/API.md documents, each once", () => {
    const docs = new Set(documented());
    expect(COMMAND_NAMES.filter((c) => !docs.has(c))).toEqual([]);
    expect(new Set(COMMAND_NAMES).size).toBe(COMMAND_NAMES.length);
  });

  it("names every command docs/API.md documents", () => {
    const names = new Set<string>(COMMAND_NAMES);
    expect(documented().filter((c) => !names.has(c))).toEqual([]);
  });
});
